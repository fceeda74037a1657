"""Reports of the proof: how conclusions were reached (explain), why one does not apply
(why-not), and what changes with the facts (diff, flips), as documents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dmst.engine._firings import Status
from dmst.engine.explain import ExplanationNode, FactUse
from dmst.engine.whatif import ConclusionDelta, FlipReport, ScenarioDiff
from dmst.engine.whynot import Check, WhyNot
from dmst.report._doc import Document, Entry, Footnotes, Section
from dmst.report._words import LEGEND, format_value, refs, suffix

__all__ = ["diff_document", "explanation_document", "flips_document", "why_not_document"]

_CHANGE_LEGEND = ("+ now applies (or may)", "\u2212 no longer applies (or may)",
                  "\u0394 changes", "? becomes undetermined",
                  "\u2717 no longer undetermined: does not apply")
_CHANGE_MARK = {"appears": "appears", "disappears": "disappears", "changes": "changes",
                "becomes_undetermined": "undetermined", "no_longer_undetermined": "fails"}


def _footer(stamp: Any) -> tuple[str, ...]:
    from dmst.report._results import stamp_line

    return (stamp_line(stamp),) if stamp is not None else ()


def _fact_text(f: FactUse) -> str:
    if f.fact == "accused.convicted_of" and f.value is None:
        return f"{f.condition or f.fact} \u2014 no conviction given yet: it attaches on conviction"
    text = f"{f.condition or f.fact} \u2014 {'presumed' if f.presumed else 'given'}: " \
           f"{format_value(f.value)}"
    if f.computed_from:
        text += " (from " + ", ".join(f"{p} {format_value(v)}"
                                      for p, v in f.computed_from.items()) + ")"
    return text


def _node(node: ExplanationNode, notes: Footnotes, shown: set[str]) -> Entry:
    head = f"{node.title}{suffix(Status.APPLIES if node.certainty.value == 'applies' else Status.MAY_APPLY)}"
    if node.id in shown:
        return Entry(head + " \u2014 shown above", "applies", code=node.id)
    if node.elsewhere:
        return Entry(head + " \u2014 reached for another accused of the case (see that pair)",
                     "applies", code=node.id)
    shown.add(node.id)
    children: list[Entry] = []
    for step in node.derivations:
        parts: list[Entry] = [Entry(_fact_text(f), "holds") for f in step.facts]
        for e in step.exceptions:
            parts.append(Entry(f"unless {e.title} \u2014 ruled out", "holds", children=tuple(
                Entry(_fact_text(f), "holds" if f.holds else "fails") for f in e.facts)))
        parts += [_node(child, notes, shown) for child in step.relied_on]
        who = f" (for accused {step.accused})" if step.accused else ""
        children.append(Entry(f"by rule: {step.title}{who}", None, children=tuple(parts),
                              refs=refs(notes, step.citations), code=step.rule))
    return Entry(head, node.certainty.value, children=tuple(children), code=node.id)


def explanation_document(nodes: Sequence[ExplanationNode], *, title: str | None = None,
                         undetermined: int = 0, stamp: Any = None) -> Document:
    """How each conclusion was reached: rules, quotes and the facts they read. Each conclusion
    is shown in full at the top level; inside a tree, one shown earlier in it is referred to."""
    notes = Footnotes()
    entries = tuple(_node(n, notes, set()) for n in nodes)
    intro = () if entries else ("No conclusion applies on the facts given.",)
    sections = [Section("How each conclusion was reached", intro=intro, entries=entries)]
    if undetermined:
        sections.append(Section("Undetermined", intro=(
            f"{undetermined} conclusion{'s are' if undetermined != 1 else ' is'} undetermined; "
            "why-not shows what would decide each.",)))
    return Document(title=title or "Explanation", sections=tuple(sections),
                    notes=notes.all(), footer=_footer(stamp), legend=LEGEND)


_OUTCOME = {"holds": "holds", "fails": "does not hold", "unknown": "depends on unknown facts",
            "blocked": "blocked by an exception",
            "maybe_blocked": "holds, but an exception is undetermined"}


def _check(c: Check) -> Entry:
    if c.type == "fact":
        value = f"given: {format_value(c.value)}" if c.known else (
            f"unknown (read as {format_value(c.value)})" if c.value is not None else "unknown")
        return Entry(f"{c.condition} \u2014 {value}", c.status)
    if c.type in ("any", "all"):
        return Entry(f"{c.condition}:", c.status, children=tuple(_check(p) for p in c.checks))
    children = []
    if len(c.candidates) > 1 or (c.candidates and c.status != "holds" and not c.why_not):
        shown = [t for t in c.candidates if c.status == "fails" or t.status.holds
                 or t.status is not Status.DOES_NOT_APPLY]
        children += [Entry(f"{t.title}: {t.status.label}", t.status.value) for t in shown]
        if len(shown) < len(c.candidates):
            n = len(c.candidates) - len(shown)
            children.append(Entry(f"{n} other{'s' if n != 1 else ''} that could satisfy it: "
                                  "does not apply"))
    for w in c.why_not:
        children.append(_why(w))
    return Entry(c.condition, c.status, children=tuple(children))


_ANSWER = {
    Status.APPLIES: "Applies on these facts.",
    Status.MAY_APPLY: "May apply on these facts.",
    Status.UNDETERMINED: "Undetermined \u2014 facts missing: it depends on facts not given.",
    Status.SOURCE_SILENT: "Undetermined \u2014 the source does not say.",
    Status.DOES_NOT_APPLY: "Does not apply on these facts.",
}


def _why(w: WhyNot, notes: Footnotes | None = None, explain_hint: str | None = None) -> Entry:
    detail: list[str] = [_ANSWER[w.status]]
    if w.status.holds and explain_hint:
        detail.append(f"See how it was reached: {explain_hint} --conclusion {w.rule or w.id}")
    if w.missing:
        detail.append("Would be decided by: " + ", ".join(w.missing))
    for path in dict.fromkeys(d.fact for d in w.deciders):
        options = "; ".join(f"{format_value(d.value)} \u2192 {d.status.label}"
                            for d in w.deciders if d.fact == path)
        detail.append(f"{path}: {options}")
    rules = []
    for r in w.rules:
        parts = [_check(c) for c in r.conditions]
        for e in r.exceptions:
            effect = {"yes": "blocks this rule", "maybe": "may block this rule",
                      "no": "does not block it"}[e.blocks]
            parts.append(Entry(f"unless {e.title} \u2014 {e.status.label}: {effect}",
                               {"yes": "fails", "maybe": "unknown", "no": "holds"}[e.blocks]))
        rule_detail = (r.note,) if r.note else ()
        rules.append(Entry(f"Rule: {r.title} \u2014 {_OUTCOME[r.outcome]}"
                           + (f" (for accused {', '.join(r.held_for)})" if r.held_for else "")
                           + (" (records the source's silence)" if r.source_silent else ""),
                           None, rule_detail, children=tuple(parts),
                           refs=refs(notes, r.citations) if notes else (), code=r.rule))
    return Entry(f"{w.title}", w.status.value, tuple(detail), children=tuple(rules), code=w.id)


def why_not_document(w: WhyNot, *, file: str | None = None) -> Document:
    """Why a conclusion does or does not apply, rule by rule, condition by condition (``file``:
    the case file, for the pointer to ``dmst explain`` when it applies)."""
    notes = Footnotes()
    pair = f" (accused {w.accused}, victim {w.victim})" if w.victim else ""
    hint = f"dmst explain {file}" if file else "explain (dmst explain FILE)"
    return Document(title=f"Why or why not: {w.title}{pair}",
                    sections=(Section("Answer", entries=(_why(w, notes, hint),)),),
                    notes=notes.all(), footer=_footer(w.stamp), legend=LEGEND)


def _delta(d: ConclusionDelta) -> Entry:
    what = {
        "appears": "now " + d.after.status.label,
        "disappears": f"no longer {d.before.status.label}" + (
            f" (now {d.after.status.label})" if d.after.status is not Status.DOES_NOT_APPLY
            else ""),
        "changes": "changes: " + "; ".join(_difference(d, f) for f in d.differences),
        "becomes_undetermined": "becomes " + d.after.status.label,
        "no_longer_undetermined": "settled: does not apply",
    }[d.change]
    pair = f" [accused {d.accused}, victim {d.victim}]" if d.victim else ""
    detail = ("because " + "; ".join(f"{f.fact} {format_value(f.before)} \u2192 "
                                     f"{format_value(f.after)}" for f in d.because),) \
        if d.because else ()
    return Entry(f"{d.title}{pair} \u2014 {what}", _CHANGE_MARK[d.change], detail, code=d.id)


def _difference(d: ConclusionDelta, field: str) -> str:
    before, after = getattr(d.before, field), getattr(d.after, field)
    if field == "applies_to":
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        return "applies to " + ", ".join([f"+{x}" for x in added] + [f"\u2212{x}" for x in removed])
    if field == "status":
        return f"{before.label} \u2192 {after.label}"
    return f"{field.replace('_', ' ')} {_word(before)} \u2192 {_word(after)}"


def _word(value: Any) -> str:
    if value is None:
        return "none"
    return str(getattr(value, "value", value)).replace("_", " ")


def diff_document(d: ScenarioDiff, *, a: str = "A", b: str = "B") -> Document:
    """What changes between two cases, and the facts why."""
    facts = tuple(Entry(f"{f.fact}: {format_value(f.before)} \u2192 {format_value(f.after)}",
                        "fact") for f in d.facts)
    sections = [Section("Facts that differ", entries=facts,
                        intro=() if facts else ("The facts are the same.",))]
    main = [c for c in d.changes if c.change in ("appears", "disappears", "changes")]
    other = [c for c in d.changes if c not in main]
    if main:
        sections.append(Section("Conclusions that change", entries=tuple(_delta(c) for c in main)))
    if other:
        sections.append(Section("Undetermined conclusions that change",
                                entries=tuple(_delta(c) for c in other)))
    if not d.changes:
        sections.append(Section("Conclusions that change", intro=("No conclusion changes.",)))
    return Document(title=f"From {a} to {b}", sections=tuple(sections),
                    footer=_footer(d.stamp), legend=_CHANGE_LEGEND)


def flips_document(report: FlipReport, *, title: str | None = None) -> Document:
    """Single-fact changes and what each does."""
    sections = []
    for f in report.flips:
        head = f"{f.fact}: {format_value(f.before)} \u2192 {format_value(f.after)}"
        if f.threshold is not None:
            head += f" (across {format_value(f.threshold)})"
        if f.skipped:
            sections.append(Section(head, intro=(f"not possible: {f.skipped}",)))
            continue
        main = tuple(_delta(c) for c in f.changes
                     if c.change in ("appears", "disappears", "changes"))
        opened = [c.title for c in f.changes if c.change == "becomes_undetermined"]
        settled = [c.title for c in f.changes if c.change == "no_longer_undetermined"]
        intro = []
        if not f.changes:
            intro.append("no conclusion changes")
        if opened:
            intro.append("becomes undetermined: " + "; ".join(opened))
        if settled:
            intro.append("no longer undetermined: " + "; ".join(settled))
        sections.append(Section(head, intro=tuple(intro), entries=main))
    pair = f" (accused {report.accused}, victim {report.victim})" if report.victim else ""
    return Document(title=f"What-if: {title or 'single-fact changes'}{pair}",
                    sections=tuple(sections), footer=_footer(report.stamp),
                    legend=_CHANGE_LEGEND)
