"""The load-time check that no result can give and deny one topic decides, for two conditions on
one fact, that they exclude each other exactly when no value satisfies both. The expected answer
is found by trying values, not by the check's own interval arithmetic."""

from __future__ import annotations

import operator

from hypothesis import given
from hypothesis import strategies as st

from dmst.rules._atoms import FactAtom
from dmst.rules._checks import _facts_conflict

_OPS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
#: Every half of a whole number around the thresholds drawn: two intervals with whole-number ends
#: that share any value share one of these.
_VALUES = [n / 2 for n in range(-4, 2 * 24)]


def _satisfiable(a: tuple[str, int], b: tuple[str, int]) -> bool:
    return any(_OPS[a[0]](v, a[1]) and _OPS[b[0]](v, b[1]) for v in _VALUES)


@given(a=st.tuples(st.sampled_from(sorted(_OPS)), st.integers(0, 20)),
       b=st.tuples(st.sampled_from(sorted(_OPS)), st.integers(0, 20)))
def test_two_comparisons_conflict_exactly_when_no_value_meets_both(
        a: tuple[str, int], b: tuple[str, int]) -> None:
    """``age lt 18`` and ``age ge 18`` exclude each other; ``age le 18`` and ``age ge 18`` do not
    (18 meets both): for every pair of comparisons and thresholds, in either order."""
    x, y = FactAtom("victim.age", a[0], a[1]), FactAtom("victim.age", b[0], b[1])
    assert _facts_conflict(x, y) is (not _satisfiable(a, b))
    assert _facts_conflict(y, x) is (not _satisfiable(a, b))


def test_equal_values_conflict_only_when_they_differ() -> None:
    """``is true`` and ``is false`` exclude each other, ``is true`` twice does not; a condition
    that holds when the fact is unknown (``not``, or a conviction not given) conflicts with
    nothing, and neither do conditions on different facts."""
    t, f = FactAtom("victim.willing", "is", True), FactAtom("victim.willing", "is", False)
    assert _facts_conflict(t, f) and _facts_conflict(f, t)
    assert not _facts_conflict(t, t)
    assert not _facts_conflict(t, FactAtom("victim.willing", "not", True))
    assert not _facts_conflict(FactAtom("victim.willing", "is", True, unknown_holds=True), f)
    assert not _facts_conflict(t, FactAtom("victim.will_testify", "is", False))
