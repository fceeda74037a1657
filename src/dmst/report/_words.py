"""How the reports say things: facts and values in words, penalties, statutes, statuses."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dmst.engine._firings import Status
from dmst.engine.result import Citation
from dmst.facts.paths import FACTS
from dmst.report._doc import Footnotes
from dmst.rules import Kind, Penalty, PenaltyBasis, Range

__all__ = [
    "KIND_TITLES",
    "LEGEND",
    "legend",
    "fact_label",
    "format_penalty",
    "format_range",
    "format_value",
    "refs",
    "statute",
    "suffix",
]

KIND_TITLES = {
    Kind.CHARGE: "Charges",
    Kind.SENTENCING: "Sentencing",
    Kind.CONSEQUENCE: "Collateral consequences",
    Kind.DEFENSE_BARRED: "Defenses barred",
    Kind.PROTECTION: "Victim protections and remedies",
    Kind.INVESTIGATION: "Investigation tools",
    Kind.GAP: "Gaps the source names",
    Kind.STATUS: "The victim",
}

LEGEND = tuple(
    f"{mark} {status.label}" for mark, status in (
        ("\u2713", Status.APPLIES), ("~", Status.MAY_APPLY), ("?", Status.UNDETERMINED),
        ("\u2026", Status.SOURCE_SILENT), ("\u2717", Status.DOES_NOT_APPLY),
    )
)


def legend(sections: Iterable[Any]) -> tuple[str, ...]:
    """The legend of the status marks the sections use."""
    used: set[str] = set()
    stack = list(sections)
    while stack:
        s = stack.pop()
        stack.extend(s.sections)
        entries = list(s.entries)
        while entries:
            e = entries.pop()
            used.add(e.mark)
            entries.extend(e.children)
    return tuple(text for text, status in zip(LEGEND, (
        Status.APPLIES, Status.MAY_APPLY, Status.UNDETERMINED, Status.SOURCE_SILENT,
        Status.DOES_NOT_APPLY), strict=True) if status.value in used)


def suffix(status: Status) -> str:
    """`` (may apply)`` and the like after a title; nothing for ``applies``."""
    return "" if status is Status.APPLIES else f" ({status.label})"


def fact_label(path: str) -> str:
    """A fact's path in words: ``victim.age_at_testimony`` -> ``age at testimony``."""
    leaf = path.rsplit(".", 1)[-1]
    return leaf.replace("victims_", "victim's_").replace("_", " ")


def format_value(value: Any) -> str:
    """A fact value as people read it: yes/no, a list, a range of ages, 'unknown' for None."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        lo, hi = value.get("min"), value.get("max")
        if lo is not None and hi is not None:
            return f"{lo}\u2013{hi}"
        return f"at most {hi}" if hi is not None else f"at least {lo}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v).replace("_", " ") for v in value) if value else "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("_", " ") if isinstance(value, str) and "_" in value else str(value)


def format_range(r: Range, unit: str, money: bool = False) -> str | None:
    """'5–30 years', 'up to 10 years', '$50,000–$500,000', or None where no figure is stated."""
    def fmt(v: int) -> str:
        return f"${v:,}" if money else f"{v}"

    if r.min is None and r.max is None:
        return None
    if r.min is None:
        return f"up to {fmt(r.max)}{unit}"  # type: ignore[arg-type]
    if r.max is None:
        return f"at least {fmt(r.min)}{unit}"
    return f"{fmt(r.min)}\u2013{fmt(r.max)}{unit}"


def format_penalty(p: Penalty | None) -> str:
    """A penalty as the source states it, with its basis; 'no penalty stated in the source'."""
    if p is None:
        return ""
    prison = format_range(p.prison_years, " years")
    fine = format_range(p.fine_usd, "", money=True)
    parts = [x for x in (prison and f"prison {prison}", fine and f"fine {fine}") if x]
    text = "; ".join(parts) if parts else "no penalty stated in the source"
    if p.basis is PenaltyBasis.GROUP and parts:
        text += f" (the range for {p.group}, not this offense's own)"
    return text


def statute(citations: Iterable[Citation]) -> str | None:
    """The first statute the citations name, with its confidence."""
    for c in citations:
        if c.statute is not None:
            return f"{c.statute.cite} ({c.statute.confidence} confidence)"
    return None


def where(c: Citation) -> str:
    """Where a quote is: the area of the source, and the statute behind it."""
    text = c.section
    if c.statute is not None:
        text += f"; {c.statute.cite} ({c.statute.confidence} confidence)"
    return text


def refs(notes: Footnotes, citations: Iterable[Citation]) -> tuple[int, ...]:
    """Footnote numbers for citations (each quote numbered once per document)."""
    return tuple(dict.fromkeys(notes.ref(c.quote, where(c)) for c in citations))


def known_label(path: str) -> str:
    spec = FACTS.get(path)
    return spec.question if spec and spec.question else path
