"""The shapes the web service adds around the library's models: errors, the rulebook, the source.

Results, explanations, why-not answers, diffs, single-fact changes and the stamp are the
library's own models (:mod:`dmst.engine.result`, :mod:`dmst.engine.explain`), served as they are.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dmst.engine.result import Citation
from dmst.rules import Certainty, Kind

__all__ = [
    "ErrorBody",
    "ErrorDetail",
    "Health",
    "ProblemDetail",
    "RuleDetail",
    "RuleSummary",
    "SourceDocument",
    "SourceSentence",
    "ValidCase",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProblemDetail(_Out):
    """One problem in the input: where it is, what is wrong, and a suggestion where there is one."""

    message: str
    field: str | None = Field(None, description="A dotted path such as 'facts.victim.age'.")
    line: int | None = Field(None, description="1-based line of the request body, where known.")
    suggestion: str | None = Field(None, description="A close valid name ('did you mean').")


class ErrorDetail(_Out):
    """An error, in the form dmst's batch output and ``DmstError.to_dict()`` give it."""

    type: str = Field(
        description="The dmst error class (InputError, FactError, SourceFileError, "
        "EvaluationError, ...) or, for errors of the HTTP exchange itself, one of "
        "BodyTooLarge, UnsupportedMediaType, Unauthorized, NotFound, MethodNotAllowed, "
        "InternalError."
    )
    message: str = Field(description="What is wrong and what to do.")
    file: str | None = Field(None, description="'request body' when the body is at fault.")
    line: int | None = None
    field: str | None = None
    problems: list[ProblemDetail] = Field(default_factory=list)


class ErrorBody(_Out):
    """The body of every error response (4xx and 5xx)."""

    error: ErrorDetail


class Health(_Out):
    """The service is up and its rulebook is loaded."""

    status: str = Field(description="Always 'ok'.")
    rulebook: str = Field(description="The rulebook's fingerprint.")


class ValidCase(_Out):
    """A case file as dmst reads it: unknown facts left out, dates as YYYY-MM-DD."""

    case_id: str | None = None
    title: str | None = None
    narrative: str | None = None
    facts: dict[str, Any] = Field(description="The facts, nested by group as in a case file: one "
                                  "victim and one accused, or a case's victims and accused.")
    expected: dict[str, Any] | None = None


class RuleSummary(_Out):
    """One rule of the rulebook, in a line."""

    id: str
    title: str = Field(description="The rule as a legal sentence.")
    conclusion: str = Field(description="The id of the conclusion it adds.")
    conclusion_title: str
    kind: Kind
    role: str | None = None
    offense: str | None = None
    certainty: Certainty
    source_silent: bool = Field(
        description="The source is silent on whether it applies: it is never more than "
        "undetermined."
    )
    area: str = Field(description="The area (section) of the source it encodes.")
    file: str = Field(description="The rule file it is in.")


class RuleDetail(RuleSummary):
    """One rule in full: its conditions, exceptions, conclusion and citations."""

    conditions: list[list[str]] = Field(
        description="Alternatives: the rule holds when every condition of one alternative holds."
    )
    unless: list[str] = Field(description="Conclusions that override it.")
    then: dict[str, Any] = Field(description="The conclusion it adds, as the rule file gives it.")
    citations: list[Citation] = Field(description="Its verbatim quotes, with statutes.")
    rule: dict[str, Any] = Field(description="The rule exactly as its file states it.")


class SourceSentence(_Out):
    """One unit of the source text (a heading or a sentence) and the rules that cite it."""

    index: int
    text: str
    heading: bool
    rules: list[str] = Field(description="Ids of the rules quoting it.")
    context: str | None = Field(
        None, description="Why it is context only, for a sentence no rule needs to cite."
    )


class SourceDocument(_Out):
    """The report card the rulebook encodes, sentence by sentence."""

    title: str
    publisher: str
    edition: str
    url: str
    as_of: dict[str, str]
    sentences: list[SourceSentence]
