"""Hypothesis strategies for scenarios, built from the fact model and the rulebook's own numbers.

Nothing here lists facts by hand. The facts a scenario can hold, their kinds, choices and bounds
come from ``FACTS`` (which is read off the pydantic :class:`Scenario`); the values worth trying on
either side of a threshold come from ``rulebook.thresholds()``. A fact added to the model, or a
threshold added to a rule, is generated without touching this module.

Scenarios are built as *flat fact maps* (fact path to plain value, unknown facts absent) and turned
into nested mappings or :class:`Scenario` objects at the edge, so that tests can drop, replace and
reorder facts freely.

The model refuses a scenario whose facts of one kind are out of the order in which their fields are
declared (the victim's age after the age at testimony, the claim filed before the offense), and the
engine refuses a conviction every form of whose conduct is given as false: the generators keep each
such chain in order, and convictions consistent with the conduct, rather than filter scenarios out.

Cases of several people (:func:`case_specs`) are built from the same flat fact maps, split into the
victims' facts, the accused's facts and the case's own (investigation, dates).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st
from pydantic import ValidationError

from dmst import Scenario
from dmst.engine._engine import _conduct_by_offense
from dmst.engine._prepare import effective_facts
from dmst.facts.clock import today
from dmst.facts.model import CONTROLLING_CONDUCT, MAX_AGE
from dmst.facts.paths import FACTS, FactSpec, nest
from dmst.rules import FactAtom, LoadedRule, Rulebook, load_rulebook

__all__ = [
    "CHAINS",
    "COMPUTED",
    "CONDUCT_OF",
    "CONVICTIONS",
    "GIVEN",
    "RULEBOOK",
    "THRESHOLDS",
    "CaseSpec",
    "aimed_at",
    "aimed_at_one_of",
    "at_every_threshold",
    "batches",
    "boundary_values",
    "case_mapping",
    "case_of_one_pair",
    "case_specs",
    "complete_maps",
    "completions",
    "computed_ends",
    "computed_value",
    "consistent",
    "crossing",
    "effective",
    "fact_maps",
    "fit",
    "nest",
    "refinements",
    "refuted_convictions",
    "reordered",
    "scenario_maps",
    "split",
    "to_scenario",
    "valid",
    "values",
]

RULEBOOK: Rulebook = load_rulebook()
#: The facts a case file can give, by path (computed facts are derived from these).
GIVEN: dict[str, FactSpec] = dict(FACTS)
#: Facts computed from given ones (the compensation filing delay), as the rulebook declares them.
COMPUTED: dict[str, FactSpec] = {p: s for p, s in RULEBOOK.facts.items() if s.computed_from}
#: Every number a rule compares a fact with, by fact path.
THRESHOLDS: dict[str, tuple[float, ...]] = RULEBOOK.thresholds()

#: The convictions given, and for each offense the forms of conduct its charge rules need (per
#: alternative, the conduct facts that must be true): the engine's own reading of the rulebook.
CONVICTIONS = "accused.convicted_of"
CONTROL, TRAFFICKED = "victim.third_party_control", "accused.conduct.trafficked_for_sex"
ROLES = "accused.roles"


def _controlling(flat: Mapping[str, Any]) -> list[str]:
    """The facts given true that mean a third party controls the victim (see the model's
    contradiction between them and ``victim.third_party_control: false``)."""
    out = [f"accused.conduct.{c}" for c in CONTROLLING_CONDUCT
           if flat.get(f"accused.conduct.{c}") is True]
    if flat.get("accused.conduct.promoted_prostitution") is True and \
            "trafficker" in (flat.get("accused.roles") or ()):
        out.append("accused.conduct.promoted_prostitution")
    return out


CONDUCT_OF: dict[str, list[tuple[str, ...]]] = _conduct_by_offense(RULEBOOK)

EARLIEST = dt.date(2000, 1, 1)
TODAY = today()

#: Facts of one ordered kind, in declaration order: the model wants their values in that order
#: (the age at trial is not below the age at the offense; a claim is not filed before the crime).
CHAINS: tuple[tuple[str, ...], ...] = tuple(
    chain
    for chain in (
        tuple(p for p, s in GIVEN.items() if s.kind == kind) for kind in ("age", "date")
    )
    if len(chain) > 1
)


def _low_high(value: Any) -> tuple[Any, Any]:
    """The lowest and highest a fact value can be (an age range spans its bounds)."""
    if isinstance(value, dict):
        return value.get("min", 0), value.get("max", MAX_AGE)
    return value, value


# --- building scenarios from flat fact maps ----------------------------------------------------


def to_scenario(flat: Mapping[str, Any]) -> Scenario:
    """The :class:`Scenario` for a flat fact map (raises if the model refuses it)."""
    return Scenario.model_validate(nest(flat))


def valid(flat: Mapping[str, Any]) -> bool:
    """Whether the model accepts these facts together, and the engine the convictions given."""
    try:
        to_scenario(flat)
    except ValidationError:
        return False
    return not refuted_convictions(flat)


def effective(flat: Mapping[str, Any], presume: bool = True) -> dict[str, Any]:
    """The facts the rules read for these given facts (presumptions, computed facts, lower
    bounds), as the engine works them out."""
    from dmst.facts.paths import flatten

    return effective_facts(RULEBOOK, flatten(to_scenario(flat)), presume)[0]


def refuted_convictions(flat: Mapping[str, Any]) -> list[str]:
    """The offenses convicted of whose every form of conduct a fact given as false contradicts
    (what the engine refuses)."""
    return [o for o in flat.get(CONVICTIONS, ()) if o in CONDUCT_OF
            and all(any(flat.get(p) is False for p in form) for form in CONDUCT_OF[o])]


def consistent(flat: Mapping[str, Any], fixed: Iterable[str] = ()) -> dict[str, Any]:
    """The same facts made consistent as the model and the engine require: trafficking with no
    third party's control is resolved on the side not ``fixed``; a contradicted conviction is
    dropped from the convictions, or, where the convictions are ``fixed``, a false conduct fact
    that is not fixed is made true to give the conviction a form of conduct."""
    pinned = set(fixed)
    out = dict(flat)
    # each step can undo the other (control put right can refute a conviction): again until
    # neither changes anything (a few rounds at most)
    for _ in range(4):
        again = _consistent_once(out, pinned)
        if again == out:
            break
        out = again
    return out


def _consistent_once(flat: Mapping[str, Any], pinned: set[str]) -> dict[str, Any]:
    out = dict(flat)
    for offense in refuted_convictions(out):
        if CONVICTIONS not in pinned:
            out[CONVICTIONS] = [o for o in out[CONVICTIONS] if o != offense]
            continue
        forms = CONDUCT_OF[offense]
        if out.get(CONTROL) is False:  # a form of conduct that needs no third party's control
            forms = sorted(forms, key=lambda form: any(
                p.removeprefix("accused.conduct.") in CONTROLLING_CONDUCT for p in form))
        for form in forms:
            if not any(out.get(p) is False and p in pinned for p in form):
                out.update({p: True for p in form if out.get(p) is False})
                break
    # whoever traffics a child (or aids or profits from it, or promotes her prostitution as her
    # trafficker) controls her: the model refuses facts saying otherwise together
    if out.get(CONTROL) is False and _controlling(out):
        if CONTROL not in pinned:
            out[CONTROL] = True
        else:
            for path in _controlling(out):
                if path == "accused.conduct.promoted_prostitution" and ROLES not in pinned:
                    out[ROLES] = [r for r in out[ROLES] if r != "trafficker"]
                elif path not in pinned:
                    out[path] = False
    return out


def _chronological(flat: dict[str, Any]) -> dict[str, Any]:
    """The same facts with the known values of each chain sorted into declaration order (by
    their lowest value; a later range that ends before an earlier one starts takes its value)."""
    out = dict(flat)
    for chain in CHAINS:
        known = [p for p in chain if p in out]
        ordered = sorted((out[p] for p in known), key=lambda v: _low_high(v)[0])
        for path, value in zip(known, ordered, strict=True):
            out[path] = value
        for earlier, later in zip(known, known[1:], strict=False):
            if _low_high(out[later])[1] < _low_high(out[earlier])[0]:
                out[later] = out[earlier]
    return out


def fit(flat: Mapping[str, Any], fixed: Iterable[str]) -> dict[str, Any]:
    """The same facts with every chain member *not* in ``fixed`` moved into line with the fixed
    ones (an earlier member no later than any fixed member after it, and so on)."""
    pinned = set(fixed)
    out = dict(flat)
    for chain in CHAINS:
        for i, path in enumerate(chain):
            if path in pinned or path not in out:
                continue
            before = [out[p] for p in chain[:i] if p in pinned and p in out]
            after = [out[p] for p in chain[i + 1:] if p in pinned and p in out]
            value = out[path]
            for b in before:
                if _low_high(value)[1] < _low_high(b)[0]:
                    value = b
            for a in after:
                if _low_high(a)[1] < _low_high(value)[0]:
                    value = a
            out[path] = value
    return out


# --- values of one fact ------------------------------------------------------------------------


def boundary_values(path: str) -> tuple[int, ...]:
    """For a whole-number fact: its bounds and each threshold a rule compares it with, +/- 1."""
    spec = GIVEN[path]
    lo = int(spec.minimum if spec.minimum is not None else 0)
    hi = int(spec.maximum if spec.maximum is not None else 10_000)
    near = {lo, hi}
    for t in THRESHOLDS.get(path, ()):
        near.update(v for v in (int(t) - 1, int(t), int(t) + 1) if lo <= v <= hi)
    return tuple(sorted(near))


@st.composite
def age_ranges(draw: st.DrawFn, path: str) -> dict[str, int]:
    """An age range: both bounds, or one, near the thresholds."""
    near = boundary_values(path)
    a, b = sorted((draw(st.sampled_from(near)), draw(st.sampled_from(near))))
    which = draw(st.sampled_from(("both", "min", "max")))
    return {"both": {"min": a, "max": b}, "min": {"min": a}, "max": {"max": b}}[which]


def values(path: str) -> st.SearchStrategy[Any]:
    """Any value the model accepts for a given fact, weighted towards the rules' thresholds."""
    spec = GIVEN[path]
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind in ("int", "age"):
        lo, hi = boundary_values(path)[0], boundary_values(path)[-1]
        whole = st.one_of(st.sampled_from(boundary_values(path)), st.integers(lo, hi))
        return whole if spec.kind == "int" else st.one_of(whole, whole, age_ranges(path))
    if spec.kind == "set":
        return st.lists(st.sampled_from(spec.choices), unique=True)
    if spec.kind == "choice":
        return st.sampled_from(spec.choices)
    if spec.kind == "date":
        return st.dates(EARLIEST, TODAY)
    raise AssertionError(f"no strategy for {spec.kind} fact {path}")  # pragma: no cover


def computed_value(path: str, sources: Mapping[str, Any]) -> Any:
    """The computed fact ``path`` for the given facts it is computed from (None if not all)."""
    given = {p: v.isoformat() if isinstance(v, dt.date) else v for p, v in sources.items()}
    return effective_facts(RULEBOOK, given, presume=False)[0].get(path)


@lru_cache(maxsize=4096)
def crossing(path: str, start: dt.date, threshold: float) -> tuple[dt.date, dt.date]:
    """For a fact computed from two dates: the last end date (given the start date) whose value is
    at most ``threshold``, and the next day, whose value is above it."""
    first, second = COMPUTED[path].computed_from

    def above(days: int) -> bool:
        end = start + dt.timedelta(days=days)
        return bool(computed_value(path, {first: start, second: end}) > threshold)

    low, high = 0, 1  # invariant once found: not above(low), above(high)
    while not above(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        if above(middle):
            high = middle
        else:
            low = middle
    return start + dt.timedelta(days=low), start + dt.timedelta(days=high)


def computed_ends(path: str, start: dt.date) -> list[dt.date]:
    """End dates putting the computed fact on both sides of every threshold, and at zero."""
    ends = [start]
    for t in THRESHOLDS.get(path, ()):
        below, above = crossing(path, start, t)
        ends += [below - dt.timedelta(days=1), below, above]
    return ends


# --- scenarios ---------------------------------------------------------------------------------


@st.composite
def fact_maps(draw: st.DrawFn, *, complete: bool = False) -> dict[str, Any]:
    """A flat fact map the model accepts: every given fact (``complete``) or any subset of them.

    Where both dates of a computed fact are given, the end date is often put just on one side of a
    threshold the rules compare the computed fact with.
    """
    strategies = {p: values(p) for p in GIVEN}
    if complete:
        flat = draw(st.fixed_dictionaries(strategies))
    else:
        flat = draw(st.fixed_dictionaries({}, optional=strategies))
    flat = _chronological(flat)
    for path, spec in COMPUTED.items():
        first, second = spec.computed_from
        if first in flat and second in flat and draw(st.booleans()):
            flat[second] = draw(st.sampled_from(computed_ends(path, flat[first])))
    return consistent(flat)


def _alternative_atoms(draw: st.DrawFn, rule: LoadedRule, out: dict[str, list[FactAtom]],
                       depth: int = 0, unless: list[str] | None = None) -> None:
    """Collect the fact atoms of one alternative of ``rule`` and, recursively, of one way to reach
    each conclusion that alternative needs (and, in ``unless``, the exceptions on the way)."""
    if unless is not None:
        unless.extend(rule.rule.unless)
    alternative = draw(st.sampled_from(rule.alternatives))
    for atom in alternative:
        if isinstance(atom, FactAtom) and atom.unknown_holds:
            continue
        if isinstance(atom, FactAtom):
            out.setdefault(atom.path, []).append(atom)
        elif depth < 10 and RULEBOOK.targets(atom):
            target = draw(st.sampled_from(RULEBOOK.targets(atom)))
            producer = draw(st.sampled_from([r for r in RULEBOOK.rules_for[target]
                                             if not r.silent]))
            _alternative_atoms(draw, producer, out, depth + 1, unless)


def _failing(path: str, atom: FactAtom, wanted: list[FactAtom]) -> list[Any]:
    """Values of a given fact on which ``atom`` is false and every ``wanted`` atom true."""
    spec = GIVEN.get(path)
    if spec is None:  # a computed fact: not set directly
        return []
    if spec.kind == "set":
        required = sorted({a.value for a in wanted if a.op == "has"})
        candidates: list[Any] = [required, sorted({*required, atom.value})] \
            if atom.op == "lacks" else [required]
    elif spec.kind == "bool":
        candidates = [True, False]
    elif spec.kind in ("int", "age"):
        candidates = list(boundary_values(path))
    elif spec.kind == "choice":
        candidates = list(spec.choices)
    else:
        return []
    return [v for v in candidates
            if atom.test({path: v}) is False and all(a.test({path: v}) for a in wanted)]


def _refute(draw: st.DrawFn, cid: str, flat: dict[str, Any], wanted: dict[str, list[FactAtom]],
            depth: int = 0) -> bool:
    """Set facts of ``flat`` so that no decided rule of ``cid`` can hold (in each alternative a
    fact made false, or a conclusion it needs refuted), keeping every ``wanted`` atom true;
    False where that is not found."""
    if depth > 4:
        return False
    for rule in RULEBOOK.rules_for[cid]:
        if rule.silent:
            continue
        for alternative in rule.alternatives:
            facts = [a for a in alternative if isinstance(a, FactAtom) and not a.unknown_holds]
            if any(a.path in flat and a.test({a.path: flat[a.path]}) is False for a in facts):
                continue
            options = [(a, v) for a in facts for v in _failing(a.path, a, wanted.get(a.path, []))]
            if options:
                atom, value = draw(st.sampled_from(options))
                flat[atom.path] = value
                wanted.setdefault(atom.path, [])
                continue
            needed = [a for a in alternative if not isinstance(a, FactAtom)]
            if not any(all(_refute(draw, t, flat, wanted, depth + 1) for t in RULEBOOK.targets(a))
                       for a in needed):
                return False
    return True


def _satisfying(draw: st.DrawFn, path: str, atoms: list[FactAtom], flat: dict[str, Any]
                ) -> dict[str, Any]:
    """Values making every atom on ``path`` true (an empty dict when none is found)."""
    if path in COMPUTED:
        first, second = COMPUTED[path].computed_from
        start = flat.get(first) or draw(st.dates(EARLIEST, TODAY))
        ends = [
            end for end in computed_ends(path, start)
            if all(a.test({path: computed_value(path, {first: start, second: end})})
                   for a in atoms)
        ]
        return {first: start, second: draw(st.sampled_from(ends))} if ends else {}
    spec = GIVEN[path]
    if spec.kind == "set":
        required = {a.value for a in atoms if a.op == "has"}
        barred = {a.value for a in atoms if a.op == "lacks"}
        extra = draw(st.lists(st.sampled_from(spec.choices), unique=True))
        chosen = draw(st.permutations(sorted(required | (set(extra) - barred))))
        return {path: list(chosen)} if all(a.test({path: chosen}) for a in atoms) else {}
    if spec.kind == "bool":
        candidates: list[Any] = [True, False]
    elif spec.kind in ("int", "age"):
        candidates = list(boundary_values(path))
    elif spec.kind == "choice":
        candidates = list(spec.choices)
    else:  # pragma: no cover - no rule tests a date directly
        return {}
    fitting = [v for v in candidates if all(a.test({path: v}) for a in atoms)]
    return {path: draw(st.sampled_from(fitting))} if fitting else {}


@st.composite
def aimed_at(draw: st.DrawFn, rule: LoadedRule) -> dict[str, Any]:
    """A fact map aimed at making ``rule`` fire: random facts, then the fact conditions of one of
    its alternatives (and of one way to reach each conclusion it needs) made true, and the
    ``unless`` exceptions on the way ruled out where facts can do it. Other rules and the random
    facts may still stop it; the model always accepts it."""
    flat = draw(fact_maps(complete=draw(st.booleans())))
    wanted: dict[str, list[FactAtom]] = {}
    exceptions: list[str] = []
    _alternative_atoms(draw, rule, wanted, unless=exceptions)
    fixed: set[str] = set()
    for path in sorted(wanted):
        update = _satisfying(draw, path, wanted[path], flat)
        flat.update(update)
        fixed.update(update)
    for cid in dict.fromkeys(exceptions):  # rule each exception out, where it can be
        before = dict(flat)
        if _refute(draw, cid, flat, wanted):
            fixed.update(p for p in flat if p not in before or flat[p] != before[p])
        else:
            flat = before
    flat = consistent(fit(flat, fixed), fixed)
    if not valid(flat):  # two chained facts both forced out of order: keep the random facts
        flat = consistent(_chronological(flat), fixed)
    return flat


@st.composite
def completions(draw: st.DrawFn, flat: Mapping[str, Any]) -> dict[str, Any]:
    """``flat`` with every unknown fact filled in (the facts given are kept as they are)."""
    base = draw(fact_maps(complete=True))
    merged = consistent(fit({**base, **flat}, flat), flat)
    assert valid(merged), "a completion of accepted facts is accepted"
    return merged


@st.composite
def refinements(draw: st.DrawFn, flat: Mapping[str, Any]) -> dict[str, Any]:
    """``flat`` with every age given as a range replaced by a whole age inside it (each chain kept
    in order): one precise state of affairs the range allows."""
    out = dict(flat)
    for chain in CHAINS:
        if GIVEN[chain[0]].kind != "age":
            continue
        floor = 0
        for i, path in enumerate(chain):
            value = out.get(path)
            if isinstance(value, dict):
                lo, hi = _low_high(value)
                later = [_low_high(out[p])[1] for p in chain[i + 1:] if p in out]
                hi = min([hi, *later])
                value = draw(st.integers(max(lo, floor), hi))
                out[path] = value
            if path in out:
                floor = max(floor, _low_high(out[path])[0])
    assert valid(out), "a refinement of accepted facts is accepted"
    return out


def aimed_at_one_of(rules: Iterable[LoadedRule]) -> st.SearchStrategy[dict[str, Any]]:
    """A fact map aimed at one of ``rules``, chosen at random."""
    return st.sampled_from(list(rules)).flatmap(aimed_at)


def scenario_maps() -> st.SearchStrategy[dict[str, Any]]:
    """The default mix: partial fact maps, complete ones, and ones aimed at a random rule."""
    return st.one_of(fact_maps(), fact_maps(complete=True), aimed_at_one_of(RULEBOOK.rules))


def batches(maps: st.SearchStrategy[dict[str, Any]] | None = None, *, max_size: int = 6
            ) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A few fact maps at once (several evaluations per example)."""
    return st.lists(maps if maps is not None else scenario_maps(), min_size=1, max_size=max_size)


@st.composite
def at_every_threshold(draw: st.DrawFn, flat: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Copies of ``flat`` with a thresholded fact put just below, at and just above each of its
    thresholds (a computed fact through the dates it is computed from)."""
    out: list[dict[str, Any]] = []
    for path, thresholds in THRESHOLDS.items():
        if path in COMPUTED:
            first, second = COMPUTED[path].computed_from
            start = flat.get(first) or draw(st.dates(EARLIEST, TODAY))
            out += [fit({**flat, first: start, second: end}, {first, second})
                    for end in computed_ends(path, start)]
        else:
            out += [fit({**flat, path: v}, {path}) for v in boundary_values(path)
                    if any(abs(v - t) <= 1 for t in thresholds)]
    return [f for f in out if valid(f)]


@st.composite
def reordered(draw: st.DrawFn, flat: Mapping[str, Any]) -> dict[str, Any]:
    """The same facts as a nested mapping, with keys at every level and list items shuffled."""
    rnd: random.Random = draw(st.randoms(use_true_random=False))
    items = list(flat.items())
    rnd.shuffle(items)
    shuffled: dict[str, Any] = {}
    for path, value in items:
        if isinstance(value, (list, tuple)):
            value = list(value)
            rnd.shuffle(value)
        shuffled[path] = value
    return nest(shuffled)


def complete_maps() -> st.SearchStrategy[dict[str, Any]]:
    """Fact maps giving every fact: at random, or completing one of :func:`scenario_maps`."""
    return st.one_of(fact_maps(complete=True), scenario_maps().flatmap(completions))


# --- cases of several people -------------------------------------------------------------------

#: The groups of facts a case gives per victim, per accused, and once for the whole case.
VICTIM_GROUPS = ("victim", "compensation")
ACCUSED_GROUPS = ("accused",)
CASE_GROUPS = ("investigation", "dates")


def split(flat: Mapping[str, Any], groups: Iterable[str]) -> dict[str, Any]:
    """The facts of ``flat`` in the given top-level groups."""
    wanted = tuple(f"{g}." for g in groups)
    return {p: v for p, v in flat.items() if p.startswith(wanted)}


#: A case as data: victims (id, facts), accused (id, facts, the victims they concern or None for
#: all), and the case's own facts; every fact map flat, as in the rest of this module.
CaseSpec = dict[str, Any]


def case_mapping(spec: CaseSpec) -> dict[str, Any]:
    """The nested facts of a case (what :class:`~dmst.facts.model.Case` reads) for a spec."""
    out: dict[str, Any] = nest(spec["case"])
    out["victims"] = []
    for vid, facts in spec["victims"]:
        nested = nest(facts)
        out["victims"].append({"id": vid, **nested.get("victim", {}),
                               **({"compensation": nested["compensation"]}
                                  if "compensation" in nested else {})})
    out["accused"] = []
    for aid, facts, victims in spec["accused"]:
        entry = {"id": aid, **nest(facts).get("accused", {})}
        if victims is not None:
            entry["victims"] = list(victims)
        out["accused"].append(entry)
    return out


def case_of_one_pair(flat: Mapping[str, Any], victim: str = "V1", accused: str = "A1"
                     ) -> CaseSpec:
    """The case of one victim and one accused that gives the facts of a single scenario."""
    return {
        "victims": [(victim, split(flat, VICTIM_GROUPS))],
        "accused": [(accused, split(flat, ACCUSED_GROUPS), None)],
        "case": split(flat, CASE_GROUPS),
    }


@st.composite
def _victim_facts(draw: st.DrawFn, case: Mapping[str, Any]) -> dict[str, Any]:
    """One victim's facts (and compensation claim) in line with the case's own dates."""
    flat = draw(scenario_maps())
    merged = fit({**split(flat, VICTIM_GROUPS), **case}, case)
    return split(merged, VICTIM_GROUPS)


@st.composite
def case_specs(draw: st.DrawFn, *, max_victims: int = 3, max_accused: int = 3) -> CaseSpec:
    """A case of one to ``max_victims`` victims and up to ``max_accused`` accused, each accused
    concerning all victims or a few of them; every person's facts drawn as a scenario's are."""
    case = split(draw(scenario_maps()), CASE_GROUPS)
    n_victims = draw(st.integers(1, max_victims))
    victims = [(f"V{i + 1}", draw(_victim_facts(case))) for i in range(n_victims)]
    ids = [vid for vid, _ in victims]
    accused = []
    for i in range(draw(st.integers(0, max_accused))):
        facts = split(draw(scenario_maps()), ACCUSED_GROUPS)
        concerns = draw(st.one_of(st.none(), st.lists(st.sampled_from(ids), min_size=1,
                                                      unique=True)))
        accused.append((f"A{i + 1}", facts, concerns))
        if _controlling(facts):  # a trafficker controls every victim trafficked
            for vid, victim in victims:
                if (concerns is None or vid in concerns) and victim.get(CONTROL) is False:
                    victim[CONTROL] = True
    return {"victims": victims, "accused": accused, "case": case}
