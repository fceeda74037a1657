"""The Markdown case brief: what it contains, and that it renders as clean Markdown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dmst import Engine, load_case_file
from dmst.cli import app
from dmst.engine.explain import explain
from dmst.facts.load import CaseFile
from dmst.markdown import render_explanation_markdown, render_markdown

from .conftest import PIMP

runner = CliRunner()

BOTH_SIDES: dict[str, Any] = {
    "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": True},
    "accused": {"roles": ["trafficker", "buyer"],
                "conduct": {"trafficked_for_sex": True, "bought_commercial_sex": True,
                            "contributed_to_delinquency": True}},
    "investigation": {"decoy": False},
}


def case_of(facts: dict[str, Any], title: str | None = "A case",
            narrative: str | None = "What happened.") -> CaseFile:
    return CaseFile.model_validate({"title": title, "narrative": narrative, "facts": facts})


def html(markdown: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    return str(markdown_it.MarkdownIt("commonmark").enable("table").render(markdown))


def table_after(rendered: str, heading: str) -> list[list[str]]:
    """The rows (cells as text) of the first table after a heading in rendered HTML."""
    start = rendered.index(heading)
    table = rendered[rendered.index("<table>", start):rendered.index("</table>", start)]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", r,
                                                                    flags=re.S)]
            for r in rows]


def test_brief_has_title_narrative_and_every_fact_in_a_table(engine: Engine) -> None:
    """The brief opens with the title and narrative, and tabulates every fact given."""
    case = case_of(PIMP, title="A pimp and a 15-year-old", narrative="She ran away.\n\nHe sold her.")
    result = engine.evaluate(case.facts)
    rendered = html(render_markdown(result, case=case))
    assert "<h1>A pimp and a 15-year-old</h1>" in rendered
    assert "<p>She ran away.</p>\n<p>He sold her.</p>" in rendered
    rows = table_after(rendered, "Facts given")
    assert rows[0] == ["Fact", "Value", "Meaning"]
    shown = {r[0]: r[1] for r in rows[1:]}
    assert set(shown) == set(result.facts)
    assert shown["victim.age"] == "15" and shown["accused.roles"] == "[trafficker]"


def test_every_conclusion_appears_with_its_quote_and_statute(engine: Engine) -> None:
    """Each applying conclusion is in the brief with its first quote, and statutes are cited."""
    case = case_of(PIMP)
    result = engine.evaluate(case.facts)
    brief = render_markdown(result, case=case)
    for c in result.conclusions:
        assert c.title in brief.replace("\\", ""), c.id
        assert c.citations[0].quote in brief, c.id
        if c.citations[0].statute is not None:
            assert c.citations[0].statute.cite in brief
    for s in result.statuses:
        assert f"- \u2713 {s.title}" in brief


def test_charges_are_side_by_side_by_role(engine: Engine) -> None:
    """A trafficker who also bought sex gets trafficker and buyer columns filled in one row, and
    a charge of no particular role gets its own column."""
    case = case_of(BOTH_SIDES)
    result = engine.evaluate(case.facts)
    rows = table_after(html(render_markdown(result, case=case)), "Charges, by role")
    assert rows[0] == ["Trafficker", "Buyer", "Facilitator", "Any role"]
    first = rows[1]
    assert first[0] and first[1] and first[2] == "\u2014"
    roles = {c.role for c in result.conclusions if c.kind.value == "charge"}
    assert {"trafficker", "buyer", None} <= roles
    trafficker_charges = [c for c in result.conclusions
                          if c.kind.value == "charge" and c.role == "trafficker"]
    column = [r[0] for r in rows[1:] if r[0]]
    assert len(column) == len(trafficker_charges)
    assert column[0].startswith(trafficker_charges[0].title)


def test_undetermined_conclusions_list_what_would_decide_them(engine: Engine) -> None:
    """Every undetermined conclusion is listed, each with the facts that would decide it, and
    the ask-next list is numbered."""
    case = case_of(PIMP)
    result = engine.evaluate(case.facts)
    brief = render_markdown(result, case=case)
    rendered = html(brief)
    rows = table_after(rendered, "Facts missing")
    undecided = [u for u in result.undetermined if u.reason == "missing_facts"]
    assert len(rows) == 1 + len(undecided)
    for u, row in zip(undecided, rows[1:], strict=True):
        assert row[0] == u.title or row[0].startswith(u.title + " "), u.id
        assert row[1].split(", ") == u.missing
    for i, a in enumerate(result.ask_next, 1):
        assert f"{i}. `{a.fact}`" in brief


def test_warnings_stamp_and_notice_are_in_the_brief(engine: Engine) -> None:
    """An adult victim's warning, the rulebook version and the not-legal-advice notice appear."""
    case = case_of({"victim": {"age": 19}})
    result = engine.evaluate(case.facts)
    assert result.warnings
    brief = render_markdown(result, case=case)
    assert "## Warnings" in brief
    for w in result.warnings:
        assert w.message.split(".")[0] in brief
    assert result.stamp.rulebook["version"] in brief
    assert f"**{result.stamp.notice}**" in brief


def test_an_empty_scenario_says_nothing_applies(engine: Engine) -> None:
    """With no facts, the brief says so and that no conclusion applies; the title defaults."""
    result = engine.evaluate({})
    brief = render_markdown(result)
    assert brief.startswith("# Case brief\n")
    assert "No facts were given" in brief
    assert "No conclusion applies on the facts given." in brief


def test_markdown_characters_in_text_are_shown_literally(engine: Engine) -> None:
    """A title with asterisks, underscores or a pipe stays literal text, not emphasis."""
    case = case_of(PIMP, title="Case *one* of snake_case | two", narrative="A <b>bold</b> claim")
    rendered = html(render_markdown(engine.evaluate(case.facts), case=case))
    assert "<h1>Case *one* of snake_case | two</h1>" in rendered
    assert "<em>" not in rendered.split("<h2>")[0].replace("<em>Not legal advice", "")
    assert "&lt;b&gt;bold&lt;/b&gt;" in rendered


def test_explanations_add_a_reasoning_section(engine: Engine) -> None:
    """With explanations, the brief shows each step's rule and the facts it used, and a
    conclusion already shown is referred to rather than repeated."""
    case = case_of(PIMP)
    result = engine.evaluate(case.facts)
    brief = render_markdown(result, case=case, explanations=explain(result,
                                                                    rulebook=engine.rulebook))
    section = brief.split("## How each conclusion was reached")[1]
    assert "- By rule `status.minor_victim`" in section
    assert "- \u2713 `victim.age < 18` \u2014 given: 15" in section
    assert "The victim is a minor (under 18) (shown above)" in section
    html(brief)  # parses


def test_explanation_document_of_one_conclusion(engine: Engine) -> None:
    """The explanation of one conclusion keeps the facts table and the stamp."""
    case = case_of(PIMP)
    result = engine.evaluate(case.facts)
    nodes = explain(result, "charge.trafficker.human_trafficking", rulebook=engine.rulebook)
    doc = render_explanation_markdown(nodes, result, case=case)
    assert "## Facts given" in doc and "## About this brief" in doc
    assert "### Human trafficking of a minor" in doc
    assert "## Undetermined" not in doc


def _write(tmp_path: Path, facts: dict[str, Any]) -> Path:
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump({"title": "A case", "narrative": "What happened.",
                                    "facts": facts}), encoding="utf-8")
    return path


def test_cli_evaluate_markdown_is_the_brief(tmp_path: Path, engine: Engine) -> None:
    """dmst evaluate --format markdown prints render_markdown's brief for the file."""
    path = _write(tmp_path, PIMP)
    out = runner.invoke(app, ["evaluate", str(path), "--format", "markdown"])
    assert out.exit_code == 0, out.output
    case = load_case_file(path)
    assert out.output == render_markdown(engine.evaluate(case.facts), case=case)


def test_cli_explain_markdown_is_the_brief_with_reasoning(tmp_path: Path) -> None:
    """dmst explain --format markdown prints the brief and the reasoning section."""
    path = _write(tmp_path, PIMP)
    out = runner.invoke(app, ["explain", str(path), "--format", "markdown"])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("# A case\n")
    assert "## Charges, by role of the accused" in out.output
    assert "## How each conclusion was reached" in out.output
