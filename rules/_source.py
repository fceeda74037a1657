"""The source text: where it is, how quotes are matched against it, and its sentences.

The report card was extracted from a two-column PDF: words are split across lines with a hyphen
and columns interleave. A quote matches the source when it matches after joining a word split by a
line-end hyphen and folding every run of white space to one space. Curly quotes and en dashes are
part of the text and must be kept in quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

__all__ = ["Source", "normalize"]

_LINE_END_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\n\s*(?=\w)")
_WHITESPACE = re.compile(r"\s+")
# A sentence ends at . ! or ? (perhaps followed by a closing quote) before white space and a capital
# letter or an opening quote.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?][\u201d\"])|(?<=[.!?]))\s+(?=[A-Z\u201c])")


def normalize(text: str) -> str:
    """Join words split by a line-end hyphen, then fold white space to single spaces."""
    return _WHITESPACE.sub(" ", _LINE_END_HYPHEN.sub("", text)).strip()


@dataclass(frozen=True)
class Source:
    """The source document, as shipped in the package."""

    text: str
    title: str
    publisher: str
    edition: str
    as_of: tuple[str, str]
    url: str
    headings: tuple[str, ...]

    @cached_property
    def normalized(self) -> str:
        return normalize(self.text)

    def contains(self, quote: str) -> bool:
        """Whether ``quote`` appears verbatim in the source, after normalisation."""
        q = normalize(quote)
        return bool(q) and q in self.normalized

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """The source cut into units: each heading on its own, then sentences."""
        text = self.normalized
        if self.headings:  # one pass, longest first, so a heading holding another stays whole
            cut = re.compile("|".join(re.escape(normalize(h)) for h in sorted(
                self.headings, key=len, reverse=True)))
            text = cut.sub(lambda m: f"\n{m.group(0)}\n", text)
        units: list[str] = []
        for block in text.split("\n"):
            block = block.strip()
            if not block:
                continue
            if block in {normalize(h) for h in self.headings}:
                units.append(block)
                continue
            units.extend(s.strip() for s in _SENTENCE_END.split(block) if s.strip())
        return tuple(units)
