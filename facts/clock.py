"""Today's date, in one place, so that what counts as "the future" can be fixed in tests.

Validators and generators ask :func:`today` rather than :func:`datetime.date.today`. Code that
needs another day (a test of the day after tomorrow, a replay of last year's intake) runs inside
``with fixed_today(day): ...``; the day is held in a context variable, so threads and tasks that
do not enter the block keep the real date.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["fixed_today", "today"]

_FIXED: ContextVar[_dt.date | None] = ContextVar("dmst_today", default=None)


def today() -> _dt.date:
    """Today's date: the real one, or the one a surrounding :func:`fixed_today` sets."""
    fixed = _FIXED.get()
    return fixed if fixed is not None else _dt.date.today()


@contextmanager
def fixed_today(day: _dt.date) -> Iterator[_dt.date]:
    """Within the block, :func:`today` returns ``day``."""
    token = _FIXED.set(day)
    try:
        yield day
    finally:
        _FIXED.reset(token)
