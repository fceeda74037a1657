"""What an evaluation produces before it becomes a result: the recorded proof.

A firing is one rule, one of its alternatives, in one mode, for one entity (a pair ``p0`` or a
victim ``v0``), with the conclusion instances its conclusion atoms matched:

* mode ``definite``: every condition holds on the facts given (unknown facts count as false);
* mode ``possible``: no condition is known to fail (unknown facts count as true).

Both evaluators (durable_rules and the reference) record the same :class:`Firings`, which is what
the differential tests compare, and every surface (results, explanations, why-not, what-if)
reads it. :func:`status_of` is the one place that says whether a conclusion applies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from dmst.rules import Certainty

__all__ = [
    "DEFINITE",
    "POSSIBLE",
    "Firing",
    "Firings",
    "Mode",
    "Status",
    "status_of",
    "weakest",
]


class Mode(str, Enum):
    """How unknown facts count: as false (definite) or as true (possible)."""

    DEFINITE = "d"
    POSSIBLE = "p"

    @property
    def other(self) -> Mode:
        return Mode.POSSIBLE if self is Mode.DEFINITE else Mode.DEFINITE


DEFINITE = Mode.DEFINITE
POSSIBLE = Mode.POSSIBLE


class Status(str, Enum):
    """Where a conclusion stands on the facts: the one vocabulary of every surface."""

    APPLIES = "applies"
    MAY_APPLY = "may_apply"
    UNDETERMINED = "undetermined"
    SOURCE_SILENT = "source_silent"
    DOES_NOT_APPLY = "does_not_apply"

    @property
    def label(self) -> str:
        """The status in words, as every report prints it."""
        return _LABELS[self]

    @property
    def holds(self) -> bool:
        return self in (Status.APPLIES, Status.MAY_APPLY)


_LABELS = {
    Status.APPLIES: "applies",
    Status.MAY_APPLY: "may apply",
    Status.UNDETERMINED: "undetermined \u2014 facts missing",
    Status.SOURCE_SILENT: "undetermined \u2014 the source does not say",
    Status.DOES_NOT_APPLY: "does not apply",
}

#: A conclusion instance: the conclusion id and the entity it is about ("p0", "v1", ...).
Instance = tuple[str, str]


@dataclass(frozen=True, order=True)
class Firing:
    """One rule alternative that held for one entity, and the conclusion instances matched by its
    conclusion atoms (in atom order). ``silent``: the rule records the source's silence."""

    rule: str
    alternative: int
    mode: Mode
    entity: str
    matched: tuple[Instance, ...]
    silent: bool


@dataclass
class Firings:
    """All firings of one evaluation, by conclusion instance, with the certainty of each decided
    instance in each mode."""

    by_instance: dict[Instance, list[Firing]] = field(default_factory=dict)
    certainty: dict[tuple[Mode, str, str], Certainty] = field(default_factory=dict)
    silent: set[tuple[Mode, str, str]] = field(default_factory=set)

    def add(self, conclusion: str, entity: str, firing: Firing, certainty: Certainty) -> bool:
        """Record a firing; True when it is the first decided one of its mode for the instance
        (the moment to assert the conclusion for the rules that read it)."""
        self.by_instance.setdefault((conclusion, entity), []).append(firing)
        key = (firing.mode, conclusion, entity)
        if firing.silent:
            self.silent.add(key)
            return False
        first = key not in self.certainty
        if first or certainty is Certainty.APPLIES:
            self.certainty[key] = certainty
        return first

    def holds(self, mode: Mode, conclusion: str, entity: str) -> bool:
        """Whether a decided rule reached the instance in ``mode`` (what other rules can read)."""
        return (mode, conclusion, entity) in self.certainty

    def of(self, conclusion: str, entity: str, mode: Mode | None = None) -> list[Firing]:
        """The firings of an instance (of one mode, when given), in the order they fired."""
        found = self.by_instance.get((conclusion, entity), ())
        return [f for f in found if f.mode is mode] if mode is not None else list(found)

    def canonical(self) -> list[tuple[Instance, Firing]]:
        """Every (instance, firing), sorted: equal for two evaluators that agree."""
        return sorted((i, f) for i, fs in self.by_instance.items() for f in fs)


def status_of(firings: Firings, conclusion: str, entity: str) -> Status:
    """Whether a conclusion instance applies (or may), is undetermined (facts missing, or the
    source silent) or does not apply: decided definite firings first, then the source's silence,
    then possible firings of either kind."""
    certainty = firings.certainty.get((DEFINITE, conclusion, entity))
    if certainty is not None:
        return Status.APPLIES if certainty is Certainty.APPLIES else Status.MAY_APPLY
    if (DEFINITE, conclusion, entity) in firings.silent:
        return Status.SOURCE_SILENT
    if (POSSIBLE, conclusion, entity) in firings.certainty or \
            (POSSIBLE, conclusion, entity) in firings.silent:
        return Status.UNDETERMINED
    return Status.DOES_NOT_APPLY


def weakest(certainties: Iterable[Certainty]) -> Certainty:
    """``may_apply`` if any is ``may_apply``."""
    return (
        Certainty.MAY_APPLY
        if any(c is Certainty.MAY_APPLY for c in certainties)
        else Certainty.APPLIES
    )
