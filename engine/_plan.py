"""From the recorded proof to results: everything in a result that depends only on which rules
fired (the *plan*), then filled with each pair's fact values.

The plan of a pair is assembled from one :class:`Outcome` per conclusion: whether it applies
(with its derivation templates), is undetermined (with the facts that would decide it), or does
not apply (and why).
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
    construct,
)
from dmst.rules import (
    VICTIM,
    Atom,
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

__all__ = [
    "CONVICTIONS",
    "KIND_ORDER",
    "Outcome",
    "PairPlan",
    "PairView",
    "Plan",
    "Planner",
    "citations_for",
    "fill_derivations",
    "fill_reasons",
]

KIND_ORDER = {k: i for i, k in enumerate(
    [Kind.CHARGE, Kind.SENTENCING, Kind.CONSEQUENCE, Kind.DEFENSE_BARRED, Kind.PROTECTION,
     Kind.INVESTIGATION, Kind.GAP, Kind.STATUS]
)}

#: A derivation before its fact values: rule, alternative, certainty, fact paths, the
#: conclusions relied on, whether it came from another pair of the case, and the index of the
#: pair whose facts the rule read. No name of a person is kept: a plan serves every case of
#: the same signature, whoever its people are.
DerivationT = tuple[str, int, Certainty, tuple[str, ...], tuple[str, ...], bool, int]


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
    #: The index of the pair whose facts the condition read (another pair of the victim, for a
    #: conclusion about her reached through another accused).
    pair: int = 0


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
class _Alt:
    """What the planner needs of one alternative of a rule, worked out once."""

    facts: tuple[tuple[int, FactAtom], ...]
    #: The fact atoms an unknown value leaves open: (index, path, the given facts it is
    #: computed from, or () for a given fact).
    open: tuple[tuple[int, str, tuple[str, ...]], ...]
    conclusions: tuple[Atom, ...]
    #: The conclusions each conclusion atom can match.
    targets: tuple[tuple[str, ...], ...]
    weighed: tuple[bool, ...]
    scope: tuple[bool, ...]
    paths: tuple[str, ...]
    #: Whether a conclusion atom of the alternative is its scope.
    scoped: bool


@dataclass(frozen=True)
class Outcome:
    """Where one conclusion stands for a pair, and the parts of the result it gives.

    ``item`` and ``templates``: the conclusion and its derivation templates (applies), or the
    undetermined entry and the fact paths it shows (open); ``na``: the not-applicable entry and
    its reasons, where one is listed."""

    status: Status
    item: Any = None
    templates: tuple[Any, ...] = ()
    na: tuple[NotApplicable, tuple[ReasonT, ...]] | None = None


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
    """Builds plans for one rulebook: what is static about the rulebook is worked out here
    once."""

    def __init__(self, rulebook: Rulebook, stamp: Stamp) -> None:
        self.rulebook = rulebook
        self.stamp = stamp
        rb = rulebook
        self._index = {a: i for i, a in enumerate(rb.atoms)}
        self._citations: dict[tuple[str, ...], list[Citation]] = {}
        self._param_cites = {
            name: _citation(rb, p.quote, p.section, p.statute)
            for name, p in rb.meta.parameters.items()
            if p.quote is not None and p.section is not None  # a stated parameter has both
        }
        self.alts: dict[str, tuple[_Alt, ...]] = {}
        for r in rb.rules:
            self.alts[r.id] = tuple(
                _Alt(
                    facts=tuple((self._index[a], a) for a in alt if isinstance(a, FactAtom)),
                    open=tuple((self._index[a], a.path, tuple(rb.facts[a.path].computed_from or ()))
                               for a in alt if isinstance(a, FactAtom) and not a.unknown_holds),
                    conclusions=tuple(a for a in alt if not isinstance(a, FactAtom)),
                    targets=tuple(rb.targets(a) for a in alt if not isinstance(a, FactAtom)),
                    weighed=tuple(weighs(a) for a in alt if not isinstance(a, FactAtom)),
                    scope=tuple(isinstance(a, MatchAtom) and a.scope
                                for a in alt if not isinstance(a, FactAtom)),
                    paths=tuple(sorted({a.path for a in alt if isinstance(a, FactAtom)})),
                    scoped=any(isinstance(a, MatchAtom) and a.scope for a in alt),
                )
                for alt in r.alternatives
            )
        self.described = {a: rb.describe(a) for r in rb.rules for alt in r.alternatives
                          for a in alt}
        #: Conclusions in the order they are considered; the order statuses are listed in.
        self.order = tuple(rb.conclusions)
        self.status_rank = {cid: (rb.rules_for[cid][0].level, cid) for cid in rb.conclusions}
        self.derived = frozenset(
            cid for cid, rules in rb.rules_for.items()
            if all(r.rule.scope is not None for r in rules if not r.silent)
        )

        self.gives_topic = {
            cid: spec.topic for cid, spec in rb.conclusions.items()
            if spec.topic is not None and spec.modality is not Modality.NOT_AVAILABLE
        }

    def sort_key(self, c: Any) -> tuple[Any, ...]:
        """Results list conclusions by kind; within a kind, what stands on its own facts before
        what only follows from other conclusions (racketeering after the charges it rests on),
        then by role and id."""
        return (KIND_ORDER[c.kind], c.id in self.derived, c.role or "", c.id)

    def citations(self, rule_ids: tuple[str, ...]) -> list[Citation]:
        found = self._citations.get(rule_ids)
        if found is None:
            found = self._citations[rule_ids] = citations_for(
                self.rulebook, [self.rulebook.by_id[r] for r in rule_ids])
        return found

    def plan(self, prepared: Prepared, firings: Firings) -> Plan:
        """The plan of a prepared case from its firings."""
        return Plan(firings, tuple(
            self.assemble(PairView(self, prepared, firings, k).outcomes())
            for k in range(len(prepared.pairs))
        ))

    def assemble(self, outcomes: dict[str, Outcome]) -> PairPlan:
        """A pair's plan from the outcome of every conclusion."""
        conclusions, statuses, undetermined, not_applicable = [], [], [], []
        given = {self.gives_topic[c] for c, o in outcomes.items()
                 if o.status.holds and c in self.gives_topic}
        for cid in self.order:
            o = outcomes[cid]
            if o.status.holds:
                (statuses if o.item.kind is Kind.STATUS else conclusions).append(
                    (o.item, o.templates))
            elif o.item is not None:
                undetermined.append((o.item, o.templates))
            elif o.na is not None and (o.na[0].kind is not Kind.PROTECTION
                                       or self.rulebook.conclusions[cid].topic not in given):
                not_applicable.append(o.na)
        # an entry whose every reason is another entry of the list says nothing more
        listed = {na.id for na, _ in not_applicable}
        not_applicable = [(na, t) for na, t in not_applicable
                          if not all(r.conclusion in listed and not r.exception for r in t)]
        conclusions.sort(key=lambda t: self.sort_key(t[0]))
        statuses.sort(key=lambda t: self.status_rank[t[0].id])
        undetermined.sort(key=lambda t: self.sort_key(t[0]))
        not_applicable.sort(key=lambda t: self.sort_key(t[0]))
        counts: Counter[str] = Counter()
        bearing: dict[str, list[str]] = {}
        for u, _ in undetermined:
            for path in u.missing:
                counts[path] += 1
                bearing.setdefault(path, []).append(u.id)
        # a presumed fact, and the convictions where consequences wait on them, are worth
        # asking too: they bear on every conclusion that rests on them
        for c, _ in (*statuses, *conclusions):
            for path in (*c.presumed, *((CONVICTIONS,) if c.on_conviction else ())):
                counts[path] += 1
                bearing.setdefault(path, []).append(c.id)
        facts = self.rulebook.facts
        ask_next = tuple(
            construct(AskNext, fact=p, question=facts[p].question,
                      description=facts[p].description, settles=n, conclusions=bearing[p])
            for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return PairPlan(tuple(conclusions), tuple(statuses), tuple(undetermined),
                        tuple(not_applicable), ask_next)


class PairView:
    """One pair of a planned case: its facts' truths, the statuses of its conclusions, and the
    outcome of each (also what why-not reads)."""

    def __init__(self, planner: Planner, prepared: Prepared, firings: Firings, k: int) -> None:
        self.p = planner
        self.rb = planner.rulebook
        self.prepared = prepared
        self.firings = firings
        self.k = k
        self.pair_entity = f"p{k}"
        self.victim_entity = f"v{prepared.pair_victim[k]}"
        self.presumed = {path for path, _ in prepared.presumed}
        self._missing: dict[tuple[str, str], frozenset[str]] = {}
        self._presumed_memo: dict[tuple[str, str], frozenset[str]] = {}
        self._reasons: dict[tuple[str, str, int], tuple[ReasonT, ...]] = {}
        self._truths = {
            **{f"p{i}": pair.truths for i, pair in enumerate(prepared.pairs)},
            **{f"v{v}": prepared.pairs[prepared.pair_victim.index(v)].truths
               for v in set(prepared.pair_victim)},
        }

    # -- helpers -------------------------------------------------------------------------------

    def entity_of(self, cid: str) -> str:
        return self.victim_entity if self.rb.entity[cid] == VICTIM else self.pair_entity

    def _pair_index(self, entity: str) -> int:
        index = int(entity[1:])
        return self.prepared.pair_victim.index(index) if entity[0] == "v" else index

    def truth(self, atom: FactAtom, entity: str) -> bool | None:
        return self._truths[entity][self.p._index[atom]]

    def given(self, entity: str) -> dict[str, Any]:
        return self.prepared.pairs[self._pair_index(entity)].given

    def fired(self, cid: str, entity: str) -> list[Firing] | tuple[()]:
        return self.firings.by_instance.get((cid, entity), ())

    # -- outcomes ------------------------------------------------------------------------------

    def outcomes(self) -> dict[str, Outcome]:
        """The outcome of every conclusion for this pair."""
        out: dict[str, Outcome] = {}
        for cid in self.p.order:
            entity = self.entity_of(cid)
            status = status_of(self.firings, cid, entity)
            if status.holds:
                item, templates = self.conclusion(cid, entity, status)
                out[cid] = Outcome(status, item, templates)
            elif status is Status.DOES_NOT_APPLY:
                out[cid] = Outcome(status, na=self.not_applicable(cid, entity))
            else:
                item, paths = self.undetermined(cid, entity, status)
                out[cid] = Outcome(status, item, paths)
        return out

    def conclusion(self, cid: str, entity: str, status: Status
                   ) -> tuple[Conclusion, tuple[DerivationT, ...]]:
        spec = self.rb.conclusions[cid]
        certainties = self.firings.certainty
        definite = [f for f in self.fired(cid, entity) if f.mode is DEFINITE and not f.silent]
        fired = tuple(sorted({f.rule for f in definite}))
        certainty = certainties[(DEFINITE, cid, entity)]
        templates: dict[tuple[Any, ...], DerivationT] = {}
        applies_to: set[str] = set()
        hedged: set[str] = set()
        own_hedge = False
        conviction_pending = True
        for f in definite:
            rule = self.rb.by_id[f.rule]
            alt = self.p.alts[f.rule][f.alternative]
            matched_cert = [certainties[(DEFINITE, m, e)] for m, e in f.matched]
            cert = weakest([rule.certainty, *(c for c, w in zip(matched_cert, alt.weighed, strict=True) if w)])
            source = self._pair_index(f.entity)
            # a pair's firing other than this pair's own (only a case has several pairs)
            other = f.entity[0] == "p" and f.entity != self.pair_entity
            ids = tuple(m for m, _ in f.matched)
            templates.setdefault((f.rule, f.alternative, ids, source if other else None),
                                 (f.rule, f.alternative, cert, alt.paths, ids, other, source))
            own_hedge = own_hedge or rule.certainty is Certainty.MAY_APPLY
            for (m, _), scope, w, c in zip(f.matched, alt.scope, alt.weighed, matched_cert, strict=True):
                if scope:
                    applies_to.add(m)
                if w and c is Certainty.MAY_APPLY:
                    hedged.add(m)
            if conviction_pending:
                truths = self._truths[f.entity]
                if not any(a.path == CONVICTIONS and truths[i] is None for i, a in alt.facts):
                    conviction_pending = False
        item = construct(
            Conclusion, id=cid, kind=spec.kind, title=spec.title, status=status,
            certainty=certainty, rule=fired[0], role=spec.role, offense=spec.offense,
            penalty=spec.penalty, modality=spec.modality, deadline=spec.deadline, deadlines=[],
            topic=spec.topic, applies_to=sorted(applies_to), on_conviction=conviction_pending,
            presumed=sorted(self.presumed_in(cid, entity)),
            hedged_by=sorted(hedged) if certainty is Certainty.MAY_APPLY and not own_hedge
            else [],
            text=spec.text, citations=self.p.citations(fired), derivations=[],
        )
        pairs = self.prepared.pairs  # through other pairs: by their accused, not list order
        order = sorted(templates.values(),
                       key=lambda t: (t[0], t[1], t[4], t[5], str(pairs[t[6]].accused)))
        return item, tuple(order)

    def presumed_in(self, cid: str, entity: str) -> frozenset[str]:
        """The presumed facts every definite derivation of the instance rests on."""
        if not self.presumed:
            return frozenset()
        key = (cid, entity)
        if key in self._presumed_memo:
            return self._presumed_memo[key]
        self._presumed_memo[key] = frozenset()
        out: frozenset[str] | None = None
        for f in self.fired(cid, entity):
            if f.mode is not DEFINITE or f.silent:
                continue
            used = {a.path for _, a in self.p.alts[f.rule][f.alternative].facts
                    if a.path in self.presumed}
            for m in f.matched:
                used |= self.presumed_in(*m)
            out = frozenset(used) if out is None else out & used
        self._presumed_memo[key] = out or frozenset()
        return self._presumed_memo[key]

    def undetermined(self, cid: str, entity: str, status: Status
                     ) -> tuple[Undetermined, tuple[str, ...]]:
        spec = self.rb.conclusions[cid]
        fired_all = self.fired(cid, entity)
        definite_silent = [f for f in fired_all if f.mode is DEFINITE and f.silent]
        shown = (definite_silent if status is Status.SOURCE_SILENT
                 else [f for f in fired_all if f.mode is POSSIBLE])
        rules = tuple(sorted({f.rule for f in shown}))
        alts = self.p.alts
        applies_to = sorted({
            m for f in shown if alts[f.rule][f.alternative].scoped
            for (m, _), scope in zip(f.matched, alts[f.rule][f.alternative].scope, strict=True)
            if scope
        })
        notes = [self.rb.by_id[r].rule.note for r in rules if self.rb.by_id[r].rule.note]
        paths = tuple(sorted({p for f in definite_silent
                              for p in self.p.alts[f.rule][f.alternative].paths}))
        item = construct(
            Undetermined, id=cid, kind=spec.kind, title=spec.title, status=status,
            reason="source_silent" if status is Status.SOURCE_SILENT else "missing_facts",
            missing=sorted(self.missing(cid, entity)), rules=list(rules), role=spec.role,
            offense=spec.offense, applies_to=applies_to, text=spec.text,
            note=" ".join(dict.fromkeys(notes)) or None, facts={},
            citations=self.p.citations(rules),
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
        holds = self.firings.holds
        possible = [f for f in self.fired(cid, entity)
                    if f.mode is POSSIBLE and (rules is None or f.rule in rules)]
        # Where no decided rule can hold and the source's silence is certain, no fact decides
        # anything; otherwise every fact that could make a rule hold does (a decided one: it
        # applies; a silent one: the source does not say, rather than it does not apply).
        decided = [f for f in possible if not f.silent]
        if not decided and any(f.mode is DEFINITE and f.silent
                               for f in self.fired(cid, entity)):
            if rules is None:
                self._missing[key] = frozenset()
            return frozenset()
        certain = self.firings.certainty
        opens = [(f, [m for m in f.matched if (DEFINITE, *m) not in certain]) for f in possible]
        # Where one firing of a rule alternative matched only conclusions that already apply,
        # the other conclusions that alternative could match decide nothing: only its facts do.
        settled = {(f.rule, f.alternative) for f, open_matches in opens if not open_matches}
        for f, open_matches in opens:
            if open_matches and (f.rule, f.alternative) in settled:
                continue
            given = None
            truths = self._truths[f.entity]
            for i, path, computed_from in self.p.alts[f.rule][f.alternative].open:
                if truths[i] is not None:
                    continue
                if computed_from:
                    given = self.given(f.entity) if given is None else given
                    out.update(p for p in computed_from if p not in given)
                else:
                    out.add(path)
            for m in open_matches:
                out |= self.missing(*m)
            for u in self.rb.by_id[f.rule].rule.unless:
                ue = self.victim_entity if self.rb.entity[u] == VICTIM else f.entity
                if holds(POSSIBLE, u, ue) and not holds(DEFINITE, u, ue):
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
        # charges and consequences list only reasons on a fact, which have nothing below
        reasons = self.reasons(cid, entity, 2 if spec.kind is Kind.PROTECTION else 0)
        if spec.kind is Kind.CHARGE:
            # a charge is listed only where a threshold rules it out, and for that reason
            reasons = tuple(r for r in reasons if r.parameter is not None)
        elif spec.kind is Kind.CONSEQUENCE:
            # a consequence only where the convictions given rule it out
            reasons = tuple(r for r in reasons if r.fact == CONVICTIONS)
        if not reasons:
            return None
        item = construct(
            NotApplicable, id=cid, kind=spec.kind, title=spec.title,
            status=Status.DOES_NOT_APPLY, role=spec.role, offense=spec.offense, because=[],
        )
        return item, reasons

    def reasons(self, cid: str, entity: str, depth: int) -> tuple[ReasonT, ...]:
        """For each decided rule of a conclusion that does not apply, the condition that fails
        (one per alternative, the same condition once)."""
        key = (cid, entity, depth)
        found = self._reasons.get(key)
        if found is not None:
            return found
        out: dict[tuple[str, str | None], ReasonT] = {}
        victim = self.victim_entity
        for rule in self.rb.rules_for.get(cid, ()):
            if rule.silent:
                continue
            if rule.anchor == VICTIM or entity[0] == "p":
                anchors = [entity if rule.anchor != VICTIM else victim]
            else:  # every pair of the victim, by accused id: the order given changes nothing
                pairs = self.prepared.pairs
                anchors = [f"p{i}" for i in sorted(
                    (i for i, v in enumerate(self.prepared.pair_victim) if f"v{v}" == victim),
                    key=lambda i: (str(pairs[i].accused), i))]
            for anchor in anchors:
                for u in rule.rule.unless:
                    ue = victim if self.rb.entity[u] == VICTIM else anchor
                    if self.firings.holds(DEFINITE, u, ue):
                        out.setdefault((u, None), ReasonT(
                            rule.id, self.rb.conclusions[u].title, conclusion=u, exception=True))
                for n in range(len(rule.alternatives)):
                    reason = self.failing(rule, n, anchor, depth)
                    if reason is not None:
                        out.setdefault((reason.condition, reason.fact), reason)
        self._reasons[key] = tuple(out.values())
        return self._reasons[key]

    def failing(self, rule: LoadedRule, n: int, anchor: str, depth: int) -> ReasonT | None:
        """The first condition of alternative ``n`` of a rule that fails on the facts (a fact
        first)."""
        alt = self.p.alts[rule.id][n]
        truths = self._truths[anchor]
        for i, atom in alt.facts:
            if truths[i] is False:
                cites = ((self.p._param_cites[atom.param],) if atom.param in self.p._param_cites
                         else tuple(self.p.citations((rule.id,))[:1]))
                return ReasonT(rule.id, self.p.described[atom], atom.path, atom.param,
                               citations=cites, pair=self._pair_index(anchor))
        for atom, targets in zip(alt.conclusions, alt.targets, strict=True):
            instances = [(t, self.victim_entity if self.rb.entity[t] == VICTIM else anchor)
                         for t in targets]
            if not any(self.firings.holds(POSSIBLE, *i) for i in instances):
                if len(targets) == 1:
                    (target,), (instance,) = targets, instances
                    below = self.reasons(*instance, depth - 1) if depth > 0 else ()
                    return ReasonT(rule.id, self.rb.conclusions[target].title,
                                   conclusion=target, below=below)
                return ReasonT(rule.id, f"no {self.p.described[atom]} applies")
        return None


def fill_derivations(templates: tuple[DerivationT, ...], facts: list[dict[str, Any]],
                     accused: list[str | None]) -> list[Derivation]:
    """The derivations of a conclusion, with the values the rules read (``facts``: the
    effective facts of each pair of the case, by index; ``accused``: each pair's accused, named
    where a derivation came from another pair)."""
    return [
        construct(Derivation, rule=rule, alternative=alt, certainty=cert,
                  facts={p: facts[k].get(p) for p in paths}, conclusions=list(ids),
                  accused=accused[k] if other else None)
        for rule, alt, cert, paths, ids, other, k in templates
    ]


def fill_reasons(templates: tuple[ReasonT, ...], facts: list[dict[str, Any]]) -> list[Reason]:
    """The reasons a conclusion does not apply, with the values of the facts where each
    condition failed (``facts``: the effective facts of each pair of the case, by index)."""
    return [
        construct(Reason, rule=r.rule, condition=r.condition, fact=r.fact,
                  value=facts[r.pair].get(r.fact) if r.fact else None, parameter=r.parameter,
                  conclusion=r.conclusion, exception=r.exception,
                  because=fill_reasons(r.below, facts), citations=list(r.citations))
        for r in templates
    ]

