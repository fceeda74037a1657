"""The rule engine's capacity: durable_rules' alpha network works through a stack of 64 nodes,
and a rulebook whose facts reach more conditions at once fails (error 303). The shipped rulebook
and one six times its size are within it and evaluate every kind of case; seven times is
refused when the engine is made, with a message naming the limit, never on some case later."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from dmst.engine._engine import Engine
from dmst.errors import RulebookError
from dmst.facts.load import case_from_data
from dmst.rules import load_rulebook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from scenarios import generate, generate_case  # noqa: E402
from synthetic import write_scaled_rulebook  # noqa: E402


def test_the_shipped_rulebook_is_within_the_capacity(engine: Engine) -> None:
    """The check the engine skips for the shipped rulebook passes on it."""
    engine.check_capacity()


def test_six_times_the_rulebook_evaluates_varied_cases(tmp_path: Path) -> None:
    """The largest size supported: made without refusal, and every generated case (single and
    of several people, facts varied and partly unknown) evaluates."""
    engine = Engine(load_rulebook(write_scaled_rulebook(tmp_path / "x6", 6)), cache_size=0)
    assert len(engine.rulebook.rules) == 6 * len(load_rulebook().rules)
    rng = random.Random(4)
    cases = [case_from_data(d) for d in generate(60, seed=4)]
    cases += [case_from_data(generate_case(rng, 3, 2)) for _ in range(3)]
    for case in cases:
        result = engine.evaluate_file(case)
        assert result.stamp.rulebook["fingerprint"] == engine.rulebook.fingerprint


def test_seven_times_the_rulebook_is_refused_when_the_engine_is_made(tmp_path: Path) -> None:
    rulebook = load_rulebook(write_scaled_rulebook(tmp_path / "x7", 7))
    with pytest.raises(RulebookError, match="too large for durable_rules.*64 nodes.*303"):
        Engine(rulebook)
