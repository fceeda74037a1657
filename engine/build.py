"""Turn an evaluation's firings into a :class:`Result`: conclusions with their citations and
derivations, the undetermined conclusions with the facts that would decide them, the ranked
facts to ask next, warnings and the stamp."""

from __future__ import annotations

from collections import Counter
from typing import Any

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

__all__ = [
    "KIND_ORDER",
    "NOTICE",
    "build_result",
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


def _derivation(rulebook: Rulebook, firing: Firing, facts: dict[str, Any],
                firings: Firings) -> Derivation:
    rule = rulebook.by_id[firing.rule]
    used: dict[str, Any] = {}
    for atom in rule.alternatives[firing.alternative]:
        if isinstance(atom, FactAtom):
            used[atom.path] = facts.get(atom.path)
    return Derivation(
        rule=firing.rule,
        certainty=weakest(
            [rule.certainty, *(firings.certainty[(firing.mode, m)] for m in firing.matched)]
        ),
        facts=dict(sorted(used.items())),
        conclusions=list(firing.matched),
    )


def _applies_to(rulebook: Rulebook, fs: list[Firing]) -> list[str]:
    out: set[str] = set()
    for f in fs:
        rule = rulebook.by_id[f.rule]
        alternative = rule.alternatives[f.alternative]
        conclusion_atoms = [a for a in alternative if not isinstance(a, FactAtom)]
        for atom, matched in zip(conclusion_atoms, f.matched):
            if getattr(atom, "scope", False):
                out.add(matched)
    return sorted(out)


def missing_facts(rulebook: Rulebook, facts: dict[str, Any], firings: Firings,
                  conclusion: str, _memo: dict[str, frozenset[str]] | None = None
                  ) -> frozenset[str]:
    """The unknown facts that could decide an undetermined conclusion (given fact paths only)."""
    memo = {} if _memo is None else _memo
    if conclusion in memo:
        return memo[conclusion]
    memo[conclusion] = frozenset()  # guards against re-entry; the rulebook has no cycles
    out: set[str] = set()
    for f in firings.of(conclusion, POSSIBLE):
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
    memo[conclusion] = frozenset(out)
    return memo[conclusion]


def _sort_key(c: Conclusion | Undetermined) -> tuple[Any, ...]:
    return (KIND_ORDER[c.kind], c.role or "", c.id)


def build_result(rulebook: Rulebook, facts: dict[str, Any], firings: Firings,
                 stamp: Stamp, warnings: list[Warning]) -> Result:
    """Assemble the result of one evaluation."""
    conclusions: list[Conclusion] = []
    statuses: list[Conclusion] = []
    undetermined: list[Undetermined] = []
    memo: dict[str, frozenset[str]] = {}
    for cid in sorted(firings.by_conclusion):
        rules = rulebook.rules_for[cid]
        spec = rulebook.conclusions[cid]
        silent = rules[0].silent
        definite = firings.of(cid, DEFINITE)
        possible = firings.of(cid, POSSIBLE)
        if definite and not silent:
            fired = sorted({f.rule for f in definite})
            item = Conclusion(
                id=cid,
                kind=spec.kind,
                title=spec.title,
                certainty=firings.certainty[(DEFINITE, cid)],
                rule=fired[0],
                role=spec.role,
                offense=spec.offense,
                penalty=spec.penalty,
                modality=spec.modality,
                deadline=spec.deadline,
                topic=spec.topic,
                applies_to=_applies_to(rulebook, definite),
                text=spec.text,
                citations=citations_for(rulebook, [rulebook.by_id[r] for r in fired]),
                derivations=sorted(
                    {d.model_dump_json(): d for d in
                     (_derivation(rulebook, f, facts, firings) for f in definite)}.values(),
                    key=lambda d: (d.rule, d.conclusions),
                ),
            )
            (statuses if spec.kind is Kind.STATUS else conclusions).append(item)
        elif possible:
            fired = sorted({f.rule for f in (definite or possible)})
            missing = [] if definite else sorted(missing_facts(rulebook, facts, firings, cid, memo))
            undetermined.append(Undetermined(
                id=cid,
                kind=spec.kind,
                title=spec.title,
                reason="source_silent" if silent else "missing_facts",
                missing=missing,
                certainty=firings.certainty[(POSSIBLE, cid)],
                rules=fired,
                role=spec.role,
                offense=spec.offense,
                applies_to=_applies_to(rulebook, definite or possible),
                text=spec.text,
                citations=citations_for(rulebook, [rulebook.by_id[r] for r in fired]),
            ))
    counts: Counter[str] = Counter()
    bearing: dict[str, list[str]] = {}
    for u in undetermined:
        for path in u.missing:
            counts[path] += 1
            bearing.setdefault(path, []).append(u.id)
    ask_next = [
        AskNext(fact=p, description=FACTS[p].description, settles=n, conclusions=bearing[p])
        for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return Result(
        conclusions=sorted(conclusions, key=_sort_key),
        statuses=sorted(statuses, key=lambda c: (rulebook.rules_for[c.id][0].level, c.id)),
        undetermined=sorted(undetermined, key=_sort_key),
        ask_next=ask_next,
        warnings=warnings,
        facts=facts,
        stamp=stamp,
    )


def warnings_for(rulebook: Rulebook, facts: dict[str, Any]) -> list[Warning]:
    """Warnings that depend only on the facts: an offense outside the source's period, an adult
    victim."""
    out: list[Warning] = []
    start, until = rulebook.source.as_of
    offense = facts.get("dates.offense")
    if offense is not None and not (start <= offense < until):
        out.append(Warning(
            code="offense_outside_source_period",
            message=(
                f"The offense date {offense} is outside the period the source describes "
                f"({start} to {until}, inferred). Mississippi law may have changed since (for "
                "example House Bill 571 of 2019); dmst states the law as the source analyses it."
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
