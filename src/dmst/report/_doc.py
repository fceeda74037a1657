"""A small document structure every report is built as, once, and every writer (text, Markdown,
HTML) writes: sections of entries, each entry marked with a status, with detail lines, nested
entries and references to the source's sentences (footnotes, each quote once)."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MARKS", "Document", "Entry", "Footnotes", "Note", "Section"]

#: Marks an entry may carry, with the symbol the text writer shows (the legend explains them).
MARKS = {
    "applies": "\u2713",
    "may_apply": "~",
    "undetermined": "?",
    "source_silent": "\u2026",
    "does_not_apply": "\u2717",
    "holds": "\u2713",
    "fails": "\u2717",
    "unknown": "?",
    "appears": "+",
    "disappears": "\u2212",
    "changes": "\u0394",
    "fact": "\u2022",
    "ask": "\u2192",
    "warning": "!",
    "presumed": "*",
}


@dataclass(frozen=True)
class Entry:
    """One item of a section: ``text`` (one sentence, may be long), marked with ``mark`` (a key of
    :data:`MARKS`, or None), with ``detail`` lines, nested ``children``, footnote numbers
    ``refs`` and an optional ``code`` (an id or fact path, for tools)."""

    text: str
    mark: str | None = None
    detail: tuple[str, ...] = ()
    children: tuple[Entry, ...] = ()
    refs: tuple[int, ...] = ()
    code: str | None = None


@dataclass(frozen=True)
class Section:
    """A titled part of a document."""

    title: str
    intro: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    sections: tuple[Section, ...] = ()
    numbered: bool = False


@dataclass(frozen=True)
class Note:
    """A sentence of the source, quoted once and referred to by number."""

    number: int
    quote: str
    where: str


@dataclass(frozen=True)
class Document:
    """A report: title, lead lines, sections, the quoted sentences, and a closing footer."""

    title: str
    lead: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    notes: tuple[Note, ...] = ()
    footer: tuple[str, ...] = ()
    legend: tuple[str, ...] = ()


@dataclass
class Footnotes:
    """Numbers for the source's sentences, in order of first use."""

    notes: dict[tuple[str, str], Note] = field(default_factory=dict)

    def ref(self, quote: str, where: str) -> int:
        """The number of a quote cited from a place (a quote cited with two statutes is two
        notes, so each keeps its own)."""
        found = self.notes.get((quote, where))
        if found is None:
            found = self.notes[(quote, where)] = Note(len(self.notes) + 1, quote, where)
        return found.number

    def all(self) -> tuple[Note, ...]:
        return tuple(self.notes.values())
