"""Questions about a result: how a conclusion was reached, why another was not, what would
decide an undetermined one, and what changes when the facts change.

* :func:`explain` turns the derivations a result records into a tree: each conclusion, the rules
  that reached it with their quotes and the fact values they used, and under each rule the
  conclusions it relied on, down to the facts given.
* :func:`why_not` takes a conclusion (or rule) id and shows, for every rule that could add it, each
  condition as holding, failing or unknown, with the fact's value, the exceptions (``unless``)
  that block it, and, for an undetermined conclusion, which value of which missing fact decides it.
* :func:`diff` compares two scenarios: the conclusions that appear, disappear or change, each with
  the facts that caused it. :func:`flips` tries single changes of one fact (the victim's age
  across every threshold the rules use, true/false facts toggled, unknown facts set either way)
  and reports what each would add or remove.

The text renderers at the end of this module (``render_*_text``) give the plain-text form the
command line prints; :mod:`dmst.markdown` gives the Markdown form.
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmst.engine.build import KIND_ORDER, citations_for, missing_facts
from dmst.engine.firings import DEFINITE, POSSIBLE, Firings
from dmst.engine.result import Citation, Conclusion, Result
from dmst.errors import FactError, InputError, Problem
from dmst.facts.model import Scenario
from dmst.facts.paths import FACTS, FLIP_FACTS, flatten, nest
from dmst.rules.loader import Atom, FactAtom, LoadedRule, MatchAtom, RefAtom, Rulebook
from dmst.rules.model import (
    AllCondition,
    AnyCondition,
    Certainty,
    ConclusionRef,
    Condition,
    FactCondition,
    Kind,
    Modality,
)

if TYPE_CHECKING:
    from dmst.engine.engine import Engine

__all__ = [
    "FLIP_FACTS",
    "AlternativeCheck",
    "Check",
    "ConclusionDelta",
    "ConclusionState",
    "Decider",
    "ExceptionCheck",
    "ExplanationNode",
    "ExplanationStep",
    "FactChange",
    "FactUse",
    "Flip",
    "FlipReport",
    "RuleCheck",
    "RuledOut",
    "ScenarioDiff",
    "TargetStatus",
    "WhyNot",
    "candidate_values",
    "diff",
    "diff_results",
    "explain",
    "facts_bearing_on",
    "flips",
    "leaf_facts",
    "resolve_id",
    "why_not",
]

FactValue = bool | int | float | str | list[str]
Status = Literal["applies", "undetermined", "does_not_apply"]
ConditionStatus = Literal["holds", "fails", "unknown"]



class _Out(BaseModel):
    # built on first use, so that importing dmst does not pay for these models
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --- shared helpers ----------------------------------------------------------------------------


def _default_rulebook() -> Rulebook:
    from dmst import default_engine

    return default_engine().rulebook


def _default_engine() -> Engine:
    from dmst import default_engine

    return default_engine()


def resolve_id(rulebook: Rulebook, target: str) -> tuple[str, str | None]:
    """The conclusion id ``target`` names, and the rule id when it names a rule.

    A conclusion id that is also a rule id names the conclusion. An unknown id raises
    :class:`~dmst.errors.InputError` with the closest id as its suggestion.
    """
    if target in rulebook.conclusions:
        return target, None
    if target in rulebook.by_id:
        return rulebook.by_id[target].conclusion_id, target
    known = sorted(set(rulebook.conclusions) | set(rulebook.by_id))
    close = difflib.get_close_matches(target, known, n=1, cutoff=0.6)
    if not close:
        tail = target.rsplit(".", 1)[-1].lower()
        close = [k for k in known if tail and tail in k][:1]
    raise InputError(
        f"unknown conclusion or rule id '{target}'",
        field=target,
        problems=(Problem(
            message="no conclusion or rule of the rulebook has this id ('dmst rules' lists them)",
            suggestion=close[0] if close else None,
        ),),
    )


def _check_rulebook(result: Result, rulebook: Rulebook) -> None:
    made_by = result.stamp.rulebook.get("fingerprint")
    if made_by is not None and made_by != rulebook.fingerprint:
        raise InputError(
            f"the result was produced by rulebook {made_by}, not by this one "
            f"({rulebook.fingerprint}); explain it with the rulebook that produced it"
        )


def _title(rulebook: Rulebook, cid: str) -> str:
    return rulebook.conclusions[cid].title


def _state(rulebook: Rulebook, firings: Firings, cid: str) -> Status:
    silent = rulebook.rules_for[cid][0].silent
    if firings.holds(DEFINITE, cid) and not silent:
        return "applies"
    if firings.holds(POSSIBLE, cid):
        return "undetermined"
    return "does_not_apply"


def _atom_state(firings: Firings, cid: str) -> Status:
    """The state of a conclusion as a condition sees it (silent conclusions never match)."""
    if firings.holds(DEFINITE, cid):
        return "applies"
    if firings.holds(POSSIBLE, cid):
        return "undetermined"
    return "does_not_apply"


def result_state(result: Result, cid: str) -> Status:
    """Whether ``cid`` applies, is undetermined or does not apply in ``result``."""
    if result.conclusion(cid) is not None:
        return "applies"
    if any(u.id == cid for u in result.undetermined):
        return "undetermined"
    return "does_not_apply"


# --- explain -----------------------------------------------------------------------------------


class FactUse(_Out):
    """A fact a rule tested: the condition, the value given, and whether the condition holds."""

    fact: str
    condition: str | None = Field(None, description="The condition tested, e.g. 'victim.age < 18'.")
    value: FactValue | None
    holds: bool = Field(
        True, description="Whether the condition holds (false where it rules out an exception)."
    )
    computed_from: dict[str, FactValue | None] = Field(
        default_factory=dict,
        description="For a computed fact (the compensation filing delay): the given facts it "
        "comes from, with their values.",
    )


class ExplanationStep(_Out):
    """One rule that reached a conclusion: its quotes, the facts it used and the conclusions it
    relied on (each explained in turn)."""

    rule: str
    title: str = Field(description="The rule's title, a legal sentence.")
    certainty: Certainty
    citations: list[Citation]
    facts: list[FactUse]
    relied_on: list[ExplanationNode] = Field(
        description="Conclusions the rule relied on, each with its own derivation."
    )
    exceptions: list[RuledOut] = Field(
        default_factory=list,
        description="Conclusions that would have overridden the rule ('unless'), each with the "
        "facts that rule it out.",
    )


class ExplanationNode(_Out):
    """A conclusion that applies, and every way it was reached."""

    id: str
    kind: Kind
    title: str
    certainty: Certainty
    role: str | None = None
    offense: str | None = None
    applies_to: list[str] = Field(default_factory=list)
    derivations: list[ExplanationStep]


class TargetStatus(_Out):
    """A conclusion and whether it applies on the facts."""

    id: str
    title: str
    status: Status


class RuledOut(_Out):
    """An exception (``unless``) that cannot apply, and the facts that rule it out: conditions
    that fail on the facts given (or, where the exception is itself overridden, the facts that
    make its own exception apply)."""

    id: str
    title: str
    facts: list[FactUse]


def explain(result: Result, conclusion_id: str | None = None, *,
            rulebook: Rulebook | None = None) -> list[ExplanationNode]:
    """The derivation trees of the conclusions of ``result`` (statuses first), or of one.

    ``conclusion_id`` may name a conclusion or a rule (then only that rule's derivations are
    shown). It must apply: for a conclusion that does not, use :func:`why_not`. ``rulebook``
    defaults to the shipped one and must be the rulebook that produced ``result``.
    """
    rb = rulebook if rulebook is not None else _default_rulebook()
    _check_rulebook(result, rb)
    cache: dict[str, ExplanationNode] = {}
    if conclusion_id is None:
        return [_node(rb, result, c.id, None, cache) for c in (*result.statuses,
                                                               *result.conclusions)]
    cid, rule = resolve_id(rb, conclusion_id)
    found = result.conclusion(cid)
    if found is None:
        state = result_state(result, cid)
        what = "is undetermined on these facts" if state == "undetermined" else \
            "does not apply on these facts"
        raise InputError(
            f"'{cid}' ({_title(rb, cid)}) {what}, so there is nothing to explain; ask why "
            f"not instead (why_not, or dmst why-not)",
            field=conclusion_id,
        )
    if rule is not None and all(d.rule != rule for d in found.derivations):
        raise InputError(
            f"'{cid}' applies, but not through rule '{rule}' (it applies through "
            f"{', '.join(sorted({d.rule for d in found.derivations}))}); ask why not "
            f"instead (why_not, or dmst why-not)",
            field=conclusion_id,
        )
    return [_node(rb, result, cid, rule, cache)]


def _node(rb: Rulebook, result: Result, cid: str, only_rule: str | None,
          cache: dict[str, ExplanationNode]) -> ExplanationNode:
    if only_rule is None and cid in cache:
        return cache[cid]
    c = result.conclusion(cid)
    assert c is not None, f"{cid} is relied on but does not apply"  # a derivation's invariant
    steps = [
        _step(rb, result, c, d.rule, d.certainty, d.facts, d.conclusions, cache)
        for d in c.derivations if only_rule is None or d.rule == only_rule
    ]
    node = ExplanationNode(
        id=c.id, kind=c.kind, title=c.title, certainty=c.certainty, role=c.role,
        offense=c.offense, applies_to=c.applies_to, derivations=steps,
    )
    if only_rule is None:
        cache[cid] = node
    return node


def _step(rb: Rulebook, result: Result, c: Conclusion, rule_id: str, certainty: Certainty,
          used: Mapping[str, Any], relied: Sequence[str], cache: dict[str, ExplanationNode]
          ) -> ExplanationStep:
    rule = rb.by_id[rule_id]
    alternative = _alternative(rb, rule, used, relied, result.facts)
    facts: list[FactUse] = []
    if alternative is not None:
        for atom in alternative:
            if isinstance(atom, FactAtom):
                facts.append(_fact_use(atom.path, atom.describe(), result.facts))
    else:  # pragma: no cover - every recorded derivation matches one alternative
        facts = [_fact_use(p, None, result.facts) for p in sorted(used)]
    return ExplanationStep(
        rule=rule_id,
        title=rule.rule.title,
        certainty=certainty,
        citations=citations_for(rb, [rule]),
        facts=facts,
        relied_on=[_node(rb, result, m, None, cache) for m in relied],
        exceptions=[RuledOut(id=u, title=_title(rb, u),
                             facts=_refute(rb, result, u, cache, set()))
                    for u in rule.rule.unless],
    )


def leaf_facts(node: ExplanationNode) -> list[FactUse]:
    """Every fact at the leaves of an explanation tree, those ruling out exceptions included."""
    out: dict[tuple[str, str | None], FactUse] = {}
    stack = [node]
    while stack:
        n = stack.pop()
        for step in n.derivations:
            for f in (*step.facts, *(f for e in step.exceptions for f in e.facts)):
                out.setdefault((f.fact, f.condition), f)
            stack.extend(step.relied_on)
    return sorted(out.values(), key=lambda f: (f.fact, f.condition or ""))


def _refute(rb: Rulebook, result: Result, cid: str, cache: dict[str, ExplanationNode],
            seen: set[str]) -> list[FactUse]:
    """Facts that make ``cid`` impossible: for each alternative of each rule for it, one
    condition that fails (a fact, or a conclusion refuted in turn); for a rule overridden by an
    exception that applies, the facts that make that exception apply."""
    if cid in seen:
        return []
    seen.add(cid)
    out: dict[tuple[str, str | None], FactUse] = {}
    facts = dict(result.facts)
    for rule in rb.rules_for[cid]:
        blocker = next((u for u in rule.rule.unless if result.conclusion(u) is not None), None)
        if blocker is not None:
            for f in leaf_facts(_node(rb, result, blocker, None, cache)):
                out.setdefault((f.fact, f.condition), f)
            continue
        for alt in rule.alternatives:
            failing = next((a for a in alt if isinstance(a, FactAtom)
                            and a.test(facts) is False), None)
            if failing is not None:
                use = _fact_use(failing.path, failing.describe(), facts, holds=False)
                out.setdefault((use.fact, use.condition), use)
                continue
            for atom in alt:
                targets = () if isinstance(atom, FactAtom) else rb.targets(atom)
                if targets and all(result_state(result, t) == "does_not_apply" for t in targets):
                    for t in targets:
                        for f in _refute(rb, result, t, cache, seen):
                            out.setdefault((f.fact, f.condition), f)
                    break
    return sorted(out.values(), key=lambda f: (f.fact, f.condition or ""))


def _fact_use(path: str, condition: str | None, facts: Mapping[str, Any],
              holds: bool = True) -> FactUse:
    spec = FACTS[path]
    return FactUse(
        fact=path, condition=condition, value=facts.get(path), holds=holds,
        computed_from={p: facts.get(p) for p in spec.computed_from},
    )


def _alternative(rb: Rulebook, rule: LoadedRule, used: Mapping[str, Any],
                 relied: Sequence[str], facts: Mapping[str, Any]) -> tuple[Atom, ...] | None:
    """The alternative of ``rule`` a recorded derivation went through."""
    for alt in rule.alternatives:
        fact_atoms = [a for a in alt if isinstance(a, FactAtom)]
        others = [a for a in alt if not isinstance(a, FactAtom)]
        if {a.path for a in fact_atoms} != set(used) or len(others) != len(relied):
            continue
        if not all(a.test(dict(facts)) is True for a in fact_atoms):
            continue
        if all(m in rb.targets(a) for a, m in zip(others, relied, strict=True)):
            return alt
    return None


# --- why not -----------------------------------------------------------------------------------


class Check(_Out):
    """One condition of a rule, as it stands on the facts: holds, fails or unknown."""

    type: Literal["fact", "conclusion", "scope", "any", "all"]
    condition: str
    status: ConditionStatus
    fact: str | None = None
    value: FactValue | None = Field(None, description="The fact's value (null: unknown).")
    known: bool | None = Field(None, description="For a fact: whether it was given.")
    computed_from: dict[str, FactValue | None] = Field(default_factory=dict)
    candidates: list[TargetStatus] = Field(
        default_factory=list,
        description="For a condition on other conclusions: each conclusion that would satisfy it.",
    )
    why_not: list[WhyNot] = Field(
        default_factory=list,
        description="For a condition on a named conclusion that does not apply: why not.",
    )
    checks: list[Check] = Field(default_factory=list, description="For any/all: the parts.")


class AlternativeCheck(_Out):
    """One alternative of the rule (its conditions in disjunctive normal form)."""

    index: int
    status: ConditionStatus
    failing: list[str]
    unknown: list[str]


class ExceptionCheck(_Out):
    """A conclusion that overrides the rule (``unless``) and whether it blocks it."""

    id: str
    title: str
    status: Status
    blocks: Literal["yes", "maybe", "no"]


class RuleCheck(_Out):
    """A rule that could add the conclusion, condition by condition."""

    rule: str
    title: str
    outcome: Literal["holds", "fails", "unknown", "blocked", "maybe_blocked"] = Field(
        description="holds: the rule fires; fails: a condition fails in every alternative; "
        "unknown: it depends on unknown facts; blocked: an exception applies; maybe_blocked: "
        "the conditions hold but an exception is undetermined."
    )
    certainty: Certainty
    source_silent: bool
    conditions: list[Check]
    alternatives: list[AlternativeCheck]
    exceptions: list[ExceptionCheck]
    citations: list[Citation]


class Decider(_Out):
    """A value of a missing fact and what the conclusion would be with it."""

    fact: str
    value: FactValue
    status: Status


class WhyNot(_Out):
    """Why a conclusion (or one rule for it) does or does not apply on the facts."""

    id: str = Field(description="The conclusion id.")
    rule: str | None = Field(None, description="The rule asked about, when a rule id was given.")
    kind: Kind
    title: str
    status: Status
    reason: Literal["missing_facts", "source_silent"] | None = Field(
        None, description="For an undetermined conclusion: why it is undetermined."
    )
    text: str | None = None
    missing: list[str] = Field(
        default_factory=list, description="Unknown facts that would decide it."
    )
    deciders: list[Decider] = Field(
        default_factory=list,
        description="For each missing fact, values it could take and the conclusion's status "
        "with each (other unknown facts left unknown).",
    )
    rules: list[RuleCheck]


def _flat(engine: Engine, scenario: Scenario | Mapping[str, Any] | Result) -> dict[str, Any]:
    if isinstance(scenario, Result):
        _check_rulebook(scenario, engine.rulebook)
        return dict(scenario.facts)
    from dmst.engine.engine import as_scenario

    return flatten(as_scenario(scenario))


def why_not(engine: Engine | None, scenario: Scenario | Mapping[str, Any] | Result, target: str,
            *, depth: int = 1, deciders: bool = True) -> WhyNot:
    """Why ``target`` (a conclusion or rule id) does not apply on ``scenario``.

    Every rule that could add the conclusion is shown condition by condition. A condition on a
    named conclusion that does not apply gets its own why-not, ``depth`` levels deep. When the
    conclusion is undetermined, ``deciders`` lists what each missing fact would make of it. An
    unknown id raises :class:`~dmst.errors.InputError` with a suggestion.
    """
    eng = engine if engine is not None else _default_engine()
    rb = eng.rulebook
    cid, rule = resolve_id(rb, target)
    facts = _flat(eng, scenario)
    firings = eng.firings(facts)
    out = _why_not(rb, facts, firings, cid, rule, depth, {})
    if deciders and out.status == "undetermined" and out.missing:
        out = out.model_copy(update={"deciders": _deciders(eng, facts, cid, rule, out.missing)})
    return out


def _why_not(rb: Rulebook, facts: dict[str, Any], firings: Firings, cid: str, rule: str | None,
             depth: int, memo: dict[str, frozenset[str]]) -> WhyNot:
    spec = rb.conclusions[cid]
    rules = [r for r in rb.rules_for[cid] if rule is None or r.id == rule]
    silent = rules[0].silent
    if rule is None:
        status = _state(rb, firings, cid)
    else:
        fired = {f.mode for f in firings.by_conclusion.get(cid, ()) if f.rule == rule}
        status = ("applies" if DEFINITE in fired and not silent
                  else "undetermined" if fired else "does_not_apply")
    reason: Literal["missing_facts", "source_silent"] | None = None
    missing: list[str] = []
    if status == "undetermined":
        reason = "source_silent" if silent else "missing_facts"
        definite = any(f.rule in {r.id for r in rules} for f in firings.of(cid, DEFINITE))
        if not definite:
            missing = sorted(missing_facts(rb, facts, firings, cid, memo,
                                            rules={r.id for r in rules}))
    return WhyNot(
        id=cid, rule=rule, kind=spec.kind, title=spec.title, status=status, reason=reason,
        text=spec.text if silent else None, missing=missing,
        rules=[_rule_check(rb, facts, firings, r, depth, memo) for r in rules],
    )


def _rule_check(rb: Rulebook, facts: dict[str, Any], firings: Firings, rule: LoadedRule,
                depth: int, memo: dict[str, frozenset[str]]) -> RuleCheck:
    conditions = [_check(rb, facts, firings, c, depth, memo) for c in rule.rule.when]
    if rule.rule.scope is not None:
        conditions.append(_conclusion_check(rb, facts, firings, _ref_atom(rule.rule.scope, True),
                                            depth, memo))
    overall = _all([c.status for c in conditions])
    exceptions = []
    for u in rule.rule.unless:
        state = _atom_state(firings, u)
        exceptions.append(ExceptionCheck(
            id=u, title=_title(rb, u), status=state,
            blocks="yes" if state == "applies" else "maybe" if state == "undetermined" else "no",
        ))
    outcome: Literal["holds", "fails", "unknown", "blocked", "maybe_blocked"]
    if overall == "fails":
        outcome = "fails"
    elif any(e.blocks == "yes" for e in exceptions):
        outcome = "blocked"
    elif overall == "holds":
        outcome = "maybe_blocked" if any(e.blocks == "maybe" for e in exceptions) else "holds"
    else:
        outcome = "unknown"
    alternatives = []
    for index, alt in enumerate(rule.alternatives):
        failing, unknown = [], []
        for atom in alt:
            state3 = _atom_status(rb, facts, firings, atom)
            if state3 == "fails":
                failing.append(_describe(rb, atom))
            elif state3 == "unknown":
                unknown.append(_describe(rb, atom))
        alternatives.append(AlternativeCheck(
            index=index,
            status="fails" if failing else "unknown" if unknown else "holds",
            failing=failing, unknown=unknown,
        ))
    return RuleCheck(
        rule=rule.id, title=rule.rule.title, outcome=outcome, certainty=rule.certainty,
        source_silent=rule.silent, conditions=conditions, alternatives=alternatives,
        exceptions=exceptions, citations=citations_for(rb, [rule]),
    )


def _all(statuses: Iterable[ConditionStatus]) -> ConditionStatus:
    s = list(statuses)
    return "fails" if "fails" in s else "unknown" if "unknown" in s else "holds"


def _any(statuses: Iterable[ConditionStatus]) -> ConditionStatus:
    s = list(statuses)
    return "holds" if "holds" in s else "unknown" if "unknown" in s else "fails"


def _ref_atom(ref: ConclusionRef, scope: bool = False) -> RefAtom | MatchAtom:
    if ref.conclusion is not None:
        return RefAtom(ref.conclusion)
    return MatchAtom(ref.kind.value if ref.kind else None,
                     tuple(ref.offense) if ref.offense else None, ref.role, scope)


def _describe(rb: Rulebook, atom: Atom) -> str:
    if isinstance(atom, RefAtom):
        return f"{_title(rb, atom.id)} [{atom.id}]"
    if isinstance(atom, MatchAtom) and atom.scope:
        return "attaches to " + atom.describe()
    return atom.describe()


def _atom_status(rb: Rulebook, facts: dict[str, Any], firings: Firings,
                 atom: Atom) -> ConditionStatus:
    if isinstance(atom, FactAtom):
        value = atom.test(facts)
        return "unknown" if value is None else "holds" if value else "fails"
    states = [_atom_state(firings, t) for t in rb.targets(atom)]
    return ("holds" if "applies" in states else "unknown" if "undetermined" in states
            else "fails")


def _check(rb: Rulebook, facts: dict[str, Any], firings: Firings, cond: Condition, depth: int,
           memo: dict[str, frozenset[str]]) -> Check:
    if isinstance(cond, FactCondition):
        atom = FactAtom(cond.fact, cond.op, cond.value)
        spec = FACTS[atom.path]
        return Check(
            type="fact", condition=atom.describe(), status=_atom_status(rb, facts, firings, atom),
            fact=atom.path, value=facts.get(atom.path), known=atom.path in facts,
            computed_from={p: facts.get(p) for p in spec.computed_from},
        )
    if isinstance(cond, ConclusionRef):
        return _conclusion_check(rb, facts, firings, _ref_atom(cond), depth, memo)
    parts = [_check(rb, facts, firings, c, depth, memo)
             for c in (cond.any if isinstance(cond, AnyCondition) else cond.all)]
    if isinstance(cond, AnyCondition):
        return Check(type="any", condition="any of", status=_any(p.status for p in parts),
                     checks=parts)
    assert isinstance(cond, AllCondition)
    return Check(type="all", condition="all of", status=_all(p.status for p in parts),
                 checks=parts)


def _conclusion_check(rb: Rulebook, facts: dict[str, Any], firings: Firings,
                      atom: RefAtom | MatchAtom, depth: int, memo: dict[str, frozenset[str]]
                      ) -> Check:
    targets = rb.targets(atom)
    candidates = [TargetStatus(id=t, title=_title(rb, t), status=_atom_state(firings, t))
                  for t in targets]
    status = _atom_status(rb, facts, firings, atom)
    nested: list[WhyNot] = []
    if status != "holds" and depth > 0 and (isinstance(atom, RefAtom) or len(targets) == 1):
        nested = [_why_not(rb, facts, firings, t.id, None, depth - 1, memo)
                  for t in candidates if t.status != "applies"]
    scope = isinstance(atom, MatchAtom) and atom.scope
    return Check(
        type="scope" if scope else "conclusion", condition=_describe(rb, atom), status=status,
        candidates=candidates, why_not=nested,
    )


# --- deciding values ---------------------------------------------------------------------------


def _cuts(rulebook: Rulebook, path: str) -> list[float]:
    """The values at which a numeric condition on ``path`` changes truth (the first value of each
    new band): ``lt 14`` / ``ge 14`` cut at 14; ``le 14`` / ``gt 14`` at 15."""
    cuts: set[float] = set()
    for r in rulebook.rules:
        for alt in r.alternatives:
            for a in alt:
                if isinstance(a, FactAtom) and a.path == path and a.op in ("lt", "ge"):
                    cuts.add(a.value)
                elif isinstance(a, FactAtom) and a.path == path and a.op in ("le", "gt"):
                    cuts.add(a.value + 1)
    return sorted(cuts)


def _int_candidates(rulebook: Rulebook, path: str, current: int | None
                    ) -> list[tuple[int, float | None]]:
    spec = FACTS[path]
    lo = int(spec.minimum) if spec.minimum is not None else None
    hi = int(spec.maximum) if spec.maximum is not None else None
    out: dict[int, float | None] = {}
    for cut in _cuts(rulebook, path):
        below, above = int(cut) - 1, int(cut)
        if current is None:
            choices = [below, above]
        else:
            choices = [above] if current < cut else [below]
        for v in choices:
            if (lo is None or v >= lo) and (hi is None or v <= hi) and v != current:
                out.setdefault(v, cut)
    return sorted(out.items())


def _add_months(start: _dt.date, months: int) -> _dt.date:
    year, month = divmod(start.month - 1 + months, 12)
    day = min(start.day, 28)
    return _dt.date(start.year + year, month + 1, day)


def candidate_values(rulebook: Rulebook, path: str, facts: Mapping[str, Any]
                     ) -> list[FactValue]:
    """Values of a fact that fall on each side of every condition the rules test it with.

    True and false for a true/false fact; for a number, the values on each side of each
    threshold (of the current value's threshold crossings, when the fact is known); each single
    role, and none, for the roles; for a date that feeds the compensation filing delay, dates on
    each side of each filing threshold (when the other date is known). Used to find what decides
    an undetermined conclusion and to try single-fact changes.
    """
    spec = FACTS.get(path)
    if spec is None or spec.computed_from:
        return []
    current = facts.get(path)
    if spec.kind == "bool":
        return [v for v in (True, False) if v != current]
    if spec.kind == "int":
        return [v for v, _ in _int_candidates(rulebook, path, current)]
    if spec.kind == "set":
        options: list[list[str]] = [[c] for c in spec.choices] + [[]]
        return [o for o in options if o != current]
    if spec.kind == "date":
        return _date_candidates(rulebook, path, facts)
    return []  # pragma: no cover - every fact kind is handled above


def _date_candidates(rulebook: Rulebook, path: str, facts: Mapping[str, Any]) -> list[FactValue]:
    """Dates a month either side of each threshold of a computed delay that ``path`` feeds, when
    the other date of the delay is known."""
    thresholds = rulebook.thresholds()
    out: list[FactValue] = []
    for spec in (s for s in FACTS.values() if path in s.computed_from):
        start_path, end_path = spec.computed_from
        other = facts.get(end_path if path == start_path else start_path)
        if other is None:
            continue
        anchor = _dt.date.fromisoformat(str(other))
        for threshold in thresholds.get(spec.path, ()):
            for months in (int(threshold) - 1, int(threshold) + 1):
                value = _add_months(anchor, months if path == end_path else -months)
                if value <= _dt.date.today() and value.isoformat() not in out:
                    out.append(value.isoformat())
    return out


def _deciders(engine: Engine, facts: dict[str, Any], cid: str, rule: str | None,
              missing: list[str]) -> list[Decider]:
    out: list[Decider] = []
    for path in missing:
        for value in candidate_values(engine.rulebook, path, facts):
            changed = _set_flat(facts, path, value)
            if changed is None:
                continue
            firings = engine.firings(changed)
            w = _why_not(engine.rulebook, changed, firings, cid, rule, 0, {})
            out.append(Decider(fact=path, value=value, status=w.status))
    return out


def _set_flat(facts: Mapping[str, Any], path: str, value: Any) -> dict[str, Any] | None:
    """The flat facts with one fact set, recomputed through the fact model (None when the change
    contradicts another fact)."""
    try:
        return flatten(_with_fact(_unflatten(facts), path, value))
    except FactError:
        return None


def _unflatten(facts: Mapping[str, Any]) -> Scenario:
    from dmst.engine.engine import as_scenario

    return as_scenario(nest(facts))

def _with_fact(scenario: Scenario, path: str, value: Any) -> Scenario:
    from dmst.engine.engine import as_scenario

    spec = FACTS.get(path)
    if spec is None or spec.computed_from:
        raise InputError(f"'{path}' is not a fact that can be set", field=path)
    data = scenario.model_dump(mode="json", exclude_none=True)
    node = data
    *parents, leaf = path.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return as_scenario(data)


# --- what-if: diff and flips -------------------------------------------------------------------


class FactChange(_Out):
    """A fact whose value differs between two scenarios (null: unknown)."""

    fact: str
    before: FactValue | None
    after: FactValue | None


class ConclusionState(_Out):
    """A conclusion's standing in one scenario."""

    status: Status
    certainty: Certainty | None = None
    applies_to: list[str] = Field(default_factory=list)
    modality: Modality | None = None


class ConclusionDelta(_Out):
    """A conclusion that appears, disappears or changes from one scenario to the other."""

    id: str
    kind: Kind
    title: str
    role: str | None = None
    change: Literal["appears", "disappears", "changes", "becomes_undetermined",
                    "no_longer_undetermined"]
    before: ConclusionState
    after: ConclusionState
    differences: list[str] = Field(
        description="What differs: status, certainty, applies_to, modality."
    )
    because: list[FactChange] = Field(
        description="The facts that differ and are tested by the rules behind the conclusion "
        "(directly or through the conclusions they rely on)."
    )


class ScenarioDiff(_Out):
    """What changes from scenario A to scenario B, and why."""

    facts: list[FactChange] = Field(description="Every fact that differs.")
    changes: list[ConclusionDelta]

    def appeared(self) -> list[str]:
        """Ids of the conclusions that apply in B but not in A."""
        return [c.id for c in self.changes if c.change == "appears"]

    def disappeared(self) -> list[str]:
        """Ids of the conclusions that apply in A but not in B."""
        return [c.id for c in self.changes if c.change == "disappears"]


class Flip(_Out):
    """One single-fact change of a scenario and what it does to the conclusions."""

    fact: str
    before: FactValue | None
    after: FactValue
    threshold: float | None = Field(
        None, description="For a number: the threshold the change crosses."
    )
    skipped: str | None = Field(
        None, description="Why this change was not tried (it contradicts another fact)."
    )
    changes: list[ConclusionDelta] = Field(default_factory=list)


class FlipReport(_Out):
    """Single-fact changes of a scenario and their effects."""

    facts: dict[str, Any] = Field(description="The scenario's facts, by path.")
    flips: list[Flip]


def facts_bearing_on(rulebook: Rulebook, cid: str,
                     _memo: dict[str, frozenset[str]] | None = None) -> frozenset[str]:
    """Every fact path the rules behind ``cid`` test, through the conclusions they rely on and
    their exceptions; a computed fact brings the facts it is computed from."""
    memo = {} if _memo is None else _memo
    if cid in memo:
        return memo[cid]
    memo[cid] = frozenset()
    out: set[str] = set()
    for rule in rulebook.rules_for[cid]:
        for alt in rule.alternatives:
            for atom in alt:
                if isinstance(atom, FactAtom):
                    out.add(atom.path)
                    out.update(FACTS[atom.path].computed_from)
                else:
                    for t in rulebook.targets(atom):
                        out |= facts_bearing_on(rulebook, t, memo)
        for u in rule.rule.unless:
            out |= facts_bearing_on(rulebook, u, memo)
    memo[cid] = frozenset(out)
    return memo[cid]


def _states(result: Result) -> dict[str, ConclusionState]:
    out: dict[str, ConclusionState] = {}
    for u in result.undetermined:
        out[u.id] = ConclusionState(status="undetermined", certainty=u.certainty,
                                    applies_to=u.applies_to)
    for c in (*result.statuses, *result.conclusions):
        out[c.id] = ConclusionState(status="applies", certainty=c.certainty,
                                    applies_to=c.applies_to, modality=c.modality)
    return out


def diff_results(rulebook: Rulebook, a: Result, b: Result) -> ScenarioDiff:
    """What changes from result ``a`` to result ``b`` (both from ``rulebook``)."""
    _check_rulebook(a, rulebook)
    _check_rulebook(b, rulebook)
    changed_facts = [
        FactChange(fact=p, before=a.facts.get(p), after=b.facts.get(p))
        for p in sorted(set(a.facts) | set(b.facts)) if a.facts.get(p) != b.facts.get(p)
    ]
    sa, sb = _states(a), _states(b)
    absent = ConclusionState(status="does_not_apply")
    memo: dict[str, frozenset[str]] = {}
    deltas: list[ConclusionDelta] = []
    for cid in set(sa) | set(sb):
        before, after = sa.get(cid, absent), sb.get(cid, absent)
        change = _change(before, after)
        if change is None:
            continue
        differences = [f for f in ("status", "certainty", "applies_to", "modality")
                       if getattr(before, f) != getattr(after, f)]
        bearing = facts_bearing_on(rulebook, cid, memo)
        spec = rulebook.conclusions[cid]
        deltas.append(ConclusionDelta(
            id=cid, kind=spec.kind, title=spec.title, role=spec.role, change=change,
            before=before, after=after, differences=differences,
            because=[f for f in changed_facts if f.fact in bearing],
        ))
    deltas.sort(key=lambda d: (_CHANGE_ORDER[d.change], KIND_ORDER[d.kind], d.role or "", d.id))
    return ScenarioDiff(facts=changed_facts, changes=deltas)


_CHANGE_ORDER = {"appears": 0, "disappears": 1, "changes": 2, "becomes_undetermined": 3,
                 "no_longer_undetermined": 4}


def _change(before: ConclusionState, after: ConclusionState
            ) -> Literal["appears", "disappears", "changes", "becomes_undetermined",
                         "no_longer_undetermined"] | None:
    if before.status == "applies" and after.status == "applies":
        return "changes" if before != after else None
    if after.status == "applies":
        return "appears"
    if before.status == "applies":
        return "disappears"
    if before.status == after.status:
        return None
    return "becomes_undetermined" if after.status == "undetermined" else "no_longer_undetermined"


def diff(engine: Engine | None, a: Scenario | Mapping[str, Any],
         b: Scenario | Mapping[str, Any]) -> ScenarioDiff:
    """Evaluate scenarios ``a`` and ``b`` and say what changes from one to the other, and why."""
    eng = engine if engine is not None else _default_engine()
    return diff_results(eng.rulebook, eng.evaluate(a), eng.evaluate(b))


def flips(engine: Engine | None, scenario: Scenario | Mapping[str, Any],
          facts: Sequence[str] = FLIP_FACTS) -> FlipReport:
    """Try single changes of each fact in ``facts`` and report what each adds or removes.

    A number moves across each threshold the rules compare it with (to the nearest value on the
    other side; an unknown number takes the values on each side of every threshold); a true/false
    fact is toggled (an unknown one is set to true and to false). A change that would contradict
    another fact (an age at testimony below the age at the offense) is listed as skipped.
    """
    from dmst.engine.engine import as_scenario

    eng = engine if engine is not None else _default_engine()
    rb = eng.rulebook
    base_model = as_scenario(scenario)
    base = eng.evaluate(base_model)
    out: list[Flip] = []
    for path in facts:
        spec = FACTS.get(path)
        if spec is None or spec.computed_from or spec.kind not in ("bool", "int"):
            close = difflib.get_close_matches(path, list(FACTS), n=1)
            raise InputError(
                "flips change true/false and whole-number facts only",
                field=path,
                problems=(Problem(message="is not a true/false or whole-number fact",
                                  field=path, suggestion=close[0] if close and close[0] != path
                                  else None),),
            )
        current = base.facts.get(path)
        tries: list[tuple[FactValue, float | None]]
        if spec.kind == "bool":
            tries = [(v, None) for v in candidate_values(rb, path, base.facts)]
        else:
            tries = list(_int_candidates(rb, path, current))
        for value, threshold in tries:
            try:
                changed = _with_fact(base_model, path, value)
            except FactError as exc:
                out.append(Flip(fact=path, before=current, after=value, threshold=threshold,
                                skipped=_problem_text(exc)))
                continue
            delta = diff_results(rb, base, eng.evaluate(changed))
            out.append(Flip(fact=path, before=current, after=value, threshold=threshold,
                            changes=delta.changes))
    return FlipReport(facts=base.facts, flips=out)


def _problem_text(exc: FactError) -> str:
    if exc.problems:
        return "; ".join(p.message for p in exc.problems)
    return exc.message  # pragma: no cover - fact errors always carry their problems
