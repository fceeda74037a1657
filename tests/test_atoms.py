"""A fact condition on a value known exactly or as a range decides only what every value in the
range decides: a threshold inside the range is undetermined, one at its edge is decided. The
expected answer is found by trying every whole number the range holds, not by the engine's own
comparison."""

from __future__ import annotations

import operator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dmst.facts.model import MAX_AGE
from dmst.rules._atoms import FactAtom, MatchAtom

_OPS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _expected(op: str, value: Any, threshold: int) -> bool | None:
    """True if every whole number the value can be satisfies ``op threshold``, False if none
    does, None otherwise. A range's missing bound is the model's (0 or the oldest age)."""
    if isinstance(value, dict):
        numbers = range(value.get("min", 0), value.get("max", MAX_AGE) + 1)
    else:
        numbers = range(value, value + 1)
    answers = {_OPS[op](n, threshold) for n in numbers}
    return answers.pop() if len(answers) == 1 else None


#: Small numbers, so that thresholds meet the bounds (0 among them, where a missing lower bound
#: lies) often.
_RANGES = st.one_of(
    st.integers(0, 6),
    st.builds(lambda lo, width: {"min": lo, "max": lo + width}, st.integers(0, 6),
              st.integers(0, 3)),
    st.builds(lambda hi: {"max": hi}, st.integers(0, 6)),
    st.builds(lambda lo: {"min": lo}, st.integers(0, 6)),
)


@settings(max_examples=300)
@given(value=_RANGES, op=st.sampled_from(sorted(_OPS)), threshold=st.integers(0, 8))
def test_a_threshold_is_decided_only_where_the_whole_range_lies_on_one_side(
        value: Any, op: str, threshold: int) -> None:
    """Against every threshold and operator, an exact value or a range (with one or two
    bounds) gives what every number in it would give, or unknown where they differ."""
    atom = FactAtom("victim.age", op, threshold)
    assert atom.test({"victim.age": value}) is _expected(op, value, threshold)


@pytest.mark.parametrize(("value", "op", "answer"), [
    ({"min": 17, "max": 18}, "ge", None), ({"min": 17, "max": 18}, "lt", None),
    ({"min": 18, "max": 19}, "ge", True), ({"min": 16, "max": 17}, "ge", False),
    ({"min": 17, "max": 18}, "le", True), ({"min": 18, "max": 19}, "le", None),
    ({"min": 19, "max": 20}, "le", False), ({"min": 16, "max": 18}, "le", True),
    ({"min": 18, "max": 19}, "gt", None), ({"min": 19, "max": 20}, "gt", True),
])
def test_the_edges_of_a_range_at_18(value: dict[str, int], op: str, answer: bool | None) -> None:
    """At the age of majority: a range that reaches 18 from below or starts there."""
    assert FactAtom("victim.age", op, 18).test({"victim.age": value}) is answer


@pytest.mark.parametrize(("atom", "conclusion", "matches"), [
    (MatchAtom("charge", None, "buyer", False, False), ("charge", "human_trafficking", "buyer"),
     True),
    (MatchAtom("charge", None, "buyer", False, False),
     ("charge", "human_trafficking", "trafficker"), False),
    (MatchAtom("charge", None, "buyer", False, False), ("charge", "human_trafficking", None),
     False),
    (MatchAtom("charge", ("enticing_child",), None, False, False),
     ("charge", "enticing_child", "buyer"), True),
    (MatchAtom("charge", ("enticing_child",), None, False, False),
     ("charge", "computer_luring", None), False),
    (MatchAtom("charge", None, None, False, False), ("consequence", None, "trafficker"), False),
    (MatchAtom(None, None, "trafficker", False, False), ("consequence", None, "trafficker"),
     True),
])
def test_a_match_needs_every_attribute_it_names(
        atom: MatchAtom, conclusion: tuple[str, str | None, str | None], matches: bool) -> None:
    """A condition on "a charge against a buyer" is met by a buyer's charge only; one that names
    no role, by a charge of any role; one that names offenses, by those offenses only."""
    assert atom.matches(*conclusion) is matches
