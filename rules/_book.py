"""The checked rulebook in evaluation form: rules with their alternatives, levels and entities,
and the tables (statutes, offenses, parameters, presumptions, computed facts, warnings)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dmst.facts.paths import FACTS, FactSpec
from dmst.rules._atoms import PAIR, VICTIM, Atom, Entity, FactAtom, MatchAtom, RefAtom
from dmst.rules._model import (
    Certainty,
    ConclusionSpec,
    Kind,
    Parameter,
    Rule,
    RulebookMeta,
    StatuteEntry,
)
from dmst.rules._source import Source

__all__ = ["LoadedRule", "Rulebook"]


@dataclass(frozen=True)
class LoadedRule:
    """A checked rule with its conditions expanded into alternatives (disjunctive normal form).

    ``level`` orders evaluation (a rule comes after every conclusion it depends on); ``anchor`` is
    the entity the rule is evaluated for: ``pair`` when it reads an accused's fact or a pair's
    conclusion, else ``victim``."""

    rule: Rule
    file: str
    area: str
    #: Each alternative is a conjunction of atoms; the rule holds when one alternative holds.
    alternatives: tuple[tuple[Atom, ...], ...]
    spec: ConclusionSpec
    level: int = 0
    anchor: Entity = VICTIM

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def conclusion_id(self) -> str:
        return self.rule.conclusion_id

    @property
    def certainty(self) -> Certainty:
        return self.rule.certainty

    @property
    def silent(self) -> bool:
        return self.rule.source_silent

    def fact_paths(self) -> tuple[str, ...]:
        paths = {a.path for alt in self.alternatives for a in alt if isinstance(a, FactAtom)}
        return tuple(sorted(paths))


def fact_specs(meta: RulebookMeta) -> dict[str, FactSpec]:
    """Every fact a rule may read, by path: the given facts and the rulebook's computed ones
    (numbers in the unit the rulebook declares)."""
    out = dict(FACTS)
    for path, c in meta.computed.items():
        out[path] = FactSpec(path, "number", c.description, computed_from=tuple(c.args),
                             unit=c.unit)
    return out


@dataclass
class Rulebook:
    """The checked rulebook: rules in evaluation order, the source and the tables."""

    meta: RulebookMeta
    source: Source
    rules: tuple[LoadedRule, ...]
    #: 16 hex digits of a SHA-256 digest of the rule files (names and text) and the source text:
    #: equal fingerprints, the same law.
    fingerprint: str
    files: tuple[str, ...] = field(default_factory=tuple)

    @cached_property
    def by_id(self) -> dict[str, LoadedRule]:
        return {r.id: r for r in self.rules}

    @cached_property
    def conclusions(self) -> dict[str, ConclusionSpec]:
        """Every conclusion id a rule can add, with its definition."""
        out: dict[str, ConclusionSpec] = {}
        for r in self.rules:
            out.setdefault(r.conclusion_id, r.spec)
        return out

    @cached_property
    def rules_for(self) -> dict[str, tuple[LoadedRule, ...]]:
        out: dict[str, list[LoadedRule]] = {}
        for r in self.rules:
            out.setdefault(r.conclusion_id, []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def decided(self) -> frozenset[str]:
        """Conclusions some rule decides (the rest the source only ever leaves open)."""
        return frozenset(r.conclusion_id for r in self.rules if not r.silent)

    @cached_property
    def entity(self) -> dict[str, Entity]:
        """The entity each conclusion is about: a victim's status, and what follows from the
        victim's facts and statuses alone, is the victim's; the rest is a pair's."""
        out: dict[str, Entity] = {}
        for cid, rules in self.rules_for.items():
            victim = self.conclusions[cid].kind is Kind.STATUS or all(
                r.anchor == VICTIM for r in rules
            )
            out[cid] = VICTIM if victim else PAIR
        return out

    @cached_property
    def consumed(self) -> frozenset[str]:
        """Conclusion ids some rule's condition can match (the rest need not be asserted)."""
        used: set[str] = set()
        for r in self.rules:
            for alt in r.alternatives:
                for atom in alt:
                    used.update(self.targets(atom))
            used.update(r.rule.unless)
        return frozenset(used)

    def _targets(self, atom: Atom) -> Iterator[str]:
        if isinstance(atom, RefAtom):
            yield atom.id
        elif isinstance(atom, MatchAtom):
            for cid, spec in self.conclusions.items():
                if cid in self.decided and atom.matches(spec.kind.value, spec.offense, spec.role):
                    yield cid

    def targets(self, atom: Atom) -> tuple[str, ...]:
        """The conclusion ids a conclusion atom can be satisfied by (decided ones only)."""
        found = self._target_cache.get(atom)
        if found is None:
            found = self._target_cache[atom] = tuple(self._targets(atom))
        return found

    @cached_property
    def _target_cache(self) -> dict[Atom, tuple[str, ...]]:
        return {}

    @cached_property
    def atoms(self) -> tuple[FactAtom, ...]:
        """Every fact atom of the rulebook, in a stable order: the legal signature's positions."""
        return tuple(sorted(
            {a for r in self.rules for alt in r.alternatives for a in alt
             if isinstance(a, FactAtom)},
            key=lambda a: (a.path, a.op, str(a.value), a.unknown_holds),
        ))

    @cached_property
    def facts(self) -> dict[str, FactSpec]:
        """Every fact a rule may read: the given facts and the computed ones."""
        return fact_specs(self.meta)

    def statute(self, key: str) -> StatuteEntry:
        return self.meta.statutes[key]

    def parameter(self, name: str) -> Parameter:
        return self.meta.parameters[name]

    def thresholds(self) -> dict[str, tuple[float, ...]]:
        """Every number a rule compares a fact with, by fact path."""
        out: dict[str, set[float]] = {}
        for a in self.atoms:
            if a.op in ("lt", "le", "gt", "ge"):
                out.setdefault(a.path, set()).add(a.value)
        return {k: tuple(sorted(v)) for k, v in sorted(out.items())}

    @cached_property
    def offense_titles(self) -> dict[str, str]:
        return dict(self.meta.offenses)

    def describe(self, atom: Atom) -> str:
        """An atom in words, with a threshold's parameter: ``victim.age < 18 (age_of_majority)``."""
        if isinstance(atom, FactAtom) and atom.param:
            p = self.meta.parameters.get(atom.param)
            unit = f" {p.unit}" if p is not None else ""
            return f"{atom.describe()}{unit}"
        return atom.describe()

    def warnings_spec(self) -> list[Any]:
        return list(self.meta.warnings)
