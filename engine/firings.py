"""What an evaluation produces before it becomes a result: the set of rule firings.

A firing is one rule, one of its alternatives, in one mode, with the conclusions it matched:

* mode ``definite``: every condition holds on the facts given (unknown facts count as false);
* mode ``possible``: no condition is known to fail (unknown facts count as true).

A conclusion with a definite firing applies whatever the unknown facts turn out to be; one with
only possible firings is undetermined. Both evaluators (durable_rules and the reference) produce
the same :class:`Firings`, which is what the differential tests compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from dmst.rules.model import Certainty

__all__ = ["DEFINITE", "POSSIBLE", "Firing", "Firings", "Mode"]

Mode = Literal["d", "p"]
DEFINITE: Mode = "d"
POSSIBLE: Mode = "p"


@dataclass(frozen=True, order=True)
class Firing:
    """One rule alternative that held, and the conclusion ids matched by its conclusion atoms
    (in atom order)."""

    rule: str
    alternative: int
    mode: Mode
    matched: tuple[str, ...]


@dataclass
class Firings:
    """All firings of one evaluation, indexed by the conclusion they add."""

    by_conclusion: dict[str, list[Firing]] = field(default_factory=dict)
    certainty: dict[tuple[Mode, str], Certainty] = field(default_factory=dict)

    def add(self, conclusion: str, firing: Firing, certainty: Certainty) -> bool:
        """Record a firing; True when it is the first of its mode for this conclusion."""
        key = (firing.mode, conclusion)
        first = key not in self.certainty
        self.by_conclusion.setdefault(conclusion, []).append(firing)
        if first or certainty is Certainty.APPLIES:
            self.certainty[key] = (
                certainty if first else Certainty.APPLIES
            )
        return first

    def holds(self, mode: Mode, conclusion: str) -> bool:
        return (mode, conclusion) in self.certainty

    def of(self, conclusion: str, mode: Mode) -> list[Firing]:
        return sorted(f for f in self.by_conclusion.get(conclusion, ()) if f.mode == mode)

    def canonical(self) -> list[tuple[str, Firing]]:
        """Every (conclusion, firing), sorted: equal for two evaluators that agree."""
        return sorted((c, f) for c, fs in self.by_conclusion.items() for f in fs)

    def ids(self, mode: Mode) -> set[str]:
        return {c for (m, c) in self.certainty if m == mode}


def weakest(certainties: Iterable[Certainty]) -> Certainty:
    """``may_apply`` if any is ``may_apply``."""
    return (
        Certainty.MAY_APPLY
        if any(c is Certainty.MAY_APPLY for c in certainties)
        else Certainty.APPLIES
    )
