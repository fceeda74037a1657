"""The result of evaluating a case: cited conclusions, what is undetermined and what does not
apply (and why), the presumptions made, and a stamp.

A :class:`Result` answers for one accused–victim pair (the whole answer for a scenario of one
accused and one victim); a :class:`CaseResult` answers for a case of several, pair by pair, with a
summary by victim and by accused. Lists are in a stable order, so the same case always gives the
same JSON bytes. Statuses use one vocabulary (:class:`Status`): ``applies``, ``may_apply``,
``undetermined`` (facts missing), ``source_silent`` (undetermined: the source does not say),
``does_not_apply``.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from dmst.engine._firings import Status
from dmst.rules import Certainty, Kind, Modality, Penalty

__all__ = [
    "AccusedSummary",
    "AskNext",
    "CaseResult",
    "ChargeSummary",
    "Citation",
    "Conclusion",
    "Deadline",
    "Derivation",
    "NotApplicable",
    "PairResult",
    "Presumption",
    "Reason",
    "Result",
    "Stamp",
    "StatuteRef",
    "Status",
    "Undetermined",
    "VictimSummary",
    "Warning",
    "construct",
    "copy_with",
]

FactValue = bool | int | float | str | list[str] | dict[str, int]
_M = TypeVar("_M", bound=BaseModel)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: For each result model: its fields in order, each with its plain default, or with the factory
#: called for each instance (so that no two share a list), or required.
_FIELDS: dict[type[BaseModel], tuple[tuple[str, Any, Any], ...]] = {}
_REQUIRED = object()


def _fields(cls: type[BaseModel]) -> tuple[tuple[str, Any, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(
            (n, _REQUIRED if i.is_required() else i.default, i.default_factory)
            for n, i in cls.model_fields.items())
    return found


def _instance(cls: type[_M], values: dict[str, Any], fields_set: set[str]) -> _M:
    """A model instance holding ``values`` as they are (no validation, no copy)."""
    item = cls.__new__(cls)
    object.__setattr__(item, "__dict__", values)
    object.__setattr__(item, "__pydantic_fields_set__", fields_set)
    object.__setattr__(item, "__pydantic_extra__", None)
    object.__setattr__(item, "__pydantic_private__", None)
    return item


def construct(cls: type[_M], **fields: Any) -> _M:
    """An instance of a result model from fields the engine built (no validation): the fast
    path of :meth:`BaseModel.model_construct`, keeping the fields' order (JSON is written in it).
    A field left out takes its default."""
    values = {}
    for name, default, factory in _fields(cls):
        if name in fields:
            values[name] = fields[name]
        elif factory is not None:
            values[name] = factory()
        elif default is not _REQUIRED:
            values[name] = default
    return _instance(cls, values, set(fields))


def replace(item: _M, **update: Any) -> _M:
    """A shallow copy of a result model with some fields replaced (no validation), sharing every
    list and mapping it does not replace: for a result that is written out and dropped."""
    return _instance(type(item), {**item.__dict__, **update}, item.__pydantic_fields_set__)


def copy_with(item: _M, **update: Any) -> _M:
    """A shallow copy of a result model with some fields replaced (no validation), every list
    and mapping it holds at the top level copied, so that no two results share one."""
    values = {k: (list(v) if type(v) is list else dict(v) if type(v) is dict else v)
              for k, v in item.__dict__.items()}
    values.update(update)
    return _instance(type(item), values, item.__pydantic_fields_set__)


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
    """One way a conclusion was reached: the rule and which of its alternatives held, the facts
    it tested (with the values it read), and the conclusions it relied on."""

    rule: str
    alternative: int = Field(description="Which alternative of the rule's conditions held (0-based).")
    certainty: Certainty
    facts: dict[str, FactValue | None] = Field(
        description="The facts the rule tested, with the values it read (null: unknown; a "
        "presumed value where the conclusion lists the presumption)."
    )
    conclusions: list[str] = Field(description="Conclusions the rule relied on.")
    accused: str | None = Field(
        None, description="In a case: the accused of the pair the rule was evaluated for, where "
        "a conclusion about the victim was reached through another accused's charges."
    )


class Deadline(_Out):
    """A date by which something must be done, counted from the offense date."""

    date: str = Field(description="The date (YYYY-MM-DD).")
    months: int = Field(description="Months from the offense date.")
    parameter: str = Field(description="The rulebook parameter that gives the period.")
    description: str


class Conclusion(_Out):
    """A conclusion that applies (or may apply) on the facts given."""

    id: str
    kind: Kind
    title: str
    status: Status = Field(description="'applies' or 'may_apply'.")
    certainty: Certainty = Field(
        description="'applies', or 'may_apply' where the source hedges (could, likely, in a few, "
        "limited circumstances) or the conclusion rests on one that may apply (hedged_by)."
    )
    rule: str = Field(description="The rule that reached it (the first, where several did).")
    role: str | None = None
    offense: str | None = None
    penalty: Penalty | None = None
    modality: Modality | None = None
    deadline: str | None = None
    deadlines: list[Deadline] = Field(
        default_factory=list,
        description="The deadline's dates, where the offense date is given.",
    )
    topic: str | None = None
    applies_to: list[str] = Field(
        default_factory=list,
        description="For a barred defense or a consequence: the conclusions (charges) it attaches to.",
    )
    on_conviction: bool = Field(
        False, description="It attaches on conviction of the charge (no conviction is given yet)."
    )
    presumed: list[str] = Field(
        default_factory=list, description="Presumed facts (see the result's presumptions) it rests on."
    )
    hedged_by: list[str] = Field(
        default_factory=list,
        description="Conclusions that only may apply, from which this one takes its 'may_apply'.",
    )
    text: str | None = None
    citations: list[Citation]
    derivations: list[Derivation]


class Undetermined(_Out):
    """A conclusion the facts given cannot decide, and what would decide it."""

    id: str
    kind: Kind
    title: str
    status: Status = Field(description="'undetermined' (facts missing) or 'source_silent'.")
    reason: Literal["missing_facts", "source_silent"]
    missing: list[str] = Field(
        description="Unknown facts that would decide whether its conditions hold (empty when "
        "they are known to hold: then only the source's silence leaves it open)."
    )
    rules: list[str]
    role: str | None = None
    offense: str | None = None
    applies_to: list[str] = Field(default_factory=list)
    text: str | None = None
    note: str | None = Field(None, description="Why the source does not decide (source_silent).")
    facts: dict[str, FactValue | None] = Field(
        default_factory=dict,
        description="For a source_silent entry: the facts its rule read (what it is about).",
    )
    citations: list[Citation]


class Reason(_Out):
    """A condition that fails, deciding that a conclusion does not apply."""

    rule: str
    condition: str = Field(description="The condition in words, e.g. 'victim.age_at_testimony < 16 years'.")
    fact: str | None = Field(None, description="The fact tested (for a fact condition).")
    value: FactValue | None = Field(None, description="The fact's value.")
    parameter: str | None = Field(None, description="The rulebook parameter of the threshold.")
    conclusion: str | None = Field(
        None, description="For a condition on another conclusion: that conclusion, which does "
        "not apply (its own reasons follow in 'because'), or, with 'exception', which applies "
        "and overrides the rule."
    )
    exception: bool = Field(False, description="The conclusion named overrides the rule.")
    because: list[Reason] = Field(default_factory=list)
    citations: list[Citation] = Field(
        default_factory=list, description="Where the source states the condition."
    )


class NotApplicable(_Out):
    """A protection (or a charge, where a threshold decides) that does not apply, and why."""

    id: str
    kind: Kind
    title: str
    status: Status = Status.DOES_NOT_APPLY
    role: str | None = None
    offense: str | None = None
    because: list[Reason]


class AskNext(_Out):
    """An unknown fact worth asking about, with the question and the conclusions it bears on."""

    fact: str
    question: str
    description: str
    settles: int = Field(description="How many undetermined conclusions list it.")
    conclusions: list[str]


class Presumption(_Out):
    """A fact presumed because the case is silent on it, and why."""

    fact: str
    value: FactValue
    reason: str
    citations: list[Citation]


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
    """Everything dmst concludes for one accused and one victim."""

    conclusions: list[Conclusion]
    statuses: list[Conclusion] = Field(
        description="Derived facts about the victim (minor, CSEC victim, trafficking victim)."
    )
    undetermined: list[Undetermined]
    not_applicable: list[NotApplicable] = Field(
        description="Protections (and charges a threshold rules out) that do not apply, and why."
    )
    ask_next: list[AskNext]
    presumptions: list[Presumption] = Field(
        description="Facts presumed because the case is silent on them (none in strict mode)."
    )
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

    def status(self, conclusion_id: str) -> Status:
        """Where a conclusion stands in this result."""
        found = self.conclusion(conclusion_id)
        if found is not None:
            return found.status
        for u in self.undetermined:
            if u.id == conclusion_id:
                return u.status
        return Status.DOES_NOT_APPLY


class PairResult(_Out):
    """The result for one accused–victim pair of a case (accused null: no accused's conduct
    concerns this victim)."""

    accused: str | None
    victim: str
    result: Result


class ChargeSummary(_Out):
    """A charge against one accused, across the victims it concerns."""

    id: str
    title: str
    offense: str | None
    penalty: Penalty | None
    victims: dict[str, Status] = Field(description="Victim id -> the charge's status for them.")


class AccusedSummary(_Out):
    """One accused: roles, charges by victim, and the charges and convictions given."""

    id: str
    roles: list[str] | None
    charges: list[ChargeSummary]
    charged_with: list[str] | None = None
    convicted_of: list[str] | None = None


class VictimSummary(_Out):
    """One victim: statuses and what the victim is owed, stated once whoever the accused."""

    id: str
    statuses: list[str]
    conclusions: list[Conclusion] = Field(
        description="Conclusions about the victim (protections, remedies, reporting, gaps)."
    )
    undetermined: list[Undetermined]
    not_applicable: list[NotApplicable]


class CaseResult(_Out):
    """Everything dmst concludes for a case of several accused and victims."""

    case_id: str | None = None
    title: str | None = None
    pairs: list[PairResult]
    victims: list[VictimSummary]
    accused: list[AccusedSummary]
    presumptions: list[Presumption]
    warnings: list[Warning] = Field(description="Warnings of the case as a whole.")
    stamp: Stamp

    def pair(self, accused: str | None, victim: str) -> Result:
        """The result of one pair; raises KeyError when the case has no such pair."""
        for p in self.pairs:
            if p.accused == accused and p.victim == victim:
                return p.result
        raise KeyError((accused, victim))


Reason.model_rebuild()
