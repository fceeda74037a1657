"""Plain-text rendering of a result: the readable report of ``dmst evaluate``."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from dmst.engine.result import Citation, Conclusion, Result, Undetermined
from dmst.rules.model import Certainty, Kind, Penalty, Range

__all__ = ["ROLE_TITLES", "SECTION_TITLES", "format_penalty", "format_range", "render_text"]

SECTION_TITLES = {
    Kind.CHARGE: "Charges",
    Kind.CONSEQUENCE: "Collateral consequences",
    Kind.DEFENSE_BARRED: "Defenses barred",
    Kind.PROTECTION: "Victim protections and remedies",
    Kind.INVESTIGATION: "Investigation tools",
    Kind.GAP: "Gaps the source names",
    Kind.STATUS: "Victim status",
}
ROLE_TITLES = {"trafficker": "Trafficker", "buyer": "Buyer", "facilitator": "Facilitator",
               None: "Any role"}
_WIDTH = 100


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
    """A penalty as the source states it; 'no penalty stated in the source' where none is."""
    if p is None:
        return ""
    prison = format_range(p.prison_years, " years")
    fine = format_range(p.fine_usd, "", money=True)
    parts = [x for x in (prison and f"prison {prison}", fine and f"fine {fine}") if x]
    return "; ".join(parts) if parts else "no penalty stated in the source"


def _cite_line(c: Citation) -> str:
    where = c.section
    if c.statute is not None:
        where += f"; {c.statute.cite} ({c.statute.confidence} confidence)"
    return f"\u201c{c.quote}\u201d ({where})"


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, width=_WIDTH, initial_indent=indent, subsequent_indent=indent) or [
        indent
    ]


def _conclusion_lines(c: Conclusion, indent: str) -> list[str]:
    mark = "\u2713" if c.certainty is Certainty.APPLIES else "~"
    head = c.title
    if c.kind is Kind.CHARGE:
        head += f" \u2014 {format_penalty(c.penalty)}"
    if c.modality is not None:
        head += f" [{c.modality.value.replace('_', ' ')}]"
    if c.certainty is Certainty.MAY_APPLY:
        head += " (may apply)"
    lines = _wrap(f"{mark} {head}", indent)
    sub = indent + "    "
    if c.applies_to:
        lines += _wrap("for: " + ", ".join(c.applies_to), sub)
    if c.deadline:
        lines += _wrap(f"deadline: {c.deadline}", sub)
    if c.text:
        lines += _wrap(c.text, sub)
    for cite in c.citations[:1]:
        lines += _wrap(_cite_line(cite), sub)
    lines += _wrap(f"rule {c.rule}", sub)
    return lines


def _undetermined_lines(u: Undetermined, indent: str) -> list[str]:
    head = u.title
    if u.role:
        head += f" ({u.role})"
    lines = _wrap(f"? {head}", indent)
    sub = indent + "    "
    if u.applies_to:
        lines += _wrap("for: " + ", ".join(u.applies_to), sub)
    if u.reason == "source_silent":
        lines += _wrap(u.text or "The source does not say.", sub)
    if u.missing:
        lines += _wrap("would be decided by: " + ", ".join(u.missing), sub)
    return lines


def _section(title: str, body: Iterable[str]) -> list[str]:
    body = list(body)
    return [title, *body, ""] if body else []


def render_text(result: Result, *, title: str | None = None) -> str:
    """The readable report: statuses, charges grouped by role, the other kinds, undetermined
    conclusions, what to ask next, warnings and the stamp."""
    out: list[str] = []
    if title:
        out += [title, "=" * min(len(title), _WIDTH), ""]
    out += _section(SECTION_TITLES[Kind.STATUS],
                    (line for s in result.statuses for line in _wrap(f"\u2713 {s.title}", "  ")))
    charges = [c for c in result.conclusions if c.kind is Kind.CHARGE]
    if charges:
        out.append("Charges, by role of the accused")
        for role in ("trafficker", "buyer", "facilitator", None):
            group = [c for c in charges if c.role == role]
            if group:
                out.append(f"  {ROLE_TITLES[role]}")
                for c in group:
                    out += _conclusion_lines(c, "    ")
        out.append("")
    for kind in (Kind.CONSEQUENCE, Kind.DEFENSE_BARRED, Kind.PROTECTION, Kind.INVESTIGATION,
                 Kind.GAP):
        items = [c for c in result.conclusions if c.kind is kind]
        out += _section(SECTION_TITLES[kind],
                        (line for c in items for line in _conclusion_lines(c, "  ")))
    silent = [u for u in result.undetermined if u.reason == "source_silent"]
    missing = [u for u in result.undetermined if u.reason == "missing_facts"]
    out += _section("Cannot determine: the source does not decide",
                    (line for u in silent for line in _undetermined_lines(u, "  ")))
    out += _section("Undetermined: facts missing",
                    (line for u in missing for line in _undetermined_lines(u, "  ")))
    out += _section(
        "Ask next (unknown facts that would settle the most)",
        (f"  {i}. {a.fact} \u2014 bears on {a.settles}"
         for i, a in enumerate(result.ask_next[:8], 1)),
    )
    out += _section("Warnings", (line for w in result.warnings for line in _wrap(w.message, "  ")))
    if not result.conclusions and not result.statuses:
        out += ["No conclusion applies on the facts given.", ""]
    stamp = result.stamp
    out += _wrap(
        f"Rulebook {stamp.rulebook['id']} {stamp.rulebook['version']}; source: "
        f"{stamp.source['title']} ({stamp.source['publisher']}), law as of "
        f"{stamp.as_of['from']} to {stamp.as_of['until']} (inferred); dmst "
        f"{stamp.engine['dmst']}.",
        "",
    )
    out += _wrap(stamp.notice, "")
    out.append("Legend: \u2713 applies, ~ may apply (the source hedges), ? undetermined.")
    return "\n".join(out) + "\n"
