"""The reports: every result, case result, explanation, why-not, diff and what-if built once as a
document and written as text, Markdown and HTML; the views for each reader; one vocabulary of
statuses; and user text (titles, narratives) shown literally, never obeyed as markup."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dmst import Engine, load_case_file
from dmst.cli import app
from dmst.engine._firings import Status
from dmst.engine.explain import explain
from dmst.engine.result import CaseResult, Result
from dmst.engine.whatif import diff, flips
from dmst.engine.whynot import why_not
from dmst.report import VIEWS, Document, document, render
from dmst.report._doc import MARKS, Entry, Section
from dmst.report._words import LEGEND, fact_label, format_value
from dmst.report._writers import md, plain, write_html, write_markdown, write_text
from dmst.rules import Kind

from .conftest import DECOY, MOTHER_AND_BUYER, PIMP, TWO_VICTIMS, words

runner = CliRunner()

BOTH_SIDES: dict[str, Any] = {
    "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": True},
    "accused": {"roles": ["trafficker", "buyer"],
                "conduct": {"trafficked_for_sex": True, "bought_commercial_sex": True,
                            "contributed_to_delinquency": True}},
    "investigation": {"decoy": False},
}
#: The stock case with the decoy left unsaid: the rulebook presumes a real child.
SILENT_DECOY = {k: v for k, v in PIMP.items() if k != "investigation"}

#: Titles and narratives a case file may hold that look like Markdown or HTML structure.
HOSTILE = [
    "## Charges",
    "# Not the title\n\n## Charges\n- \u2713 Fake charge",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)> and <b>bold</b>",
    "*emphasis* _under_ **strong** `code` ~~struck~~",
    "[a link](http://example.com) and ![an image](x.png)",
    "| a | table |\n|---|---|\n| 1 | 2 |",
    "> a quote\n---\n1. a list\n+ another\n- and another",
    "\\## escaped \\* already",
    "</li></ul></section><h2>Injected</h2>",
    "a line\nwith === under it\n===",
]


def entries(doc_or_section: Document | Section) -> Iterator[Entry]:
    """Every entry of a document (or section), nested ones included."""
    stack: list[Any] = [doc_or_section]
    while stack:
        node = stack.pop()
        if isinstance(node, Entry):
            yield node
            stack.extend(reversed(node.children))
        else:
            stack.extend(reversed(getattr(node, "entries", ())))
            stack.extend(reversed(node.sections))


def section(doc: Document, title: str) -> Section:
    found = [s for s in _sections(doc) if s.title == title]
    assert found, f"no section {title!r} in {[s.title for s in _sections(doc)]}"
    return found[0]


def _sections(doc: Document) -> Iterator[Section]:
    stack = list(doc.sections)
    while stack:
        s = stack.pop(0)
        yield s
        stack.extend(s.sections)


def is_entry_for(text: str, title: str) -> bool:
    """Whether an entry's text is the one of the conclusion titled ``title``: the title, then
    nothing, a penalty, a modality or a status in words."""
    if not text.startswith(title):
        return False
    rest = text[len(title):]
    return rest == "" or rest.startswith((" \u2014 ", " [")) or any(
        rest.startswith(f" ({s.label})") for s in Status)


def titles(doc: Document) -> list[str]:
    return [s.title for s in doc.sections]


def rendered(markdown: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return str(markdown_it.MarkdownIt("commonmark").render(markdown))


def result_of(engine: Engine, path: Path) -> Result | CaseResult:
    return engine.evaluate_file(load_case_file(path))  # type: ignore[no-any-return]


# --- the report of a result ----------------------------------------------------------------------


def test_report_has_title_case_id_narrative_and_every_fact(engine: Engine) -> None:
    """The report opens with the title, the case id, the case in one line and the narrative
    (folded to one paragraph), then every fact given, in words."""
    result = engine.evaluate(PIMP)
    doc = document(result, title="A pimp and a 15-year-old", case_id="2018-CR-1",
                   narrative="She ran away.\n\nHe sold her.")
    assert doc.title == "A pimp and a 15-year-old"
    assert doc.lead == ("Case id: 2018-CR-1",
                        "Case: one accused (trafficker) and one victim (aged 15).",
                        "She ran away. He sold her.")
    assert titles(doc)[0] == "Facts as read"
    facts = words(" ".join(e.text for e in entries(section(doc, "Facts as read"))))
    for path, value in result.facts.items():
        assert f"{fact_label(path)}: {format_value(value)}" in facts, path
    assert "age: 15" in facts and "roles: trafficker" in facts and "decoy: no" in facts
    page = rendered(render(result, format="markdown", title="A pimp and a 15-year-old",
                           narrative="She ran away.\n\nHe sold her."))
    assert "<h1>A pimp and a 15-year-old</h1>" in page
    assert "She ran away. He sold her." in page


def test_every_conclusion_is_in_the_compact_view_once(engine: Engine) -> None:
    """The default view lists every status and conclusion once, under its kind, marked with its
    status, charges with penalty and statute, and quotes none of them; conclusions of one title
    (a trafficker's and a buyer's asset forfeiture) each get their own line, told apart by the
    charges they concern."""
    result = engine.evaluate(BOTH_SIDES)
    doc = document(result)
    shown = list(entries(doc))
    every = (*result.statuses, *result.conclusions)
    for c in every:
        matching = [e for e in shown if is_entry_for(e.text, c.title)]
        assert len(matching) == sum(o.title == c.title for o in every), c.id
        assert len({e.text for e in matching}) == len(matching), c.id
        entry = matching[0]
        assert entry.mark == c.status.value, c.id
        assert entry.refs == (), c.id
        if c.kind is Kind.CHARGE:
            assert c.citations[0].statute is None or c.citations[0].statute.cite in entry.text
    kinds = {"The victim", "Charges", "Sentencing", "Collateral consequences",
             "Defenses barred", "Victim protections and remedies", "Gaps the source names"}
    assert kinds <= set(titles(doc))
    assert doc.notes == ()


def test_charges_of_every_role_are_in_one_list(engine: Engine) -> None:
    """A trafficker who also bought sex gets the charges of no particular role (trafficking,
    contributing to delinquency) and the buyer's (human trafficking as a buyer, procuring) in one
    Charges section, each once: charges are not grouped by role any more."""
    result = engine.evaluate(BOTH_SIDES)
    charges = [c for c in result.conclusions if c.kind is Kind.CHARGE]
    assert {c.role for c in charges} == {None, "buyer"}
    listed = section(document(result), "Charges")
    assert listed.sections == ()
    assert [e.text.split(" \u2014 ")[0] for e in listed.entries] == [c.title for c in charges]


def test_each_view_quotes_the_sources_of_its_conclusions(engine: Engine) -> None:
    """In each reader's view every conclusion shown refers to each sentence of the source it
    cites, quoted once in the document's numbered sources; and every conclusion of the result is
    in some reader's view."""
    result = engine.evaluate(PIMP)
    seen: set[str] = set()
    for view in ("prosecutor", "advocate", "investigator"):
        doc = document(result, view=view)
        quotes = {n.number: n.quote for n in doc.notes}
        assert list(quotes) == list(range(1, len(quotes) + 1))
        # a sentence is quoted once for each place it is cited from (its area and statute)
        assert len({(n.quote, n.where) for n in doc.notes}) == len(quotes)
        top = [e for s in _sections(doc) for e in s.entries]
        for c in (*result.statuses, *result.conclusions):
            found = [e for e in top if is_entry_for(e.text, c.title)]
            if not found:
                continue
            seen.add(c.id)
            assert found[0].mark == c.status.value, c.id
            assert {quotes[r] for r in found[0].refs} == {x.quote for x in c.citations}, c.id
    assert seen == {c.id for c in (*result.statuses, *result.conclusions)}


def test_a_case_is_reported_by_accused_and_by_victim(engine: Engine) -> None:
    """A case of one trafficker and two victims lists each charge once under the accused with
    the victims it concerns (enticing only the 12-year-old), and each victim's protections under
    that victim."""
    result = result_of(engine, TWO_VICTIMS)
    assert isinstance(result, CaseResult)
    doc = document(result)
    assert doc.title == "One trafficker, two victims aged 15 and 12"
    assert doc.lead[0] == "Case id: 2018-CR-0411"
    assert {"Accused A1 (trafficker)", "Victim V1", "Victim V2"} <= set(titles(doc))
    charges = section(section(doc, "Accused A1 (trafficker)"), "Charges")
    by_title = {e.text.split(" \u2014 ")[0]: e for e in charges.entries}
    assert by_title["Human trafficking of a minor"].detail[0] == "victims: V1, V2"
    assert by_title["Enticing a child under 14 for commercial sex"].detail[0] == "victims: V2"
    for victim in ("V1", "V2"):
        owed = section(section(doc, f"Victim {victim}"), "What the victim is owed")
        assert owed.entries
    text = render(result)
    assert text.count("Enticing a child under 14 for commercial sex") == 1


def test_undetermined_conclusions_and_what_to_ask(engine: Engine) -> None:
    """The default view counts the conclusions facts would decide; a reader's view lists its own
    with the facts that would decide each; Ask next is numbered, the most useful question
    first."""
    result = engine.evaluate(PIMP)
    missing = [u for u in result.undetermined if u.status is Status.UNDETERMINED]
    doc = document(result)
    assert section(doc, "Undetermined \u2014 facts missing").intro == (
        f"{len(missing)} conclusions depend on facts not given (each view lists its own).",)
    ask = section(doc, "Ask next")
    assert ask.numbered
    assert [e.code for e in ask.entries] == [a.fact for a in result.ask_next[:5]]
    assert ask.entries[0].text.startswith(result.ask_next[0].question)
    prosecutor = document(result, view="prosecutor")
    listed = section(prosecutor, "Undetermined \u2014 facts missing").entries
    charges = [u for u in missing if u.kind is Kind.CHARGE]
    assert charges
    for u in charges:
        [entry] = [e for e in listed if u.title in e.text]
        assert f"would be decided by: {'; '.join(fact_label(m) for m in u.missing)}" in \
            entry.text


def test_what_is_not_available_says_why(engine: Engine) -> None:
    """A charge a threshold rules out is listed as not available, with the fact and the
    condition it fails."""
    doc = document(engine.evaluate(PIMP))
    [entry] = section(doc, "Not available, and why").entries
    assert entry.text == "Enticing a child under 14 for commercial sex (does not apply)"
    assert entry.detail == ("because age is 15 (needs victim.age < 14 years)",)


def test_the_source_s_silences_are_reported_with_their_note(engine: Engine) -> None:
    """With a decoy, the offenses the source is silent on are listed as such, with why."""
    result = engine.evaluate(DECOY)
    silent = [u for u in result.undetermined if u.status is Status.SOURCE_SILENT]
    assert silent
    listed = section(document(result), "The source does not say").entries
    assert [e.text for e in listed] == [
        f"{u.title} (undetermined \u2014 the source does not say)" for u in silent]
    assert all(e.mark == "source_silent" and e.detail[0] for e in listed)


def test_presumptions_are_stated_and_strict_mode_makes_none(engine: Engine) -> None:
    """A presumption is reported with its reason and quote, and each conclusion resting on it
    says so; in strict mode there is none to report."""
    doc = document(engine.evaluate(SILENT_DECOY))
    [presumed] = section(doc, "Presumptions made").entries
    assert presumed.text.startswith("Presumed decoy = no: ")
    assert presumed.code == "investigation.decoy" and presumed.refs == (1,)
    minor = next(e for e in entries(doc) if e.text == "The victim is a minor (under 18)")
    assert minor.detail == ("rests on a presumption: decoy",)
    strict = document(engine.evaluate(SILENT_DECOY, presume=False))
    assert "Presumptions made" not in titles(strict)
    assert "rests on a presumption" not in write_text(strict)


def test_warnings_stamp_and_notice_are_in_the_report(engine: Engine) -> None:
    """An adult victim's warning, the rulebook version and fingerprint and the not-legal-advice
    notice appear, in every format."""
    result = engine.evaluate({"victim": {"age": 19}})
    assert result.warnings
    doc = document(result)
    assert [e.text for e in section(doc, "Warnings").entries] == [
        w.message for w in result.warnings]
    footer = words(" ".join(doc.footer))
    assert result.stamp.rulebook["version"] in footer
    assert result.stamp.rulebook["fingerprint"] in footer
    assert words(result.stamp.notice) in footer
    for fmt in ("text", "markdown", "html"):
        out = words(render(result, format=fmt))
        assert "Not legal advice" in out, fmt
        assert html.unescape(result.warnings[0].message.split(".")[0]) in html.unescape(out)


def test_an_empty_scenario_says_no_fact_is_given(engine: Engine) -> None:
    """With no facts, the title defaults and the report says no fact is given; a result with no
    conclusion says none applies."""
    result = engine.evaluate({})
    doc = document(result)
    assert doc.title == "Case report"
    assert doc.lead[0] == "Case: one accused (role not given) and one victim (age not given)."
    assert section(doc, "Facts as read").intro[0].startswith("No fact is given")
    bare = result.model_copy(update={"conclusions": [], "statuses": []})
    assert section(document(bare), "Conclusions").intro == (
        "No conclusion applies on the facts given.",)


def test_render_is_a_writer_of_the_document(engine: Engine) -> None:
    """render() is the document written by the writer of the format, for the view, and refuses
    what it has no report for."""
    result = engine.evaluate(PIMP)
    for view in VIEWS:
        doc = document(result, view=view, title="T")
        if doc.notes:  # the numbered sentences are explained in the legend
            doc = dataclasses.replace(doc, legend=(*doc.legend, "[n] the source's sentence n"))
        assert render(result, view=view, title="T", sources=True) == write_text(doc)
        assert render(result, format="markdown", view=view, title="T") == write_markdown(doc)
        assert render(result, format="html", view=view, title="T") == write_html(doc)
        # on a terminal, a result's report leaves the quotes out unless asked
        assert "[1]" not in render(result, view=view, title="T")
    with pytest.raises(TypeError):
        render(42)


class _Balance(HTMLParser):
    VOID = {"meta", "br", "img", "link", "hr", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.counts[tag] = self.counts.get(tag, 0) + 1
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


@pytest.mark.parametrize("view", VIEWS)
def test_html_is_a_balanced_page(engine: Engine, view: str) -> None:
    """The HTML report of a case, in each view, is a whole page whose tags all balance, with one
    h1 and the sources as an ordered list of anchors."""
    result = result_of(engine, MOTHER_AND_BUYER)
    page = render(result, format="html", view=view)
    parser = _Balance()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert parser.counts["h1"] == 1
    if view != "all":
        assert 'id="source-1"' in page and 'href="#source-1"' in page


def test_markdown_reports_render_as_lists_under_headings(engine: Engine) -> None:
    """The Markdown report renders as one h1, an h2 per section and the entries as list items."""
    result = engine.evaluate(PIMP)
    page = rendered(render(result, format="markdown", view="prosecutor", title="T"))
    assert page.count("<h1>") == 1
    h2 = re.findall(r"<h2>(.*?)</h2>", page)
    assert h2 == titles(document(result, view="prosecutor")) + [
        "Sources (the report card, verbatim)"]
    assert "<li>\u2713 Human trafficking of a minor \u2014 prison 5\u201330 years" in page


def test_markdown_detail_lines_render_on_lines_of_their_own(engine: Engine) -> None:
    """Each detail line of an entry renders as an item of its own under the entry."""
    page = rendered(render(engine.evaluate(PIMP), format="markdown", view="advocate"))
    assert re.search(r"\[limited\] \(may apply\)[^<]*(<a [^>]*>\d+</a>\s*)*<ul>\s*<li>by 2021-05-14",
                     page)


# --- one vocabulary ------------------------------------------------------------------------------

_WORDS = {s.value: s.label for s in Status}
_SCENARIOS = {"pimp": PIMP, "decoy": DECOY, "both_sides": BOTH_SIDES,
              "silent_decoy": SILENT_DECOY}


def _result_documents(engine: Engine) -> Iterator[tuple[str, Document]]:
    for name, facts in _SCENARIOS.items():
        result = engine.evaluate(facts)
        for view in VIEWS:
            yield f"{name}/{view}", document(result, view=view)
    case = result_of(engine, MOTHER_AND_BUYER)
    for view in VIEWS:
        yield f"case/{view}", document(case, view=view)


def test_the_legend_says_each_status_in_its_words() -> None:
    """The legend gives each status's mark and its label, verbatim."""
    for status in Status:
        assert f"{MARKS[status.value]} {status.label}" in LEGEND


def test_every_entry_marked_with_a_status_says_the_status_in_words(engine: Engine) -> None:
    """In every result report, an entry marked may-apply, undetermined, source-silent or
    does-not-apply says so in the status's words (never the mark alone), and an entry marked as
    applying says none of those."""
    labels = {f"({s.label})" for s in Status if s is not Status.APPLIES}
    checked: set[str] = set()
    for where, doc in _result_documents(engine):
        for e in entries(doc):
            if e.mark not in _WORDS:
                continue
            checked.add(e.mark)
            if e.mark == "applies":
                assert not any(label in e.text for label in labels), (where, e.text)
            else:
                assert f"({_WORDS[e.mark]})" in e.text, (where, e.text)
    assert checked == set(_WORDS)


def test_every_conclusion_is_said_with_the_status_evaluate_gives_it(engine: Engine) -> None:
    """Each conclusion, undetermined entry and unavailable one of a result is shown with the
    mark of its own status in the reader's views."""
    for facts in _SCENARIOS.values():
        result = engine.evaluate(facts)
        items = [*result.statuses, *result.conclusions, *result.undetermined,
                 *result.not_applicable]
        marked: dict[str, set[str]] = {}
        for view in ("prosecutor", "advocate", "investigator"):
            for e in entries(document(result, view=view)):
                if e.mark in _WORDS:
                    marked.setdefault(e.text, set()).add(e.mark or "")
        for item in items:
            found = {m for t, ms in marked.items() if is_entry_for(t, item.title) for m in ms}
            if found:
                assert found == {item.status.value}, (item.id, found)


def test_explanations_and_why_not_use_the_same_words(engine: Engine) -> None:
    """An explanation says 'may apply' beside a conclusion that may apply, and why-not states
    each of the five statuses in its words."""
    result = engine.evaluate(PIMP)
    tree = write_text(document(explain(result, rulebook=engine.rulebook)))
    assert "~ Racketeering (trafficking or CSEC offenses as predicate activity) (may apply)" in \
        words(tree)
    asked = {
        Status.APPLIES: (PIMP, "status.minor_victim"),
        Status.MAY_APPLY: (PIMP, "charge.racketeering"),
        Status.UNDETERMINED: (PIMP, "protection.rape_shield"),
        Status.SOURCE_SILENT: (DECOY, "charge.procuring_prostitute"),
        Status.DOES_NOT_APPLY: (PIMP, "charge.enticing_child"),
    }
    for status, (facts, cid) in asked.items():
        answer = why_not(engine, facts, cid)
        assert answer.status is status
        text = words(render(answer))
        assert f"{status.label[0].upper()}{status.label[1:]}" in text, status
        assert f"{MARKS[status.value]} {answer.title}" in text


def test_a_may_apply_conclusion_appearing_in_a_what_if_says_may_apply(engine: Engine) -> None:
    """When a flip makes a conclusion appear that only may apply, the report says it now may
    apply, never that it now applies."""
    facts = {"victim": {"age": 15, "engaged_in_commercial_sex": True},
             "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
             "investigation": {"decoy": False}}
    report = flips(engine, facts, ["victim.third_party_control"])
    appearing = [c for f in report.flips for c in f.changes
                 if c.change == "appears" and c.after.status is Status.MAY_APPLY]
    assert appearing
    text = words(render(report))
    for c in appearing:
        assert f"{c.title} \u2014 now may apply" in text
        assert f"{c.title} \u2014 now applies" not in text


# --- explanations, why-not, diff and flips as documents ------------------------------------------


def test_the_explanation_document_shows_each_tree_once(engine: Engine) -> None:
    """Every conclusion gets a tree, statuses first; a conclusion already explained is referred
    to ('shown above'); each step names its rule; facts show the value read; the count of
    undetermined conclusions closes it."""
    result = engine.evaluate(PIMP)
    nodes = explain(result, rulebook=engine.rulebook)
    doc = document(nodes, title="How", undetermined=len(result.undetermined))
    assert titles(doc) == ["How each conclusion was reached", "Undetermined"]
    top = section(doc, "How each conclusion was reached").entries
    assert [e.code for e in top] == [n.id for n in nodes]
    text = words(write_text(doc))
    assert "\u2713 victim.age < 18 years \u2014 given: 15" in text
    assert "The victim is a minor (under 18) \u2014 shown above (status.minor_victim)" in text
    steps = [e for e in entries(doc) if e.text.startswith("by rule: ")]
    assert steps and all(e.code in engine.rulebook.by_id and e.refs for e in steps)
    assert f"{len(result.undetermined)} conclusions are undetermined" in text


def test_the_explanation_of_one_conclusion(engine: Engine) -> None:
    """The explanation of one conclusion has its tree and its sources, and no undetermined
    section; a presumed fact says it was presumed."""
    result = engine.evaluate(SILENT_DECOY)
    nodes = explain(result, "status.minor_victim", rulebook=engine.rulebook)
    doc = document(nodes, title="One")
    assert titles(doc) == ["How each conclusion was reached"]
    assert len(doc.notes) == 1
    assert "investigation.decoy is false \u2014 presumed: no" in words(write_text(doc))


@pytest.mark.parametrize("which", ["explain", "why_not", "diff", "flips"])
def test_every_proof_report_carries_the_notice(engine: Engine, which: str) -> None:
    """Explanations, why-not answers, diffs and what-ifs say they are not legal advice and which
    rulebook produced them, as result reports do."""
    result = engine.evaluate(PIMP)
    obj = {
        "explain": lambda: explain(result, rulebook=engine.rulebook),
        "why_not": lambda: why_not(engine, PIMP, "charge.enticing_child"),
        "diff": lambda: diff(engine, PIMP, {**PIMP, "victim": {"age": 13}}),
        "flips": lambda: flips(engine, PIMP, ["victim.age"]),
    }[which]()
    text = words(render(obj))
    assert "Not legal advice" in text
    assert result.stamp.rulebook["fingerprint"] in text


def test_a_charge_s_statute_is_named_in_the_explanation(engine: Engine) -> None:
    """The explanation of every conclusion names the statute of the human trafficking charge."""
    result = engine.evaluate(PIMP)
    charge = result.conclusion("charge.human_trafficking")
    assert charge is not None and charge.citations[0].statute is not None
    text = words(write_text(document(explain(result, rulebook=engine.rulebook))))
    assert charge.citations[0].statute.cite in text


def test_why_not_document_shows_rules_conditions_and_deciders(engine: Engine) -> None:
    """The why-not document answers in a sentence, lists what would decide it with what each
    value would do, then each rule with its outcome and conditions, and names the pair in a
    case."""
    answer = why_not(engine, PIMP, "consequence.parental_rights.human_trafficking")
    doc = document(answer)
    assert doc.title == ("Why or why not: Ground for terminating parental rights, on conviction "
                         "of human trafficking")
    [head] = section(doc, "Answer").entries
    assert head.detail == ("Undetermined \u2014 facts missing: it depends on facts not given.",
                           "Would be decided by: accused.is_victims_parent",
                           "accused.is_victims_parent: yes \u2192 applies; no \u2192 does not "
                           "apply")
    assert [c.code for c in head.children] == [r.rule for r in answer.rules]
    assert head.children[0].text.endswith("\u2014 depends on unknown facts")
    case = load_case_file(MOTHER_AND_BUYER).facts
    paired = document(why_not(engine, case, "charge.enticing_child", accused="BUYER"))
    assert paired.title.endswith("(accused BUYER, victim V1)")


def test_diff_and_flips_documents(engine: Engine) -> None:
    """A diff lists the facts that differ and the conclusions that change with their causes; a
    what-if has a section per change, its threshold in the heading."""
    younger = {**PIMP, "victim": {**PIMP["victim"], "age": 13}}
    doc = document(diff(engine, PIMP, younger), compare=("A.yaml", "B.yaml"))
    assert doc.title == "From A.yaml to B.yaml"
    assert [e.text for e in section(doc, "Facts that differ").entries] == [
        "victim.age: 15 \u2192 13"]
    assert all(e.detail == ("because victim.age 15 \u2192 13",)
               for s in doc.sections[1:] for e in s.entries)
    same = document(diff(engine, PIMP, PIMP))
    assert section(same, "Facts that differ").intro == ("The facts are the same.",)
    assert section(same, "Conclusions that change").intro == ("No conclusion changes.",)
    what_if = document(flips(engine, PIMP, ["victim.age"]), title="Pimp")
    assert what_if.title == "What-if: Pimp"
    assert titles(what_if) == ["victim.age: 15 \u2192 13 (across 14)",
                               "victim.age: 15 \u2192 16 (across 16)",
                               "victim.age: 15 \u2192 18 (across 18)"]


# --- user text shown, never obeyed -------------------------------------------------------------


def _structure(page: str) -> list[str]:
    """The tags of rendered HTML, in order (what a reader's browser would build)."""
    return re.findall(r"<(/?[a-z0-9]+)", page)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_markdown_shows_hostile_titles_and_narratives_literally(engine: Engine,
                                                               text: str) -> None:
    """A title or narrative that looks like Markdown or HTML renders as the same structure as a
    plain one, its text shown literally (line breaks folded)."""
    result = engine.evaluate(PIMP)
    plain_page = rendered(render(result, format="markdown", title="Plain", narrative="Plain."))
    page = rendered(render(result, format="markdown", title=text, narrative=text))
    assert _structure(page) == _structure(plain_page)
    [h1] = re.findall(r"<h1>(.*?)</h1>", page, flags=re.S)
    assert html.unescape(h1) == words(text)
    lead = re.search(r"<h1>.*?</h1>\n<p>(.*?)</p>", page, flags=re.S)
    assert lead is not None
    assert html.unescape(lead.group(1)).replace("<br />", "").split("\n")[-1] == words(text)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_html_shows_hostile_titles_and_narratives_literally(engine: Engine, text: str) -> None:
    """In the HTML page a hostile title and narrative are escaped text: the same tags as with a
    plain title, the text itself in the title, the heading and the lead."""
    result = result_of(engine, MOTHER_AND_BUYER)
    plain_page = render(result, format="html", title="Plain", narrative="Plain.")
    page = render(result, format="html", title=text, narrative=text)
    assert _structure(page) == _structure(plain_page)
    assert f"<h1>{html.escape(text)}</h1>" in page
    assert f"<title>{html.escape(text)}</title>" in page
    assert f'<p class="lead">{html.escape(words(text))}</p>' in page


def test_text_never_sends_control_characters_to_the_terminal(engine: Engine) -> None:
    """Escape sequences and invisible characters in a title or narrative are shown as escapes."""
    hostile = "Title \x1b[2J\x1b]0;owned\x07 \u202eevil\u200b"
    out = render(engine.evaluate(PIMP), title=hostile, narrative=hostile)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\u200b" not in out
    assert "\\u001b[2J" in out and "\\u202e" in out


def test_a_title_cannot_forge_sections_in_the_text_report(engine: Engine) -> None:
    """A title with line breaks stays on the report's first line."""
    forged = "A case\n\nCharges\n-------\n  \u2713 Fake charge \u2014 prison 99 years"
    out = render(engine.evaluate(PIMP), title=forged)
    assert out.splitlines()[0] == words(forged)
    assert out.count("\nCharges\n") == 1 and "\n  \u2713 Fake charge" not in out


def test_markdown_shows_entities_literally(engine: Engine) -> None:
    """A title holding an HTML entity is shown as written."""
    title = "Smith &amp; Jones &copy; 2018"
    page = rendered(render(engine.evaluate(PIMP), format="markdown", title=title))
    [h1] = re.findall(r"<h1>(.*?)</h1>", page)
    assert html.unescape(h1) == title


@settings(max_examples=300, deadline=None)
@given(st.text(st.one_of(st.characters(blacklist_categories=("Cs",),
                                       blacklist_characters="&"),
                         st.sampled_from(list("#*_`[]()<>!|~-+=.:\\ \n\t1234567890")))))
def test_md_escaping_shows_any_text_literally(text: str) -> None:
    """Whatever the text (entities aside, see above), a heading made of it renders as one
    heading holding exactly that text, whitespace folded, and no markup."""
    page = rendered(f"# {md(text)}\n")
    expected = words(plain(text))
    if not expected:
        return
    found = re.fullmatch(r"<h1>(.*)</h1>\n", page, flags=re.S)
    assert found, (text, page)
    assert "<" not in found.group(1)
    assert html.unescape(found.group(1)) == expected


# --- the command line writes the same reports --------------------------------------------------


def _write(tmp_path: Path, facts: dict[str, Any], title: str = "A case",
           narrative: str = "What happened.") -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"title": title, "narrative": narrative, "facts": facts},
                                   allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("view", VIEWS)
def test_cli_evaluate_prints_the_library_report(tmp_path: Path, engine: Engine, fmt: str,
                                                view: str) -> None:
    """dmst evaluate --format F --for V prints render() of the file's result, title and
    narrative, byte for byte."""
    path = _write(tmp_path, PIMP, title="## Charges <script>", narrative="*Not* a list")
    out = runner.invoke(app, ["evaluate", str(path), "--format", fmt, "--for", view])
    assert out.exit_code == 0, out.output
    case = load_case_file(path)
    assert out.output == render(engine.evaluate(case.facts), format=fmt, view=view,
                                title=case.title, narrative=case.narrative)


def test_cli_explain_markdown_is_the_explanation(tmp_path: Path) -> None:
    """dmst explain --format markdown prints the explanation, titled after the case."""
    path = _write(tmp_path, PIMP)
    out = runner.invoke(app, ["explain", str(path), "--format", "markdown"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("# How it was reached: A case\n")
    assert "## How each conclusion was reached" in out.output
    assert "## Sources (the report card, verbatim)" in out.output
