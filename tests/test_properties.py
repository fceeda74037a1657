"""Properties that make the rulebook and the engine consistent, checked over generated scenarios.

Each property is stated over the scenarios of ``tests/strategies.py``; what a property expects is
derived from the rule data (atoms, scopes, ``unless``) or from the source text, never listed by
hand. ``HYPOTHESIS_PROFILE=thorough`` runs every property on many more scenarios.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from dmst import Case, CaseResult, Conclusion, Engine, FactError, Result, Scenario, Undetermined
from dmst.engine._firings import Status
from dmst.engine._reference import evaluate_reference
from dmst.facts.model import MAX_AGE
from dmst.rules import (
    Certainty,
    FactAtom,
    Kind,
    LoadedRule,
    MatchAtom,
    Modality,
    RefAtom,
    normalize,
)

from . import strategies as S
from .conftest import own_accused_unnamed

RULEBOOK = S.RULEBOOK
SOURCE = RULEBOOK.source
PRESUMED: dict[str, Any] = {p.fact: p.value for p in RULEBOOK.meta.presumptions}


@pytest.fixture(scope="module")
def uncached() -> Engine:
    """An engine without the signature cache: every evaluation runs the rule network."""
    return Engine(cache_size=0)


@pytest.fixture(scope="module")
def engine() -> Engine:
    """A caching engine of this module's own, given single scenarios only (a case's cached plan
    would be served to a single scenario of the same signature: see test_engine's known
    failure test_a_cached_result_names_its_own_accused)."""
    return Engine()


def scaled(divisor: int) -> settings:
    """The profile's settings with 1/divisor of its examples, for properties that evaluate many
    scenarios per example (the thorough profile scales them up alike)."""
    return settings(settings(), max_examples=max(1, settings().max_examples // divisor))


# --- reading results ---------------------------------------------------------------------------


def applying(result: Result) -> dict[str, Conclusion]:
    """The conclusions (statuses included) that apply, by id."""
    return {c.id: c for c in (*result.statuses, *result.conclusions)}


def undetermined(result: Result) -> dict[str, Undetermined]:
    return {u.id: u for u in result.undetermined}


def verdicts(result: Result) -> dict[str, tuple[Any, ...]]:
    """What the result says of each conclusion it mentions, less the facts it quotes."""
    out: dict[str, tuple[Any, ...]] = {}
    for c in applying(result).values():
        out[c.id] = (c.status.value, c.certainty.value, tuple(c.applies_to), c.on_conviction,
                     tuple(c.presumed), tuple(c.hedged_by))
    for u in result.undetermined:
        out[u.id] = (u.status.value, u.reason, tuple(u.applies_to), tuple(u.missing),
                     tuple(u.rules))
    return out


def outcome(result: Result) -> dict[str, Any]:
    """Everything a result concludes, without the values of facts it quotes (in derivations,
    reasons and the echo of the facts given)."""
    return {
        "verdicts": verdicts(result),
        "not_applicable": sorted(
            (n.id, tuple(sorted((b.rule, b.condition, b.fact, b.parameter, b.conclusion)
                                for b in n.because)))
            for n in result.not_applicable),
        "ask_next": [(a.fact, a.settles, tuple(a.conclusions)) for a in result.ask_next],
        "presumptions": [(p.fact, p.value) for p in result.presumptions],
        "warnings": [w.code for w in result.warnings],
    }


def without_facts(result: Result) -> str:
    """The result's JSON without the echo of the facts given."""
    return json.dumps(result.model_dump(mode="json", exclude={"facts"}), sort_keys=True)


def silent_decided(result: Result) -> dict[str, Undetermined]:
    """Conclusions the source leaves undecided where a silent rule's conditions all hold."""
    return {u.id: u for u in result.undetermined if u.status is Status.SOURCE_SILENT}


def holds(atom: FactAtom, facts: dict[str, Any]) -> bool:
    """Whether a fact atom holds on effective facts (a conviction atom holds while the
    convictions are unknown: the conclusion then attaches on conviction)."""
    truth = atom.test(facts)
    return truth is True or (truth is None and atom.unknown_holds)


def offense_of(cid: str) -> str | None:
    return RULEBOOK.conclusions[cid].offense


# --- reading rules -----------------------------------------------------------------------------

FACT_ATOMS: frozenset[FactAtom] = frozenset(
    a for r in RULEBOOK.rules for alt in r.alternatives for a in alt if isinstance(a, FactAtom)
)


def targets(atom: RefAtom | MatchAtom) -> tuple[str, ...]:
    return (atom.id,) if isinstance(atom, RefAtom) else RULEBOOK.targets(atom)


def satisfied(atom: RefAtom | MatchAtom, ids: set[str] | dict[str, Any]) -> bool:
    return any(t in ids for t in targets(atom))


def uses(rule: LoadedRule) -> set[str]:
    """Every conclusion a rule's conditions, scope or ``unless`` can look at."""
    out = set(rule.rule.unless)
    for alt in rule.alternatives:
        for atom in alt:
            if not isinstance(atom, FactAtom):
                out.update(targets(atom))
    return out


def affected_by(atoms: set[FactAtom]) -> set[str]:
    """Conclusions whose rules test one of ``atoms``, and everything that uses those."""
    out = {r.conclusion_id for r in RULEBOOK.rules
           if any(a in atoms for alt in r.alternatives for a in alt)}
    grew = True
    while grew:
        before = len(out)
        out |= {r.conclusion_id for r in RULEBOOK.rules if uses(r) & out}
        grew = len(out) > before
    return out


def requiring(base: Callable[[FactAtom], bool], seeds: set[str]) -> frozenset[str]:
    """Conclusions every way to which needs a fact atom ``base`` accepts, a seed, or (through a
    condition or scope) another such conclusion."""
    members = set(seeds)
    grew = True
    while grew:
        grew = False
        for cid, rules in RULEBOOK.rules_for.items():
            if cid in members:
                continue
            if all(
                any(base(a) if isinstance(a, FactAtom) else
                    bool(targets(a)) and all(t in members for t in targets(a)) for a in alt)
                for r in rules for alt in r.alternatives
            ):
                members.add(cid)
                grew = True
    return frozenset(members)


@cache
def needs(cid: str) -> frozenset[str]:
    """The conclusions every way to ``cid`` needs (those a condition can only be met by)."""
    routes: list[set[str]] = []
    for rule in RULEBOOK.rules_for[cid]:
        for alt in rule.alternatives:
            required: set[str] = set()
            for atom in alt:
                if not isinstance(atom, FactAtom):
                    required |= set.intersection(*({t} | needs(t) for t in targets(atom)))
            routes.append(required)
    return frozenset(set.intersection(*routes))


def fired(rule: LoadedRule, result: Result) -> bool:
    """Whether ``rule`` reached its conclusion (or, for a silent rule, its 'cannot say')."""
    if rule.silent:
        u = silent_decided(result).get(rule.conclusion_id)
        return u is not None and rule.id in u.rules
    c = applying(result).get(rule.conclusion_id)
    return c is not None and any(d.rule == rule.id for d in c.derivations)


def evaluate(engine: Engine, flat: dict[str, Any], presume: bool = True) -> Result:
    return engine.evaluate(S.to_scenario(flat), presume=presume)


def by_pair(result: CaseResult) -> dict[tuple[str | None, str], str]:
    """Each pair's result JSON, by (accused id, victim id)."""
    return {(p.accused, p.victim): p.result.model_dump_json() for p in result.pairs}


# --- 1. determinism ----------------------------------------------------------------------------


@scaled(3)
@given(flats=S.batches(max_size=4))
def test_same_scenario_gives_the_same_bytes_on_every_engine_and_call(
    flats: list[dict[str, Any]], engine: Engine, uncached: Engine
) -> None:
    """One scenario gives byte-identical JSON however and however often it is evaluated: twice
    on the cached engine, on an uncached one, through the reference evaluator, given as a mapping
    and after a JSON round trip of the scenario."""
    for flat in flats:
        scenario = S.to_scenario(flat)
        first = engine.evaluate(scenario).model_dump_json()
        again = [
            engine.evaluate(scenario).model_dump_json(),
            uncached.evaluate(scenario).model_dump_json(),
            uncached.evaluate_reference(scenario).model_dump_json(),
            uncached.evaluate(S.nest(flat)).model_dump_json(),
            engine.evaluate(Scenario.model_validate_json(scenario.model_dump_json()))
            .model_dump_json(),
        ]
        assert all(other == first for other in again)


@scaled(4)
@given(spec=S.case_specs())
def test_same_case_gives_the_same_bytes_on_every_call(spec: S.CaseSpec, uncached: Engine) -> None:
    """A case of several people gives byte-identical JSON however and however often it is
    evaluated: twice, through the reference evaluator, as a model after a JSON round trip."""
    mapping = S.case_mapping(spec)
    first = uncached.evaluate(mapping).model_dump_json()
    case = Case.parse(mapping)
    assert uncached.evaluate(mapping).model_dump_json() == first
    assert uncached.evaluate_reference(mapping).model_dump_json() == first
    assert uncached.evaluate(Case.model_validate_json(case.model_dump_json())).model_dump_json() == first


_EVALUATE_LINES = """
import json, sys
from dmst import Engine
engine = Engine()
for line in sys.stdin:
    print(engine.evaluate(json.loads(line)).model_dump_json())
"""


@settings(max_examples=max(1, settings().max_examples // 30))
@given(flats=st.lists(S.scenario_maps(), min_size=25, max_size=40),
       specs=st.lists(S.case_specs(), min_size=3, max_size=6))
def test_same_bytes_in_fresh_interpreters_with_other_hash_seeds(
    flats: list[dict[str, Any]], specs: list[S.CaseSpec]
) -> None:
    """Results do not depend on the interpreter's string-hash seed (set and dict iteration order):
    two fresh processes with different PYTHONHASHSEED give this process's bytes, for scenarios
    and cases, evaluated in the same order on a fresh engine."""
    lines = [json.dumps(S.nest(f), default=str) for f in flats]
    lines += [json.dumps(S.case_mapping(spec), default=str) for spec in specs]
    fresh = Engine()
    expected = [fresh.evaluate(json.loads(line)).model_dump_json() for line in lines]
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", _EVALUATE_LINES], input="\n".join(lines) + "\n",
            capture_output=True, text=True, env=env, check=True, timeout=120,
        )
        assert run.stdout.splitlines() == expected


# --- 2. order independence ---------------------------------------------------------------------


@scaled(3)
@given(data=st.data())
def test_order_of_facts_and_of_list_items_changes_nothing(
    data: st.DataObject, uncached: Engine
) -> None:
    """Giving the facts (and the items of a list fact such as accused.roles) in another order
    gives the same bytes."""
    for flat in data.draw(S.batches(max_size=4)):
        shuffled = data.draw(S.reordered(flat))
        assert (uncached.evaluate(shuffled).model_dump_json()
                == uncached.evaluate(S.nest(flat)).model_dump_json())


def _shuffled(value: Any, rnd: random.Random) -> Any:
    """The same data with the keys of every mapping and the items of every list in another
    order."""
    if isinstance(value, dict):
        items = list(value.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(value, list):
        items = [_shuffled(v, rnd) for v in value]
        rnd.shuffle(items)
        return items
    return value


def _reasons_sorted(data: dict[str, Any], accused_values: bool = True) -> dict[str, Any]:
    """A result (or victim summary) as JSON data with the reasons of what does not apply in a
    canonical order: they follow the order of the accused (test_engine's known failure
    test_reasons_do_not_depend_on_the_order_of_the_accused). Without ``accused_values``, the
    values reasons quote for an accused's facts are left out: a victim's summary quotes those of
    the victim's first pair (known failure test_a_reason_quotes_the_value_on_which_its_condition_
    fails)."""
    def canonical(reasons: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = [{**r, "because": canonical(r["because"]),
                **({} if accused_values or not (r["fact"] or "").startswith("accused.")
                   else {"value": None})}
               for r in reasons]
        return sorted(out, key=lambda r: json.dumps(r, sort_keys=True))
    return {**data, "not_applicable": [{**n, "because": canonical(n["because"])}
                                       for n in data["not_applicable"]]}


def _summary(accused: Any) -> dict[str, Any]:
    """An accused's summary with the lists it echoes from the facts sorted: the summary keeps the
    order given (test_engine's known failure
    test_an_accused_summary_does_not_depend_on_the_order_of_list_items)."""
    data = accused.model_dump()
    for key in ("roles", "charged_with", "convicted_of"):
        if data[key] is not None:
            data[key] = sorted(data[key])
    return data


@scaled(4)
@given(data=st.data())
def test_order_of_people_and_of_their_facts_changes_no_result(
    data: st.DataObject, uncached: Engine
) -> None:
    """Listing a case's victims and accused (and each one's facts and list items) in another order
    changes no pair's result and no summary of a victim or an accused."""
    spec = data.draw(S.case_specs())
    first = uncached.evaluate(S.case_mapping(spec))
    rnd = data.draw(st.randoms(use_true_random=False))
    other = uncached.evaluate(_shuffled(S.case_mapping(spec), rnd))
    assert ({k: _reasons_sorted(json.loads(v)) for k, v in by_pair(other).items()}
            == {k: _reasons_sorted(json.loads(v)) for k, v in by_pair(first).items()})
    assert ({v.id: _reasons_sorted(v.model_dump(mode="json"), False) for v in other.victims}
            == {v.id: _reasons_sorted(v.model_dump(mode="json"), False) for v in first.victims})
    assert ({a.id: _summary(a) for a in other.accused}
            == {a.id: _summary(a) for a in first.accused})
    assert other.presumptions == first.presumptions


# --- 3. durable_rules against the reference evaluator ------------------------------------------


@scaled(4)
@given(data=st.data())
def test_durable_rules_path_agrees_with_the_reference_evaluator(
    data: st.DataObject, uncached: Engine
) -> None:
    """The durable_rules network and the pure-Python reference evaluator fire the same rules,
    alternatives and modes with the same matches and certainties, and so give the same result,
    on a scenario and on its copies with each thresholded fact just below, at and above each
    threshold."""
    flat = data.draw(S.scenario_maps())
    for variant in [flat, *data.draw(S.at_every_threshold(flat))]:
        scenario = S.to_scenario(variant)
        for presume in ((True, False) if variant is flat else (True,)):
            _assert_same_firings(uncached, uncached.prepare(scenario, presume))
        assert (uncached.evaluate(scenario).model_dump_json()
                == uncached.evaluate_reference(scenario).model_dump_json())


def _assert_same_firings(engine: Engine, prepared: Any) -> None:
    """durable_rules and the reference evaluator record the same firings, certainties and
    silences for one prepared case."""
    durable = engine.firings(prepared)
    reference = evaluate_reference(RULEBOOK, prepared)
    assert durable.canonical() == reference.canonical()
    assert durable.certainty == reference.certainty
    assert durable.silent == reference.silent


@scaled(3)
@given(spec=S.case_specs())
def test_durable_rules_path_agrees_with_the_reference_evaluator_on_cases(
    spec: S.CaseSpec, uncached: Engine
) -> None:
    """On a case of several victims and accused (victims' statuses reached across pairs), both
    evaluators record the same firings, entity by entity, and give the same result."""
    mapping = S.case_mapping(spec)
    _assert_same_firings(uncached, uncached.prepare(mapping))
    assert (uncached.evaluate(mapping).model_dump_json()
            == uncached.evaluate_reference(mapping).model_dump_json())


# --- 4. soundness under unknown facts ----------------------------------------------------------

_STRENGTH = {Certainty.MAY_APPLY: 0, Certainty.APPLIES: 1}


def _unknown_in(flat: dict[str, Any]) -> set[str]:
    """The facts a partial fact map leaves open: those not given, and ages given as a range."""
    return (set(S.GIVEN) - set(flat)) | {p for p, v in flat.items() if isinstance(v, dict)}


def _check_sound(partial: Result, complete: Result, complete_facts: dict[str, Any],
                 unknown: set[str]) -> None:
    """``complete`` (every fact given, ages whole) is one completion of the facts ``partial`` was
    evaluated on; ``unknown`` are the facts the partial facts left open."""
    full, part = applying(complete), applying(partial)
    assert not [u.id for u in complete.undetermined if u.reason == "missing_facts"], (
        "with every fact known nothing is undetermined for want of facts"
    )
    convicted = set(complete_facts[S.CONVICTIONS])
    for cid, c in part.items():
        if c.on_conviction:
            # it attaches on conviction: once the convictions are given it follows them
            pending = {t for t in c.applies_to if offense_of(t) in convicted}
            if pending:
                assert cid in full and not full[cid].on_conviction, (
                    f"{cid} attached on conviction of {sorted(pending)}, but not once convicted"
                )
                assert pending <= set(full[cid].applies_to)
            continue
        assert cid in full, f"{cid} applied with facts unknown but not once they were given"
        assert set(c.applies_to) <= set(full[cid].applies_to)
        assert _STRENGTH[full[cid].certainty] >= _STRENGTH[c.certainty]
    open_ = undetermined(partial)
    for cid in full:
        assert cid in part or cid in open_, (
            f"{cid} applies once the facts are given but was neither applying nor undetermined"
        )
    for cid in silent_decided(complete):
        assert cid in open_, f"the source's silence on {cid} was not reported with facts unknown"
    for u in partial.undetermined:
        assert set(u.missing) <= unknown, f"{u.id} names a known fact as deciding it"
        if u.reason == "missing_facts":
            assert u.missing, f"{u.id} is undetermined but names no deciding fact"


def _presumed_kept(flat: dict[str, Any]) -> dict[str, Any]:
    """The facts with every presumed fact not given set to its presumed value: the completions
    a result with presumptions speaks for."""
    return {**flat, **{f: v for f, v in PRESUMED.items() if f not in flat}}


@scaled(2)
@given(data=st.data())
def test_dropping_facts_never_turns_a_conclusion_wrong(data: st.DataObject, engine: Engine) -> None:
    """Dropping any facts of a complete scenario keeps every conclusion that still applies, and
    every conclusion of the complete scenario either still applies or is reported undetermined
    (naming only unknown facts as deciding it): in strict mode always, and with presumptions
    where the complete scenario agrees with them."""
    complete = data.draw(S.complete_maps().flatmap(S.refinements))
    result = evaluate(engine, complete)
    for _ in range(3):
        dropped = data.draw(st.sets(st.sampled_from(sorted(complete))))
        partial = {p: v for p, v in complete.items() if p not in dropped}
        _check_sound(evaluate(engine, partial, presume=False), result, complete, set(dropped))
        if all(complete[f] == v for f, v in PRESUMED.items() if f not in partial):
            _check_sound(evaluate(engine, partial), result, complete,
                         set(dropped) - set(PRESUMED))


@scaled(2)
@given(data=st.data())
def test_a_conclusion_that_applies_holds_for_every_completion(
    data: st.DataObject, engine: Engine
) -> None:
    """A conclusion that applies with facts unknown (or ages known as a range) applies however
    they are filled in (several completions of one partial scenario): in strict mode for every
    completion, and with presumptions for every completion that keeps the presumed facts."""
    partial = data.draw(S.scenario_maps())
    strict = evaluate(engine, partial, presume=False)
    presumed = evaluate(engine, partial)
    kept = _presumed_kept(partial)
    for _ in range(2):
        complete = data.draw(S.completions(partial).flatmap(S.refinements))
        _check_sound(strict, evaluate(engine, complete), complete, _unknown_in(partial))
        complete = data.draw(S.completions(kept).flatmap(S.refinements))
        _check_sound(presumed, evaluate(engine, complete), complete, _unknown_in(kept))


# --- 5. willingness and force, fraud or coercion -----------------------------------------------

_IRRELEVANT = [p for p in S.GIVEN if p.endswith((".willing", ".force_fraud_or_coercion"))]


@scaled(3)
@given(flat=S.scenario_maps())
def test_willingness_and_force_fraud_or_coercion_change_nothing(
    flat: dict[str, Any], uncached: Engine
) -> None:
    """The victim's apparent willingness (a barred defense) and the use of force, fraud or
    coercion (not needed for a minor) change no conclusion, status, undetermined item or question,
    whether unknown, true or false."""
    assert len(_IRRELEVANT) == 2, "the fact model names both facts"
    base = {p: v for p, v in flat.items() if p not in _IRRELEVANT}
    outputs = set()
    for combo in itertools.product([None, True, False], repeat=len(_IRRELEVANT)):
        variant = dict(base)
        variant.update({p: v for p, v in zip(_IRRELEVANT, combo, strict=True) if v is not None})
        outputs.add(without_facts(evaluate(uncached, variant)))
    assert len(outputs) == 1


# --- 6. citations ------------------------------------------------------------------------------


def _reasons(reasons: list[Any]) -> Iterator[Any]:
    for r in reasons:
        yield r
        yield from _reasons(r.because)


@scaled(2)
@given(flats=S.batches(max_size=4))
def test_every_conclusion_cites_the_source_verbatim(
    flats: list[dict[str, Any]], engine: Engine
) -> None:
    """Every conclusion, status, undetermined item and presumption carries at least one citation,
    every reason why something does not apply that names a threshold cites where the source
    states it, and every quote is in the source text, under one of the source's areas."""
    for flat in flats:
        result = evaluate(engine, flat)
        cited = [*result.statuses, *result.conclusions, *result.undetermined,
                 *result.presumptions]
        for item in cited:
            assert item.citations, f"{getattr(item, 'id', item)} cites nothing"
        reasons = [r for n in result.not_applicable for r in _reasons(n.because)]
        for r in reasons:
            if r.parameter is not None:
                assert r.citations, f"{r.rule}: threshold {r.parameter} cited nowhere"
        for citation in [c for item in cited for c in item.citations] + [
                c for r in reasons for c in r.citations]:
            assert SOURCE.contains(citation.quote), f"quote not in the source: {citation.quote}"
            assert citation.section in RULEBOOK.meta.areas


# --- 7. penalties ------------------------------------------------------------------------------

_TEXT = SOURCE.normalized


def _number(figure: str) -> int:
    return int(figure.replace(",", ""))


_PRISON_RANGES = {(int(a), int(b)) for a, b in re.findall(r"(\d+)\u2013(\d+) years", _TEXT)}
_PRISON_UP_TO = {int(a) for a in re.findall(r"up to (\d+) years", _TEXT)}
_FINE_RANGES = {(_number(a), _number(b))
                for a, b in re.findall(r"\$([\d,]+\d)\u2013\$([\d,]+\d)", _TEXT)}
_FINE_UP_TO = {_number(a)
               for a in re.findall(r"(?:up to|as high as) \$([\d,]+\d)(?![\d,]*\u2013)", _TEXT)}


def _stated(lo: int | None, hi: int | None, ranges: set[tuple[int, int]], up_to: set[int]) -> bool:
    if lo is None and hi is None:
        return True  # the source states no figure, and none is made up
    if lo is None:
        return hi in up_to
    return hi is not None and (lo, hi) in ranges


def _phrases(lo: int | None, hi: int | None, unit: str) -> list[str]:
    if lo is None and hi is None:
        return []
    if unit == "years":
        return [f"{lo}\u2013{hi} years"] if lo is not None else [f"up to {hi} years"]
    if lo is not None:
        return [f"${lo:,}\u2013${hi:,}"]
    return [f"up to ${hi:,}", f"as high as ${hi:,}"]


def test_penalty_figures_are_read_from_the_source() -> None:
    """The figures the penalty property accepts are found in the source text itself."""
    assert (5, 30) in _PRISON_RANGES and 10 in _PRISON_UP_TO
    assert (50_000, 500_000) in _FINE_RANGES and 1_000_000 in _FINE_UP_TO


_CHARGE_RULES = [r for r in RULEBOOK.rules if r.spec.kind is Kind.CHARGE]


@scaled(2)
@given(flats=S.batches(S.aimed_at_one_of(_CHARGE_RULES), max_size=4))
def test_penalties_are_well_formed_and_stated_in_the_source(
    flats: list[dict[str, Any]], engine: Engine
) -> None:
    """Every charge has a penalty whose ranges are ordered and non-negative; a range with a
    minimum is one the source states as 'N–M', one without is an 'up to' the source states, and
    the figures are in the charge's own citations."""
    for c in (c for flat in flats for c in evaluate(engine, flat).conclusions):
        if c.kind is not Kind.CHARGE:
            assert c.penalty is None, f"{c.id}: only a charge carries a penalty"
            continue
        assert c.penalty is not None, f"{c.id}: a charge states its penalty"
        quotes = " ".join(normalize(q.quote) for q in c.citations)
        for rng, ranges, up_to, unit in (
            (c.penalty.prison_years, _PRISON_RANGES, _PRISON_UP_TO, "years"),
            (c.penalty.fine_usd, _FINE_RANGES, _FINE_UP_TO, "usd"),
        ):
            for figure in (rng.min, rng.max):
                assert figure is None or figure >= 0
            if rng.min is not None and rng.max is not None:
                assert rng.min <= rng.max
            assert _stated(rng.min, rng.max, ranges, up_to), f"{c.id}: {rng} not in the source"
            phrases = _phrases(rng.min, rng.max, unit)
            assert not phrases or any(p in quotes for p in phrases), (
                f"{c.id}: {rng} is not what its citations say"
            )


# --- 8. no contradictions ----------------------------------------------------------------------


def _positions(result: Result) -> Iterator[tuple[tuple[str, str], str, frozenset[str] | None,
                                                 Modality | None, bool]]:
    """(kind, topic), id, scope (None: general), modality, decided? — for every conclusion on a
    topic that applies, and every one the source is silent on whose conditions hold."""
    for c in applying(result).values():
        if c.topic:
            yield (c.kind.value, c.topic), c.id, frozenset(c.applies_to) or None, c.modality, True
    for u in silent_decided(result).values():
        spec = RULEBOOK.conclusions[u.id]
        if spec.topic:
            yield (u.kind.value, spec.topic), u.id, frozenset(u.applies_to) or None, None, False


@scaled(2)
@given(flats=S.batches(max_size=4))
def test_no_conclusion_contradicts_another(flats: list[dict[str, Any]], engine: Engine) -> None:
    """On one topic and one charge (or in general), nothing is both given and denied (modality
    not_available beside any other), nothing is both decided and left undecided by the source
    (a defense barred and 'the source does not say'), and a barred defense names charges that
    are in the result."""
    for flat in flats:
        _assert_no_contradiction(evaluate(engine, flat), flat)


def _known_contradiction(a: tuple[Any, ...], b: tuple[Any, ...], flat: dict[str, Any]) -> bool:
    """The contradiction test_engine marks as a known failure
    (test_registration_decided_for_a_trafficker_is_not_also_left_open): an accused of several
    roles, registration decided for one role and left open for another."""
    return (a[0] == b[0] == ("consequence", "registration")
            and len(flat.get("accused.roles", ())) > 1)


def _assert_no_contradiction(result: Result, flat: dict[str, Any]) -> None:
    positions = list(_positions(result))
    for a, b in itertools.permutations(positions, 2):
        if a[0] != b[0] or not (a[2] is None or b[2] is None or a[2] & b[2]):
            continue
        if _known_contradiction(a, b, flat):
            continue
        if a[4] and b[4]:
            assert not (a[3] is Modality.NOT_AVAILABLE and b[3] is not Modality.NOT_AVAILABLE), (
                f"{a[1]} denies what {b[1]} gives"
            )
        else:
            assert not (a[4] and not b[4]), (
                f"{a[1]} decides what {b[1]} says the source leaves open"
            )
    charges = {c.id for c in result.conclusions if c.kind is Kind.CHARGE}
    for c in result.conclusions:
        if c.kind is Kind.DEFENSE_BARRED:
            assert c.applies_to, f"{c.id} names no charge"
            assert set(c.applies_to) <= charges, f"{c.id} names a charge not in the result"


# --- 9. scope: nothing without its grounds -----------------------------------------------------


def _grounds(result: Result, cid: str) -> set[str]:
    """Every conclusion reached through the derivations of ``cid``, transitively."""
    found: set[str] = set()
    todo = [cid]
    index = applying(result)
    while todo:
        for d in index[todo.pop()].derivations:
            for m in d.conclusions:
                if m not in found:
                    found.add(m)
                    todo.append(m)
    return found


@scaled(2)
@given(flats=S.batches(max_size=4))
def test_every_conclusion_has_its_grounds_in_the_same_result(
    flats: list[dict[str, Any]], engine: Engine
) -> None:
    """A barred defense, a registration duty or a protection never appears without the charge or
    victim status it depends on; every conclusion is justified by one of its decided rules on the
    facts the rules read (given, presumed, computed) and the conclusions of the same result, with
    what every route to it needs present."""
    for flat in flats:
        _assert_grounded(evaluate(engine, flat), S.effective(flat))


def _assert_grounded(result: Result, facts: dict[str, Any]) -> None:
    ids = applying(result)
    open_ = undetermined(result)
    kinds = {cid: c.kind for cid, c in ids.items()}
    for cid, c in ids.items():
        grounded = c.kind in (Kind.DEFENSE_BARRED, Kind.PROTECTION) or c.topic == "registration"
        if grounded:
            reached = {kinds[g] for g in _grounds(result, cid)}
            assert reached & {Kind.CHARGE, Kind.STATUS}, f"{cid} has no charge or status under it"
        if c.kind is Kind.DEFENSE_BARRED or c.topic == "registration":
            assert c.applies_to and all(kinds.get(a) is Kind.CHARGE for a in c.applies_to), (
                f"{cid} is not attached to a charge in the result"
            )
        assert needs(cid) <= set(ids), f"{cid} without {sorted(needs(cid) - set(ids))}"
        justified = False
        scopes = []
        for rule in RULEBOOK.rules_for[cid]:
            if rule.silent or any(u in ids or u in open_ for u in rule.rule.unless):
                continue
            for alt in rule.alternatives:
                if all(holds(a, facts) if isinstance(a, FactAtom) else satisfied(a, ids)
                       for a in alt):
                    justified = True
                    scopes += [a for a in alt if isinstance(a, MatchAtom) and a.scope]
        assert justified, f"{cid} applies but no rule of it holds on this result"
        for target in c.applies_to:  # each attachment is allowed by a rule that holds
            assert target in ids, f"{cid}: stray {target}"
            spec = RULEBOOK.conclusions[target]
            assert any(sc.matches(spec.kind.value, spec.offense, spec.role) for sc in scopes), (
                f"{cid}: no rule that holds attaches it to {target}"
            )
        for d in c.derivations:
            assert RULEBOOK.by_id[d.rule].conclusion_id == cid
            assert set(d.conclusions) <= set(ids)
            assert all(facts.get(p) == v for p, v in d.facts.items()), f"{cid}: facts misquoted"
    for cid in open_:
        assert needs(cid) <= set(ids) | set(open_), f"{cid} open without what it needs"


# --- 10. thresholds ----------------------------------------------------------------------------

THRESHOLD_CASES = [(p, t) for p, ts in S.THRESHOLDS.items() for t in ts]


def _pairs(path: str, threshold: float, rest: dict[str, Any], data: st.DataObject
           ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Scenarios equal but for ``path``, just below/at and at/just above ``threshold``."""
    if path in S.COMPUTED:
        first, second = S.COMPUTED[path].computed_from
        start = rest.get(first) or data.draw(st.dates(S.EARLIEST, S.TODAY))
        below, above = S.crossing(path, start, threshold)
        day_before = below - (above - below)
        rest = {p: v for p, v in rest.items() if p not in (first, second)}
        return [({**rest, first: start, second: x}, {**rest, first: start, second: y})
                for x, y in ((day_before, below), (below, above))]
    t = int(threshold)
    spec = S.GIVEN[path]
    pairs = []
    for x, y in ((t - 1, t), (t, t + 1)):
        if spec.minimum is not None and x < spec.minimum:
            continue
        if spec.maximum is not None and y > spec.maximum:
            continue
        common = S.fit(S.fit({**rest, path: x}, {path}) | {path: y}, {path})
        pairs.append(({**common, path: x}, {**common, path: y}))
    return pairs


@pytest.mark.parametrize(("path", "threshold"), THRESHOLD_CASES,
                         ids=[f"{p}-{t:g}" for p, t in THRESHOLD_CASES])
@given(data=st.data())
def test_each_threshold_changes_exactly_what_the_rules_predict(
    path: str, threshold: float, data: st.DataObject, engine: Engine
) -> None:
    """On the two sides of a threshold a rule compares a fact with, only conclusions whose rules
    test a condition that flips (or that use such conclusions) change; and a conclusion whose
    flipping condition is its only failing one applies on the side where it holds and, if every
    way to it fails on that fact on the other side, is absent there."""
    rest = data.draw(S.scenario_maps())
    crossed = False
    for a_map, b_map in _pairs(path, threshold, rest, data):
        assert S.valid(a_map) and S.valid(b_map)
        sides = []
        for flat in (a_map, b_map):
            sides.append((S.effective(flat), evaluate(engine, flat)))
        (fa, ra), (fb, rb) = sides
        flipped = {a for a in FACT_ATOMS if a.path == path and a.test(fa) != a.test(fb)}
        crossed = crossed or any(a.value == threshold for a in flipped)
        allowed = affected_by(flipped)
        va, vb = verdicts(ra), verdicts(rb)
        for cid in sorted((va.keys() | vb.keys()) - allowed):
            assert va.get(cid) == vb.get(cid), f"{cid} changed though no condition of it flipped"
        for (fx, rx), (fy, ry) in (((fa, ra), (fb, rb)), ((fb, rb), (fa, ra))):
            ids_x, open_x = applying(rx), undetermined(rx)
            for rule in RULEBOOK.rules:
                cid = rule.conclusion_id
                for alt in rule.alternatives:
                    if not any(a in flipped and a.test(fx) for a in alt):
                        continue
                    held = all(
                        holds(a, fx) if isinstance(a, FactAtom) else satisfied(a, ids_x)
                        for a in alt
                    ) and not any(u in ids_x or u in open_x for u in rule.rule.unless)
                    if held and rule.silent:
                        assert cid in silent_decided(rx) or cid in ids_x, (
                            f"{cid} should be open (the source's silence) on this side")
                    elif held:
                        assert cid in ids_x, f"{cid} should apply on this side of {threshold}"
                    blocked = all(
                        any(isinstance(a, FactAtom) and a.path == path and a.test(fy) is False
                            for a in other)
                        for r in RULEBOOK.rules_for[cid] for other in r.alternatives
                    )
                    if blocked:
                        assert cid not in applying(ry) and cid not in undetermined(ry), (
                            f"{cid} should be absent on the other side of {threshold}"
                        )
    assert crossed, f"no pair of scenarios straddles {path} {threshold:g}"


# --- 11. no child-specific conclusion without a real child -------------------------------------

_MINOR = re.search(r"minor under (?:the age of )?(\d+)", _TEXT)
assert _MINOR is not None, "the source says under what age a person is a minor"
ADULT_AGE = int(_MINOR.group(1))

MINOR_ONLY = requiring(
    lambda a: a.path == "victim.age" and (
        (a.op == "lt" and a.value <= ADULT_AGE) or (a.op == "le" and a.value < ADULT_AGE)
    ),
    {"status.minor_victim"},
)
REAL_CHILD_ONLY = requiring(
    lambda a: a.path == "investigation.decoy" and a.op == "is" and a.value is False,
    {"status.minor_victim"},
)


def test_limited_to_minors_is_derived_from_the_rules() -> None:
    """The source's age of majority is read from its text, and the minor-only conclusions the
    rules imply include the child-victim statuses, child protections and minor-victim charges."""
    assert ADULT_AGE == 18
    assert {"status.trafficking_victim", "protection.non_prosecution",
            "charge.human_trafficking", "charge.buyer.human_trafficking",
            "charge.procuring_prostitute"} <= MINOR_ONLY
    assert "charge.procuring_prostitute_adult" not in MINOR_ONLY
    assert "charge.adult_trafficking" not in MINOR_ONLY


@given(data=st.data())
def test_an_adult_victim_gets_no_conclusion_the_source_limits_to_minors(
    data: st.DataObject, engine: Engine
) -> None:
    """With a victim aged 18 or more, no conclusion all of whose rules need a victim under 18
    (directly, or through the minor-victim status) applies or is left undetermined."""
    for flat in data.draw(S.batches()):
        age = data.draw(st.integers(ADULT_AGE, int(S.GIVEN["victim.age"].maximum or 120)))
        result = evaluate(engine, S.fit({**flat, "victim.age": age}, {"victim.age"}))
        present = set(applying(result)) | set(undetermined(result))
        assert not present & MINOR_ONLY, sorted(present & MINOR_ONLY)


@given(flats=S.batches())
def test_a_decoy_is_not_a_real_child(flats: list[dict[str, Any]], engine: Engine) -> None:
    """Where a law-enforcement decoy posed as the minor, no conclusion that needs a real child (the
    minor-victim status, and everything every route to which needs it) applies or is open."""
    assert "status.minor_victim" in REAL_CHILD_ONLY
    for flat in flats:
        result = evaluate(engine, {**flat, "investigation.decoy": True})
        present = set(applying(result)) | set(undetermined(result))
        assert not present & REAL_CHILD_ONLY, sorted(present & REAL_CHILD_ONLY)


# --- 12. rule coverage -------------------------------------------------------------------------


@pytest.mark.parametrize("rule", RULEBOOK.rules, ids=lambda r: r.id)
def test_every_rule_fires_for_some_generated_scenario(rule: LoadedRule, engine: Engine) -> None:
    """Every rule can be reached: hypothesis finds a generated scenario in which it fires."""
    found = find(
        S.aimed_at(rule),
        lambda flat: fired(rule, evaluate(engine, flat)),
        settings=settings(max_examples=400, phases=[Phase.generate], database=None),
    )
    assert fired(rule, evaluate(engine, found))


# --- 13. cases of several people ---------------------------------------------------------------


@scaled(2)
@given(flat=S.scenario_maps())
def test_a_case_of_one_pair_equals_the_single_form(flat: dict[str, Any], uncached: Engine) -> None:
    """A case of one victim and one accused gives, for its one pair, the single scenario's result
    (derivations naming the pair's own accused aside, see own_accused_unnamed), and the
    scenario's presumptions and warnings for the case."""
    case = uncached.evaluate(S.case_mapping(S.case_of_one_pair(flat)))
    single = uncached.evaluate(S.nest(flat))
    assert [(p.accused, p.victim) for p in case.pairs] == [("A1", "V1")]
    assert (own_accused_unnamed(case.pairs[0].result, "A1").model_dump_json()
            == single.model_dump_json())
    assert case.presumptions == single.presumptions
    assert [(w.code, w.message) for w in case.warnings] == [
        (w.code, w.message) for w in single.warnings]


def _insert(items: list[Any], item: Any, data: st.DataObject) -> list[Any]:
    at = data.draw(st.integers(0, len(items)))
    return [*items[:at], item, *items[at:]]


@scaled(4)
@given(data=st.data())
def test_an_unrelated_accused_or_victim_changes_no_other_pair(
    data: st.DataObject, uncached: Engine
) -> None:
    """Adding an accused changes no pair of a victim the accused's conduct does not concern;
    adding a victim changes no pair of the victims already there (wherever in the lists the new
    person is put)."""
    spec = data.draw(S.case_specs(max_victims=2, max_accused=2))
    before = by_pair(uncached.evaluate(S.case_mapping(spec)))
    victim_ids = [vid for vid, _ in spec["victims"]]
    # a new accused concerning some of the victims
    concerns = data.draw(st.lists(st.sampled_from(victim_ids), min_size=1, unique=True))
    facts = S.split(data.draw(S.scenario_maps()), S.ACCUSED_GROUPS)
    if any(v.get(S.CONTROL) is False for vid, v in spec["victims"] if vid in concerns):
        facts.update({p: False for p in S._controlling(facts)})  # the model would refuse it
        # and a conviction that conduct alone supported goes with it
        facts = S.consistent(facts, fixed=[p for p in facts if p.startswith("accused.conduct.")])
    with_accused = {**spec, "accused": _insert(spec["accused"], ("AX", facts, concerns), data)}
    after = by_pair(uncached.evaluate(S.case_mapping(with_accused)))
    kept = {k: v for k, v in before.items() if k[1] not in concerns}
    assert {k: after[k] for k in kept} == kept
    # a new victim (whom the accused listing no victims now also concern)
    victim = data.draw(S._victim_facts(spec["case"]))
    if any(S._controlling(f) for _, f, c in spec["accused"] if c is None):
        victim[S.CONTROL] = victim.get(S.CONTROL) is not False or None  # as the model requires
        victim = {k: v for k, v in victim.items() if v is not None}
    with_victim = {**spec, "victims": _insert(spec["victims"], ("VX", victim), data)}
    after = by_pair(uncached.evaluate(S.case_mapping(with_victim)))
    assert {k: after[k] for k in before if k in after} == before
    assert all(k in after for k in before if k[0] is not None)


# --- 14. ages known as a range -----------------------------------------------------------------

AGE_PATHS = [p for p, spec in S.GIVEN.items() if spec.kind == "age"]


def _cuts(path: str) -> list[int]:
    """The ages at which a rule's comparison of this fact (or of a fact it bounds from below, as
    the age at the offense bounds the age at trial) changes truth: whole years."""
    bounded = [path, *(p for p, spec in S.GIVEN.items() if spec.at_least == path)]
    cuts: set[int] = set()
    for atom in FACT_ATOMS:
        if atom.path in bounded and atom.op in ("lt", "le", "gt", "ge"):
            cuts.add(int(atom.value) + (1 if atom.op in ("le", "gt") else 0))
    return sorted(cuts)


@st.composite
def _range_and_age_inside(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A fact map with an age given as a range lying on one side of every threshold, and the same
    with a whole age inside the range (and the other ages kept in order)."""
    path = draw(st.sampled_from(AGE_PATHS))
    flat = draw(S.scenario_maps())
    edges = [0, *_cuts(path), MAX_AGE + 1]
    segment = draw(st.sampled_from(list(zip(edges, edges[1:], strict=False))))
    lo, hi = segment[0], segment[1] - 1
    a, b = sorted((draw(st.integers(lo, hi)), draw(st.integers(lo, hi))))
    shape = draw(st.sampled_from(["both", *(["max"] if lo == 0 else []),
                                  *(["min"] if hi == MAX_AGE else [])]))
    age_range = {"both": {"min": a, "max": b}, "max": {"max": b}, "min": {"min": a}}[shape]
    ranged = S.fit({**flat, path: age_range}, {path})
    chain = next(c for c in S.CHAINS if path in c)
    i = chain.index(path)
    low = max([age_range.get("min", 0), *(
        (v.get("min", 0) if isinstance(v, dict) else v) for p in chain[:i]
        if (v := ranged.get(p)) is not None)])
    high = min([age_range.get("max", MAX_AGE), *(
        (v.get("max", MAX_AGE) if isinstance(v, dict) else v) for p in chain[i + 1:]
        if (v := ranged.get(p)) is not None)])
    whole = {**ranged, path: draw(st.integers(low, high))}
    assert S.valid(ranged) and S.valid(whole)
    return ranged, whole, path


@scaled(2)
@given(case=_range_and_age_inside())
def test_an_age_range_on_one_side_of_every_threshold_decides_as_any_age_inside(
    case: tuple[dict[str, Any], dict[str, Any], str], uncached: Engine
) -> None:
    """An age known only as a range that no threshold of the rules cuts ('15 or 16' for a rule
    asking 'under 14') gives the conclusions any whole age inside it gives."""
    ranged, whole, path = case
    a, b = evaluate(uncached, ranged), evaluate(uncached, whole)
    assert outcome(a) == outcome(b)
    assert all(path not in u.missing for u in a.undetermined)


# --- 15. presumptions --------------------------------------------------------------------------


def _without_presumptions(result: Result) -> str:
    """The result's JSON less what says which facts were presumed (the list, the markers, the
    presumed facts offered to ask next) and the echo of the facts given."""
    presumed = {p.fact for p in result.presumptions}
    data = result.model_dump(mode="json", exclude={"facts", "presumptions"})
    for c in (*data["conclusions"], *data["statuses"]):
        c.pop("presumed")
    data["ask_next"] = [a for a in data["ask_next"] if a["fact"] not in presumed]
    return json.dumps(data, sort_keys=True)


@scaled(2)
@given(flat=S.scenario_maps())
def test_presumptions_are_stated_and_strict_mode_makes_none(
    flat: dict[str, Any], uncached: Engine
) -> None:
    """Every presumption of the rulebook whose fact is not given is used and listed, none whose
    fact is given; presuming equals giving the presumed values (the markers aside), and strict
    mode equals leaving them unknown; a conclusion is marked as resting on a presumption exactly
    when it does not apply in strict mode."""
    result = evaluate(uncached, flat)
    strict = evaluate(uncached, flat, presume=False)
    listed = {p.fact: p.value for p in result.presumptions}
    assert listed == {f: v for f, v in PRESUMED.items() if f not in flat}
    assert strict.presumptions == []
    explicit = evaluate(uncached, _presumed_kept(flat), presume=False)
    assert _without_presumptions(result) == _without_presumptions(explicit)
    if not listed:
        assert strict.model_dump_json() == result.model_dump_json()
    strictly = applying(strict)
    assert set(strictly) <= set(applying(result)), "presuming a fact only adds conclusions"
    for c in applying(result).values():
        assert set(c.presumed) <= set(listed), f"{c.id} marks a presumption not listed"
        assert (c.id in strictly) == (not c.presumed), (
            f"{c.id}: marked {c.presumed} but {'applies' if c.id in strictly else 'not'} strictly")


# --- 16. convictions the conduct contradicts ---------------------------------------------------


@scaled(2)
@given(data=st.data())
def test_a_conviction_is_refused_exactly_when_its_conduct_is_given_as_false(
    data: st.DataObject, uncached: Engine
) -> None:
    """The engine refuses convictions every form of whose conduct a false fact contradicts, and
    accepts every other (what the strategies rely on to keep scenarios acceptable)."""
    flat = data.draw(S.fact_maps())
    conduct = [p for p in S.GIVEN if p.startswith("accused.conduct.")]
    raw = {**flat,
           S.CONVICTIONS: data.draw(st.lists(st.sampled_from(S.GIVEN[S.CONVICTIONS].choices),
                                             unique=True, min_size=1)),
           **data.draw(st.fixed_dictionaries({}, optional={p: st.booleans() for p in conduct}))}
    if raw.get(S.CONTROL) is False and S._controlling(raw):
        raw[S.CONTROL] = True  # trafficking her means controlling her: not what this tests
    refused = bool(S.refuted_convictions(raw))
    try:
        evaluate(uncached, raw)
    except FactError as err:
        assert refused, f"refused a consistent conviction: {err}"
        assert err.field == f"facts.{S.CONVICTIONS}"  # named from the document down
    else:
        assert not refused, "accepted a conviction its conduct contradicts"
