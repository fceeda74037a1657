"""Plain-text rendering: the readable report of ``dmst evaluate``, and the text of ``explain``,
``why-not``, ``diff`` and ``flips``."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

from dmst._text import printable
from dmst.engine.result import Citation, Conclusion, Result, Undetermined
from dmst.rules.model import Certainty, Kind, Penalty, Range

if TYPE_CHECKING:
    from dmst.engine.explain import (
        Check,
        ConclusionDelta,
        ExplanationNode,
        FactUse,
        FlipReport,
        ScenarioDiff,
        WhyNot,
    )

__all__ = [
    "ROLE_TITLES",
    "SECTION_TITLES",
    "format_penalty",
    "format_range",
    "format_value",
    "render_diff_text",
    "render_explanation_text",
    "render_flips_text",
    "render_text",
    "render_why_not_text",
]

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


def format_value(value: Any) -> str:
    """A fact value as people read it: true/false, a list in brackets, 'unknown' for None."""
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]" if value else "[] (none)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _cite_line(c: Citation) -> str:
    where = c.section
    if c.statute is not None:
        where += f"; {c.statute.cite} ({c.statute.confidence} confidence)"
    return f"\u201c{c.quote}\u201d ({where})"


def _wrap(text: str, indent: str, more: str | None = None) -> list[str]:
    """``text`` wrapped to the report's width, the first line indented by ``indent`` and the
    others by ``more`` (default: the same)."""
    return textwrap.wrap(text, width=_WIDTH, initial_indent=indent,
                         subsequent_indent=more if more is not None else indent) or [indent]


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
    # a charge shows every quote (its penalty may be stated in another sentence than its name)
    for cite in c.citations if c.kind is Kind.CHARGE else c.citations[:1]:
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
        title = printable(title)
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


# --- explanations, why-not, diff and flips ----------------------------------------------------

_MARK = {"holds": "\u2713", "fails": "\u2717", "unknown": "?"}
_STATUS_WORDS = {"applies": "applies", "undetermined": "undetermined",
                 "does_not_apply": "does not apply"}
_OUTCOME_WORDS = {
    "holds": "holds",
    "fails": "does not hold",
    "unknown": "depends on unknown facts",
    "blocked": "blocked by an exception",
    "maybe_blocked": "holds, but an exception is undetermined",
}


def _fact_line(f: FactUse) -> str:
    line = f"{f.condition or f.fact} \u2014 given: {format_value(f.value)}"
    if f.computed_from:
        line += " (from " + ", ".join(f"{p} {format_value(v)}"
                                      for p, v in f.computed_from.items()) + ")"
    return line


def render_explanation_text(nodes: Sequence[ExplanationNode]) -> str:
    """Derivation trees as indented text; a conclusion already shown is referred to, not
    repeated."""
    out: list[str] = []
    shown: set[str] = set()
    for node in nodes:
        out += _node_lines(node, "", shown)
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _node_lines(node: ExplanationNode, indent: str, shown: set[str]) -> list[str]:
    may = " (may apply: the source hedges)" if node.certainty is Certainty.MAY_APPLY else ""
    head = f"\u2713 {node.title} [{node.id}]{may}"
    if node.id in shown:
        return _wrap(head + " \u2014 shown above", indent, indent + "  ")
    shown.add(node.id)
    lines = _wrap(head, indent, indent + "  ")
    sub = indent + "    "
    for rule, group in itertools.groupby(node.derivations, key=lambda s: s.rule):
        steps = list(group)
        lines += _wrap(f"by rule {rule}: {steps[0].title}", indent + "  ", sub)
        for c in steps[0].citations:
            lines += _wrap(_cite_line(c), sub)
        for n, step in enumerate(steps, 1):
            inner = sub
            if len(steps) > 1:
                lines.append(f"{sub}way {n} of {len(steps)}:")
                inner = sub + "  "
            for f in step.facts:
                lines += _wrap("\u2713 " + _fact_line(f), inner, inner + "  ")
            for e in step.exceptions:
                lines += _wrap(f"\u2713 unless {e.title} [{e.id}] \u2014 ruled out:", inner,
                               inner + "  ")
                for f in e.facts:
                    mark = "\u2713" if f.holds else "\u2717"
                    lines += _wrap(f"{mark} {_fact_line(f)}", inner + "    ", inner + "      ")
            for child in step.relied_on:
                lines += _node_lines(child, inner, shown)
    return lines


def render_why_not_text(w: WhyNot, *, file: str = "FILE") -> str:
    """A why-not as indented text: status, then each rule condition by condition."""
    return "\n".join(_why_not_lines(w, "", printable(file), top=True)) + "\n"


def _why_not_lines(w: WhyNot, indent: str, file: str, top: bool = False,
                   label: bool = True) -> list[str]:
    text = f"rule {w.rule} for {w.title} [{w.id}]" if w.rule else f"{w.title} [{w.id}]"
    lines = _wrap(text[0].upper() + text[1:], indent) if label else []
    if w.status == "applies":
        lines += _wrap("Applies on these facts.", indent)
        if top:
            lines.append(f"{indent}See how: dmst explain {file} --conclusion {w.rule or w.id}")
        return lines
    if w.status == "undetermined":
        if w.reason == "source_silent":
            lines += _wrap("Cannot be determined: the source does not decide it.", indent)
            if w.text:
                lines += _wrap(w.text, indent + "  ")
        else:
            lines += _wrap("Undetermined: it depends on facts not given.", indent)
        if w.missing:
            lines += _wrap("Would be decided by: " + ", ".join(w.missing), indent + "  ",
                           indent + "    ")
        for path in dict.fromkeys(d.fact for d in w.deciders):
            options = "; ".join(f"{format_value(d.value)} \u2192 {_STATUS_WORDS[d.status]}"
                                for d in w.deciders if d.fact == path)
            lines += _wrap(f"{path}: {options}", indent + "    ", indent + "      ")
    else:
        lines += _wrap("Does not apply on these facts.", indent)
    for r in w.rules:
        lines.append("")
        lines += _wrap(f"Rule {r.rule} \u2014 {_OUTCOME_WORDS[r.outcome]}", indent + "  ")
        lines += _wrap(r.title, indent + "    ")
        for c in r.conditions:
            lines += _check_lines(c, indent + "    ", file)
        for e in r.exceptions:
            effect = {"yes": "blocks this rule", "maybe": "may block this rule",
                      "no": "does not block it"}[e.blocks]
            mark = {"yes": "\u2717", "maybe": "?", "no": "\u2713"}[e.blocks]
            lines += _wrap(f"{mark} unless {e.title} [{e.id}] \u2014 {_STATUS_WORDS[e.status]}: "
                           f"{effect}", indent + "    ", indent + "      ")
        for c in r.citations:
            lines += _wrap(_cite_line(c), indent + "    ")
    return lines


def _check_lines(c: Check, indent: str, file: str) -> list[str]:
    mark = _MARK[c.status]
    more = indent + "  "
    if c.type == "fact":
        lines = _wrap(f"{mark} {c.condition} \u2014 "
                      + (f"given: {format_value(c.value)}" if c.known else "unknown")
                      + ("" if not c.computed_from else " (from " + ", ".join(
                          f"{p} {format_value(v)}" for p, v in c.computed_from.items()) + ")"),
                      indent, more)
        return lines
    if c.type in ("any", "all"):
        lines = _wrap(f"{mark} {c.condition}:", indent, more)
        for part in c.checks:
            lines += _check_lines(part, indent + "    ", file)
        return lines
    lines = _wrap(f"{mark} {c.condition}", indent, more)
    if len(c.candidates) > 1 or (c.candidates and c.status != "holds" and not c.why_not):
        # when the condition fails, every candidate is part of the reason; otherwise the ones
        # that do not apply are only counted
        shown = [t for t in c.candidates if c.status == "fails" or t.status != "does_not_apply"]
        for t in shown:
            lines += _wrap(f"- {t.title} [{t.id}]: {_STATUS_WORDS[t.status]}", indent + "    ",
                           indent + "      ")
        if len(shown) < len(c.candidates):
            n = len(c.candidates) - len(shown)
            lines += _wrap(f"({n} other{'s' if n != 1 else ''} that could satisfy it "
                           f"do{'es' if n == 1 else ''} not apply)", indent + "    ")
    for w in c.why_not:
        lines += _why_not_lines(w, indent + "    ", file, label=f"[{w.id}]" not in c.condition)
    return lines


def _delta_line(d: ConclusionDelta) -> str:
    mark = {"appears": "+", "disappears": "\u2212", "changes": "~",
            "becomes_undetermined": "?", "no_longer_undetermined": "\u00b7"}[d.change]
    what = {
        "appears": "now applies" + (" (was undetermined)" if d.before.status == "undetermined"
                                    else ""),
        "disappears": "no longer applies" + (" (now undetermined)"
                                             if d.after.status == "undetermined" else ""),
        "changes": "changes: " + "; ".join(_difference(d, f) for f in d.differences),
        "becomes_undetermined": "becomes undetermined",
        "no_longer_undetermined": "no longer undetermined (does not apply)",
    }[d.change]
    return f"{mark} {d.title} [{d.id}] \u2014 {what}"


def _difference(d: ConclusionDelta, field: str) -> str:
    before, after = getattr(d.before, field), getattr(d.after, field)
    if field == "applies_to":
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        parts = [f"+{x}" for x in added] + [f"\u2212{x}" for x in removed]
        return "applies to " + ", ".join(parts)
    return f"{field.replace('_', ' ')} {_word(before)} \u2192 {_word(after)}"


def _word(value: Any) -> str:
    if value is None:
        return "none"
    text = value.value if isinstance(value, Enum) else str(value)
    return _STATUS_WORDS.get(text, text.replace("_", " "))


def render_diff_text(d: ScenarioDiff, *, a: str = "A", b: str = "B") -> str:
    """A diff as text: the facts that differ, then each conclusion that changes and why."""
    out = [f"From {printable(a)} to {printable(b)}", ""]
    if d.facts:
        out.append("Facts that differ")
        for f in d.facts:
            out += _wrap(f"{f.fact}: {format_value(f.before)} \u2192 {format_value(f.after)}",
                         "  ", "    ")
        out.append("")
    else:
        out += ["The facts are the same.", ""]
    main = [c for c in d.changes if c.change in ("appears", "disappears", "changes")]
    other = [c for c in d.changes if c not in main]
    for title, items in (("Conclusions that change", main),
                         ("Undetermined conclusions that change", other)):
        if not items:
            continue
        out.append(title)
        for c in items:
            out += _wrap(_delta_line(c), "  ", "    ")
            if c.because:
                out += _wrap("because " + "; ".join(
                    f"{f.fact} {format_value(f.before)} \u2192 {format_value(f.after)}"
                    for f in c.because), "      ", "        ")
        out.append("")
    if not d.changes:
        out += ["No conclusion changes.", ""]
    out.append("Legend: + now applies, \u2212 no longer applies, ~ changes, "
               "? becomes undetermined, \u00b7 no longer undetermined.")
    return "\n".join(out) + "\n"


def render_flips_text(report: FlipReport, *, title: str | None = None) -> str:
    """Single-fact changes as text: each change, then what it adds, removes or changes."""
    out: list[str] = []
    if title:
        out += [f"What-if: {printable(title)}", ""]
    for f in report.flips:
        head = f"{f.fact}: {format_value(f.before)} \u2192 {format_value(f.after)}"
        if f.threshold is not None:
            head += f" (across {format_value(f.threshold)})"
        out.append(head)
        if f.skipped:
            out += _wrap(f"not possible: {f.skipped}", "  ", "    ")
        elif not f.changes:
            out.append("  no conclusion changes")
        main = [c for c in f.changes if c.change in ("appears", "disappears", "changes")]
        for c in main:
            out += _wrap(_delta_line(c), "  ", "    ")
        settled = [c for c in f.changes if c.change == "no_longer_undetermined"]
        opened = [c for c in f.changes if c.change == "becomes_undetermined"]
        if opened:
            out += _wrap("? becomes undetermined: " + ", ".join(c.id for c in opened), "  ",
                         "    ")
        if settled:
            out += _wrap("\u00b7 no longer undetermined: " + ", ".join(c.id for c in settled),
                         "  ", "    ")
        out.append("")
    out.append("Legend: + now applies, \u2212 no longer applies, ~ changes, "
               "? becomes undetermined, \u00b7 no longer undetermined.")
    return "\n".join(out) + "\n"
