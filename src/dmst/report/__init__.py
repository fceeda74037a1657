"""Reports for people: every result, explanation, why-not, diff and what-if is built once as a
small document (:mod:`dmst.report._doc`) and written as text, Markdown or HTML by the same
writers.

>>> import dmst
>>> print(dmst.render(dmst.evaluate({"victim": {"age": 15}}), view="advocate"))  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from dmst.engine.result import CaseResult, Result
from dmst.report._doc import Document
from dmst.report._results import VIEWS, View, case_document, result_document
from dmst.report._writers import write_html, write_markdown, write_text

__all__ = ["VIEWS", "Document", "Format", "View", "document", "render"]

Format = Literal["text", "markdown", "html"]
_WRITERS = {"text": write_text, "markdown": write_markdown, "html": write_html}


def document(obj: Any, *, view: View = "all", title: str | None = None,
             narrative: str | None = None, case_id: str | None = None,
             compare: tuple[str, str] = ("A", "B"), undetermined: int = 0) -> Document:
    """The document for a result, a case result, explanation nodes, a why-not, a diff or a
    what-if report. Raises ``TypeError`` for anything else."""
    from dmst.engine.explain import ExplanationNode
    from dmst.engine.whatif import FlipReport, ScenarioDiff
    from dmst.engine.whynot import WhyNot
    from dmst.report import _proof

    if isinstance(obj, Result):
        return result_document(obj, view=view, title=title, narrative=narrative,
                               case_id=case_id)
    if isinstance(obj, CaseResult):
        if title is not None or case_id is not None:
            obj = obj.model_copy(update={"title": title or obj.title,
                                         "case_id": case_id or obj.case_id})
        return case_document(obj, view=view, narrative=narrative)
    if isinstance(obj, WhyNot):
        return _proof.why_not_document(obj)
    if isinstance(obj, ScenarioDiff):
        return _proof.diff_document(obj, a=compare[0], b=compare[1])
    if isinstance(obj, FlipReport):
        return _proof.flips_document(obj, title=title)
    if isinstance(obj, Sequence) and all(isinstance(n, ExplanationNode) for n in obj):
        return _proof.explanation_document(obj, title=title, undetermined=undetermined)
    raise TypeError(f"no report for {type(obj).__name__}")


def render(obj: Any, *, format: Format = "text", view: View = "all", **kw: Any) -> str:
    """``obj`` (see :func:`document`) as text, Markdown or an HTML page, for ``view``."""
    return _WRITERS[format](document(obj, view=view, **kw))
