"""Source coverage: is every sentence of the source cited by a rule, or listed as context only?"""

from __future__ import annotations

from dataclasses import dataclass

from dmst.rules._book import Rulebook
from dmst.rules._source import normalize

__all__ = ["Coverage", "SentenceCoverage", "coverage"]


@dataclass(frozen=True)
class SentenceCoverage:
    """One unit of the source (a sentence or a heading) and what covers it."""

    sentence: str
    rules: tuple[str, ...]
    context_reason: str | None

    @property
    def covered(self) -> bool:
        return bool(self.rules) or self.context_reason is not None


@dataclass(frozen=True)
class Coverage:
    """Coverage of the whole source."""

    rules: int
    units: tuple[SentenceCoverage, ...]

    @property
    def cited(self) -> int:
        return sum(1 for u in self.units if u.rules)

    @property
    def context_only(self) -> int:
        return sum(1 for u in self.units if not u.rules and u.context_reason is not None)

    @property
    def uncovered(self) -> list[str]:
        return [u.sentence for u in self.units if not u.covered]

    def to_dict(self) -> dict[str, object]:
        return {
            "rules": self.rules,
            "source_coverage": {
                "total": len(self.units),
                "cited": self.cited,
                "context_only": self.context_only,
                "uncovered": self.uncovered,
            },
        }


def _overlaps(quote: str, sentence: str) -> bool:
    return quote in sentence or sentence in quote


def coverage(rulebook: Rulebook) -> Coverage:
    """Which rules cite each sentence of the source, and which sentences are context only."""
    quotes = [(r.id, normalize(c.quote)) for r in rulebook.rules for c in r.rule.cites]
    context = [(normalize(c.quote), c.reason) for c in rulebook.meta.context_only]
    headings = {normalize(h) for h in rulebook.meta.headings}
    units = []
    for sentence in rulebook.source.sentences:
        rules = tuple(sorted({rid for rid, q in quotes if _overlaps(q, sentence)}))
        reason = "heading" if sentence in headings else next(
            (why for q, why in context if _overlaps(q, sentence)), None
        )
        units.append(SentenceCoverage(sentence, rules, reason))
    return Coverage(len(rulebook.rules), tuple(units))
