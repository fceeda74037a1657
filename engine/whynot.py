"""Why a conclusion does (or does not) apply: every rule that could add it, condition by
condition, read from the engine's recorded proof (the plan of the case, cached like any
evaluation), with the values of the missing facts that would decide it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmst.engine._firings import DEFINITE, POSSIBLE, Status, status_of
from dmst.engine._plan import PairView, citations_for
from dmst.engine.explain import check_rulebook, resolve_id
from dmst.engine.result import Citation, FactValue, Result, Stamp
from dmst.engine.whatif import candidate_values, pair_index, with_fact
from dmst.errors import FactError
from dmst.facts.paths import nest
from dmst.rules import Atom, Certainty, FactAtom, Kind, LoadedRule, MatchAtom, RefAtom, Rulebook
from dmst.rules._loader import ref_atom, resolve_condition
from dmst.rules._model import AllCondition, AnyCondition, ConclusionRef, Condition, FactCondition

__all__ = [
    "AlternativeCheck",
    "Check",
    "Decider",
    "ExceptionCheck",
    "RuleCheck",
    "TargetStatus",
    "WhyNot",
    "why_not",
]

ConditionStatus = Literal["holds", "fails", "unknown"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class TargetStatus(_Out):
    """A conclusion and where it stands on the facts."""

    id: str
    title: str
    status: Status


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
    note: str | None = None
    held_for: list[str] = Field(
        default_factory=list,
        description="In a case: the other accused for whose charges the rule holds (a rule about "
        "the victim holds for her in every pair once it holds in one).",
    )
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
    accused: str | None = None
    victim: str | None = None
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
    stamp: Stamp | None = Field(None, description="What produced the answer.")


def why_not(engine: Any, case: Any, target: str, *, accused: str | None = None,
            victim: str | None = None, depth: int = 1, deciders: bool = True,
            presume: bool | None = None) -> WhyNot:
    """Why ``target`` (a conclusion or rule id) does or does not apply on ``case`` (a scenario, a
    case, a mapping of facts, or a result), for the pair of ``accused`` and ``victim`` when the
    case has several.

    Every rule that could add the conclusion is shown condition by condition. A condition on a
    named conclusion that does not apply gets its own why-not, ``depth`` levels deep. When the
    conclusion is undetermined, ``deciders`` lists what each missing fact would make of it.
    Raises :class:`~dmst.errors.InputError` for an unknown id (with a suggestion) or a pair not
    in the case, and :class:`~dmst.errors.FactError` for bad facts.
    """
    from dmst.engine._engine import as_case

    if engine is None:
        from dmst import default_engine

        engine = default_engine()
    rb = engine.rulebook
    cid, rule = resolve_id(rb, target)
    if isinstance(case, Result):
        check_rulebook(case, rb)
        presume = bool(case.presumptions) if presume is None else presume
        case = nest(case.facts)
    model = as_case(case)
    k = pair_index(model, accused, victim)
    prepared = engine.prepare(model, presume)
    view = PairView(engine._planner, prepared, engine.plan(prepared).firings, k)
    out = _Asking(rb, view, depth).why_not(cid, rule, depth)
    if deciders and out.status is Status.UNDETERMINED and out.missing:
        found: list[Decider] = []
        for path in out.missing:
            for value in candidate_values(rb, path, prepared.pairs[k].given):
                try:
                    changed = engine.prepare(with_fact(model, k, path, value), presume)
                except FactError:
                    continue
                other = PairView(engine._planner, changed,
                                 engine.plan(changed).firings, k)
                found.append(Decider(fact=path, value=value,
                                     status=_Asking(rb, other, 0).status(cid, rule)))
        out = out.model_copy(update={"deciders": found})
    pair = prepared.pairs[k]
    return out.model_copy(update={"accused": pair.accused, "victim": pair.victim,
                                  "stamp": engine.stamp})


class _Asking:
    """The why-not of one pair: the view of the proof and the rulebook in one place."""

    def __init__(self, rulebook: Rulebook, view: PairView, depth: int) -> None:
        self.rb = rulebook
        self.view = view
        self.firings = view.firings
        self.pair = view.prepared.pairs[view.k]

    def entity(self, cid: str) -> str:
        return self.view.entity_of(cid)

    def state(self, cid: str) -> Status:
        return status_of(self.firings, cid, self.entity(cid))

    def status(self, cid: str, rule: str | None) -> Status:
        if rule is None:
            return self.state(cid)
        fired = [f for f in self.firings.of(cid, self.entity(cid)) if f.rule == rule]
        if any(f.mode is DEFINITE and not f.silent for f in fired):
            certain = self.firings.certainty[(DEFINITE, cid, self.entity(cid))]
            return Status.APPLIES if self.rb.by_id[rule].certainty is Certainty.APPLIES and \
                certain is Certainty.APPLIES else Status.MAY_APPLY
        if any(f.mode is DEFINITE for f in fired):
            return Status.SOURCE_SILENT
        return Status.UNDETERMINED if fired else Status.DOES_NOT_APPLY

    def why_not(self, cid: str, rule: str | None, depth: int) -> WhyNot:
        spec = self.rb.conclusions[cid]
        rules = [r for r in self.rb.rules_for[cid] if rule is None or r.id == rule]
        status = self.status(cid, rule)
        missing: list[str] = []
        if status is Status.UNDETERMINED:
            missing = sorted(self.view.missing(cid, self.entity(cid),
                                               frozenset(r.id for r in rules)))
        return WhyNot(
            id=cid, rule=rule, kind=spec.kind, title=spec.title, status=status, text=spec.text,
            missing=missing, rules=[self.rule_check(r, depth) for r in rules],
        )

    def truth(self, atom: FactAtom) -> ConditionStatus:
        value = self.pair.truths[self.view.p._index[atom]] if atom in self.view.p._index \
            else atom.test(self.pair.effective)
        if value is None:
            return "holds" if atom.unknown_holds else "unknown"
        return "holds" if value else "fails"

    def atom_status(self, atom: Atom) -> ConditionStatus:
        """A condition as a rule reads it: a conclusion satisfies a condition only through a
        rule that decides it (the source's silence satisfies none)."""
        if isinstance(atom, FactAtom):
            return self.truth(atom)
        holds = self.firings.holds
        instances = [(t, self.entity(t)) for t in self.rb.targets(atom)]
        if any(holds(DEFINITE, *i) for i in instances):
            return "holds"
        return "unknown" if any(holds(POSSIBLE, *i) for i in instances) else "fails"

    def rule_check(self, rule: LoadedRule, depth: int) -> RuleCheck:
        conditions = [self.check(c, depth) for c in rule.rule.when]
        if rule.rule.scope is not None:
            conditions.append(self.conclusion_check(ref_atom(rule.rule.scope, scope=True), depth))
            if rule.rule.scope.convicted:
                conditions.append(self.conviction_check(rule.rule.scope.offense or []))
        alternatives = []
        for index, alt in enumerate(rule.alternatives):
            failing = [self.describe(a) for a in alt if self.atom_status(a) == "fails"]
            unknown = [self.describe(a) for a in alt if self.atom_status(a) == "unknown"]
            alternatives.append(AlternativeCheck(
                index=index, status="fails" if failing else "unknown" if unknown else "holds",
                failing=failing, unknown=unknown,
            ))
        exceptions = []
        for u in rule.rule.unless:
            state = self.state(u)
            exceptions.append(ExceptionCheck(
                id=u, title=self.rb.conclusions[u].title, status=state,
                blocks="yes" if state.holds else "maybe" if state is Status.UNDETERMINED else "no",
            ))
        statuses = [a.status for a in alternatives] or ["holds"]
        overall: ConditionStatus = ("holds" if "holds" in statuses
                                    else "unknown" if "unknown" in statuses else "fails")
        held_for: list[str] = []
        cid = rule.conclusion_id
        if overall != "holds" and self.rb.entity[cid] == "victim" and rule.anchor == "pair":
            # a rule about the victim, read through another pair of the case
            elsewhere = [f for f in self.firings.of(cid, self.view.victim_entity)
                         if f.rule == rule.id and f.entity != self.view.pair_entity]
            pairs = self.view.prepared.pairs
            held_for = sorted({str(pairs[int(f.entity[1:])].accused) for f in elsewhere
                               if f.mode is DEFINITE})
            if held_for:
                overall = "holds"
            elif elsewhere:
                overall = "unknown"
        outcome: Literal["holds", "fails", "unknown", "blocked", "maybe_blocked"]
        if overall == "fails":
            outcome = "fails"
        elif any(e.blocks == "yes" for e in exceptions):
            outcome = "blocked"
        elif overall == "holds":
            outcome = "maybe_blocked" if any(e.blocks == "maybe" for e in exceptions) else "holds"
        else:
            outcome = "unknown"
        return RuleCheck(
            rule=rule.id, title=rule.rule.title, outcome=outcome, certainty=rule.certainty,
            source_silent=rule.silent, note=rule.rule.note, held_for=held_for,
            conditions=conditions,
            alternatives=alternatives, exceptions=exceptions,
            citations=citations_for(self.rb, [rule]),
        )

    def describe(self, atom: Atom) -> str:
        if isinstance(atom, RefAtom):
            return f"{self.rb.conclusions[atom.id].title} [{atom.id}]"
        if isinstance(atom, MatchAtom) and atom.scope:
            return "attaches to " + atom.describe()
        if isinstance(atom, FactAtom) and atom.unknown_holds:
            return f"convicted of {atom.value} (or no conviction given yet)"
        return self.rb.describe(atom)

    def check(self, cond: Condition, depth: int) -> Check:
        if isinstance(cond, FactCondition):
            atom = resolve_condition(cond, self.rb.meta)
            spec = self.rb.facts[atom.path]
            facts = self.pair.effective
            return Check(
                type="fact", condition=self.rb.describe(atom), status=self.truth(atom),
                fact=atom.path, value=facts.get(atom.path), known=atom.path in self.pair.given,
                computed_from={p: facts.get(p) for p in spec.computed_from},
            )
        if isinstance(cond, ConclusionRef):
            return self.conclusion_check(ref_atom(cond, scope=False), depth)
        parts = [self.check(c, depth)
                 for c in (cond.any if isinstance(cond, AnyCondition) else cond.all)]
        statuses = [p.status for p in parts]
        if isinstance(cond, AnyCondition):
            return Check(type="any", condition="any of", checks=parts, status=(
                "holds" if "holds" in statuses else "unknown" if "unknown" in statuses
                else "fails"))
        assert isinstance(cond, AllCondition)
        return Check(type="all", condition="all of", checks=parts, status=(
            "fails" if "fails" in statuses else "unknown" if "unknown" in statuses
            else "holds"))

    def conviction_check(self, offenses: list[str]) -> Check:
        given = self.pair.given.get("accused.convicted_of")
        status: ConditionStatus = ("holds" if given is None or set(given) & set(offenses)
                                   else "fails")
        named = " or ".join(o.replace("_", " ") for o in offenses)
        condition = (f"on conviction of {named} (no conviction given yet)" if given is None
                     else f"convicted of {named}")
        return Check(type="fact", fact="accused.convicted_of", value=given,
                     known=given is not None, condition=condition, status=status)

    def conclusion_check(self, atom: RefAtom | MatchAtom, depth: int) -> Check:
        targets = self.rb.targets(atom)
        candidates = [TargetStatus(id=t, title=self.rb.conclusions[t].title,
                                   status=self.state(t)) for t in targets]
        status = self.atom_status(atom)
        nested: list[WhyNot] = []
        if status != "holds" and depth > 0 and (isinstance(atom, RefAtom) or len(targets) == 1):
            nested = [self.why_not(t.id, None, depth - 1)
                      for t in candidates if not t.status.holds]
        scope = isinstance(atom, MatchAtom) and atom.scope
        return Check(
            type="scope" if scope else "conclusion", condition=self.describe(atom),
            status=status, candidates=candidates, why_not=nested,
        )


Check.model_rebuild()
WhyNot.model_rebuild()
