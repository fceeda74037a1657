"""How a conclusion was reached: the derivation trees a result records, down to the facts.

Each derivation of a result names its rule and the alternative of the rule's conditions that
held, with the fact values it read and the conclusions it relied on; :func:`explain` turns them
into trees, each step with its quotes. Nothing is evaluated again.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dmst.engine._plan import citations_for
from dmst.engine.result import Citation, Conclusion, FactValue, Result, Status
from dmst.errors import InputError, Problem
from dmst.rules import Certainty, FactAtom, Kind, Rulebook

__all__ = [
    "ExplanationNode",
    "ExplanationStep",
    "FactUse",
    "RuledOut",
    "check_rulebook",
    "explain",
    "leaf_facts",
    "resolve_id",
]


class _Out(BaseModel):
    # built on first use, so that importing dmst does not pay for these models
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


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


def check_rulebook(result: Result, rulebook: Rulebook) -> None:
    """Raise :class:`~dmst.errors.InputError` when ``result`` came from another rulebook."""
    made_by = result.stamp.rulebook.get("fingerprint")
    if made_by is not None and made_by != rulebook.fingerprint:
        raise InputError(
            f"the result was produced by rulebook {made_by}, not by this one "
            f"({rulebook.fingerprint}); explain it with the rulebook that produced it"
        )


class FactUse(_Out):
    """A fact a rule tested: the condition, the value read, and whether the condition holds."""

    fact: str
    condition: str | None = Field(None, description="The condition tested, e.g. 'victim.age < 18'.")
    value: FactValue | None
    holds: bool = Field(
        True, description="Whether the condition holds (false where it rules out an exception)."
    )
    presumed: bool = Field(False, description="The value was presumed (the case is silent).")
    computed_from: dict[str, FactValue | None] = Field(
        default_factory=dict,
        description="For a computed fact (the compensation filing delay): the given facts it "
        "comes from, with their values.",
    )


class RuledOut(_Out):
    """An exception (``unless``) that does not apply, and the facts that rule it out."""

    id: str
    title: str
    facts: list[FactUse]


class ExplanationStep(_Out):
    """One rule that reached a conclusion: its quotes, the facts it used and the conclusions it
    relied on (each explained in turn)."""

    rule: str
    title: str = Field(description="The rule's title, a legal sentence.")
    alternative: int
    certainty: Certainty
    accused: str | None = None
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
    """A conclusion that applies, and every way it was reached. A node for a conclusion reached
    for another accused of the case (``elsewhere``) has no steps: see that pair."""

    id: str
    kind: Kind
    title: str
    certainty: Certainty
    role: str | None = None
    offense: str | None = None
    applies_to: list[str] = Field(default_factory=list)
    presumed: list[str] = Field(default_factory=list)
    elsewhere: bool = False
    derivations: list[ExplanationStep]


def explain(result: Result, conclusion_id: str | None = None, *,
            rulebook: Rulebook | None = None) -> list[ExplanationNode]:
    """The derivation trees of the conclusions of ``result`` (statuses first), or of one.

    ``conclusion_id`` may name a conclusion or a rule (then only that rule's derivations are
    shown). It must apply: for one that does not, use :func:`dmst.why_not`. ``rulebook``
    defaults to the shipped one and must be the rulebook that produced ``result``. Raises
    :class:`~dmst.errors.InputError` for an unknown id, a conclusion that does not apply, or a
    result of another rulebook.
    """
    if rulebook is None:
        from dmst import default_engine

        rulebook = default_engine().rulebook
    check_rulebook(result, rulebook)
    tree = _Tree(rulebook, result)
    if conclusion_id is None:
        return [tree.node(c.id, None) for c in (*result.statuses, *result.conclusions)]
    cid, rule = resolve_id(rulebook, conclusion_id)
    found = result.conclusion(cid)
    if found is None:
        what = ("is undetermined on these facts" if result.status(cid) in
                (Status.UNDETERMINED, Status.SOURCE_SILENT) else "does not apply on these facts")
        raise InputError(
            f"'{cid}' ({rulebook.conclusions[cid].title}) {what}, so there is nothing to "
            "explain; ask why not instead (why_not, or dmst why-not)",
            field=conclusion_id,
        )
    if rule is not None and all(d.rule != rule for d in found.derivations):
        raise InputError(
            f"'{cid}' applies, but not through rule '{rule}' (it applies through "
            f"{', '.join(sorted({d.rule for d in found.derivations}))}); ask why not "
            "instead (why_not, or dmst why-not)",
            field=conclusion_id,
        )
    return [tree.node(cid, rule)]


class _Tree:
    def __init__(self, rulebook: Rulebook, result: Result) -> None:
        self.rb = rulebook
        self.result = result
        self.facts: dict[str, Any] = dict(result.facts)
        self.presumed = {p.fact for p in result.presumptions}
        for p in result.presumptions:
            self.facts.setdefault(p.fact, p.value)
        self.cache: dict[str, ExplanationNode] = {}

    def node(self, cid: str, only_rule: str | None) -> ExplanationNode:
        if only_rule is None and cid in self.cache:
            return self.cache[cid]
        c = self.result.conclusion(cid)
        spec = self.rb.conclusions[cid]
        if c is None:  # reached for another accused of the case
            return ExplanationNode(id=cid, kind=spec.kind, title=spec.title,
                                   certainty=Certainty.APPLIES, role=spec.role,
                                   offense=spec.offense, elsewhere=True, derivations=[])
        steps = [self.step(c, d.rule, d.alternative, d.certainty, d.facts, d.conclusions,
                           d.accused)
                 for d in c.derivations if only_rule is None or d.rule == only_rule]
        node = ExplanationNode(
            id=c.id, kind=c.kind, title=c.title, certainty=c.certainty, role=c.role,
            offense=c.offense, applies_to=c.applies_to, presumed=c.presumed, derivations=steps,
        )
        if only_rule is None:
            self.cache[cid] = node
        return node

    def step(self, c: Conclusion, rule_id: str, alternative: int, certainty: Certainty,
             used: Mapping[str, Any], relied: list[str], accused: str | None) -> ExplanationStep:
        rule = self.rb.by_id[rule_id]
        atoms = rule.alternatives[alternative]
        facts = [self.fact_use(a.path, self.rb.describe(a), used.get(a.path))
                 for a in atoms if isinstance(a, FactAtom)]
        return ExplanationStep(
            rule=rule_id, title=rule.rule.title, alternative=alternative, certainty=certainty,
            accused=accused, citations=citations_for(self.rb, [rule]), facts=facts,
            relied_on=[self.node(m, None) for m in relied],
            exceptions=[RuledOut(id=u, title=self.rb.conclusions[u].title,
                                 facts=self.refute(u, set())) for u in rule.rule.unless],
        )

    def fact_use(self, path: str, condition: str | None, value: Any, holds: bool = True
                 ) -> FactUse:
        spec = self.rb.facts[path]
        return FactUse(
            fact=path, condition=condition, value=value, holds=holds,
            presumed=path in self.presumed and path not in self.result.facts,
            computed_from={p: self.facts.get(p) for p in spec.computed_from},
        )

    def refute(self, cid: str, seen: set[str]) -> list[FactUse]:
        """Facts that make ``cid`` impossible: for each alternative of each rule for it, one
        condition that fails (a fact, or a conclusion refuted in turn); for a rule overridden
        by an exception that applies, the facts that make that exception apply."""
        if cid in seen:
            return []
        seen.add(cid)
        out: dict[tuple[str, str | None], FactUse] = {}
        for rule in self.rb.rules_for[cid]:
            if rule.silent:
                continue
            blocker = next((u for u in rule.rule.unless
                            if self.result.conclusion(u) is not None), None)
            if blocker is not None:
                for f in leaf_facts(self.node(blocker, None)):
                    out.setdefault((f.fact, f.condition), f)
                continue
            for alt in rule.alternatives:
                failing = next((a for a in alt if isinstance(a, FactAtom)
                                and a.test(self.facts) is False), None)
                if failing is not None:
                    use = self.fact_use(failing.path, self.rb.describe(failing),
                                        self.facts.get(failing.path), holds=False)
                    out.setdefault((use.fact, use.condition), use)
                    continue
                for atom in alt:
                    targets = () if isinstance(atom, FactAtom) else self.rb.targets(atom)
                    if targets and all(self.result.status(t) is Status.DOES_NOT_APPLY
                                       for t in targets):
                        for t in targets:
                            for f in self.refute(t, seen):
                                out.setdefault((f.fact, f.condition), f)
                        break
        return sorted(out.values(), key=lambda f: (f.fact, f.condition or ""))


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


ExplanationStep.model_rebuild()
