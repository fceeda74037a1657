"""What changes when the facts change: :func:`diff` compares two cases, :func:`flips` tries
single changes of one fact (a number across every threshold the rules use, a true/false fact
toggled, an unknown one set either way) and reports what each adds, removes or changes.

Both compare statuses as results state them (one vocabulary, :class:`~dmst.engine.result.Status`).
"""

from __future__ import annotations

import datetime as _dt
import difflib
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmst.engine._plan import KIND_ORDER
from dmst.engine.explain import check_rulebook
from dmst.engine.result import CaseResult, FactValue, Result, Stamp, Status
from dmst.errors import FactError, InputError, Problem
from dmst.facts.clock import today
from dmst.facts.model import Case, Scenario
from dmst.facts.paths import FACTS, FLIP_FACTS
from dmst.rules import Certainty, FactAtom, Kind, Modality, Rulebook

__all__ = [
    "FLIP_FACTS",
    "ConclusionDelta",
    "ConclusionState",
    "FactChange",
    "Flip",
    "FlipReport",
    "ScenarioDiff",
    "candidate_values",
    "diff",
    "diff_results",
    "facts_bearing_on",
    "flips",
    "pair_index",
    "with_fact",
]

Change = Literal["appears", "disappears", "changes", "becomes_undetermined",
                 "no_longer_undetermined"]
_OPEN = (Status.UNDETERMINED, Status.SOURCE_SILENT)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class FactChange(_Out):
    """A fact whose value differs between two cases (null: unknown)."""

    fact: str
    before: FactValue | None
    after: FactValue | None


class ConclusionState(_Out):
    """A conclusion's standing in one result."""

    status: Status
    certainty: Certainty | None = None
    applies_to: list[str] = Field(default_factory=list)
    modality: Modality | None = None


class ConclusionDelta(_Out):
    """A conclusion that appears, disappears or changes from one case to the other."""

    id: str
    kind: Kind
    title: str
    role: str | None = None
    accused: str | None = Field(None, description="In a case: the pair's accused.")
    victim: str | None = Field(None, description="In a case: the pair's victim.")
    change: Change
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
    """What changes from case A to case B, and why."""

    facts: list[FactChange] = Field(description="Every fact that differs.")
    changes: list[ConclusionDelta]
    stamp: Stamp | None = Field(None, description="What produced the results compared.")

    def appeared(self) -> list[str]:
        """Ids of the conclusions that apply in B but not in A."""
        return [c.id for c in self.changes if c.change == "appears"]

    def disappeared(self) -> list[str]:
        """Ids of the conclusions that apply in A but not in B."""
        return [c.id for c in self.changes if c.change == "disappears"]


class Flip(_Out):
    """One single-fact change of a case and what it does to the conclusions."""

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
    """Single-fact changes of a case and their effects."""

    stamp: Stamp | None = Field(None, description="What produced the results compared.")
    facts: dict[str, Any] = Field(description="The facts of the pair, by path.")
    accused: str | None = None
    victim: str | None = None
    flips: list[Flip]


# --- which facts bear on a conclusion ----------------------------------------------------------


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
                    out.update(rulebook.facts[atom.path].computed_from)
                else:
                    for t in rulebook.targets(atom):
                        out |= facts_bearing_on(rulebook, t, memo)
        for u in rule.rule.unless:
            out |= facts_bearing_on(rulebook, u, memo)
    memo[cid] = frozenset(out)
    return memo[cid]


# --- diff --------------------------------------------------------------------------------------


def _states(result: Result) -> dict[str, ConclusionState]:
    out: dict[str, ConclusionState] = {}
    for u in result.undetermined:
        out[u.id] = ConclusionState(status=u.status, applies_to=u.applies_to)
    for c in (*result.statuses, *result.conclusions):
        out[c.id] = ConclusionState(status=c.status, certainty=c.certainty,
                                    applies_to=c.applies_to, modality=c.modality)
    return out


def _change(before: ConclusionState, after: ConclusionState) -> Change | None:
    if before == after:
        return None
    if before.status is after.status and before.status in _OPEN:
        return None  # still open, for the same reason: which charges it would attach to is no news
    if before.status.holds and after.status.holds:
        return "changes"
    if after.status.holds:
        return "appears"
    if before.status.holds:
        return "disappears"
    if before.status in _OPEN and after.status in _OPEN:
        return "changes"
    return "becomes_undetermined" if after.status in _OPEN else "no_longer_undetermined"


_CHANGE_ORDER = {"appears": 0, "disappears": 1, "changes": 2, "becomes_undetermined": 3,
                 "no_longer_undetermined": 4}


def diff_results(rulebook: Rulebook, a: Result, b: Result, *, accused: str | None = None,
                 victim: str | None = None) -> ScenarioDiff:
    """What changes from result ``a`` to result ``b`` (both from ``rulebook``)."""
    check_rulebook(a, rulebook)
    check_rulebook(b, rulebook)
    changed_facts = [
        FactChange(fact=p, before=a.facts.get(p), after=b.facts.get(p))
        for p in sorted(set(a.facts) | set(b.facts)) if a.facts.get(p) != b.facts.get(p)
    ]
    sa, sb = _states(a), _states(b)
    absent = ConclusionState(status=Status.DOES_NOT_APPLY)
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
            id=cid, kind=spec.kind, title=spec.title, role=spec.role, accused=accused,
            victim=victim, change=change, before=before, after=after, differences=differences,
            because=[f for f in changed_facts if f.fact in bearing],
        ))
    deltas.sort(key=lambda d: (_CHANGE_ORDER[d.change], KIND_ORDER[d.kind], d.role or "", d.id))
    return ScenarioDiff(facts=changed_facts, changes=deltas, stamp=b.stamp)


def diff(engine: Any, a: Any, b: Any, *, presume: bool | None = None) -> ScenarioDiff:
    """Evaluate cases ``a`` and ``b`` (scenarios, cases or mappings of facts) and say what changes
    from one to the other, and why. Two cases are compared pair by pair (pairs matched by their
    accused and victim ids). ``presume=False`` evaluates both strictly. Raises
    :class:`~dmst.errors.FactError` for bad facts."""
    eng = engine if engine is not None else _default_engine()
    ra, rb = eng.evaluate(a, presume=presume), eng.evaluate(b, presume=presume)
    if isinstance(ra, Result) and isinstance(rb, Result):
        return diff_results(eng.rulebook, ra, rb)
    pairs_a, pairs_b = _pairs(ra), _pairs(rb)
    facts: dict[str, FactChange] = {}
    changes: list[ConclusionDelta] = []
    for key in sorted(set(pairs_a) | set(pairs_b), key=lambda k: (k[0] or "", k[1] or "")):
        left, right = pairs_a.get(key), pairs_b.get(key)
        blank = (left or right).model_copy(  # type: ignore[union-attr]
            update={"conclusions": [], "statuses": [], "undetermined": [], "facts": {}})
        d = diff_results(eng.rulebook, left or blank, right or blank, accused=key[0],
                         victim=key[1])
        for f in d.facts:
            facts.setdefault(f"{key[0]}|{key[1]}|{f.fact}", f)
        changes.extend(d.changes)
    return ScenarioDiff(facts=list(facts.values()), changes=changes, stamp=eng.stamp)


def _pairs(result: Result | CaseResult) -> dict[tuple[str | None, str | None], Result]:
    if isinstance(result, Result):
        return {(None, None): result}
    return {(p.accused, p.victim): p.result for p in result.pairs}


def _default_engine() -> Any:
    from dmst import default_engine

    return default_engine()


# --- changing one fact -------------------------------------------------------------------------


def pair_index(case: Scenario | Case, accused: str | None, victim: str | None) -> int:
    """The index of the pair of ``case`` with this accused and victim (for a scenario, 0).

    Raises :class:`~dmst.errors.InputError` when the case has several pairs and the two ids do
    not pick exactly one, listing the pairs, and when ids are given for a single scenario (whose
    accused and victim have none): an id that picks nothing is never ignored."""
    if isinstance(case, Scenario):
        if accused is not None or victim is not None:
            raise InputError(
                "the case is one victim and one accused, who have no ids: leave out the "
                "accused and victim ids (they choose a pair of a case of several people)",
                field="accused" if accused is not None else "victim")
        return 0
    for role, given, people in (("accused", accused, case.accused),
                                ("victim", victim, case.victims)):
        ids = [p.id for p in people]
        if given is not None and given not in ids:
            close = difflib.get_close_matches(given, ids, n=1)
            raise InputError(
                f"the case has no {role} '{given}'; its "
                f"{'accused' if role == 'accused' else 'victims'}: {', '.join(ids) or 'none'}",
                field=role,
                problems=(Problem(f"no {role} '{given}' in the case", field=role,
                                  suggestion=close[0] if close else None),))
    pairs = [(a, v) for a, v, _ in case.pairs()]
    chosen = [i for i, (a, v) in enumerate(pairs)
              if (accused is None or a == accused) and (victim is None or v == victim)]
    if len(chosen) == 1:
        return chosen[0]
    listing = ", ".join(f"{a or '(no accused)'}/{v}" for a, v in pairs)
    what = "no pair matches" if not chosen else "several pairs match"
    raise InputError(
        f"{what}: the case has the pairs {listing}; name one with the accused and victim ids",
        field="accused" if accused else "victim",
    )


def with_fact(case: Scenario | Case, k: int, path: str, value: Any) -> Scenario | Case:
    """The case with one fact of pair ``k`` set (``None``: made unknown). For a case, a fact of
    the victim (or the victim's compensation claim) changes that victim's entry, a fact of the
    accused that accused's entry, and the investigation and dates the case's.

    Raises :class:`~dmst.errors.InputError` for a path that is not a given fact, and
    :class:`~dmst.errors.FactError` when the change contradicts another fact."""
    spec = FACTS.get(path)
    if spec is None:
        raise InputError(f"'{path}' is not a fact that can be set", field=path)
    data = case.model_dump(mode="json", exclude_none=True)
    group, *rest = path.split(".")
    node: dict[str, Any] = data
    if isinstance(case, Case):
        accused_id, victim_id, _ = case.pairs()[k]
        if group in ("victim", "compensation"):
            node = next(v for v in data["victims"] if v["id"] == victim_id)
            if group == "compensation":
                node = node.setdefault("compensation", {})
        elif group == "accused":
            if accused_id is None:
                raise InputError(f"this pair has no accused whose '{path}' could be set",
                                 field=path)
            node = next(a for a in data["accused"] if a["id"] == accused_id)
        else:
            node = data.setdefault(group, {})
    else:
        node = data.setdefault(group, {})
    *parents, leaf = rest
    for p in parents:
        node = node.setdefault(p, {})
    if value is None:
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return type(case).parse(data)  # type: ignore[no-any-return]


def _cuts(rulebook: Rulebook, path: str) -> list[float]:
    """The values at which a numeric condition on ``path`` changes truth (the first value of each
    new band): ``lt 14`` / ``ge 14`` cut at 14; ``le 14`` / ``gt 14`` at 15."""
    cuts: set[float] = set()
    for a in rulebook.atoms:
        if a.path == path and a.op in ("lt", "ge"):
            cuts.add(a.value)
        elif a.path == path and a.op in ("le", "gt"):
            cuts.add(a.value + 1)
    return sorted(cuts)


def int_candidates(rulebook: Rulebook, path: str, current: Any) -> list[tuple[int, float | None]]:
    """Whole numbers on the other side of each threshold from ``current`` (every side when it is
    unknown or a range), with the threshold crossed."""
    spec = FACTS[path]
    lo = int(spec.minimum) if spec.minimum is not None else None
    hi = int(spec.maximum) if spec.maximum is not None else None
    out: dict[int, float | None] = {}
    for cut in _cuts(rulebook, path):
        below, above = int(cut) - 1, int(cut)
        if isinstance(current, int) and not isinstance(current, bool):
            choices = [above] if current < cut else [below]
        else:
            choices = [below, above]
        for v in choices:
            if (lo is None or v >= lo) and (hi is None or v <= hi) and v != current:
                out.setdefault(v, cut)
    return sorted(out.items())


def _add_months(start: _dt.date, months: int) -> _dt.date:
    year, month = divmod(start.month - 1 + months, 12)
    return _dt.date(start.year + year, month + 1, min(start.day, 28))


def candidate_values(rulebook: Rulebook, path: str, facts: Mapping[str, Any]) -> list[Any]:
    """Values of a fact that fall on each side of every condition the rules test it with.

    True and false for a true/false fact; for a number or an age, the values on each side of
    each threshold; each choice for a choice fact; each single choice, and none, for a list;
    for a date that feeds a computed delay, dates a month either side of each threshold of it
    (when the other date is known). Used to find what decides an undetermined conclusion and to
    try single-fact changes.
    """
    spec = FACTS.get(path)
    if spec is None:
        return []
    current = facts.get(path)
    if spec.kind == "bool":
        return [v for v in (True, False) if v != current]
    if spec.kind in ("int", "age"):
        return [v for v, _ in int_candidates(rulebook, path, current)]
    if spec.kind == "set":
        options: list[list[str]] = [[c] for c in spec.choices] + [[]]
        return [o for o in options if o != current]
    if spec.kind == "choice":
        return [c for c in spec.choices if c != current]
    return _date_candidates(rulebook, path, facts)


def _date_candidates(rulebook: Rulebook, path: str, facts: Mapping[str, Any]) -> list[Any]:
    thresholds = rulebook.thresholds()
    out: list[Any] = []
    for computed, c in rulebook.meta.computed.items():
        if path not in c.args:
            continue
        start_path, end_path = c.args
        other = facts.get(end_path if path == start_path else start_path)
        if other is None:
            continue
        anchor = _dt.date.fromisoformat(str(other))
        for threshold in thresholds.get(computed, ()):
            for months in (int(threshold) - 1, int(threshold) + 1):
                value = _add_months(anchor, months if path == end_path else -months)
                if value <= today() and value.isoformat() not in out:
                    out.append(value.isoformat())
    return out


def flips(engine: Any, case: Any, facts: Sequence[str] = FLIP_FACTS, *,
          accused: str | None = None, victim: str | None = None,
          presume: bool | None = None) -> FlipReport:
    """Try single changes of each fact in ``facts`` for one pair of ``case`` and report what
    each adds or removes in that pair's result.

    A number moves across each threshold the rules compare it with (to the nearest value on the
    other side; an unknown one takes the values on each side of every threshold); a true/false
    fact is toggled (an unknown one set to true and to false). A change that would contradict
    another fact is listed as skipped. Raises :class:`~dmst.errors.InputError` for a fact that
    is not a true/false or whole-number fact, or a pair that is not in the case.
    ``presume=False`` evaluates strictly (no presumption), the changed cases too.
    """
    from dmst.engine._engine import as_case

    eng = engine if engine is not None else _default_engine()
    rb = eng.rulebook
    model = as_case(case)
    k = pair_index(model, accused, victim)
    base = _pair_result(eng.evaluate(model, presume=presume), k)
    out: list[Flip] = []
    for path in facts:
        spec = FACTS.get(path)
        if spec is None or spec.kind not in ("bool", "int", "age"):
            close = difflib.get_close_matches(path, list(FACTS), n=1)
            raise InputError(
                "flips change true/false and whole-number facts only",
                field=path,
                problems=(Problem(message="is not a true/false or whole-number fact",
                                  field=path, suggestion=close[0] if close and close[0] != path
                                  else None),),
            )
        current = base.facts.get(path)
        tries: list[tuple[Any, float | None]]
        if spec.kind == "bool":
            tries = [(v, None) for v in candidate_values(rb, path, base.facts)]
        else:
            tries = list(int_candidates(rb, path, current))
        for value, threshold in tries:
            try:
                changed = with_fact(model, k, path, value)
            except FactError as exc:
                out.append(Flip(fact=path, before=current, after=value, threshold=threshold,
                                skipped="; ".join(p.message for p in exc.problems)
                                or exc.message))
                continue
            after = _pair_result(eng.evaluate(changed, presume=presume), k)
            out.append(Flip(fact=path, before=current, after=value, threshold=threshold,
                            changes=diff_results(rb, base, after).changes))
    pair = model.pairs()[k] if isinstance(model, Case) else (None, None, None)
    return FlipReport(stamp=base.stamp, facts=base.facts, accused=pair[0], victim=pair[1],
                      flips=out)


def _pair_result(result: Result | CaseResult, k: int) -> Result:
    return result if isinstance(result, Result) else result.pairs[k].result
