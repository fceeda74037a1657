"""The rule format: what a rule file may say, checked by pydantic as it is read.

A rule has a stable ``id``, a ``title`` that reads as a legal sentence, ``when`` (conditions over
facts and over other rules' conclusions, all of which must hold), optional ``scope`` (the charges
it attaches to), optional ``unless`` (conclusions that override it), ``then`` (the one conclusion
it adds: defined in full by exactly one rule, named by id by the others) and ``cites`` (verbatim
quotes of the source, with the statute section where the source's table knows it).

Numbers a rule compares a fact with are never written in a rule: a condition names a
*parameter* of the rulebook (``{fact: victim.age, lt: age_of_majority}``), and the parameter holds
the value, its unit and the sentence of the source that states it.
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from dmst.rules._kinds import Kind

__all__ = [
    "AllCondition",
    "AnyCondition",
    "Certainty",
    "Citation",
    "ComputedFact",
    "ConclusionRef",
    "ConclusionSpec",
    "Condition",
    "ContextOnly",
    "FactCondition",
    "Kind",
    "Modality",
    "Parameter",
    "Penalty",
    "PenaltyBasis",
    "Presumption",
    "Range",
    "Rule",
    "RuleFile",
    "RulebookMeta",
    "StatuteEntry",
    "WarningSpec",
]

ID_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class PenaltyBasis(str, Enum):
    """Whose figures a penalty gives: the offense's own, or a range the source states for a
    group of convictions (used where the offense has no figure of its own)."""

    OFFENSE = "offense"
    GROUP = "group"


class Penalty(_Strict):
    """Prison years and fine in US dollars, each a range; ``None`` where the source gives none.
    ``basis`` says whether the figures are the offense's own or a group's (``group`` names it)."""

    prison_years: Range = Field(default_factory=Range)
    fine_usd: Range = Field(default_factory=Range)
    basis: PenaltyBasis = PenaltyBasis.OFFENSE
    group: str | None = Field(
        None, description="For a group range: the convictions it covers, in the source's words."
    )

    @model_validator(mode="after")
    def _group_named(self) -> Penalty:
        if (self.basis is PenaltyBasis.GROUP) != (self.group is not None):
            raise ValueError("a group penalty names its group ('group:'), and only a group one")
        return self


class FactCondition(_Strict):
    """A test of one fact: ``{fact: victim.age, lt: age_of_majority}``. Exactly one operator.
    ``lt``/``le``/``gt``/``ge`` name a parameter of the rulebook (or, in a warning, ``as_of.from``
    / ``as_of.until``); ``is`` takes true/false or a choice; ``has`` a choice of a list fact,
    ``lacks`` one the list is known not to hold (``{fact: accused.roles, lacks: trafficker}``);
    ``not`` holds unless the fact is known to have that value (``not: false``: true or not
    given); ``unknown: true`` (warnings only) holds when the fact is not given."""

    fact: str
    is_: Scalar | None = Field(None, alias="is")
    lt: Scalar | None = None
    le: Scalar | None = None
    gt: Scalar | None = None
    ge: Scalar | None = None
    has: str | None = None
    lacks: str | None = None
    not_: Scalar | None = Field(None, alias="not")
    unknown: Literal[True] | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_operator(self) -> FactCondition:
        ops = [op for op in _OPS if getattr(self, op) is not None]
        if len(ops) != 1:
            raise ValueError(
                "a fact condition takes exactly one of is, lt, le, gt, ge, has, lacks, not, "
                "unknown; got "
                f"{len(ops)}"
            )
        return self

    @property
    def op(self) -> str:
        for op in _OPS:
            if getattr(self, op) is not None:
                return op.rstrip("_")
        raise AssertionError  # pragma: no cover

    @property
    def value(self) -> Scalar:
        value = getattr(self, self.op + "_" if self.op in ("is", "not") else self.op)
        assert value is not None
        return value  # type: ignore[no-any-return]


_OPS = ("is_", "lt", "le", "gt", "ge", "has", "lacks", "not_", "unknown")


class ConclusionRef(_Strict):
    """Another conclusion holds: by id, or any conclusion matching the attributes given.

    ``convicted: true`` (on a scope) ties the rule to a *conviction* of the charge it attaches to:
    where the accused's convictions are given, only a convicted offense counts; where they are
    not, the conclusion is stated as attaching on conviction."""

    conclusion: str | None = None
    kind: Kind | None = None
    offense: list[str] | None = None
    role: Role | None = None
    convicted: bool = False
    relevance: bool = Field(
        False,
        description="The conclusions matched only say where the rule is relevant: the rule's "
        "certainty is its own sentence's, not weakened by a conclusion that only may apply (a "
        "barred defense is barred whether or not the charge is brought).",
    )

    @model_validator(mode="after")
    def _some_target(self) -> ConclusionRef:
        if self.conclusion is None and self.kind is None and self.offense is None:
            raise ValueError("a conclusion condition names a conclusion id, or a kind/offense")
        if self.conclusion is not None and (self.kind or self.offense or self.role):
            raise ValueError("name a conclusion id, or match by kind/offense/role, not both")
        if self.convicted and not self.offense:
            raise ValueError("'convicted' needs the offenses whose conviction counts")
        return self


class AnyCondition(_Strict):
    """At least one of these holds."""

    any: list[Condition] = Field(min_length=2)


class AllCondition(_Strict):
    """All of these hold."""

    all: list[Condition] = Field(min_length=2)


def _condition_form(value: Any) -> str:
    """Which form a condition is written in, by its key (``fact``, ``any``, ``all``; else a
    conclusion), so that a mistake is reported against that form only."""
    if isinstance(value, dict):
        return next((k for k in ("fact", "any", "all") if k in value), "conclusion")
    return {FactCondition: "fact", AnyCondition: "any", AllCondition: "all"}.get(
        type(value), "conclusion")


Condition = Annotated[
    Annotated[FactCondition, Tag("fact")] | Annotated[ConclusionRef, Tag("conclusion")]
    | Annotated[AnyCondition, Tag("any")] | Annotated[AllCondition, Tag("all")],
    Discriminator(_condition_form),
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
    """The conclusion a rule adds, defined in full (once per conclusion id)."""

    id: str | None = Field(None, pattern=ID_PATTERN)
    kind: Kind
    title: str
    text: str | None = None
    role: Role | None = None
    offense: str | None = None
    penalty: Penalty | None = None
    modality: Modality | None = None
    deadline: str | None = None
    deadline_after: list[str] | None = Field(
        None,
        description="Parameters (in months) whose periods, counted from the offense date, give "
        "the deadline's dates in a result.",
    )
    topic: str | None = Field(
        None,
        description="What the conclusion is about (rape_shield, restitution, ...): conclusions on "
        "one topic must not both give and deny it in one result.",
    )

    @model_validator(mode="after")
    def _shape(self) -> ConclusionSpec:
        if self.kind is Kind.CHARGE:
            if self.penalty is None or self.offense is None:
                raise ValueError("a charge states its offense and its penalty (null figures allowed)")
        elif self.penalty is not None:
            raise ValueError("only a charge carries a penalty")
        return self


def _convicted(cond: Condition) -> bool:
    """Whether a condition, or one inside it, asks for a conviction."""
    if isinstance(cond, ConclusionRef):
        return cond.convicted
    if isinstance(cond, AnyCondition):
        return any(_convicted(c) for c in cond.any)
    if isinstance(cond, AllCondition):
        return any(_convicted(c) for c in cond.all)
    return False


class Rule(_Strict):
    """One rule of the rulebook."""

    id: str = Field(pattern=ID_PATTERN)
    title: str
    when: list[Condition] = Field(default_factory=list)
    scope: ConclusionRef | None = Field(
        None,
        description="Conclusions (usually charges) this rule attaches to: it holds when one of "
        "them holds, and the result lists each that does (a barred defense names its charges).",
    )
    always: bool = Field(
        False,
        description="A statement about the law that holds in every case (no conditions).",
    )
    unless: list[str] = Field(default_factory=list)
    then: Annotated[
        Annotated[ConclusionSpec, Tag("conclusion")] | Annotated[str, Tag("id")],
        Discriminator(lambda v: "id" if isinstance(v, str) else "conclusion"),
    ] = Field(
        description="The conclusion it adds: in full, or the id of a conclusion another rule "
        "defines."
    )
    certainty: Certainty = Certainty.APPLIES
    source_silent: bool = Field(
        False,
        description="The source does not decide this: when the conditions hold, the engine "
        "reports that it cannot determine the conclusion, citing what the source does say.",
    )
    note: str | None = Field(
        None,
        description="What this rule adds to the conclusion's text (for a rule of the source's "
        "silence: why the source does not decide).",
    )
    cites: list[Citation] = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Rule:
        if self.always:
            if self.when or self.scope is not None:
                raise ValueError("a rule that always holds takes no 'when' or 'scope'")
        elif not self.when and self.scope is None:
            raise ValueError("a rule needs conditions: 'when', 'scope' or both (or 'always')")
        if any(_convicted(c) for c in self.when):
            raise ValueError("'convicted' ties a rule to the conviction of the charge it "
                             "attaches to: it belongs on the 'scope', not in 'when'")
        if self.source_silent and "certainty" in self.model_fields_set:
            raise ValueError("a rule of the source's silence decides nothing, so it takes no "
                             "'certainty'")
        if isinstance(self.then, ConclusionSpec):
            kind = self.then.kind.value
            if not self.conclusion_id.startswith(kind + "."):
                raise ValueError(f"a {kind} conclusion id starts with '{kind}.'")
        return self

    @property
    def conclusion_id(self) -> str:
        """The id of the conclusion this rule adds."""
        if isinstance(self.then, str):
            return self.then
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


class Parameter(_Strict):
    """A number of the law (an age, a period), with its unit and where the source states it.

    A stated parameter quotes the source, names the section of the source the quote is in, and
    gives the words in it that state the value (``stated: "under 16"``); a derived one is the sum
    of other parameters (``sum``)."""

    value: int
    unit: Literal["years", "months"]
    description: str
    stated: str | None = None
    quote: str | None = None
    section: str | None = None
    statute: str | None = None
    sum: list[str] | None = None

    @model_validator(mode="after")
    def _stated_or_derived(self) -> Parameter:
        parts = (self.stated, self.quote, self.section)
        stated = self.sum is None and all(x is not None for x in parts)
        derived = self.sum is not None and all(x is None for x in parts)
        if not (stated or derived):
            raise ValueError("a parameter is either stated (stated, quote and section) or "
                             "derived (sum)")
        return self


class Presumption(_Strict):
    """A fact a careful reader presumes when a case is silent, and why."""

    fact: str
    value: Scalar
    reason: str
    cites: list[Citation] = Field(min_length=1)


class ComputedFact(_Strict):
    """A fact computed from given ones (``function`` is one dmst knows)."""

    function: Literal["months_between"]
    args: list[str] = Field(alias="from", min_length=2, max_length=2)
    unit: Literal["months"]
    description: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class WarningSpec(_Strict):
    """A warning a result carries when its condition holds; ``{path}`` in the message is filled
    with the fact's value, ``{as_of.from}`` / ``{as_of.until}`` with the source's period."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    when: FactCondition
    message: str


class RulebookMeta(_Strict):
    """The rulebook's identity, the source it encodes, and its tables."""

    id: str
    version: str
    notice: str
    statute_prefix: str
    source: dict[str, Any]
    areas: list[str]
    headings: list[str]
    context_only: list[ContextOnly]
    statutes: dict[str, StatuteEntry]
    offenses: dict[str, str] = Field(description="Offense id -> title.")
    parameters: dict[str, Parameter]
    presumptions: list[Presumption] = Field(default_factory=list)
    computed: dict[str, ComputedFact] = Field(default_factory=dict)
    warnings: list[WarningSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _source_named(self) -> RulebookMeta:
        for key in ("title", "file"):
            if not isinstance(self.source.get(key), str) or not self.source[key].strip():
                raise ValueError(f"'source' names the source's {key} (text)")
        as_of = self.source.get("as_of")
        if not isinstance(as_of, dict):
            raise ValueError("'source' gives the period the source describes: as_of: {from: "
                             "YYYY-MM-DD, until: YYYY-MM-DD}")
        try:
            start, until = self.as_of
        except (KeyError, TypeError, ValueError):
            raise ValueError("'source.as_of' has a 'from' and an 'until' date, each "
                             "YYYY-MM-DD") from None
        if not start < until:
            raise ValueError(f"'source.as_of' must start before it ends, not {start} to {until}")
        return self

    @property
    def as_of(self) -> tuple[_dt.date, _dt.date]:
        """The period the source describes: from (inclusive) and until (exclusive)."""
        as_of = self.source.get("as_of", {})
        return (_dt.date.fromisoformat(str(as_of["from"])),
                _dt.date.fromisoformat(str(as_of["until"])))
