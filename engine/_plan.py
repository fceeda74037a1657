"""From the recorded proof to results: everything in a result that depends only on which rules
fired (the *plan*, built once per legal signature), then filled with each pair's fact values.

For each pair of a case the plan holds the conclusions that apply (with derivation templates),
the undetermined ones (with the facts that would decide them), those that do not apply and why,
and the facts to ask next. The plan keeps the firings, so explanations read the same proof.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, NamedTuple

from dmst.engine._firings import DEFINITE, POSSIBLE, Firing, Firings, Status, status_of, weakest
from dmst.engine._prepare import Prepared
from dmst.engine.result import (
    AskNext,
    Citation,
    Conclusion,
    Derivation,
    NotApplicable,
    Reason,
    Stamp,
    StatuteRef,
    Undetermined,
)
from dmst.rules import (
    VICTIM,
    Certainty,
    FactAtom,
    Kind,
    LoadedRule,
    MatchAtom,
    Modality,
    Rulebook,
    weighs,
)

CONVICTIONS = "accused.convicted_of"

__all__ = ["KIND_ORDER", "PairPlan", "PairView", "Plan", "Planner", "citations_for"]

KIND_ORDER = {k: i for i, k in enumerate(
    [Kind.CHARGE, Kind.SENTENCING, Kind.CONSEQUENCE, Kind.DEFENSE_BARRED, Kind.PROTECTION,
     Kind.INVESTIGATION, Kind.GAP, Kind.STATUS]
)}

#: A derivation before its fact values: rule, alternative, certainty, fact paths, the
#: conclusions relied on, the accused of the pair it came from.
DerivationT = tuple[str, int, Certainty, tuple[str, ...], tuple[str, ...], str | None]
class ReasonT(NamedTuple):
    """A reason before its fact value is filled in (see :class:`~dmst.engine.result.Reason`)."""

    rule: str
    condition: str
    fact: str | None = None
    parameter: str | None = None
    conclusion: str | None = None
    below: tuple[ReasonT, ...] = ()
    citations: tuple[Citation, ...] = ()
    exception: bool = False


def citations_for(rulebook: Rulebook, rules: list[LoadedRule]) -> list[Citation]:
    """The citations of these rules, in order, each quote once, with the statute section where
    the source's table knows it with high or medium confidence."""
    out: list[Citation] = []
    seen: set[str] = set()
    for rule in rules:
        for c in rule.rule.cites:
            if c.quote in seen:
                continue
            seen.add(c.quote)
            out.append(_citation(rulebook, c.quote, c.section or rule.area, c.statute))
    return out


def _citation(rulebook: Rulebook, quote: str, section: str, statute_key: str | None) -> Citation:
    statute = None
    if statute_key is not None:
        entry = rulebook.statute(statute_key)
        if entry.section and entry.confidence in ("high", "medium"):
            statute = StatuteRef(cite=f"{rulebook.meta.statute_prefix} {entry.section}",
                                 confidence=entry.confidence, note=entry.note)
    return Citation(section=section, quote=quote, statute=statute)


@dataclass(frozen=True)
class PairPlan:
    """The fact-independent shape of one pair's result."""

    conclusions: tuple[tuple[Conclusion, tuple[DerivationT, ...]], ...]
    statuses: tuple[tuple[Conclusion, tuple[DerivationT, ...]], ...]
    undetermined: tuple[tuple[Undetermined, tuple[str, ...]], ...]
    not_applicable: tuple[tuple[NotApplicable, tuple[ReasonT, ...]], ...]
    ask_next: tuple[AskNext, ...]


@dataclass(frozen=True)
class Plan:
    """A case's recorded proof and the shape of each pair's result."""

    firings: Firings
    pairs: tuple[PairPlan, ...]


class Planner:
    """Builds plans for one rulebook (and fills them with fact values)."""

    def __init__(self, rulebook: Rulebook, stamp: Stamp) -> None:
        self.rulebook = rulebook
        self.stamp = stamp
        self._citations: dict[tuple[str, ...], list[Citation]] = {}
        self._index = {a: i for i, a in enumerate(rulebook.atoms)}
        self._param_cites = {
            name: _citation(rulebook, p.quote, p.section or rulebook.meta.areas[0], p.statute)
            for name, p in rulebook.meta.parameters.items() if p.quote is not None
        }

    def citations(self, rule_ids: tuple[str, ...]) -> list[Citation]:
        found = self._citations.get(rule_ids)
        if found is None:
            found = self._citations[rule_ids] = citations_for(
                self.rulebook, [self.rulebook.by_id[r] for r in rule_ids])
        return found

    def plan(self, prepared: Prepared, firings: Firings) -> Plan:
        """The plan of a prepared case from its firings."""
        return Plan(firings, tuple(
            PairView(self, prepared, firings, k).build()
            for k in range(len(prepared.pairs))
        ))


class PairView:
    """One pair of a planned case: its facts' truths, the statuses of its conclusions, and the
    parts of its result (also what why-not reads)."""

    def __init__(self, planner: Planner, prepared: Prepared, firings: Firings, k: int) -> None:
        self.p = planner
        self.rb = planner.rulebook
        self.prepared = prepared
        self.firings = firings
        self.k = k
        self.pair_entity = f"p{k}"
        self.victim_entity = f"v{prepared.pair_victim[k]}"
        self.presumed = {path for path, _ in prepared.presumed}
        self.case = prepared.pairs[0].accused is not None or prepared.pairs[0].victim is not None
        self._missing: dict[tuple[str, str], frozenset[str]] = {}
        self._presumed_memo: dict[tuple[str, str], frozenset[str]] = {}

    # -- helpers -------------------------------------------------------------------------------

    def entity_of(self, cid: str) -> str:
        return self.victim_entity if self.rb.entity[cid] == VICTIM else self.pair_entity

    def truths(self, entity: str) -> tuple[bool | None, ...]:
        index = int(entity[1:])
        if entity[0] == "v":
            index = self.prepared.pair_victim.index(index)
        return self.prepared.pairs[index].truths

    def truth(self, atom: FactAtom, entity: str) -> bool | None:
        return self.truths(entity)[self.p._index[atom]]

    def given(self, entity: str) -> dict[str, Any]:
        index = int(entity[1:])
        if entity[0] == "v":
            index = self.prepared.pair_victim.index(index)
        return self.prepared.pairs[index].given

    def decided_definite(self, cid: str, entity: str) -> list[Firing]:
        return [f for f in self.firings.of(cid, entity, DEFINITE) if not f.silent]

    # -- the result's parts --------------------------------------------------------------------

    def build(self) -> PairPlan:
        conclusions, statuses, undetermined, not_applicable = [], [], [], []
        for cid in self.rb.conclusions:
            entity = self.entity_of(cid)
            status = status_of(self.firings, cid, entity)
            if status.holds:
                item = self.conclusion(cid, entity, status)
                (statuses if item[0].kind is Kind.STATUS else conclusions).append(item)
            elif status in (Status.UNDETERMINED, Status.SOURCE_SILENT):
                undetermined.append(self.undetermined(cid, entity, status))
            else:
                na = self.not_applicable(cid, entity)
                if na is not None:
                    not_applicable.append(na)
        # an entry whose every reason is another entry of the list says nothing more
        listed = {na.id for na, _ in not_applicable}
        not_applicable = [(na, t) for na, t in not_applicable
                          if not all(r.conclusion in listed and not r.exception for r in t)]
        conclusions.sort(key=lambda t: _sort_key(t[0]))
        statuses.sort(key=lambda t: (self.rb.rules_for[t[0].id][0].level, t[0].id))
        undetermined.sort(key=lambda t: _sort_key(t[0]))
        not_applicable.sort(key=lambda t: _sort_key(t[0]))
        counts: Counter[str] = Counter()
        bearing: dict[str, list[str]] = {}
        for u, _ in undetermined:
            for path in u.missing:
                counts[path] += 1
                bearing.setdefault(path, []).append(u.id)
        facts = self.rb.facts
        ask_next = tuple(
            AskNext.model_construct(fact=p, question=facts[p].question,
                                    description=facts[p].description, settles=n,
                                    conclusions=bearing[p])
            for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return PairPlan(tuple(conclusions), tuple(statuses), tuple(undetermined),
                        tuple(not_applicable), ask_next)

    def conclusion(self, cid: str, entity: str, status: Status
                   ) -> tuple[Conclusion, tuple[DerivationT, ...]]:
        spec = self.rb.conclusions[cid]
        definite = self.decided_definite(cid, entity)
        fired = tuple(sorted({f.rule for f in definite}))
        certainty = self.firings.certainty[(DEFINITE, cid, entity)]
        templates: dict[tuple[Any, ...], DerivationT] = {}
        applies_to: set[str] = set()
        conviction_pending = True
        for f in definite:
            rule = self.rb.by_id[f.rule]
            alternative = rule.alternatives[f.alternative]
            paths = tuple(sorted({a.path for a in alternative if isinstance(a, FactAtom)}))
            conclusion_atoms = [a for a in alternative if not isinstance(a, FactAtom)]
            cert = weakest([rule.certainty, *(self.firings.certainty[(DEFINITE, *m)]
                                               for m, a in zip(f.matched, conclusion_atoms)
                                               if weighs(a))])
            accused = (self.prepared.pairs[int(f.entity[1:])].accused
                       if self.case and f.entity[0] == "p" and entity[0] == "v" else None)
            ids = tuple(m for m, _ in f.matched)
            templates.setdefault((f.rule, f.alternative, ids, accused),
                                 (f.rule, f.alternative, cert, paths, ids, accused))
            for atom, (m, _) in zip(conclusion_atoms, f.matched, strict=True):
                if isinstance(atom, MatchAtom) and atom.scope:
                    applies_to.add(m)
            if not any(a.path == CONVICTIONS and self.truth(a, f.entity) is None
                       for a in alternative if isinstance(a, FactAtom)):
                conviction_pending = False
        hedged: set[str] = set()
        if certainty is Certainty.MAY_APPLY and not any(
            self.rb.by_id[f.rule].certainty is Certainty.MAY_APPLY for f in definite
        ):
            hedged = {
                m for f in definite
                for (m, e), a in zip(f.matched, [a for a in self.rb.by_id[f.rule].alternatives[
                    f.alternative] if not isinstance(a, FactAtom)])
                if weighs(a) and self.firings.certainty[(DEFINITE, m, e)] is Certainty.MAY_APPLY
            }
        item = Conclusion.model_construct(
            id=cid, kind=spec.kind, title=spec.title, status=status, certainty=certainty,
            rule=fired[0], role=spec.role, offense=spec.offense, penalty=spec.penalty,
            modality=spec.modality, deadline=spec.deadline, topic=spec.topic,
            applies_to=sorted(applies_to), on_conviction=conviction_pending,
            presumed=sorted(self.presumed_in(cid, entity)), hedged_by=sorted(hedged),
            text=spec.text, citations=self.p.citations(fired), derivations=[],
        )
        order = sorted(templates.values(), key=lambda t: (t[0], t[1], t[4], t[5] or ""))
        return item, tuple(order)

    def presumed_in(self, cid: str, entity: str) -> frozenset[str]:
        """The presumed facts every definite derivation of the instance rests on."""
        key = (cid, entity)
        if key in self._presumed_memo:
            return self._presumed_memo[key]
        self._presumed_memo[key] = frozenset()
        out: frozenset[str] | None = None
        if self.presumed:
            for f in self.decided_definite(cid, entity):
                rule = self.rb.by_id[f.rule]
                used = {a.path for a in rule.alternatives[f.alternative]
                        if isinstance(a, FactAtom) and a.path in self.presumed}
                for m in f.matched:
                    used |= self.presumed_in(*m)
                out = frozenset(used) if out is None else out & used
        self._presumed_memo[key] = out or frozenset()
        return self._presumed_memo[key]

    def undetermined(self, cid: str, entity: str, status: Status
                     ) -> tuple[Undetermined, tuple[str, ...]]:
        spec = self.rb.conclusions[cid]
        possible = self.firings.of(cid, entity, POSSIBLE)
        definite_silent = [f for f in self.firings.of(cid, entity, DEFINITE) if f.silent]
        shown = definite_silent if status is Status.SOURCE_SILENT else possible
        fired = tuple(sorted({f.rule for f in shown}))
        applies_to = sorted({
            m for f in shown
            for atom, (m, _) in zip(
                [a for a in self.rb.by_id[f.rule].alternatives[f.alternative]
                 if not isinstance(a, FactAtom)], f.matched, strict=True)
            if isinstance(atom, MatchAtom) and atom.scope
        })
        missing = sorted(self.missing(cid, entity))
        notes = [self.rb.by_id[r].rule.note for r in fired if self.rb.by_id[r].rule.note]
        paths = tuple(sorted({
            a.path for f in definite_silent
            for a in self.rb.by_id[f.rule].alternatives[f.alternative] if isinstance(a, FactAtom)
        }))
        item = Undetermined.model_construct(
            id=cid, kind=spec.kind, title=spec.title, status=status,
            reason="source_silent" if status is Status.SOURCE_SILENT else "missing_facts",
            missing=missing, rules=list(fired), role=spec.role, offense=spec.offense,
            applies_to=applies_to, text=spec.text, note=" ".join(dict.fromkeys(notes)) or None,
            facts={}, citations=self.p.citations(fired),
        )
        return item, paths

    def missing(self, cid: str, entity: str, rules: frozenset[str] | None = None
                ) -> frozenset[str]:
        """The unknown facts (given paths) that could decide an undetermined instance (through
        ``rules`` only, when given)."""
        key = (cid, entity)
        if rules is None and key in self._missing:
            return self._missing[key]
        if rules is None:
            self._missing[key] = frozenset()  # guards against re-entry; no cycles in the rules
        out: set[str] = set()
        facts = self.rb.facts
        possible = [f for f in self.firings.of(cid, entity, POSSIBLE)
                    if rules is None or f.rule in rules]
        # Facts that could make a decided rule hold are what decide it; the source's silence
        # only matters when no decided rule can hold.
        decided = [f for f in possible if not f.silent]
        # Where one firing of a rule alternative matched only conclusions that already apply,
        # the other conclusions that alternative could match decide nothing: only its facts do.
        settled = {(f.rule, f.alternative) for f in decided or possible
                   if all(self.firings.holds(DEFINITE, *m) for m in f.matched)}
        for f in decided or possible:
            if (f.rule, f.alternative) in settled and not all(
                    self.firings.holds(DEFINITE, *m) for m in f.matched):
                continue
            rule = self.rb.by_id[f.rule]
            given = self.given(f.entity)
            for atom in rule.alternatives[f.alternative]:
                if not isinstance(atom, FactAtom) or atom.unknown_holds:
                    continue
                if self.truth(atom, f.entity) is None:
                    spec = facts[atom.path]
                    if spec.computed_from:
                        out.update(p for p in spec.computed_from if p not in given)
                    else:
                        out.add(atom.path)
            for m in f.matched:
                if not self.firings.holds(DEFINITE, *m):
                    out |= self.missing(*m)
            for u in rule.rule.unless:
                ue = self.victim_entity if self.rb.entity[u] == VICTIM else f.entity
                if self.firings.holds(POSSIBLE, u, ue) and not self.firings.holds(DEFINITE, u, ue):
                    out |= self.missing(u, ue)
        if rules is not None:
            return frozenset(out)
        self._missing[key] = frozenset(out)
        return self._missing[key]

    # -- what does not apply, and why ------------------------------------------------------------

    def not_applicable(self, cid: str, entity: str
                       ) -> tuple[NotApplicable, tuple[ReasonT, ...]] | None:
        spec = self.rb.conclusions[cid]
        if spec.kind not in (Kind.PROTECTION, Kind.CHARGE, Kind.CONSEQUENCE) \
                or cid not in self.rb.decided:
            return None
        if spec.modality is Modality.NOT_AVAILABLE:
            return None  # that a denial does not apply is no news
        reasons = self.reasons(cid, entity, 2)
        if not reasons:
            return None
        if spec.kind is Kind.CHARGE:
            # a charge is listed only where a threshold rules it out, and for that reason
            reasons = tuple(r for r in reasons if r.parameter is not None)
            if not reasons:
                return None
        elif spec.kind is Kind.CONSEQUENCE:
            # a consequence only where the convictions given rule it out
            reasons = tuple(r for r in reasons if r.fact == CONVICTIONS)
            if not reasons:
                return None
        elif spec.topic is not None and any(
            self.rb.conclusions[c].topic == spec.topic
            and self.rb.conclusions[c].modality is not Modality.NOT_AVAILABLE
            and status_of(self.firings, c, self.entity_of(c)).holds
            for c in self.rb.conclusions
        ):
            return None  # the victim has what it gives by another route
        item = NotApplicable.model_construct(
            id=cid, kind=spec.kind, title=spec.title, status=Status.DOES_NOT_APPLY,
            role=spec.role, offense=spec.offense, because=[],
        )
        return item, reasons

    def reasons(self, cid: str, entity: str, depth: int) -> tuple[ReasonT, ...]:
        """For each decided rule of a conclusion that does not apply, the condition that fails
        (one per alternative, the same condition once)."""
        out: dict[tuple[str, str | None], ReasonT] = {}
        victim = self.victim_entity
        for rule in self.rb.rules_for.get(cid, ()):
            if rule.silent:
                continue
            if rule.anchor == VICTIM or entity[0] == "p":
                anchors = [entity if rule.anchor != VICTIM else victim]
            else:
                anchors = [f"p{i}" for i, v in enumerate(self.prepared.pair_victim)
                           if f"v{v}" == victim]
            for anchor in anchors:
                for u in rule.rule.unless:
                    ue = victim if self.rb.entity[u] == VICTIM else anchor
                    if self.firings.holds(DEFINITE, u, ue):
                        out.setdefault((u, None), ReasonT(
                            rule.id, self.rb.conclusions[u].title, conclusion=u, exception=True))
                for alt in rule.alternatives:
                    reason = self.failing(rule, alt, anchor, depth)
                    if reason is not None:
                        out.setdefault((reason.condition, reason.fact), reason)
        return tuple(out.values())

    def failing(self, rule: LoadedRule, alt: tuple[Any, ...], anchor: str, depth: int
                ) -> ReasonT | None:
        """The first condition of an alternative that fails on the facts (a fact first)."""
        for atom in alt:
            if isinstance(atom, FactAtom) and self.truth(atom, anchor) is False:
                cites = ((self.p._param_cites[atom.param],) if atom.param in self.p._param_cites
                         else tuple(self.p.citations((rule.id,))[:1]))
                return ReasonT(rule.id, self.rb.describe(atom), atom.path, atom.param,
                               citations=cites)
        for atom in alt:
            if isinstance(atom, FactAtom):
                continue
            targets = self.rb.targets(atom)
            instances = [(t, self.victim_entity if self.rb.entity[t] == VICTIM else anchor)
                         for t in targets]
            if not any(self.firings.holds(POSSIBLE, *i) for i in instances):
                if len(targets) == 1:
                    below = self.reasons(*instances[0], depth - 1) if depth > 0 else ()
                    return ReasonT(rule.id, self.rb.conclusions[targets[0]].title,
                                   conclusion=targets[0], below=below)
                return ReasonT(rule.id, f"no {self.rb.describe(atom)} applies")
        return None

    # -- filling -------------------------------------------------------------------------------


def _sort_key(c: Any) -> tuple[Any, ...]:
    return (KIND_ORDER[c.kind], c.role or "", c.id)


def fill_derivations(templates: tuple[DerivationT, ...], facts: dict[str, Any]
                     ) -> list[Derivation]:
    return [
        Derivation.model_construct(rule=rule, alternative=alt, certainty=cert,
                                   facts={p: facts.get(p) for p in paths},
                                   conclusions=list(ids), accused=accused)
        for rule, alt, cert, paths, ids, accused in templates
    ]


def fill_reasons(templates: tuple[ReasonT, ...], facts: dict[str, Any]) -> list[Reason]:
    return [
        Reason.model_construct(rule=r.rule, condition=r.condition, fact=r.fact,
                               value=facts.get(r.fact) if r.fact else None,
                               parameter=r.parameter, conclusion=r.conclusion,
                               exception=r.exception, because=fill_reasons(r.below, facts),
                               citations=list(r.citations))
        for r in templates
    ]
