"""Safe concurrency and isolation: an engine shared by threads gives the sequential results,
nothing leaks from one evaluation into the next, memory stays flat, and a failing rule action is
an error, never a partial result."""

from __future__ import annotations

import gc
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from dmst import Case, CaseResult, Engine, EvaluationError, Result, Scenario, load_case_file
from dmst.engine._durable import CompiledRuleset
from dmst.facts.model import age_bounds

from .conftest import EXAMPLES

A = {"victim": {"age": 15, "engaged_in_commercial_sex": True, "third_party_control": True},
     "accused": {"roles": ["trafficker"], "conduct": {"trafficked_for_sex": True}},
     "investigation": {"decoy": False}}
B = {"victim": {"age": 17}, "accused": {"roles": ["buyer"],
                                         "conduct": {"bought_commercial_sex": True}},
     "investigation": {"decoy": True}}


def _older(victim: Any) -> Any:
    """The victim a year older at the offense, where the age is whole years and that stays below
    the age at trial; None otherwise."""
    age, at_trial = victim.age, age_bounds(victim.age_at_testimony)
    if isinstance(age, int) and age < 120 and (at_trial is None or at_trial[0] > age):
        return victim.model_copy(update={"age": age + 1})
    return None


def _scenarios() -> list[Scenario | Case]:
    """The examples' facts (single scenarios and cases of several people), and each with the
    victims' ages one year on (new signatures)."""
    out: list[Scenario | Case] = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        facts = load_case_file(path).facts
        out.append(facts)
        if isinstance(facts, Scenario):
            older = _older(facts.victim)
            if older is not None:
                out.append(facts.model_copy(update={"victim": older}))
        else:
            victims = [_older(v) or v for v in facts.victims]
            if victims != list(facts.victims):
                out.append(facts.model_copy(update={"victims": tuple(victims)}))
    assert any(isinstance(s, Case) for s in out) and any(isinstance(s, Scenario) for s in out)
    return out


def _run_threads(engine: Engine, scenarios: list[Scenario | Case], threads: int, each: int
                 ) -> list[list[Result | CaseResult]]:
    barrier = threading.Barrier(threads)

    def worker(offset: int) -> list[Result | CaseResult]:
        barrier.wait()  # start together, to overlap as much as possible
        return [engine.evaluate(scenarios[(offset * 7 + i) % len(scenarios)])
                for i in range(each)]

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(worker, range(threads)))


def test_eight_threads_sharing_an_engine_get_the_sequential_results() -> None:
    """8 threads x 300 evaluations on one engine (racing to fill its cache, then sharing it) give
    exactly the sequential results."""
    scenarios = _scenarios()
    reference = Engine(cache_size=0)  # every expected result from the rule network itself
    expected = [reference.evaluate(s) for s in scenarios]
    engine = Engine()  # fresh: the threads race to fill its caches
    results = _run_threads(engine, scenarios, threads=8, each=300)
    assert sum(map(len, results)) == 2400
    for offset, got in enumerate(results):
        for i, result in enumerate(got):
            assert result == expected[(offset * 7 + i) % len(scenarios)]


def test_threads_without_the_cache_run_the_rule_network_concurrently() -> None:
    """With no cache every evaluation runs a durable_rules session; threads still agree."""
    scenarios = _scenarios()[:16]
    engine = Engine(cache_size=0)
    expected = [engine.evaluate(s) for s in scenarios]
    results = _run_threads(engine, scenarios, threads=8, each=12)
    for offset, got in enumerate(results):
        for i, result in enumerate(got):
            assert result == expected[(offset * 7 + i) % len(scenarios)]


def test_nothing_leaks_between_evaluations() -> None:
    """Evaluating A, then B, then A again gives A's result both times (and B's differs)."""
    engine = Engine(cache_size=0)
    first = engine.evaluate(A).model_dump_json()
    other = engine.evaluate(B).model_dump_json()
    again = engine.evaluate(A).model_dump_json()
    assert first == again
    assert other != first


def test_a_fresh_engine_agrees_with_a_used_one() -> None:
    """An engine that has evaluated many scenarios gives what a brand-new engine gives."""
    used = Engine(cache_size=0)
    for s in _scenarios():
        used.evaluate(s)
    assert used.evaluate(A) == Engine(cache_size=0).evaluate(A)


def test_a_failing_rule_action_is_an_error_and_the_engine_recovers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside a rule action surfaces as EvaluationError (no partial result), is
    not cached, and the next evaluation is complete and correct."""
    engine = Engine()
    expected = Engine(cache_size=0).evaluate(A).model_dump_json()
    real = CompiledRuleset._act
    calls = {"n": 0}

    def failing(self: CompiledRuleset, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("injected failure")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CompiledRuleset, "_act", failing)
    with pytest.raises(EvaluationError, match="injected failure") as caught:
        engine.evaluate(A)
    assert "no partial result" in caught.value.message
    assert calls["n"] == 3
    monkeypatch.setattr(CompiledRuleset, "_act", real)
    assert engine.evaluate(A).model_dump_json() == expected  # recomputed, not a cached part
    assert engine.evaluate(B).model_dump_json() == Engine().evaluate(B).model_dump_json()


def _rss_kib() -> int | None:
    try:
        fields = Path("/proc/self/statm").read_text().split()
    except OSError:
        return None
    import os

    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_memory_stays_flat_over_many_evaluations() -> None:
    """After warming up, 600 more evaluations (each a fresh durable_rules session) hold no more
    Python or resident memory (benchmarks/memory_soak.py runs 100,000). Python objects are
    counted as the interpreter's allocated memory blocks (every object takes at least one), which
    costs nothing while evaluating, where tracing each allocation would slow every evaluation."""
    engine = Engine(cache_size=0)
    scenarios = _scenarios()
    for s in scenarios * 2:
        engine.evaluate(s)
    gc.collect()
    blocks_before = sys.getallocatedblocks()
    rss_before = _rss_kib()
    for i in range(600):
        engine.evaluate(scenarios[i % len(scenarios)])
    gc.collect()
    blocks_grown = sys.getallocatedblocks() - blocks_before
    rss_after = _rss_kib()
    # Python objects: nothing kept from one evaluation to the next (not one object an evaluation)
    assert blocks_grown < 600
    if rss_before is not None and rss_after is not None:
        assert rss_after - rss_before < 16 * 1024  # KiB: durable_rules sessions are freed
