"""The rule format: what a rule file may say, checked by pydantic as it is read.

A rule has a stable ``id``, a ``title`` that reads as a legal sentence, ``when`` (conditions over
facts and over other rules' conclusions, all of which must hold), optional ``unless`` (conclusions
that override it), ``then`` (the one conclusion it adds) and ``cites`` (verbatim quotes of the
source, with the statute section where the source's table knows it).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AllCondition",
    "AnyCondition",
    "Certainty",
    "Citation",
    "ConclusionRef",
    "ConclusionSpec",
    "Condition",
    "ContextOnly",
    "FactCondition",
    "Kind",
    "Modality",
    "Penalty",
    "Range",
    "Rule",
    "RuleFile",
    "RulebookMeta",
    "StatuteEntry",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(str, Enum):
    """What a conclusion is about. ``status`` is a derived fact about the victim."""

    CHARGE = "charge"
    CONSEQUENCE = "consequence"
    DEFENSE_BARRED = "defense_barred"
    PROTECTION = "protection"
    INVESTIGATION = "investigation"
    GAP = "gap"
    STATUS = "status"


class Certainty(str, Enum):
    """``may_apply`` where the source hedges (\u201ccould\u201d, \u201clikely\u201d, \u201cin a few, limited circumstances\u201d)."""

    APPLIES = "applies"
    MAY_APPLY = "may_apply"


class Modality(str, Enum):
    """How a protection or consequence binds: the source's own modal words."""

    MANDATORY = "mandatory"
    MAY = "may"
    NOT_AVAILABLE = "not_available"
    NOT_SPECIFICALLY_AUTHORIZED = "not_specifically_authorized"
    LIMITED = "limited"


Role = Literal["trafficker", "buyer", "facilitator"]
Scalar = bool | int | float | str


class Range(_Strict):
    """A range as the source states it; ``None`` where it states no figure (``up to 10`` has no min)."""

    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        for v in (self.min, self.max):
            if v is not None and v < 0:
                raise ValueError("a penalty figure cannot be negative")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is greater than max {self.max}")
        return self


class Penalty(_Strict):
    """Prison years and fine in US dollars, each a range; ``None`` where the source gives none."""

    prison_years: Range = Field(default_factory=Range)
    fine_usd: Range = Field(default_factory=Range)


class FactCondition(_Strict):
    """A test of one fact: ``{fact: victim.age, lt: 18}``. Exactly one operator."""

    fact: str
    is_: Scalar | None = Field(None, alias="is")
    lt: int | float | None = None
    le: int | float | None = None
    gt: int | float | None = None
    ge: int | float | None = None
    has: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_operator(self) -> FactCondition:
        ops = [op for op in ("is_", "lt", "le", "gt", "ge", "has") if getattr(self, op) is not None]
        if len(ops) != 1:
            raise ValueError(
                f"a fact condition takes exactly one of is, lt, le, gt, ge, has; got {len(ops)}"
            )
        return self

    @property
    def op(self) -> str:
        for op in ("is_", "lt", "le", "gt", "ge", "has"):
            if getattr(self, op) is not None:
                return op.rstrip("_")
        raise AssertionError  # pragma: no cover

    @property
    def value(self) -> Scalar:
        value = getattr(self, self.op if self.op != "is" else "is_")
        assert value is not None
        return value


class ConclusionRef(_Strict):
    """Another conclusion holds: by id, or any conclusion matching the attributes given."""

    conclusion: str | None = None
    kind: Kind | None = None
    offense: list[str] | None = None
    role: Role | None = None

    @model_validator(mode="after")
    def _some_target(self) -> ConclusionRef:
        if self.conclusion is None and self.kind is None and self.offense is None:
            raise ValueError("a conclusion condition names a conclusion id, or a kind/offense")
        if self.conclusion is not None and (self.kind or self.offense or self.role):
            raise ValueError("name a conclusion id, or match by kind/offense/role, not both")
        return self


class AnyCondition(_Strict):
    """At least one of these holds."""

    any: list[Condition] = Field(min_length=2)


class AllCondition(_Strict):
    """All of these hold."""

    all: list[Condition] = Field(min_length=2)


Condition = Annotated[
    FactCondition | ConclusionRef | AnyCondition | AllCondition,
    Field(union_mode="left_to_right"),
]
AnyCondition.model_rebuild()
AllCondition.model_rebuild()


class Citation(_Strict):
    """A verbatim passage of the source, the area it is in, and the statute behind it if known."""

    quote: str = Field(min_length=10)
    section: str | None = None
    statute: str | None = Field(
        None,
        description="A key of the statute table in rules/rulebook.yaml, never a bare section.",
    )


class ConclusionSpec(_Strict):
    """The conclusion a rule adds."""

    id: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    kind: Kind
    title: str
    text: str | None = None
    role: Role | None = None
    offense: str | None = None
    penalty: Penalty | None = None
    modality: Modality | None = None
    deadline: str | None = None
    topic: str | None = Field(
        None,
        description="What the conclusion is about (rape_shield, restitution, ...): conclusions on "
        "one topic must not both give and deny it.",
    )

    @model_validator(mode="after")
    def _shape(self) -> ConclusionSpec:
        if self.kind is Kind.CHARGE:
            if self.penalty is None or self.offense is None:
                raise ValueError("a charge states its offense and its penalty (null figures allowed)")
        elif self.penalty is not None:
            raise ValueError("only a charge carries a penalty")
        return self


class Rule(_Strict):
    """One rule of the rulebook."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
    title: str
    when: list[Condition] = Field(default_factory=list)
    scope: ConclusionRef | None = Field(
        None,
        description="Conclusions (usually charges) this rule attaches to: it holds when one of "
        "them holds, and the result lists each that does (a barred defense names its charges).",
    )
    unless: list[str] = Field(default_factory=list)
    then: ConclusionSpec
    certainty: Certainty = Certainty.APPLIES
    source_silent: bool = Field(
        False,
        description="The source does not decide this: when the conditions hold, the engine "
        "reports that it cannot determine the conclusion, citing what the source does say.",
    )
    cites: list[Citation] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if not self.when and self.scope is None:
            raise ValueError("a rule needs conditions: 'when', 'scope' or both")
        if not self.conclusion_id.startswith(self.then.kind.value + "."):
            raise ValueError(
                f"a {self.then.kind.value} conclusion id starts with '{self.then.kind.value}.'"
            )
        return self

    @property
    def conclusion_id(self) -> str:
        """The id of the conclusion this rule adds (the rule's own id unless ``then.id`` says)."""
        return self.then.id or self.id


class RuleFile(_Strict):
    """One file of rules: one area of the source."""

    area: str
    rules: list[Rule] = Field(min_length=1)


class ContextOnly(_Strict):
    """A source sentence no rule cites, and why."""

    quote: str
    reason: str


class StatuteEntry(_Strict):
    """A row of the source's statute table."""

    item: str
    section: str | None
    confidence: Literal["high", "medium", "unknown", "none"]
    note: str | None = None


class RulebookMeta(_Strict):
    """The rulebook's identity and the source it encodes."""

    id: str
    version: str
    source: dict[str, Any]
    areas: list[str]
    headings: list[str]
    context_only: list[ContextOnly]
    statutes: dict[str, StatuteEntry]
