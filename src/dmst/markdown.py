"""Markdown documents for people: the case brief a trainer can print, and the Markdown form of
explanations, why-not answers, diffs and single-fact changes.

The brief has the case's title and narrative, the facts given (a table), the conclusions grouped
by kind with the charges by role side by side, each with its quote and statute, the undetermined
conclusions with what would decide each, the facts to ask about next, warnings, and the stamp
with the not-legal-advice notice.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence

from dmst._text import markdown_inline, markdown_paragraphs
from dmst.engine.explain import (
    Check,
    ConclusionDelta,
    ExplanationNode,
    ExplanationStep,
    FlipReport,
    ScenarioDiff,
    WhyNot,
)
from dmst.engine.result import Citation, Conclusion, Result, Undetermined
from dmst.facts.load import CaseFile
from dmst.facts.paths import FACTS
from dmst.render import ROLE_TITLES, SECTION_TITLES, format_penalty, format_value
from dmst.rules.model import Certainty, Kind

__all__ = [
    "render_diff_markdown",
    "render_explanation_markdown",
    "render_flips_markdown",
    "render_markdown",
    "render_why_not_markdown",
]

_ROLES: tuple[str | None, ...] = ("trafficker", "buyer", "facilitator")
_STATUS_WORDS = {"applies": "applies", "undetermined": "undetermined",
                 "does_not_apply": "does not apply"}
_MARK = {"holds": "\u2713", "fails": "\u2717", "unknown": "?"}
_SPECIAL = re.compile(r"([\\`*_<])")


def _esc(text: str) -> str:
    """Text as Markdown shows it literally (emphasis, code and link characters escaped)."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _cell(text: str) -> str:
    """Text for a table cell: escaped, with pipes escaped too."""
    return _esc(text).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def _first_sentence(text: str) -> str:
    head = re.split(r"(?<=\.)\s", text.strip(), maxsplit=1)[0]
    return head.rstrip(".") + "."


def _source_line(c: Citation) -> str:
    where = f"*{_esc(c.section)}*"
    if c.statute is not None:
        where += f"; {_esc(c.statute.cite)} ({c.statute.confidence} confidence)"
    return f"\u201c{_esc(c.quote)}\u201d \u2014 {where}"


def _url(url: str) -> str:
    if not url:
        return ""
    return f", <{url}>" if re.match(r"https?://", url) else f", {_esc(url)}"


def _paragraphs(text: str) -> list[str]:
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        out += [_esc(para), ""]
    return out


def _quotes(citations: Sequence[Citation]) -> list[str]:
    out: list[str] = []
    for c in citations:
        out += [f"> {_source_line(c)}", ""]
    return out


class _Titles:
    """Titles of conclusions by id, from a result (applying and undetermined)."""

    def __init__(self, result: Result) -> None:
        self._titles = {c.id: c.title for c in (*result.statuses, *result.conclusions,
                                                  *result.undetermined)}

    def __call__(self, cid: str) -> str:
        return self._titles.get(cid, cid)


# --- the case brief ----------------------------------------------------------------------------


def render_markdown(result: Result, case: CaseFile | None = None, *,
                    explanations: Sequence[ExplanationNode] | None = None) -> str:
    """The case brief for ``result`` (and the scenario file ``case``, for its title and
    narrative). With ``explanations``, a section on how each conclusion was reached is added."""
    titles = _Titles(result)
    out: list[str] = [f"# {markdown_inline(case.title) if case and case.title else 'Case brief'}", ""]
    out += ["*Not legal advice: see \u201cAbout this brief\u201d at the end.*", ""]
    if case and case.narrative:
        out += ["## The case", "", *markdown_paragraphs(case.narrative)]
    out += _facts_section(result)
    if result.statuses:
        out += [f"## {SECTION_TITLES[Kind.STATUS]}", ""]
        out += [f"- \u2713 {_esc(s.title)}" for s in result.statuses] + [""]
    out += _charges_section(result, titles)
    for kind in (Kind.CONSEQUENCE, Kind.DEFENSE_BARRED, Kind.PROTECTION, Kind.INVESTIGATION,
                 Kind.GAP):
        items = [c for c in result.conclusions if c.kind is kind]
        if items:
            out += [f"## {SECTION_TITLES[kind]}", ""]
            for c in items:
                out += _conclusion_block(c, titles, "###")
    if not result.conclusions and not result.statuses:
        out += ["## Conclusions", "", "No conclusion applies on the facts given.", ""]
    out += _undetermined_section(result, titles)
    out += _ask_next_section(result)
    if result.warnings:
        out += ["## Warnings", ""]
        out += [f"- {_esc(w.message)}" for w in result.warnings] + [""]
    if explanations:
        out += ["## How each conclusion was reached", ""]
        out += _explanation_lines(explanations)
    out += _about(result)
    return "\n".join(out).rstrip("\n") + "\n"


def _facts_section(result: Result) -> list[str]:
    out = ["## Facts given", ""]
    if not result.facts:
        return out + ["No facts were given: every fact is unknown.", ""]
    out += ["| Fact | Value | Meaning |", "| --- | --- | --- |"]
    for path, value in result.facts.items():
        spec = FACTS.get(path)
        meaning = _first_sentence(spec.description) if spec and spec.description else ""
        out.append(f"| {_code(path)} | {markdown_inline(format_value(value))} | {_cell(meaning)} |")
    out += ["", "Facts not listed are unknown, never taken as false.", ""]
    return out


def _marks(c: Conclusion) -> str:
    return " *(may apply: the source hedges)*" if c.certainty is Certainty.MAY_APPLY else ""


def _charges_section(result: Result, titles: _Titles) -> list[str]:
    charges = [c for c in result.conclusions if c.kind is Kind.CHARGE]
    if not charges:
        return []
    roles: list[str | None] = list(_ROLES)
    if any(c.role is None for c in charges):
        roles.append(None)
    columns = {r: [c for c in charges if c.role == r] for r in roles}
    out = [f"## {SECTION_TITLES[Kind.CHARGE]}, by role of the accused", ""]
    out.append("| " + " | ".join(ROLE_TITLES[r] for r in roles) + " |")
    out.append("| " + " | ".join("---" for _ in roles) + " |")
    for i in range(max(len(v) for v in columns.values())):
        cells = []
        for r in roles:
            group = columns[r]
            if i < len(group):
                c = group[i]
                may = " (may apply)" if c.certainty is Certainty.MAY_APPLY else ""
                cells.append(f"**{_cell(c.title)}**{may}: {_cell(format_penalty(c.penalty))}")
            else:
                cells.append("\u2014" if i == 0 else "")
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    for r in roles:
        if columns[r]:
            out += [f"### {ROLE_TITLES[r]}", ""]
            for c in columns[r]:
                out += _conclusion_block(c, titles, "####")
    return out


def _conclusion_block(c: Conclusion, titles: _Titles, level: str) -> list[str]:
    out = [f"{level} {_esc(c.title)}", ""]
    facts: list[str] = []
    if c.kind is Kind.CHARGE:
        facts.append(f"**Penalty:** {_esc(format_penalty(c.penalty))}")
    if c.modality is not None:
        facts.append(f"**Binding:** {c.modality.value.replace('_', ' ')}")
    facts.append("**Certainty:** " + ("may apply (the source hedges)"
                                     if c.certainty is Certainty.MAY_APPLY else "applies"))
    if c.applies_to:
        facts.append("**Attaches to:** " + "; ".join(_esc(titles(a)) for a in c.applies_to))
    if c.deadline:
        facts.append(f"**Deadline:** {_esc(c.deadline)}")
    facts.append(f"**Rule:** {_code(c.rule)}")
    out += ["  \n".join(facts), ""]
    if c.text:
        out += [_esc(c.text), ""]
    out += _quotes(c.citations)
    return out


def _undetermined_section(result: Result, titles: _Titles) -> list[str]:
    silent = [u for u in result.undetermined if u.reason == "source_silent"]
    missing = [u for u in result.undetermined if u.reason == "missing_facts"]
    if not silent and not missing:
        return []
    out = ["## Undetermined", ""]
    if silent:
        out += ["### The source does not decide", ""]
        for u in silent:
            out += _silent_item(u, titles)
        out.append("")
    if missing:
        out += ["### Facts missing", "",
                "Each of these could apply; the facts in the second column would decide it.", "",
                "| Conclusion | Would be decided by |", "| --- | --- |"]
        for u in missing:
            label = _cell(u.title) + (f" ({u.role})" if u.role else "")
            if u.applies_to:
                label += " \u2014 for " + "; ".join(_cell(titles(a)) for a in u.applies_to)
            out.append(f"| {label} | {', '.join(_code(m) for m in u.missing)} |")
        out.append("")
    return out


def _silent_item(u: Undetermined, titles: _Titles) -> list[str]:
    line = f"- **{_esc(u.title)}**"
    if u.applies_to:
        line += " (for " + "; ".join(_esc(titles(a)) for a in u.applies_to) + ")"
    if u.text:
        line += f": {_esc(u.text)}"
    out = [line]
    if u.missing:
        out.append("  Whether it arises at all would be decided by "
                   + ", ".join(_code(m) for m in u.missing) + ".")
    for c in u.citations[:1]:
        out.append(f"  Source: {_source_line(c)}")
    return out


def _ask_next_section(result: Result) -> list[str]:
    if not result.ask_next:
        return []
    out = ["## Ask next", "", "Unknown facts that would settle the most, first:", ""]
    for i, a in enumerate(result.ask_next, 1):
        n = a.settles
        out.append(f"{i}. {_code(a.fact)} \u2014 {_esc(_first_sentence(a.description))} "
                   f"(bears on {n} undetermined conclusion{'s' if n != 1 else ''})")
    return out + [""]


def _about(result: Result) -> list[str]:
    s = result.stamp
    lines = [
        f"Rulebook {_code(s.rulebook.get('id', ''))} version {s.rulebook.get('version', '')} "
        f"(fingerprint {_code(s.rulebook.get('fingerprint', ''))}).",
        f"Source: *{_esc(s.source.get('title', ''))}* ({_esc(s.source.get('publisher', ''))}"
        + (f", {_esc(s.source['edition'])}" if s.source.get("edition") else "") + ")"
        + _url(s.source.get("url", "")) + ".",
        f"Law as of {s.as_of.get('from', '')} to {s.as_of.get('until', '')}"
        + (f". {_esc(s.as_of['note'])}" if s.as_of.get("note") else " (inferred)."),
        "Made by dmst " + s.engine.get("dmst", "") + " (durable_rules "
        + s.engine.get("durable_rules", "") + ").",
    ]
    return ["## About this brief", "", *(f"- {line}" for line in lines), "",
            f"**{_esc(s.notice)}**", ""]


# --- explanations ------------------------------------------------------------------------------


def render_explanation_markdown(nodes: Sequence[ExplanationNode], result: Result,
                                case: CaseFile | None = None) -> str:
    """A short document: the case's title, narrative and facts, then how the conclusions in
    ``nodes`` were reached, and the stamp."""
    out: list[str] = [f"# {markdown_inline(case.title) if case and case.title else 'Case brief'}", ""]
    out += ["*Not legal advice: see \u201cAbout this brief\u201d at the end.*", ""]
    if case and case.narrative:
        out += ["## The case", "", *markdown_paragraphs(case.narrative)]
    out += _facts_section(result)
    out += ["## How the conclusions were reached", ""]
    out += _explanation_lines(nodes)
    out += _about(result)
    return "\n".join(out).rstrip("\n") + "\n"


def _explanation_lines(nodes: Sequence[ExplanationNode]) -> list[str]:
    out: list[str] = []
    shown: set[str] = set()
    for node in nodes:
        out += [f"### {_esc(node.title)}", ""]
        out += [f"{_code(node.id)} \u2014 "
                + ("may apply (the source hedges)" if node.certainty is Certainty.MAY_APPLY
                   else "applies"), ""]
        out += _node_body(node, "", shown)
        out.append("")
    return out


def _node_body(node: ExplanationNode, indent: str, shown: set[str]) -> list[str]:
    shown.add(node.id)
    out: list[str] = []
    for rule, group in itertools.groupby(node.derivations, key=lambda s: s.rule):
        steps = list(group)
        out.append(f"{indent}- By rule {_code(rule)}: {_esc(steps[0].title)}")
        sub = indent + "  "
        for n, step in enumerate(steps, 1):
            inner = sub
            if len(steps) > 1:
                out.append(f"{sub}- Way {n} of {len(steps)}:")
                inner = sub + "  "
            out += _step_lines(step, inner, shown)
        for c in steps[0].citations:
            out.append(f"{sub}- Source: {_source_line(c)}")
    return out


def _step_lines(step: ExplanationStep, indent: str, shown: set[str]) -> list[str]:
    out: list[str] = []
    for f in step.facts:
        value = format_value(f.value)
        if f.computed_from:
            value += " (from " + ", ".join(f"{_code(p)} {format_value(v)}"
                                           for p, v in f.computed_from.items()) + ")"
        out.append(f"{indent}- \u2713 {_code(f.condition or f.fact)} \u2014 given: {value}")
    for e in step.exceptions:
        out.append(f"{indent}- \u2713 unless {_esc(e.title)} \u2014 ruled out:")
        for f in e.facts:
            mark = "\u2713" if f.holds else "\u2717"
            out.append(f"{indent}  - {mark} {_code(f.condition or f.fact)} \u2014 given: "
                       f"{format_value(f.value)}")
    for child in step.relied_on:
        if child.id in shown:
            out.append(f"{indent}- \u2713 {_esc(child.title)} (shown above)")
        else:
            out.append(f"{indent}- \u2713 {_esc(child.title)} ({_code(child.id)}):")
            out += _node_body(child, indent + "  ", shown)
    return out


# --- why not -----------------------------------------------------------------------------------


def render_why_not_markdown(w: WhyNot) -> str:
    """A why-not answer as Markdown: the status, then each rule condition by condition."""
    out = [f"# Why not: {_esc(w.title)}", "", *_why_not_lines(w, "")]
    return "\n".join(out).rstrip("\n") + "\n"


def _why_not_lines(w: WhyNot, indent: str) -> list[str]:
    subject = f"rule {_code(w.rule)} for {_code(w.id)}" if w.rule else _code(w.id)
    state = {"applies": "applies on these facts",
             "undetermined": "is undetermined on these facts",
             "does_not_apply": "does not apply on these facts"}[w.status]
    out = [f"{indent}{subject} **{state}**" + (
        " (the source does not decide it)" if w.reason == "source_silent" else "") + ".", ""]
    if w.missing:
        out += [f"{indent}Would be decided by: " + ", ".join(_code(m) for m in w.missing) + ".",
                ""]
        for path in dict.fromkeys(d.fact for d in w.deciders):
            out.append(f"{indent}- {_code(path)}: " + "; ".join(
                f"{format_value(d.value)} \u2192 {_STATUS_WORDS[d.status]}"
                for d in w.deciders if d.fact == path))
        if w.deciders:
            out.append("")
    for r in w.rules:
        outcome = {"holds": "holds", "fails": "does not hold",
                   "unknown": "depends on unknown facts", "blocked": "blocked by an exception",
                   "maybe_blocked": "holds, but an exception is undetermined"}[r.outcome]
        out.append(f"{indent}- Rule {_code(r.rule)} \u2014 **{outcome}**: {_esc(r.title)}")
        sub = indent + "  "
        for c in r.conditions:
            out += _check_lines(c, sub)
        for e in r.exceptions:
            mark = {"yes": "\u2717", "maybe": "?", "no": "\u2713"}[e.blocks]
            out.append(f"{sub}- {mark} unless {_esc(e.title)} \u2014 "
                       f"{_STATUS_WORDS[e.status]}")
        for c in r.citations:
            out.append(f"{sub}- Source: {_source_line(c)}")
    return out + [""]


def _check_lines(c: Check, indent: str) -> list[str]:
    mark = _MARK[c.status]
    if c.type == "fact":
        value = f"given: {format_value(c.value)}" if c.known else "unknown"
        return [f"{indent}- {mark} {_code(c.condition)} \u2014 {value}"]
    if c.type in ("any", "all"):
        out = [f"{indent}- {mark} {c.condition}:"]
        for part in c.checks:
            out += _check_lines(part, indent + "  ")
        return out
    out = [f"{indent}- {mark} {_esc(c.condition)}"]
    if len(c.candidates) > 1:
        shown = [t for t in c.candidates if c.status == "fails" or t.status != "does_not_apply"]
        out += [f"{indent}  - {_esc(t.title)}: {_STATUS_WORDS[t.status]}" for t in shown]
        if len(shown) < len(c.candidates):
            out.append(f"{indent}  - ({len(c.candidates) - len(shown)} more: do not apply)")
    for w in c.why_not:
        nested = _why_not_lines(w, indent + "  ")
        out += [line for line in nested if line]
    return out


# --- diff and flips ----------------------------------------------------------------------------

_CHANGE_WORDS = {
    "appears": "now applies",
    "disappears": "no longer applies",
    "changes": "changes",
    "becomes_undetermined": "becomes undetermined",
    "no_longer_undetermined": "no longer undetermined",
}


def _change_row(d: ConclusionDelta) -> str:
    because = "; ".join(f"{_code(f.fact)} {format_value(f.before)} \u2192 "
                        f"{format_value(f.after)}" for f in d.because)
    what = _CHANGE_WORDS[d.change]
    if d.change == "changes":
        what += " (" + ", ".join(x.replace("_", " ") for x in d.differences) + ")"
    return f"| {_cell(d.title)} | {what} | {because} |"


def render_diff_markdown(d: ScenarioDiff, *, a: str = "A", b: str = "B") -> str:
    """A diff as Markdown tables: the facts that differ and the conclusions that change."""
    out = [f"# From {markdown_inline(a)} to {markdown_inline(b)}", "", "## Facts that differ", ""]
    if d.facts:
        out += ["| Fact | In A | In B |", "| --- | --- | --- |"]
        out += [f"| {_code(f.fact)} | {_cell(format_value(f.before))} | "
                f"{_cell(format_value(f.after))} |" for f in d.facts]
    else:
        out.append("The facts are the same.")
    out += ["", "## Conclusions that change", ""]
    out += _changes_table(d.changes) or ["No conclusion changes."]
    return "\n".join(out).rstrip("\n") + "\n"


def _changes_table(changes: Iterable[ConclusionDelta]) -> list[str]:
    rows = [_change_row(c) for c in changes]
    if not rows:
        return []
    return ["| Conclusion | Change | Because |", "| --- | --- | --- |", *rows]


def render_flips_markdown(report: FlipReport, *, title: str | None = None) -> str:
    """Single-fact changes as Markdown: one section per change, with what it adds or removes."""
    out = [f"# What if one fact changed{': ' + markdown_inline(title) if title else ''}", ""]
    for f in report.flips:
        head = f"{_code(f.fact)}: {format_value(f.before)} \u2192 {format_value(f.after)}"
        if f.threshold is not None:
            head += f" (across {format_value(f.threshold)})"
        out += [f"## {head}", ""]
        if f.skipped:
            out += [f"Not possible: {_esc(f.skipped)}", ""]
            continue
        main = [c for c in f.changes if c.change in ("appears", "disappears", "changes")]
        rest = [c for c in f.changes if c not in main]
        if not f.changes:
            out += ["No conclusion changes.", ""]
            continue
        for c in main:
            out.append(f"- {_CHANGE_WORDS[c.change].capitalize()}: {_esc(c.title)}")
        for kind in ("becomes_undetermined", "no_longer_undetermined"):
            ids = [c for c in rest if c.change == kind]
            if ids:
                out.append(f"- {_CHANGE_WORDS[kind].capitalize()}: "
                           + "; ".join(_esc(c.title) for c in ids))
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
