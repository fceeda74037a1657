"""Reports for people: every result, explanation, why-not, diff and what-if is built once as a
small document (:mod:`dmst.report._doc`) and written as text, Markdown or HTML by the same
writers.

>>> import dmst
>>> print(dmst.render(dmst.evaluate({"victim": {"age": 15}}), view="advocate"))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
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
             compare: tuple[str, str] = ("A", "B"), undetermined: int = 0,
             stamp: Any = None, file: str | None = None) -> Document:
    """The document for a result, a case result, explanation nodes, a why-not, a diff or a
    what-if report (``stamp``: what produced explanation nodes, which carry none; ``file``: the
    case file a why-not names in its pointer to explain). Raises ``TypeError`` for anything
    else."""
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
        return _proof.why_not_document(obj, file=file)
    if isinstance(obj, ScenarioDiff):
        return _proof.diff_document(obj, a=compare[0], b=compare[1])
    if isinstance(obj, FlipReport):
        return _proof.flips_document(obj, title=title)
    if isinstance(obj, Sequence) and all(isinstance(n, ExplanationNode) for n in obj):
        if stamp is None:
            from dmst import default_engine

            stamp = default_engine().stamp
        return _proof.explanation_document(obj, title=title, undetermined=undetermined,
                                           stamp=stamp)
    raise TypeError(f"no report for {type(obj).__name__}")


def render(obj: Any, *, format: Format = "text", view: View = "all", sources: bool | None = None,
           **kw: Any) -> str:
    """``obj`` (see :func:`document`) as text, Markdown or an HTML page, for ``view``.

    ``sources``: quote the source's sentences, numbered, at the end (default: yes, but for a
    result on a terminal, whose report fits a screen without them). On a terminal a result's
    report starts with the facts as read: the narrative is left to Markdown and HTML."""
    if format == "text" and isinstance(obj, (Result, CaseResult)):
        kw.pop("narrative", None)
    doc = document(obj, view=view, **kw)
    if sources is None:
        sources = format != "text" or not isinstance(obj, (Result, CaseResult))
    if not sources:
        doc = dataclasses.replace(doc, notes=(), sections=tuple(
            _without_refs(s) for s in doc.sections))
    elif doc.notes:
        doc = dataclasses.replace(doc, legend=(*doc.legend, "[n] the source's sentence n"))
    return _WRITERS[format](doc)


def _without_refs(section: Any) -> Any:
    return dataclasses.replace(
        section,
        entries=tuple(_entry_without_refs(e) for e in section.entries),
        sections=tuple(_without_refs(s) for s in section.sections),
    )


def _entry_without_refs(entry: Any) -> Any:
    return dataclasses.replace(entry, refs=(), children=tuple(
        _entry_without_refs(c) for c in entry.children))
