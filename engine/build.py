"""Turn an evaluation's firings into a :class:`Result`: conclusions with their citations and
derivations, the undetermined conclusions with the facts that would decide them, the ranked
facts to ask next, warnings and the stamp."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from dmst.engine.firings import DEFINITE, POSSIBLE, Firing, Firings, weakest
from dmst.engine.result import (
    AskNext,
    Citation,
    Conclusion,
    Derivation,
    Result,
    Stamp,
    StatuteRef,
    Undetermined,
    Warning,
)
from dmst.facts.paths import FACTS
from dmst.rules.loader import FactAtom, LoadedRule, Rulebook
from dmst.rules.model import Kind

_M = TypeVar("_M", bound=BaseModel)

__all__ = [
    "KIND_ORDER",
    "NOTICE",
    "Plan",
    "ResultBuilder",
    "citations_for",
    "missing_facts",
    "warnings_for",
]

NOTICE = (
    "Not legal advice. dmst states Mississippi law only as the Protected Innocence Challenge "
    "report card analyses it, for the period it describes."
)

KIND_ORDER = {k: i for i, k in enumerate(
    [Kind.CHARGE, Kind.CONSEQUENCE, Kind.DEFENSE_BARRED, Kind.PROTECTION, Kind.INVESTIGATION,
     Kind.GAP, Kind.STATUS]
)}


def citations_for(rulebook: Rulebook, rules: list[LoadedRule]) -> list[Citation]:
    """The citations of these rules, in order, each quote once."""
    out: list[Citation] = []
    seen: set[str] = set()
    for rule in rules:
        for c in rule.rule.cites:
            if c.quote in seen:
                continue
            seen.add(c.quote)
            statute = None
            if c.statute is not None:
                entry = rulebook.statute(c.statute)
                if entry.section and entry.confidence in ("high", "medium"):
                    statute = StatuteRef(
                        cite=f"Miss. Code Ann. \u00a7 {entry.section}",
                        confidence=entry.confidence,
                        note=entry.note,
                    )
            out.append(Citation(section=c.section or rule.area, quote=c.quote, statute=statute))
    return out


def _applies_to(rulebook: Rulebook, fs: list[Firing]) -> list[str]:
    out: set[str] = set()
    for f in fs:
        rule = rulebook.by_id[f.rule]
        alternative = rule.alternatives[f.alternative]
        conclusion_atoms = [a for a in alternative if not isinstance(a, FactAtom)]
        for atom, matched in zip(conclusion_atoms, f.matched, strict=True):
            if getattr(atom, "scope", False):
                out.add(matched)
    return sorted(out)


def missing_facts(rulebook: Rulebook, facts: dict[str, Any], firings: Firings,
                  conclusion: str, _memo: dict[str, frozenset[str]] | None = None, *,
                  rules: set[str] | None = None) -> frozenset[str]:
    """The unknown facts that could decide an undetermined conclusion (given fact paths only);
    with ``rules``, only what those of its rules need."""
    memo = {} if _memo is None else _memo
    if rules is None and conclusion in memo:
        return memo[conclusion]
    if rules is None:
        memo[conclusion] = frozenset()  # guards against re-entry; the rulebook has no cycles
    out: set[str] = set()
    possible = [f for f in firings.of(conclusion, POSSIBLE) if rules is None or f.rule in rules]
    # Where one firing of a rule alternative matched only conclusions that already apply, the
    # other conclusions that alternative could match decide nothing: only its facts do.
    settled = {(f.rule, f.alternative) for f in possible
               if all(firings.holds(DEFINITE, m) for m in f.matched)}
    for f in possible:
        if (f.rule, f.alternative) in settled and not all(
            firings.holds(DEFINITE, m) for m in f.matched
        ):
            continue
        rule = rulebook.by_id[f.rule]
        for atom in rule.alternatives[f.alternative]:
            if isinstance(atom, FactAtom) and atom.path not in facts:
                spec = FACTS[atom.path]
                if spec.computed_from:
                    out.update(p for p in spec.computed_from if p not in facts)
                else:
                    out.add(atom.path)
        for m in f.matched:
            if not firings.holds(DEFINITE, m):
                out |= missing_facts(rulebook, facts, firings, m, memo)
        for u in rule.rule.unless:
            if firings.holds(POSSIBLE, u) and not firings.holds(DEFINITE, u):
                out |= missing_facts(rulebook, facts, firings, u, memo)
    if rules is not None:
        return frozenset(out)
    memo[conclusion] = frozenset(out)
    return memo[conclusion]


def _copy(item: _M, **update: Any) -> _M:
    """A shallow copy of a (frozen) result model with some fields replaced: what
    ``model_copy(update=...)`` does, without its overhead on the hot path."""
    new = item.__class__.__new__(item.__class__)
    object.__setattr__(new, "__dict__", {**item.__dict__, **update})
    object.__setattr__(new, "__pydantic_fields_set__", item.__pydantic_fields_set__)
    object.__setattr__(new, "__pydantic_extra__", None)
    object.__setattr__(new, "__pydantic_private__", None)
    return new


def _sort_key(c: Conclusion | Undetermined) -> tuple[Any, ...]:
    return (KIND_ORDER[c.kind], c.role or "", c.id)


@dataclass(frozen=True)
class Plan:
    """Everything in a result that depends only on which rules fired: built once per legal
    signature, then filled with the scenario's fact values."""

    conclusions: tuple[tuple[Conclusion, tuple[tuple[str, Any, tuple[str, ...], list[str]], ...]],
                       ...]
    undetermined: tuple[Undetermined, ...]
    ask_next: tuple[AskNext, ...]


class ResultBuilder:
    """Builds results for one rulebook and stamp, reusing the parts that do not depend on the
    facts' values (citations, and whole plans when the caller keeps them)."""

    def __init__(self, rulebook: Rulebook, stamp: Stamp) -> None:
        self.rulebook = rulebook
        self.stamp = stamp
        self._citations: dict[tuple[str, ...], list[Citation]] = {}
        # Conclusions and undetermined entries are immutable: equal ones are built once.
        self._items: dict[tuple[Any, ...], Any] = {}

    def _item(self, key: tuple[Any, ...], model: Any, **fields: Any) -> Any:
        """The ``model`` with these fields, built once for ``key``."""
        found = self._items.get(key)
        if found is None:
            if len(self._items) > 20_000:  # bound the memory of a long-running engine
                self._items.clear()
            found = self._items[key] = model.model_construct(**fields)
        return found

    def citations(self, rule_ids: tuple[str, ...]) -> list[Citation]:
        found = self._citations.get(rule_ids)
        if found is None:
            found = self._citations[rule_ids] = citations_for(
                self.rulebook, [self.rulebook.by_id[r] for r in rule_ids]
            )
        return found

    def plan(self, facts: dict[str, Any], firings: Firings) -> Plan:
        """The fact-independent shape of the result for these firings. ``facts`` is used only to
        know which facts are unknown, which the firings' signature already fixes."""
        rulebook = self.rulebook
        conclusions: list[tuple[Conclusion, tuple[Any, ...]]] = []
        undetermined: list[Undetermined] = []
        memo: dict[str, frozenset[str]] = {}
        for cid, fs in sorted(firings.by_conclusion.items()):
            spec = rulebook.conclusions[cid]
            silent = rulebook.rules_for[cid][0].silent
            definite = sorted(f for f in fs if f.mode == DEFINITE)
            possible = sorted(f for f in fs if f.mode == POSSIBLE)
            if definite and not silent:
                fired = tuple(sorted({f.rule for f in definite}))
                templates: dict[tuple[Any, ...], tuple[str, Any, tuple[str, ...], list[str]]] = {}
                for f in definite:
                    rule = rulebook.by_id[f.rule]
                    paths = tuple(sorted({a.path for a in rule.alternatives[f.alternative]
                                          if isinstance(a, FactAtom)}))
                    certainty = weakest([rule.certainty,
                                         *(firings.certainty[(DEFINITE, m)] for m in f.matched)])
                    templates.setdefault((f.rule, paths, f.matched),
                                         (f.rule, certainty, paths, list(f.matched)))
                certainty = firings.certainty[(DEFINITE, cid)]
                applies_to = _applies_to(rulebook, definite)
                item = self._item(
                    ("c", cid, certainty, fired, tuple(applies_to)), Conclusion,
                    id=cid, kind=spec.kind, title=spec.title, certainty=certainty,
                    rule=fired[0], role=spec.role, offense=spec.offense, penalty=spec.penalty,
                    modality=spec.modality, deadline=spec.deadline, topic=spec.topic,
                    applies_to=applies_to, text=spec.text, citations=self.citations(fired),
                    derivations=[],
                )
                order = sorted(templates.values(), key=lambda t: (t[0], t[3]))
                conclusions.append((item, tuple(order)))
            elif possible:
                fired = tuple(sorted({f.rule for f in (definite or possible)}))
                missing = [] if definite else sorted(
                    missing_facts(rulebook, facts, firings, cid, memo))
                certainty = firings.certainty[(POSSIBLE, cid)]
                applies_to = _applies_to(rulebook, definite or possible)
                undetermined.append(self._item(
                    ("u", cid, certainty, fired, tuple(applies_to), tuple(missing)), Undetermined,
                    id=cid, kind=spec.kind, title=spec.title,
                    reason="source_silent" if silent else "missing_facts", missing=missing,
                    certainty=certainty, rules=list(fired), role=spec.role,
                    offense=spec.offense, applies_to=applies_to, text=spec.text,
                    citations=self.citations(fired),
                ))
        counts: Counter[str] = Counter()
        bearing: dict[str, list[str]] = {}
        for u in undetermined:
            for path in u.missing:
                counts[path] += 1
                bearing.setdefault(path, []).append(u.id)
        ask_next = tuple(
            AskNext.model_construct(fact=p, description=FACTS[p].description, settles=n,
                                    conclusions=bearing[p])
            for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        conclusions.sort(key=lambda pair: _sort_key(pair[0]) if pair[0].kind is not Kind.STATUS
                         else (KIND_ORDER[Kind.STATUS], rulebook.rules_for[pair[0].id][0].level,
                               pair[0].id))
        return Plan(tuple(conclusions), tuple(sorted(undetermined, key=_sort_key)), ask_next)

    def fill(self, plan: Plan, facts: dict[str, Any], warnings: list[Warning]) -> Result:
        """The result of a plan for these facts. The plan's parts are shared between results,
        so every list a caller could change is a fresh copy: no result can alter another."""
        conclusions: list[Conclusion] = []
        statuses: list[Conclusion] = []
        for item, templates in plan.conclusions:
            derivations = [
                Derivation.model_construct(
                    rule=rule, certainty=certainty,
                    facts={p: facts.get(p) for p in paths}, conclusions=list(matched),
                )
                for rule, certainty, paths, matched in templates
            ]
            filled = _copy(item, applies_to=list(item.applies_to),
                           citations=list(item.citations), derivations=derivations)
            (statuses if item.kind is Kind.STATUS else conclusions).append(filled)
        undetermined = [
            _copy(u, missing=list(u.missing), rules=list(u.rules),
                  applies_to=list(u.applies_to), citations=list(u.citations))
            for u in plan.undetermined
        ]
        ask_next = [_copy(a, conclusions=list(a.conclusions)) for a in plan.ask_next]
        stamp = self.stamp
        return Result.model_construct(
            conclusions=conclusions, statuses=statuses, undetermined=undetermined,
            ask_next=ask_next, warnings=warnings, facts=facts,
            stamp=_copy(stamp, rulebook=dict(stamp.rulebook), source=dict(stamp.source),
                        as_of=dict(stamp.as_of), engine=dict(stamp.engine)),
        )

    def build(self, facts: dict[str, Any], firings: Firings, warnings: list[Warning]) -> Result:
        return self.fill(self.plan(facts, firings), facts, warnings)


def warnings_for(rulebook: Rulebook, facts: dict[str, Any]) -> list[Warning]:
    """Warnings that depend only on the facts: an offense outside the source's period, an adult
    victim."""
    out: list[Warning] = []
    start, until = rulebook.source.as_of
    offense = facts.get("dates.offense")
    if offense is not None and offense < start:
        out.append(Warning(
            code="offense_outside_source_period",
            message=(
                f"The offense date {offense} is before the period the source describes "
                f"({start} to {until}, inferred). Mississippi law may have differed then (human "
                "trafficking became a ground for terminating parental rights on 20 March 2017); "
                "dmst states the law as the source analyses it."
            ),
        ))
    elif offense is not None and offense >= until:
        out.append(Warning(
            code="offense_outside_source_period",
            message=(
                f"The offense date {offense} is after the period the source describes "
                f"({start} to {until}, inferred). Mississippi law has changed since (for example "
                "House Bill 571 of 2019); dmst states the law as the source analyses it."
            ),
        ))
    age = facts.get("victim.age")
    if age is not None and age >= 18:
        out.append(Warning(
            code="adult_victim",
            message=(
                "The victim is 18 or older. The source analyses the law on minors; its "
                "child-specific provisions do not apply."
            ),
        ))
    return out
