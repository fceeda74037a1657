"""Conditions in evaluation form: the atoms a rule's alternatives are made of.

A rule's ``when`` and ``scope`` expand into *alternatives* (disjunctive normal form); each
alternative is a conjunction of atoms:

* :class:`FactAtom` tests one fact and is true, false or unknown (the fact is not given, or an
  age range lies on both sides of the threshold);
* :class:`RefAtom` holds when another conclusion, by id, holds;
* :class:`MatchAtom` holds when some conclusion with the given kind, offenses and role holds
  (a rule's ``scope`` is one: the result lists every conclusion it matched).

Every atom belongs to an *entity*: facts about the accused (and the conclusions drawn from them)
concern one accused–victim **pair**; facts about the victim, the investigation and the dates
concern the **victim**, whoever the accused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "PAIR",
    "VICTIM",
    "Atom",
    "Entity",
    "FactAtom",
    "MatchAtom",
    "RefAtom",
    "fact_entity",
    "weighs",
]

Entity = Literal["pair", "victim"]
PAIR: Entity = "pair"
VICTIM: Entity = "victim"

_SYMBOL = {"is": "is", "lt": "<", "le": "\u2264", "gt": ">", "ge": "\u2265", "has": "includes",
           "lacks": "does not include",
           "not": "is not", "unknown": "is unknown"}


def fact_entity(path: str) -> Entity:
    """The entity a fact concerns: the pair for the accused's facts, else the victim."""
    return PAIR if path.startswith("accused.") else VICTIM


def _span(value: Any) -> tuple[float, float]:
    """The lowest and highest a known value can be (an age range spans its bounds)."""
    if isinstance(value, dict):
        return value.get("min", 0), value.get("max", float("inf"))
    return value, value


@dataclass(frozen=True)
class FactAtom:
    """``fact op value``: true, false, or unknown (None).

    ``param`` names the rulebook parameter a threshold came from. ``unknown_holds`` marks an atom
    that counts as holding when its fact is not given (a conviction, when no convictions are
    given: the conclusion then attaches *on conviction*).
    """

    path: str
    op: str  # is, lt, le, gt, ge, has, lacks, not, unknown
    value: Any
    param: str | None = None
    unknown_holds: bool = False

    @property
    def entity(self) -> Entity:
        return fact_entity(self.path)

    def test(self, facts: dict[str, Any]) -> bool | None:
        """True, False, or None (unknown) against the effective flattened facts. A number known
        as a range (``{"min": 15, "max": 16}``) decides a threshold only where it lies wholly on
        one side of it."""
        if self.op == "unknown":
            return self.path not in facts
        if self.path not in facts:
            return None
        given = facts[self.path]
        if self.op == "is":
            return bool(given == self.value)
        if self.op == "has":
            return self.value in given
        if self.op == "lacks":
            return self.value not in given
        if self.op == "not":
            return bool(given != self.value)
        lo, hi = _span(given)
        v = self.value
        if self.op == "lt":
            return True if hi < v else False if lo >= v else None
        if self.op == "le":
            return True if hi <= v else False if lo > v else None
        if self.op == "gt":
            return True if lo > v else False if hi <= v else None
        return True if lo >= v else False if hi < v else None

    def describe(self) -> str:
        """The condition in words: ``victim.age < 18``."""
        value = str(self.value).lower() if isinstance(self.value, bool) else self.value
        if self.op == "unknown":
            return f"{self.path} is unknown"
        return f"{self.path} {_SYMBOL[self.op]} {value}"


@dataclass(frozen=True)
class RefAtom:
    """Another conclusion, by id, holds (``relevance``: its certainty does not weaken the
    rule's own)."""

    id: str
    relevance: bool

    def describe(self) -> str:
        return f"conclusion {self.id}"


@dataclass(frozen=True)
class MatchAtom:
    """Some conclusion with these attributes holds (any one of the offenses)."""

    kind: str | None
    offenses: tuple[str, ...] | None
    role: str | None
    #: True for a rule's scope: the result lists every matching conclusion.
    scope: bool
    #: True where the match only says where the rule is relevant (its certainty is its own).
    relevance: bool

    def matches(self, kind: str, offense: str | None, role: str | None) -> bool:
        return (
            (self.kind is None or kind == self.kind)
            and (self.offenses is None or offense in self.offenses)
            and (self.role is None or role == self.role)
        )

    def describe(self) -> str:
        parts = [self.kind or "conclusion"]
        if self.role:
            parts.append(f"of a {self.role}")
        if self.offenses:
            parts.append("for " + " or ".join(self.offenses))
        return "a " + " ".join(parts)


Atom = FactAtom | RefAtom | MatchAtom


def weighs(atom: Atom) -> bool:
    """Whether the certainty of the conclusions an atom matches weakens the rule's own."""
    return not (isinstance(atom, (MatchAtom, RefAtom)) and atom.relevance)
