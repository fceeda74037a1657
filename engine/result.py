"""The result of evaluating a scenario: cited conclusions, what is undetermined, and a stamp.

Lists are in a stable order, so the same scenario always gives the same JSON bytes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dmst.rules.model import Certainty, Kind, Modality, Penalty

__all__ = [
    "AskNext",
    "Citation",
    "Conclusion",
    "Derivation",
    "Result",
    "Stamp",
    "StatuteRef",
    "Undetermined",
    "Warning",
]

FactValue = bool | int | float | str | list[str]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatuteRef(_Out):
    """A Mississippi Code section, with the confidence the source's table gives it."""

    cite: str = Field(description="E.g. 'Miss. Code Ann. \u00a7 97-3-54.1(1)(c)'.")
    confidence: Literal["high", "medium"]
    note: str | None = None


class Citation(_Out):
    """A verbatim passage of the source and the area of the source it is in."""

    section: str
    quote: str
    statute: StatuteRef | None = None


class Derivation(_Out):
    """One way a conclusion was reached: the rule, the facts it tested, the conclusions it used."""

    rule: str
    certainty: Certainty
    facts: dict[str, FactValue | None] = Field(
        description="The facts the rule tested, with their values (null: unknown)."
    )
    conclusions: list[str] = Field(description="Conclusions the rule relied on.")


class Conclusion(_Out):
    """A conclusion that applies on the facts given."""

    id: str
    kind: Kind
    title: str
    certainty: Certainty = Field(
        description="'applies', or 'may_apply' where the source hedges (could, likely, in a few, "
        "limited circumstances)."
    )
    rule: str = Field(description="The rule that reached it (the first, where several did).")
    role: str | None = None
    offense: str | None = None
    penalty: Penalty | None = None
    modality: Modality | None = None
    deadline: str | None = None
    topic: str | None = None
    applies_to: list[str] = Field(
        default_factory=list,
        description="For a barred defense or a consequence: the conclusions (charges) it attaches to.",
    )
    text: str | None = None
    citations: list[Citation]
    derivations: list[Derivation]


class Undetermined(_Out):
    """A conclusion the facts given cannot decide, and what would decide it."""

    id: str
    kind: Kind
    title: str
    reason: Literal["missing_facts", "source_silent"]
    missing: list[str] = Field(
        description="Unknown facts that would decide whether its conditions hold (empty when "
        "they are known to hold: then only the source's silence leaves it open)."
    )
    certainty: Certainty = Field(description="Its certainty if it turns out to apply.")
    rules: list[str]
    role: str | None = None
    offense: str | None = None
    applies_to: list[str] = Field(default_factory=list)
    text: str | None = None
    citations: list[Citation]


class AskNext(_Out):
    """An unknown fact worth asking about, with the conclusions it bears on."""

    fact: str
    description: str
    settles: int = Field(description="How many undetermined conclusions list it.")
    conclusions: list[str]


class Warning(_Out):  # noqa: A001 - the result's own vocabulary
    """Something the reader of a result should know."""

    code: str
    message: str


class Stamp(_Out):
    """What produced the result."""

    rulebook: dict[str, str]
    source: dict[str, str]
    as_of: dict[str, str]
    engine: dict[str, str]
    notice: str


class Result(_Out):
    """Everything dmst concludes from one scenario."""

    conclusions: list[Conclusion]
    statuses: list[Conclusion] = Field(
        description="Derived facts about the victim (minor, CSEC victim, trafficking victim)."
    )
    undetermined: list[Undetermined]
    ask_next: list[AskNext]
    warnings: list[Warning]
    facts: dict[str, Any] = Field(
        description="The facts given, by path, and the facts computed from them "
        "(compensation.filing_delay_months)."
    )
    stamp: Stamp

    def conclusion(self, conclusion_id: str) -> Conclusion | None:
        """The conclusion (or status) with this id, if it applies."""
        for c in (*self.conclusions, *self.statuses):
            if c.id == conclusion_id:
                return c
        return None

    def ids(self) -> list[str]:
        """Ids of every conclusion that applies, statuses included."""
        return [c.id for c in (*self.statuses, *self.conclusions)]
