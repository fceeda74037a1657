"""One case file edited step by step: after every change the shared, caching engine gives the
result a fresh, uncached evaluation gives.

The engine keeps the firings of recent legal signatures (the truth value of every fact condition),
so a case edited back and forth, or changed within one side of every threshold, is served from the
cache: the machine checks that this never shows.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from dmst import Engine

from . import strategies as S

#: Shared by every run of the machine, with a small cache so that entries are also evicted.
CACHED = Engine(cache_size=24)
FRESH = Engine(cache_size=0)


class EditedCase(RuleBasedStateMachine):
    """Facts are given, changed, withdrawn, and earlier versions of the case restored."""

    versions = Bundle("versions")

    def __init__(self) -> None:
        super().__init__()
        self.facts: dict[str, Any] = {}

    @initialize(target=versions, flat=S.fact_maps())
    def open_case(self, flat: dict[str, Any]) -> dict[str, Any]:
        self.facts = dict(flat)
        return dict(self.facts)

    @rule(target=versions, data=st.data(), path=st.sampled_from(sorted(S.GIVEN)))
    def give_or_change(self, data: st.DataObject, path: str) -> dict[str, Any]:
        value = data.draw(S.values(path), label=path)
        edited = S.fit({**self.facts, path: value}, {path})
        if S.valid(edited):
            self.facts = edited
        return dict(self.facts)

    @rule(target=versions, data=st.data(), path=st.sampled_from(sorted(S.COMPUTED)))
    def move_dates_about_a_threshold(self, data: st.DataObject, path: str) -> dict[str, Any]:
        """Put a computed fact (the filing delay) just below, at or just above a threshold."""
        first, second = S.COMPUTED[path].computed_from
        start = self.facts.get(first) or data.draw(st.dates(S.EARLIEST, S.TODAY), label=first)
        end = data.draw(st.sampled_from(S.computed_ends(path, start)), label=second)
        self.facts = S.fit({**self.facts, first: start, second: end}, {first, second})
        return dict(self.facts)

    @precondition(lambda self: bool(self.facts))
    @rule(target=versions, data=st.data())
    def withdraw(self, data: st.DataObject) -> dict[str, Any]:
        path = data.draw(st.sampled_from(sorted(self.facts)), label="withdrawn")
        del self.facts[path]
        return dict(self.facts)

    @rule(version=versions)
    def restore(self, version: dict[str, Any]) -> None:
        self.facts = dict(version)

    @invariant()
    def cached_result_equals_a_fresh_evaluation(self) -> None:
        scenario = S.to_scenario(self.facts)
        cached = CACHED.evaluate(scenario).model_dump_json()
        assert cached == FRESH.evaluate(scenario).model_dump_json()


TestEditedCase = EditedCase.TestCase
# Each run edits the case 20 times (the cache is shared by every run, so entries are evicted
# across runs as well), in half the profile's number of runs: every step evaluates twice.
TestEditedCase.settings = settings(settings(), stateful_step_count=20,
                                   max_examples=max(1, settings().max_examples // 2))
TestEditedCase.__doc__ = (
    "After each edit of one case file, the caching engine's result equals a fresh evaluation."
)
