"""A case made ready for the rule network: its pairs, each pair's facts as given and as the rules
read them, the presumptions used, and the legal signature that keys the engine's cache.

The facts the rules read (*effective* facts) are the facts given, plus:

* the rulebook's presumptions, for facts the case leaves unknown (unless strict);
* computed facts (the compensation filing delay, from the two dates);
* lower bounds one fact puts on another (the age at trial is at least the age at the offense).

The *legal signature* of a pair is the truth (true, false, unknown) of every fact atom of the
rulebook on its effective facts: pairs with equal signatures fire the same rules.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from dmst.facts.model import Case, Scenario
from dmst.facts.paths import FACTS, flatten, months_between
from dmst.rules import PAIR, Rulebook

__all__ = ["PairFacts", "Prepared", "effective_facts", "prepare"]

Truth = bool | None


@dataclass(frozen=True)
class PairFacts:
    """One accused–victim pair: ids (None for the single form), the facts given, the facts the
    rules read, and the truth of each fact atom of the rulebook."""

    accused: str | None
    victim: str | None
    given: dict[str, Any]
    effective: dict[str, Any]
    truths: tuple[Truth, ...]


@dataclass(frozen=True)
class Prepared:
    """A case ready for evaluation. ``pair_victim[i]`` is the index of pair i's victim."""

    pairs: tuple[PairFacts, ...]
    victims: tuple[str | None, ...]
    pair_victim: tuple[int, ...]
    presumed: tuple[tuple[str, Any], ...]
    key: tuple[Any, ...]


def effective_facts(rulebook: Rulebook, given: dict[str, Any], presume: bool
                    ) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """The facts the rules read for these given facts, and the presumptions used."""
    facts = dict(given)
    presumed: list[tuple[str, Any]] = []
    if presume:
        for p in rulebook.meta.presumptions:
            if p.fact not in facts:
                facts[p.fact] = p.value
                presumed.append((p.fact, p.value))
    for path, c in rulebook.meta.computed.items():
        start, end = (facts.get(a) for a in c.args)
        if start is not None and end is not None:
            facts[path] = round(months_between(_dt.date.fromisoformat(start),
                                               _dt.date.fromisoformat(end)), 4)
    for path, spec in FACTS.items():
        if spec.at_least and spec.at_least in facts:
            floor = _low(facts[spec.at_least])
            own = facts.get(path)
            if own is None:
                if floor > 0:
                    facts[path] = {"min": floor}
            elif _low(own) < floor:
                facts[path] = {**({"max": own} if isinstance(own, int) else own), "min": floor}
    return facts, tuple(presumed)


def _low(value: Any) -> int:
    if isinstance(value, dict):
        return int(value.get("min", 0))
    return int(value)


def prepare(rulebook: Rulebook, case: Scenario | Case, presume: bool) -> Prepared:
    """The pairs of a case (one for a :class:`Scenario`) with their facts and signatures."""
    if isinstance(case, Scenario):
        parts: list[tuple[str | None, str | None, Scenario]] = [(None, None, case)]
    else:
        parts = list(case.pairs())  # type: ignore[arg-type]
    atoms = rulebook.atoms
    sources = _computed_sources(rulebook)
    victims: list[str | None] = []
    pairs: list[PairFacts] = []
    pair_victim: list[int] = []
    presumed: dict[str, Any] = {}
    for accused, victim, scenario in parts:
        given = flatten(scenario)
        effective, used = effective_facts(rulebook, given, presume)
        presumed.update(used)
        truths = tuple(a.test(effective) for a in atoms)
        if victim not in victims:
            victims.append(victim)
        pair_victim.append(victims.index(victim))
        pairs.append(PairFacts(accused, victim, given, effective, truths))
    key = (
        tuple(p.truths for p in pairs),
        tuple(pair_victim),
        tuple(tuple(s in p.given for s in sources) for p in pairs),
        tuple(sorted(presumed)),
    )
    return Prepared(tuple(pairs), tuple(victims), tuple(pair_victim),
                    tuple(sorted(presumed.items())), key)


def _computed_sources(rulebook: Rulebook) -> tuple[str, ...]:
    """Given facts that computed facts come from: whether each is known changes which facts an
    undetermined conclusion is said to miss, though not which rules fire."""
    return tuple(sorted({a for c in rulebook.meta.computed.values() for a in c.args}))


def victim_atoms(rulebook: Rulebook) -> tuple[int, ...]:
    """Indexes of the rulebook's atoms about the victim (the others are about the pair)."""
    return tuple(i for i, a in enumerate(rulebook.atoms) if a.entity != PAIR)
