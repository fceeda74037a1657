"""Reports of results, by reader: one :class:`Document` per result, in four views.

* ``all`` (default): the case in one line, the facts as read, warnings and presumptions, then
  every conclusion in one line each, what is not available and why, what the source leaves
  open, what to ask next, and the source's sentences quoted once;
* ``prosecutor``: charges with statute, penalty and text, sentencing, defenses barred,
  consequences (on conviction), limitations, and the charges left open;
* ``advocate``: the victim's status, what the victim is owed with deadlines as dates, what is
  not available and why, what is open, and the questions to ask;
* ``investigator``: investigation tools allowed and denied, the decoy rules, gaps.

A case of several people is reported by accused (charges across victims) and by victim (what
each is owed, once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from dmst.engine._firings import Status
from dmst.engine.result import (
    CaseResult,
    Conclusion,
    NotApplicable,
    Reason,
    Result,
    Undetermined,
)
from dmst.facts.paths import FACTS
from dmst.report._doc import Document, Entry, Footnotes, Section
from dmst.report._words import (
    KIND_TITLES,
    fact_label,
    format_penalty,
    format_value,
    legend,
    refs,
    statute,
    suffix,
)
from dmst.rules import Kind

__all__ = ["VIEWS", "View", "case_document", "result_document", "stamp_line"]

View = Literal["all", "prosecutor", "advocate", "investigator"]
VIEWS: tuple[View, ...] = ("all", "prosecutor", "advocate", "investigator")

_KINDS: dict[View, tuple[Kind, ...]] = {
    "all": (Kind.CHARGE, Kind.SENTENCING, Kind.CONSEQUENCE, Kind.DEFENSE_BARRED,
            Kind.PROTECTION, Kind.INVESTIGATION, Kind.GAP),
    "prosecutor": (Kind.CHARGE, Kind.SENTENCING, Kind.CONSEQUENCE, Kind.DEFENSE_BARRED,
                   Kind.PROTECTION),
    "advocate": (Kind.PROTECTION, Kind.GAP),
    "investigator": (Kind.INVESTIGATION, Kind.DEFENSE_BARRED, Kind.GAP),
}
_VIEW_TITLES = {"all": "", "prosecutor": " \u2014 for the prosecutor",
                "advocate": " \u2014 for the victim's advocate",
                "investigator": " \u2014 for the investigator"}


def _in_view(item: Any, view: View) -> bool:
    if view == "investigator" and getattr(item, "status", None) is Status.SOURCE_SILENT:
        # the decoy rules: what the source leaves open where the "child" was a decoy
        return any(r.endswith(".decoy") for r in getattr(item, "rules", ()))
    if item.kind not in _KINDS[view]:
        return False
    if view == "prosecutor" and item.kind is Kind.PROTECTION:
        return item.topic in ("limitations",) if hasattr(item, "topic") else \
            item.id.startswith("protection.limitations") or item.id == "protection.no_limitations"
    if view == "investigator" and item.kind is Kind.DEFENSE_BARRED:
        return item.id.startswith("defense_barred.decoy")
    return True


class _Builder:
    """The parts every report shares, over one set of footnotes."""

    def __init__(self, view: View, titles: dict[str, str],
                 offenses: dict[str, str] | None = None) -> None:
        self.view = view
        self.notes = Footnotes()
        self.titles = titles
        self.offenses = offenses or {}
        self.detailed = view != "all"
        #: The charges that apply on their own facts (not those resting on other charges): a
        #: conclusion about only some of them names them, whatever the view (two protections
        #: about different charges must not read as a contradiction).
        self.charges: frozenset[str] = frozenset()

    def title_of(self, cid: str) -> str:
        return self.titles.get(cid, cid)

    def charge_names(self, ids: Sequence[str]) -> str:
        """Charges named briefly (their offenses), each once."""
        return "; ".join(dict.fromkeys(self.offenses.get(i, self.title_of(i)) for i in ids))

    # -- the top ---------------------------------------------------------------------------

    def facts_section(self, groups: Sequence[tuple[str, dict[str, Any]]]) -> Section:
        entries = []
        for label, facts in groups:
            for who, members in (("Victim", ("victim",)), ("Accused", ("accused",)),
                                 ("Case", ("investigation", "dates", "compensation"))):
                known = [(p, v) for p, v in facts.items()
                         if p.split(".", 1)[0] in members and p in FACTS]
                if not known:
                    continue
                text = "; ".join(f"{fact_label(p)}: {format_value(v)}" for p, v in known)
                entries.append(Entry(f"{label or who}: {text}", "fact"))
        if not entries:
            return Section("Facts as read", intro=("No fact is given: every conclusion that "
                                                   "depends on a fact is undetermined.",))
        return Section("Facts as read", entries=tuple(entries))

    def caution_sections(self, warnings: Iterable[Any], presumptions: Iterable[Any]
                         ) -> list[Section]:
        out = []
        warned = [Entry(w.message, "warning") for w in warnings]
        if warned:
            out.append(Section("Warnings", entries=tuple(warned)))
        presumed = [
            Entry(f"Presumed {fact_label(p.fact)} = {format_value(p.value)}: {p.reason}",
                  "presumed", refs=refs(self.notes, p.citations), code=p.fact)
            for p in presumptions
        ]
        if presumed:
            out.append(Section(
                "Presumptions made", entries=tuple(presumed),
                intro=("The case is silent on these facts; conclusions resting on them say so. "
                       "Strict mode (--strict) makes no presumption.",),
            ))
        return out

    # -- conclusions -----------------------------------------------------------------------

    def conclusion(self, c: Conclusion, *, victims: str | None = None) -> Entry:
        text = c.title
        if c.kind is Kind.CHARGE:
            text += f" \u2014 {format_penalty(c.penalty)}"
            law = statute(c.citations)
            if law:
                text += f"; {law}"
        if c.modality is not None and c.kind is not Kind.CHARGE:
            words = c.modality.value.replace("_", " ")
            if words not in c.title.lower():
                text += f" [{words}]"
        text += suffix(c.status)
        if c.applies_to and c.kind is not Kind.STATUS and (
                self.detailed or set(c.applies_to) != self.charges):
            text += " \u2014 for " + self.charge_names(c.applies_to)
        if c.on_conviction:
            text += " (no conviction given yet)"
        detail: list[str] = []
        if victims:
            detail.append(victims)
        if c.presumed:
            detail.append("rests on a presumption: " + ", ".join(fact_label(p)
                                                                for p in c.presumed))
        if c.hedged_by:
            detail.append("may apply because " + "; ".join(
                self.title_of(h) for h in c.hedged_by) + " may apply")
        for d in c.deadlines:
            detail.append(f"by {d.date}: {d.description.rstrip('.').lower()} "
                          f"({d.months} months from the offense date)")
        if c.deadline and self.detailed and not c.deadlines:
            detail.append(f"deadline: {c.deadline}")
        if c.text and self.view == "prosecutor" and c.kind is Kind.CHARGE:
            detail.append(c.text)
        cites = c.citations if self.detailed else ()
        return Entry(text, c.status.value, tuple(detail), refs=refs(self.notes, cites))

    def open_entry(self, u: Undetermined, *, labelled: bool = True) -> Entry:
        detail: list[str] = []
        if u.status is Status.SOURCE_SILENT:
            detail.append(u.note or u.text or "The source does not say.")
            if u.facts:
                detail.append("on: " + "; ".join(f"{fact_label(p)} {format_value(v)}"
                                                 for p, v in u.facts.items()))
        text = u.title + (suffix(u.status) if labelled else "")
        if u.missing:
            shown = [fact_label(m) for m in u.missing[:4]]
            more = len(u.missing) - len(shown)
            text += " \u2014 would be decided by: " + "; ".join(shown) + (
                f"; and {more} more" if more > 0 else "")
        return Entry(text, u.status.value, tuple(detail),
                     refs=refs(self.notes, u.citations[:1] if self.detailed else ()))

    def reason_text(self, r: Reason) -> str:
        if r.fact is not None:
            text = f"{fact_label(r.fact)} is {format_value(r.value)} (needs {r.condition})"
            return text
        if r.exception:
            return f"it yields to another conclusion that applies: {r.condition}"
        if r.conclusion is not None:
            inner = "; ".join(self.reason_text(b) for b in r.because[:2])
            return f"it needs: {r.condition}" + (f" \u2014 {inner}" if inner else "")
        return r.condition

    def not_available(self, n: NotApplicable) -> Entry:
        because = "; ".join(dict.fromkeys(self.reason_text(r) for r in n.because))
        cites = [c for r in n.because for c in r.citations] if self.detailed else []
        return Entry(f"{n.title} (does not apply)", "does_not_apply",
                     (f"because {because}",), refs=refs(self.notes, cites[:2]))

    def kind_sections(self, items: Sequence[Conclusion]) -> list[Section]:
        out = []
        for kind in _KINDS[self.view]:
            chosen = [self.conclusion(c) for c in items if c.kind is kind and _in_view(c, self.view)]
            if chosen:
                title = KIND_TITLES[kind] if not (self.view == "prosecutor" and
                                                  kind is Kind.PROTECTION) else "Limitations"
                out.append(Section(title, entries=tuple(chosen)))
        return out

    def open_sections(self, undetermined: Sequence[Undetermined], ask: Sequence[Any]
                      ) -> list[Section]:
        out = []
        silent = [u for u in undetermined if u.status is Status.SOURCE_SILENT
                  and (self.view == "all" or _in_view(u, self.view))]
        if silent:
            out.append(Section("The source does not say", entries=tuple(
                self.open_entry(u) for u in silent)))
        missing = [u for u in undetermined if u.status is Status.UNDETERMINED]
        shown = [u for u in missing if self.view != "all" and _in_view(u, self.view)
                 and not (self.view == "prosecutor" and u.kind is Kind.CONSEQUENCE)]
        if shown:
            # conclusions that the same facts would decide are listed together
            groups: dict[tuple[str, ...], list[Undetermined]] = {}
            for u in shown:
                groups.setdefault(tuple(u.missing), []).append(u)
            entries = []
            for facts, items in groups.items():
                text = "; ".join(u.title for u in items) + suffix(Status.UNDETERMINED)
                if facts:
                    named = [fact_label(m) for m in facts[:4]]
                    more = len(facts) - len(named)
                    text += " \u2014 would be decided by: " + "; ".join(named) + (
                        f"; and {more} more" if more > 0 else "")
                entries.append(Entry(text, "undetermined"))
            out.append(Section("Undetermined \u2014 facts missing", entries=tuple(entries)))
        elif missing and self.view == "all":
            n = len(missing)
            out.append(Section("Undetermined \u2014 facts missing", intro=(
                f"{n} conclusion{'s depend' if n != 1 else ' depends'} on facts not given (each "
                "view lists its own).",)))
        relevant = {u.id for u in undetermined if _in_view(u, self.view)}
        if self.view == "all":
            asked = list(ask)
        else:  # the questions that settle most of what this reader cares about, first
            weight = {a.fact: sum(c in relevant for c in a.conclusions) for a in ask}
            asked = sorted((a for a in ask if weight[a.fact]), key=lambda a: -weight[a.fact])
        if asked:
            entries = []
            for a in asked[:5 if self.view == "all" else 4]:
                detail: tuple[str, ...] = ()
                n = len(a.conclusions)
                entries.append(Entry(f"{a.question or a.fact} (bears on {n})", "ask", detail,
                                     code=a.fact))
            out.append(Section("Ask next", entries=tuple(entries), numbered=True))
        return out

    def footer(self, stamp: Any) -> tuple[str, ...]:
        lines = [stamp_line(stamp)]
        if not self.detailed:
            lines.append("The source's sentences behind each conclusion: --for prosecutor, "
                         "advocate or investigator, or dmst explain.")
        return tuple(lines)


def stamp_line(stamp: Any) -> str:
    """What made a report, and that it is not legal advice, in one paragraph."""
    return (f"{stamp.notice} Law from {stamp.as_of['from']} to before {stamp.as_of['until']} "
            f"(inferred); rulebook {stamp.rulebook['version']} ({stamp.rulebook['fingerprint']}), "
            f"dmst {stamp.engine['dmst']}.")


def _titles(*results: Result) -> dict[str, str]:
    out: dict[str, str] = {}
    for r in results:
        for c in (*r.conclusions, *r.statuses, *r.undetermined, *r.not_applicable):
            out[c.id] = c.title
    return out


def _offenses(*results: Result) -> dict[str, str]:
    """Each charge's short name: its offense in words (human trafficking, ...)."""
    out: dict[str, str] = {}
    for r in results:
        for c in (*r.conclusions, *r.undetermined, *r.not_applicable):
            if c.kind is Kind.CHARGE and c.offense:
                out[c.id] = c.offense.replace("_", " ")
    return out


def _one_line(facts: dict[str, Any]) -> str:
    roles = facts.get("accused.roles")
    age = facts.get("victim.age")
    who = f"one accused ({format_value(roles) if roles else 'role not given'})"
    victim = f"one victim ({'aged ' + format_value(age) if age is not None else 'age not given'})"
    return f"Case: {who} and {victim}."


def _own_charges(results: Iterable[Result]) -> frozenset[str]:
    """The charges of these results that stand on their own facts (not on other charges)."""
    return frozenset(c.id for r in results for c in r.conclusions
                     if c.kind is Kind.CHARGE and not c.applies_to)


def result_document(result: Result, *, view: View = "all", title: str | None = None,
                    narrative: str | None = None, case_id: str | None = None) -> Document:
    """The report of one result (one accused, one victim) for ``view``."""
    b = _Builder(view, _titles(result), _offenses(result))
    b.charges = _own_charges([result])
    sections: list[Section] = [b.facts_section([("", result.facts)])]
    sections += b.caution_sections(result.warnings, result.presumptions)
    if view in ("all", "advocate") and result.statuses:
        sections.append(Section("The victim", entries=tuple(
            b.conclusion(s) for s in result.statuses)))
    sections += b.kind_sections(result.conclusions)
    if not result.conclusions and not result.statuses:
        sections.append(Section("Conclusions", intro=("No conclusion applies on the facts "
                                                      "given.",)))
    unavailable = [n for n in result.not_applicable
                   if view == "all" or _in_view(n, view) or
                   (view == "prosecutor" and n.kind is Kind.CHARGE)]
    if unavailable:
        sections.append(Section("Not available, and why", entries=tuple(
            b.not_available(n) for n in unavailable)))
    sections += b.open_sections(result.undetermined, result.ask_next)
    lead = [_one_line(result.facts)]
    if case_id:
        lead.insert(0, f"Case id: {case_id}")
    if narrative and view == "all":
        lead.append(" ".join(narrative.split()))
    return Document(
        title=(title or "Case report") + _VIEW_TITLES[view], lead=tuple(lead),
        sections=tuple(sections), notes=b.notes.all(), footer=b.footer(result.stamp),
        legend=legend(sections),
    )


def case_document(result: CaseResult, *, view: View = "all", narrative: str | None = None
                  ) -> Document:
    """The report of a case of several people for ``view``: by accused, then by victim."""
    b = _Builder(view, _titles(*(p.result for p in result.pairs)),
                 _offenses(*(p.result for p in result.pairs)))
    b.charges = _own_charges(p.result for p in result.pairs)
    people: list[tuple[str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for p in result.pairs:
        facts = p.result.facts
        if not seen:
            people.append(("Case", {k: v for k, v in facts.items()
                                    if k.startswith(("investigation.", "dates."))}))
        if ("v", p.victim) not in seen:
            seen.add(("v", p.victim))
            people.append((f"Victim {p.victim}", {k: v for k, v in facts.items()
                                                  if k.startswith(("victim.", "compensation."))}))
        if p.accused is not None and ("a", p.accused) not in seen:
            seen.add(("a", p.accused))
            people.append((f"Accused {p.accused}", {k: v for k, v in facts.items()
                                                    if k.startswith("accused.")}))
    sections: list[Section] = [b.facts_section(people)]
    sections += b.caution_sections(result.warnings, result.presumptions)
    if view in ("all", "prosecutor", "investigator"):
        for a in result.accused:
            pairs = [p for p in result.pairs if p.accused == a.id]
            b.charges = _own_charges(p.result for p in pairs)
            subs: list[Section] = []
            merged: dict[str, tuple[Conclusion, list[str]]] = {}
            for p in pairs:
                for c in p.result.conclusions:
                    if c.kind in (Kind.PROTECTION, Kind.GAP) and view != "prosecutor":
                        continue
                    if not _in_view(c, view):
                        continue
                    if c.id in merged:
                        merged[c.id][1].append(p.victim)
                    else:
                        merged[c.id] = (c, [p.victim])
            for kind in _KINDS[view]:
                chosen = [b.conclusion(c, victims="victims: " + ", ".join(v))
                          for c, v in merged.values() if c.kind is kind]
                if chosen:
                    subs.append(Section(KIND_TITLES[kind], entries=tuple(chosen)))
            roles = ", ".join(a.roles) if a.roles else "role not given"
            extra = []
            if a.convicted_of is not None:
                extra.append("convicted of: " + (", ".join(a.convicted_of) or "nothing yet"))
            if a.charged_with is not None:
                extra.append("charged with: " + (", ".join(a.charged_with) or "nothing"))
            sections.append(Section(f"Accused {a.id} ({roles})", intro=tuple(extra),
                                    sections=tuple(subs) or (Section(
                                        "Conclusions", intro=("None applies on the facts "
                                                              "given.",)),)))
    b.charges = _own_charges(p.result for p in result.pairs)
    if view == "investigator":  # the tools and gaps are the same whoever the victim
        seen_ids: set[str] = set()
        tools: dict[Kind, list[Entry]] = {}
        for v in result.victims:
            for c in v.conclusions:
                if c.kind in (Kind.INVESTIGATION, Kind.GAP) and c.id not in seen_ids:
                    seen_ids.add(c.id)
                    tools.setdefault(c.kind, []).append(b.conclusion(c))
        for kind in (Kind.INVESTIGATION, Kind.GAP):
            if tools.get(kind):
                sections.append(Section(KIND_TITLES[kind], entries=tuple(tools[kind])))
    if view in ("all", "advocate"):
        for v in result.victims:
            r = result.pairs[[p.victim for p in result.pairs].index(v.id)].result
            subs = []
            if r.statuses:
                subs.append(Section("Status", entries=tuple(b.conclusion(s) for s in r.statuses)))
            owed = [b.conclusion(c) for c in v.conclusions if c.kind is Kind.PROTECTION]
            if owed:
                subs.append(Section("What the victim is owed", entries=tuple(owed)))
            gaps = [b.conclusion(c) for c in v.conclusions if c.kind is Kind.GAP]
            if gaps:
                subs.append(Section("Gaps the source names", entries=tuple(gaps)))
            if v.not_applicable:
                subs.append(Section("Not available, and why", entries=tuple(
                    b.not_available(n) for n in v.not_applicable)))
            sections.append(Section(f"Victim {v.id}", sections=tuple(subs)))
    undetermined: dict[str, Undetermined] = {}
    ask: dict[str, Any] = {}
    for p in result.pairs:
        for u in p.result.undetermined:
            undetermined.setdefault(u.id, u)
        for a in p.result.ask_next:
            ask.setdefault(a.fact, a)
    sections += b.open_sections(list(undetermined.values()),
                                sorted(ask.values(), key=lambda a: -a.settles))
    n_v, n_a = len(result.victims), len(result.accused)
    lead = [f"Case: {n_a} accused ({', '.join(a.id for a in result.accused) or 'none'}) and "
            f"{n_v} victim{'s' if n_v != 1 else ''} ({', '.join(v.id for v in result.victims)}); "
            f"{len(result.pairs)} accused\u2013victim pairs (--format json gives each in full)."]
    if result.case_id:
        lead.insert(0, f"Case id: {result.case_id}")
    if narrative and view == "all":
        lead.append(" ".join(narrative.split()))
    return Document(
        title=(result.title or "Case report") + _VIEW_TITLES[view], lead=tuple(lead),
        sections=tuple(sections), notes=b.notes.all(), footer=b.footer(result.stamp),
        legend=legend(sections),
    )
