"""The engine: a rulebook compiled once, evaluating cases into cited results."""

from __future__ import annotations

import calendar
import datetime as _dt
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from dmst._version import DURABLE_RULES_VERSION, __version__
from dmst.engine._durable import CompiledRuleset
from dmst.engine._firings import Firings
from dmst.engine._plan import (
    Plan,
    Planner,
    fill_derivations,
    fill_reasons,
)
from dmst.engine._prepare import Prepared, prepare
from dmst.engine._reference import evaluate_reference
from dmst.engine.result import (
    AccusedSummary,
    CaseResult,
    ChargeSummary,
    Deadline,
    PairResult,
    Presumption,
    Result,
    Stamp,
    VictimSummary,
    Warning,
    construct,
    copy_with,
    replace,
)
from dmst.errors import EvaluationError, FactError, Problem, RulebookError
from dmst.facts.model import Case, Scenario, is_case_shape
from dmst.facts.paths import expand_dotted
from dmst.rules import Kind, Rulebook, load_rulebook
from dmst.rules._loader import resolve_condition

__all__ = ["Engine", "as_case"]

_PLACEHOLDER = re.compile(r"\{([a-z_.]+)\}")
#: JSON as pydantic writes it (no spaces, UTF-8 kept).
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class Engine:
    """Evaluates cases against a rulebook.

    The rulebook is loaded and checked, then compiled into durable_rules once, when the engine is
    made. Each evaluation runs in its own durable_rules session, deleted afterwards: nothing
    survives from one evaluation to the next. An engine is safe to share between threads.

    Cases with the same *legal signature* (the truth value of every fact condition of the
    rulebook, pair by pair) fire the same rules and give results of the same shape, so the engine
    keeps the plans of recent signatures and skips the rule network for a repeat: at most
    ``cache_size`` of them, and at most about ``cache_bytes`` bytes of memory (a plan's size is
    estimated from the entries it holds: a single scenario's is some 100-200 KB). ``cache_size=0``
    turns the cache off. ``presume`` is the default for :meth:`evaluate`.
    """

    def __init__(self, rulebook: Rulebook | None = None, *, cache_size: int = 1024,
                 cache_bytes: int = 64 << 20,
                 presume: bool = True) -> None:
        shipped = rulebook is None
        self.rulebook = rulebook if rulebook is not None else load_rulebook()
        self.presume = presume
        self._compiled = CompiledRuleset(self.rulebook)
        self._cache: OrderedDict[tuple[Any, ...], tuple[Plan, int]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_bytes = cache_bytes
        self._cache_used = 0
        self._cache_lock = threading.Lock()
        self.stamp = self._stamp()
        self._planner = Planner(self.rulebook, self.stamp)
        meta = self.rulebook.meta
        self._warnings = [(w, resolve_condition(w.when, meta)) for w in meta.warnings]
        self._presumptions = {
            p.fact: Presumption(fact=p.fact, value=p.value, reason=p.reason,
                                citations=_cites(self.rulebook, p.cites))
            for p in meta.presumptions
        }
        self._conduct_of = _conduct_by_offense(self.rulebook)
        if not shipped:  # the shipped rulebook's capacity is checked by its tests
            self.check_capacity()

    def _stamp(self) -> Stamp:
        meta = self.rulebook.meta
        src = meta.source
        as_of = src.get("as_of", {})
        return Stamp(
            rulebook={"id": meta.id, "version": meta.version,
                      "fingerprint": self.rulebook.fingerprint},
            source={"title": str(src.get("title", "")), "publisher": str(src.get("publisher", "")),
                    "edition": str(src.get("edition", "")), "url": str(src.get("url", ""))},
            as_of={"from": str(as_of.get("from", "")), "until": str(as_of.get("until", "")),
                   "note": str(as_of.get("note", ""))},
            engine={"dmst": __version__, "durable_rules": DURABLE_RULES_VERSION},
            notice=meta.notice,
        )

    def check_capacity(self) -> None:
        """Refuse a rulebook too large for durable_rules, now rather than on some case later
        (done when an engine is made with a rulebook of its own). Raises
        :class:`~dmst.errors.RulebookError` naming the limit.

        When a fact reaches many conditions at once (a conclusion many rules read, a pair fact
        with most facts unknown), durable_rules' alpha network can need more than the 64 nodes
        of its work stack (error 303). The two cases that reach the most conditions, nothing
        known and everything true, are evaluated once here.
        """
        for facts in ({}, _everything_true(self.rulebook)):
            try:
                self.firings(self.prepare(facts, presume=False))
            except EvaluationError as exc:
                if "303" not in str(exc):
                    raise
                raise RulebookError(
                    f"the rulebook ({len(self.rulebook.rules)} rules) is too large for "
                    "durable_rules: a fact reaches more conditions at once than the 64 nodes of "
                    "its alpha network's work stack (error 303); the shipped rulebook is well "
                    "within this, and so is one six times its size") from None

    # -- evaluation --------------------------------------------------------------------------

    def prepare(self, case: Any, presume: bool | None = None) -> Prepared:
        """The case's pairs, facts and signature (see :mod:`dmst.engine._prepare`); raises
        :class:`~dmst.errors.FactError` for bad facts or a conviction its conduct contradicts."""
        model = as_case(case)
        prepared = prepare(self.rulebook, model, self.presume if presume is None else presume)
        self._check_convictions(prepared)
        return prepared

    def firings(self, prepared: Prepared) -> Firings:
        """The rule firings of a prepared case, through durable_rules (never cached)."""
        return self._compiled.run(prepared)

    def plan(self, prepared: Prepared) -> Plan:
        """The plan (recorded proof and result shapes) of a prepared case, from the cache (bounded)
        when its legal signature was met before."""
        key = prepared.key
        if self._cache_size:
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit[0]
        plan = self._planner.plan(prepared, self.firings(prepared))
        with self._cache_lock:
            self._keep(key, plan)
        return plan

    def _keep(self, key: tuple[Any, ...], plan: Plan) -> None:
        if not self._cache_size:
            return
        size = _plan_bytes(plan)
        if size > self._cache_bytes:
            return
        old = self._cache.pop(key, None)
        if old is not None:
            self._cache_used -= old[1]
        self._cache[key] = (plan, size)
        self._cache_used += size
        while len(self._cache) > self._cache_size or self._cache_used > self._cache_bytes:
            _, (_, dropped) = self._cache.popitem(last=False)
            self._cache_used -= dropped

    def evaluate(self, case: Any, *, presume: bool | None = None) -> Any:
        """Evaluate a scenario or a case: a :class:`Result` for a :class:`Scenario` (one accused,
        one victim), a :class:`CaseResult` for a :class:`Case`. Mappings of facts are read as
        either shape (dotted keys allowed). ``presume=False`` (strict) makes no presumption.

        Raises :class:`~dmst.errors.FactError` for facts that are not valid, and
        :class:`~dmst.errors.EvaluationError` if the rule network fails.
        """
        prepared = self.prepare(case, presume)
        return self._results(prepared, self.plan(prepared), as_case(case))

    def evaluate_file(self, case: Any, *, presume: bool | None = None) -> Any:
        """Evaluate a scenario file (:class:`~dmst.facts.load.CaseFile`): its case id and title
        go into a case's result."""
        return self._evaluate_file(case, presume, shared=False)

    def _evaluate_file(self, case: Any, presume: bool | None, shared: bool) -> Any:
        model = as_case(case)
        prepared = self.prepare(model, presume)
        plan = self.plan(prepared)
        if isinstance(model, Scenario):
            return self.pair_result(prepared, plan, 0, shared=shared)
        return self.case_result(prepared, plan, model, getattr(case, "case_id", None),
                                getattr(case, "title", None), shared=shared)

    def result_json(self, case: Any, *, presume: bool | None = None) -> bytes:
        """The JSON of :meth:`evaluate_file`, as ``model_dump_json()`` writes it (UTF-8)."""
        return self._evaluate_file(case, presume, shared=True).model_dump_json().encode()

    def lean_json(self, case: Any, *, presume: bool | None = None) -> bytes:
        """The lean form of :meth:`evaluate_file`'s result, as compact JSON (UTF-8): for each
        conclusion its id, kind, status, certainty, penalty, the charges it attaches to, whether
        it waits on a conviction, the facts presumed, deadlines and the ids of the rules it rests
        on (their quotes are in ``dmst rules --format json``); for each undetermined conclusion
        the facts that would decide it; the ids of what does not apply and of the victim's
        statuses; presumptions made and warnings by code. A case gives this for every pair.
        Raises as :meth:`evaluate` does."""
        model = as_case(case)
        prepared = self.prepare(model, presume)
        plan = self.plan(prepared)
        doc: dict[str, Any] = {"rulebook": self.rulebook.fingerprint}
        case_id = getattr(case, "case_id", None)
        if case_id is not None:
            doc["case_id"] = case_id
        if isinstance(model, Scenario):
            doc.update(self._lean_pair(prepared, plan, 0))
        else:
            doc["pairs"] = [{"accused": pair.accused, "victim": str(pair.victim),
                             **self._lean_pair(prepared, plan, k)}
                            for k, pair in enumerate(prepared.pairs)]
        return _COMPACT(doc).encode()

    def _lean_pair(self, prepared: Prepared, plan: Plan, k: int) -> dict[str, Any]:
        pp = plan.pairs[k]
        pair = prepared.pairs[k]
        deadlines = self.deadlines(pair.effective.get("dates.offense"))
        conclusions = []
        for c, templates in pp.conclusions:
            entry: dict[str, Any] = {"id": c.id, "kind": c.kind.value, "status": c.status.value,
                                     "certainty": c.certainty.value}
            if c.penalty is not None:
                entry["penalty"] = c.penalty.model_dump(mode="json", exclude_none=True)
            if c.applies_to:
                entry["applies_to"] = c.applies_to
            if c.on_conviction:
                entry["on_conviction"] = True
            if c.presumed:
                entry["presumed"] = c.presumed
            if c.id in deadlines:
                entry["deadlines"] = [d.date for d in deadlines[c.id]]
            entry["rules"] = sorted({t[0] for t in templates})
            conclusions.append(entry)
        return {
            "conclusions": conclusions,
            "statuses": [c.id for c, _ in pp.statuses],
            "undetermined": [{"id": u.id, "status": u.status.value, "missing": u.missing,
                              "rules": u.rules} for u, _ in pp.undetermined],
            "not_applicable": [na.id for na, _ in pp.not_applicable],
            "presumptions": [f for f, _ in prepared.presumed],
            "warnings": [w.code for w in self.warnings_for(pair.effective, pair.given)],
        }

    def evaluate_reference(self, case: Any, *, presume: bool | None = None) -> Any:
        """The same evaluation through the pure-Python reference evaluator (an oracle)."""
        prepared = self.prepare(case, presume)
        plan = self._planner.plan(prepared, evaluate_reference(self.rulebook, prepared))
        return self._results(prepared, plan, as_case(case))

    # -- results -----------------------------------------------------------------------------

    def pair_result(self, prepared: Prepared, plan: Plan, k: int, *,
                    shared: bool = False) -> Result:
        """The result of pair ``k`` of a planned case. ``shared``: the result may share lists
        with the cached plan (for a result that is written out at once and dropped: it must not
        be changed)."""
        pp = plan.pairs[k]
        pair = prepared.pairs[k]
        effective = pair.effective
        shown = {p: v for p, v in effective.items()
                 if p in pair.given or p in self.rulebook.meta.computed}
        deadlines = self.deadlines(effective.get("dates.offense"))
        read = ([p.effective for p in prepared.pairs], [p.accused for p in prepared.pairs])
        copy = replace if shared else copy_with
        return construct(
            Result,
            conclusions=[_filled(c, t, read, deadlines, copy) for c, t in pp.conclusions],
            statuses=[_filled(c, t, read, deadlines, copy) for c, t in pp.statuses],
            undetermined=[
                copy(u, facts={p: effective.get(p) for p in paths}) if paths
                else u if shared else copy_with(u)
                for u, paths in pp.undetermined
            ],
            not_applicable=[copy(na, because=fill_reasons(t, read[0]))
                            for na, t in pp.not_applicable],
            ask_next=list(pp.ask_next) if shared else [copy_with(a) for a in pp.ask_next],
            presumptions=[self._presumptions[f] if shared else copy_with(self._presumptions[f])
                          for f, _ in prepared.presumed],
            warnings=self.warnings_for(effective, pair.given),
            facts=shown,
            stamp=self.stamp if shared else copy_with(self.stamp),
        )

    def deadlines(self, offense: str | None) -> dict[str, list[Deadline]]:
        """The dates of each conclusion's deadlines, counted from the offense date."""
        if offense is None:
            return {}
        start = _dt.date.fromisoformat(offense)
        out: dict[str, list[Deadline]] = {}
        for cid, spec in self.rulebook.conclusions.items():
            for name in spec.deadline_after or ():
                p = self.rulebook.parameter(name)
                out.setdefault(cid, []).append(Deadline(
                    date=_add_months(start, p.value).isoformat(), months=p.value,
                    parameter=name, description=p.description))
        return out

    def _results(self, prepared: Prepared, plan: Plan, model: Scenario | Case) -> Any:
        if isinstance(model, Scenario):
            return self.pair_result(prepared, plan, 0)
        return self.case_result(prepared, plan, model)

    def case_result(self, prepared: Prepared, plan: Plan, case: Case,
                    case_id: str | None = None, title: str | None = None, *,
                    shared: bool = False) -> CaseResult:
        """The result of a planned case: each pair's, and the summaries by victim and accused
        (``shared``: as for :meth:`pair_result`)."""
        pairs = [PairResult(accused=p.accused, victim=str(p.victim),
                            result=self.pair_result(prepared, plan, k, shared=shared))
                 for k, p in enumerate(prepared.pairs)]
        victims = []
        for j, vid in enumerate(prepared.victims):
            r = pairs[prepared.pair_victim.index(j)].result
            about_victim = {c for c, e in self.rulebook.entity.items() if e == "victim"}
            victims.append(VictimSummary(
                id=str(vid), statuses=[s.id for s in r.statuses],
                conclusions=[c for c in r.conclusions if c.id in about_victim],
                undetermined=[u for u in r.undetermined if u.id in about_victim],
                not_applicable=[n for n in r.not_applicable if n.id in about_victim],
            ))
        accused = []
        for a in case.accused:
            charges: dict[str, dict[str, Any]] = {}
            for p in pairs:
                if p.accused != a.id:
                    continue
                for c in (*p.result.conclusions, *p.result.undetermined):
                    if c.kind is not Kind.CHARGE:
                        continue
                    entry = charges.setdefault(c.id, {
                        "id": c.id, "title": c.title, "offense": c.offense,
                        "penalty": getattr(c, "penalty", None)
                        or self.rulebook.conclusions[c.id].penalty, "victims": {},
                    })
                    entry["victims"][p.victim] = c.status
            accused.append(AccusedSummary(
                id=a.id, roles=sorted(r.value for r in a.roles) if a.roles is not None else None,
                charges=[ChargeSummary(**charges[k]) for k in sorted(charges)],
                charged_with=_values(a.charged_with), convicted_of=_values(a.convicted_of),
            ))
        seen: dict[tuple[str, str], Warning] = {}
        for p in pairs:
            for w in p.result.warnings:
                seen.setdefault((w.code, w.message), w)
        return CaseResult(
            case_id=case_id, title=title, pairs=pairs, victims=victims, accused=accused,
            presumptions=[self._presumptions[f] if shared else copy_with(self._presumptions[f])
                          for f, _ in prepared.presumed],
            warnings=list(seen.values()), stamp=self.stamp if shared else copy_with(self.stamp),
        )

    def warnings_for(self, effective: dict[str, Any], given: dict[str, Any]) -> list[Warning]:
        """The rulebook's warnings whose condition holds on these facts."""
        out: list[Warning] = []
        as_of = self.stamp.as_of
        for spec, atom in self._warnings:
            facts = given if atom.op == "unknown" else effective
            if atom.test(facts) is True:
                def value(m: re.Match[str]) -> str:
                    name = m.group(1)
                    if name.startswith("as_of."):
                        return as_of.get(name[6:], "")
                    v = effective.get(name)
                    return str(v) if not isinstance(v, dict) else \
                        f"{v.get('min', '')}\u2013{v.get('max', '')}"
                out.append(Warning(code=spec.code,
                                   message=_PLACEHOLDER.sub(value, " ".join(spec.message.split()))))
        return out

    # -- checks ------------------------------------------------------------------------------

    def _check_convictions(self, prepared: Prepared) -> None:
        """A conviction of an offense whose every form of conduct is given as false cannot be."""
        order = list(dict.fromkeys(p.accused for p in prepared.pairs))
        for pair in prepared.pairs:
            convicted = pair.given.get("accused.convicted_of") or ()
            for offense in convicted:
                forms = self._conduct_of.get(offense)
                if not forms:
                    continue
                refuted = [next((p for p in form if pair.given.get(p) is False), None)
                           for form in forms]
                if all(refuted):
                    who = f"accused '{pair.accused}': " if pair.accused else ""
                    # named from the scenario document down, as every other fact error
                    field = ("facts.accused.convicted_of" if pair.accused is None else
                             f"facts.accused.{order.index(pair.accused)}.convicted_of")
                    fields = sorted({p for p in refuted if p})
                    raise FactError(
                        f"{who}accused.convicted_of lists '{offense}', but "
                        f"{', '.join(fields)} {'is' if len(fields) == 1 else 'are'} false: a "
                        "conviction needs the conduct; correct one of them",
                        field=field,
                        problems=(Problem(
                            message=f"lists '{offense}', which {', '.join(fields)} = false "
                            "contradicts", field=field),),
                    )


def _everything_true(rulebook: Rulebook) -> dict[str, Any]:
    """A valid scenario with every true/false fact true, every list full and a minor's age:
    the case whose facts reach the most conditions at once."""
    out: dict[str, Any] = {}
    for path, spec in rulebook.facts.items():
        if spec.computed_from:
            continue
        if spec.kind == "bool":
            out[path] = True
        elif spec.kind == "set":
            out[path] = list(spec.choices)
        elif spec.kind == "choice":
            out[path] = spec.choices[0]
        elif spec.kind == "age":
            out[path] = 15
    return out


#: Bytes a plan holds for each entry of its results and each firing of its proof: measured
#: (with tracemalloc) at 1.0-2.9 KB an entry with its citations and reasons, firings included.
_ENTRY_BYTES = 3 << 10
_FIRING_BYTES = 256


def _plan_bytes(plan: Plan) -> int:
    """About how many bytes of memory ``plan`` holds (an estimate on the high side)."""
    entries = sum(len(p.conclusions) + len(p.statuses) + len(p.undetermined)
                  + len(p.not_applicable) + len(p.ask_next) for p in plan.pairs)
    firings = sum(len(f) for f in plan.firings.by_instance.values())
    return entries * _ENTRY_BYTES + firings * _FIRING_BYTES


def _filled(item: Any, templates: Any, read: tuple[list[dict[str, Any]], list[str | None]],
            deadlines: dict[str, list[Deadline]], copy: Any = copy_with) -> Any:
    if item.id in deadlines:
        return copy(item, derivations=fill_derivations(templates, *read),
                    deadlines=deadlines[item.id])
    return copy(item, derivations=fill_derivations(templates, *read))


def _add_months(start: _dt.date, months: int) -> _dt.date:
    """The same day ``months`` later (the month's last day where it has no such day)."""
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    last = calendar.monthrange(year, month + 1)[1]
    return _dt.date(year, month + 1, min(start.day, last))


def _values(items: Any) -> list[str] | None:
    """Offense or role names, sorted (the order given says nothing)."""
    return None if items is None else sorted(getattr(i, "value", i) for i in items)


def _cites(rulebook: Rulebook, cites: Any) -> list[Any]:
    from dmst.engine._plan import _citation

    return [_citation(rulebook, c.quote, c.section or rulebook.meta.areas[0], c.statute)
            for c in cites]


def _conduct_by_offense(rulebook: Rulebook) -> dict[str, list[tuple[str, ...]]]:
    """For each offense, the forms of conduct its charge rules require: per alternative, the
    conduct facts that must be true (alternatives needing no conduct make the list empty)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for cid, spec in rulebook.conclusions.items():
        if spec.kind is not Kind.CHARGE or spec.offense is None:
            continue
        for rule in rulebook.rules_for[cid]:
            if rule.silent:
                continue
            for alt in rule.alternatives:
                form = tuple(a.path for a in alt if getattr(a, "path", "").startswith(
                    "accused.conduct.") and a.op == "is" and a.value is True)
                out.setdefault(spec.offense, []).append(form)
    return {o: forms for o, forms in out.items() if all(forms)}


def as_case(case: Any) -> Scenario | Case:
    """A :class:`Scenario` or :class:`Case` from a model or a mapping of facts (dotted keys
    allowed); bad facts raise :class:`~dmst.errors.FactError`."""
    if isinstance(case, (Scenario, Case)):
        return case
    facts = getattr(case, "facts", None)
    if isinstance(facts, (Scenario, Case)):
        return facts
    if not isinstance(case, Mapping):
        raise FactError(
            f"facts must be a mapping of fact groups (victim, accused, ...), not "
            f"{type(case).__name__}"
        )
    data = expand_dotted(case, "facts.")
    model = Case if is_case_shape(data) else Scenario
    return model.parse(data)  # type: ignore[no-any-return]
