"""The names every surface offers for the form of an answer and for its reader: the command
line's ``--format`` and ``--for``, the web service's ``format`` and ``view``. Kept apart from the
reports themselves, so that the command line's help can offer them without loading anything."""

from __future__ import annotations

from enum import Enum

__all__ = ["Format", "View"]


class Format(str, Enum):
    """The form of an answer: the library's JSON model, or its report as plain text, Markdown or
    an HTML page."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class View(str, Enum):
    """The reader a report is written for: every reader; the prosecutor (charges, penalties,
    consequences, defenses barred); the victim's advocate (protections, remedies, deadlines); the
    investigator (tools and gaps). The JSON model is the same for all."""

    all = "all"
    prosecutor = "prosecutor"
    advocate = "advocate"
    investigator = "investigator"
