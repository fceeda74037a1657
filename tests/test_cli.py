"""The CLI, through typer's runner and through real subprocesses of the installed command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dmst
from dmst import Engine, load_case_file
from dmst.cli import app
from dmst.engine._firings import Status
from dmst.facts.paths import FACTS
from dmst.rules import Kind

from .conftest import EXAMPLES, MOTHER_AND_BUYER, PIMP, words, write

runner = CliRunner()
CASE = """\
title: A buyer of sex with a 16-year-old
facts:
  victim: {age: 16, engaged_in_commercial_sex: true, third_party_control: true}
  accused:
    roles: [buyer]
    conduct: {bought_commercial_sex: true}
  investigation: {decoy: false}
"""
#: A mother sells her 12-year-old daughter to a neighbour: two accused, one victim.
#: One screen of a terminal, in lines: what a reader's view of the stock case should fit in.
SCREEN = 80
#: The sections each reader's view shows (on the stock case), and those it leaves out.
VIEW_SECTIONS = {
    "prosecutor": ({"Charges", "Sentencing", "Collateral consequences", "Defenses barred",
                    "Limitations", "Not available, and why", "Undetermined \u2014 facts missing",
                    "Ask next"},
                   {"The victim", "Victim protections and remedies", "Investigation tools",
                    "Gaps the source names"}),
    "advocate": ({"The victim", "Victim protections and remedies", "Gaps the source names",
                  "Undetermined \u2014 facts missing", "Ask next"},
                 {"Charges", "Sentencing", "Collateral consequences", "Defenses barred",
                  "Limitations", "Investigation tools"}),
    "investigator": ({"Gaps the source names", "Undetermined \u2014 facts missing", "Ask next"},
                     {"The victim", "Charges", "Sentencing", "Collateral consequences",
                      "Victim protections and remedies", "Limitations"}),
}


def _case(tmp_path: Path, text: str = CASE, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _dmst_command() -> list[str]:
    script = Path(sys.executable).with_name("dmst")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]


def sections(text: str) -> list[str]:
    """The top-level section titles of a text report: a line at the margin, after a blank
    line, whose next line is indented."""
    lines = text.splitlines()
    return [line for i, line in enumerate(lines)
            if 1 < i < len(lines) - 1 and line and not line.startswith(" ")
            and not lines[i - 1] and lines[i + 1].startswith("  ")]


# --- evaluate ----------------------------------------------------------------------------------


def test_evaluate_prints_a_compact_readable_report(tmp_path: Path, engine: Engine) -> None:
    """The default report shows the case title, the facts as read, every conclusion by kind (the
    charges with penalty and statute) on a line of its own without quotes (those are for the
    views and explain), and the not-legal-advice notice."""
    out = runner.invoke(app, ["evaluate", str(_case(tmp_path))])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("A buyer of sex with a 16-year-old\n")
    assert sections(out.output)[:2] == ["Facts as read", "Warnings"]
    assert "Charges" in sections(out.output)
    text = words(out.output)
    assert "prison 5\u201330 years; fine $50,000\u2013$500,000" in text
    assert "Not legal advice" in text
    result = load_case_file(_case(tmp_path))
    for c in engine.evaluate(result.facts).conclusions:
        assert text.count(f" {c.title}") >= 1, c.id
    assert "\u201c" not in out.output and "Sources (the report card" not in out.output
    assert "--for prosecutor, advocate or investigator, or dmst explain" in text


def test_evaluate_json_is_the_library_result(tmp_path: Path, engine: Engine) -> None:
    """--format json prints exactly the library's result for the file's facts."""
    out = runner.invoke(app, ["evaluate", str(_case(tmp_path)), "--format", "json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    expected = json.loads(engine.evaluate({
        "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": True},
        "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
        "investigation": {"decoy": False},
    }).model_dump_json())
    assert data == expected
    kinds = {c["kind"] for c in data["conclusions"]}
    assert {"charge", "consequence", "defense_barred", "protection"} <= kinds


def test_evaluate_reads_json_scenario_files(tmp_path: Path) -> None:
    """A scenario file may be JSON."""
    doc = {"facts": {"victim": {"age": 13}, "accused": {"roles": ["trafficker"],
           "conduct": {"enticed_for_commercial_sex": True}}, "investigation": {"decoy": False}}}
    path = _case(tmp_path, json.dumps(doc), "case.json")
    out = runner.invoke(app, ["evaluate", str(path), "-f", "json"])
    assert out.exit_code == 0
    assert "charge.enticing_child" in {c["id"] for c in json.loads(out.output)["conclusions"]}


def test_evaluate_markdown_and_html(tmp_path: Path) -> None:
    """--format markdown starts with the title as a heading; --format html is a whole page with
    the title as its heading and the same sections."""
    path = _case(tmp_path)
    md = runner.invoke(app, ["evaluate", str(path), "-f", "markdown"])
    assert md.exit_code == 0, md.output
    assert md.output.startswith("# A buyer of sex with a 16-year-old\n")
    assert "\n## Charges\n" in md.output and "\n## Facts as read\n" in md.output
    page = runner.invoke(app, ["evaluate", str(path), "-f", "html"])
    assert page.exit_code == 0, page.output
    assert page.output.startswith("<!doctype html>")
    assert "<h1>A buyer of sex with a 16-year-old</h1>" in page.output
    assert "<h2>Charges</h2>" in page.output and page.output.rstrip().endswith("</html>")


@pytest.mark.parametrize("view", sorted(VIEW_SECTIONS))
def test_each_view_shows_its_sections(tmp_path: Path, view: str) -> None:
    """--for prosecutor, advocate or investigator titles the report for its reader, shows that
    reader's sections (with --sources, the source's sentences quoted once, numbered) and leaves
    the others out."""
    path = write(tmp_path, "pimp", PIMP, title="A pimp and a 15-year-old")
    out = runner.invoke(app, ["evaluate", str(path), "--for", view, "--sources"])
    assert out.exit_code == 0, out.output
    first = out.output.splitlines()[0]
    assert first.startswith("A pimp and a 15-year-old \u2014 for the ")
    wanted, unwanted = VIEW_SECTIONS[view]
    shown = set(sections(out.output))
    assert wanted | {"Sources (the report card, verbatim)"} <= shown, wanted - shown
    assert not unwanted & shown, unwanted & shown
    assert re.search(r"^  \[1\] \u201c", out.output, flags=re.M)
    assert "Not legal advice" in words(out.output)


def test_the_prosecutor_view_gives_statutes_penalties_and_scopes(tmp_path: Path) -> None:
    """The prosecutor's view gives each charge its penalty and statute (and, with --sources, its
    quotes), and each consequence and barred defense the charges it attaches to."""
    path = write(tmp_path, "pimp", PIMP)
    text = words(runner.invoke(app, ["evaluate", str(path), "--for", "prosecutor"]).output)
    assert ("\u2713 Human trafficking of a minor \u2014 prison 5\u201330 years; fine "
            "$50,000\u2013$500,000; Miss. Code Ann. \u00a7 97-3-54.1(1)(c) (medium confidence)"
            ) in text
    assert ("\u2713 Mistake of age (believing the minor was an adult) is no defense \u2014 for "
            "human trafficking") in text
    assert "Sex-offender registration, on conviction [mandatory] \u2014 for human trafficking; " \
        "promoting prostitution (no conviction given yet)" in text
    quoted = words(runner.invoke(app, ["evaluate", str(path), "--for", "prosecutor",
                                       "--sources"]).output)
    assert ("Miss. Code Ann. \u00a7 97-3-54.1(1)(c) (medium confidence) [1, 2]") in quoted


def test_the_advocate_view_gives_deadlines_as_dates(tmp_path: Path) -> None:
    """The advocate's view turns the compensation deadlines into dates from the offense date."""
    path = write(tmp_path, "pimp", PIMP)
    text = words(runner.invoke(app, ["evaluate", str(path), "--for", "advocate"]).output)
    assert "by 2021-05-14: a crime victims' compensation claim is filed within this period " \
        "(36 months from the offense date)" in text
    assert "by 2022-05-14" in text


def test_the_investigator_view_gives_tools_and_the_decoy_rule() -> None:
    """On an online decoy sting, the investigator's view shows the tools and the barred decoy
    defense with the charge it attaches to."""
    out = runner.invoke(app, ["evaluate", str(EXAMPLES / "buyer-online-decoy-sting.yaml"),
                              "--for", "investigator"])
    assert out.exit_code == 0, out.output
    assert {"Investigation tools", "Defenses barred"} <= set(sections(out.output))
    text = words(out.output)
    assert "\u2713 Use of the Internet by investigators is not specifically authorized" in text
    assert "\u2713 No defense that the \"minor\" was a law-enforcement decoy" in text
    assert "Charges" not in sections(out.output)


@pytest.mark.parametrize("view", [
    "prosecutor", "advocate",
    "investigator"])
def test_each_view_of_the_stock_case_fits_one_screen(tmp_path: Path, view: str) -> None:
    """A reader's view of the stock case (a pimp and a 15-year-old) fits one screen."""
    path = write(tmp_path, "pimp", PIMP, title="A pimp and a 15-year-old")
    out = runner.invoke(app, ["evaluate", str(path), "--for", view])
    assert out.exit_code == 0, out.output
    assert len(out.output.splitlines()) <= SCREEN


def test_strict_makes_no_presumption(tmp_path: Path, engine: Engine) -> None:
    """A case silent on the decoy is read as a real child, and the report says so; --strict
    presumes nothing, leaving the minor status undetermined and the decoy the first question."""
    facts = {k: v for k, v in PIMP.items() if k != "investigation"}
    path = write(tmp_path, "silent", facts)
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 0, out.output
    assert "Presumptions made" in sections(out.output)
    assert "* Presumed decoy = no" in words(out.output)
    assert "rests on a presumption: decoy" in words(out.output)
    strict = runner.invoke(app, ["evaluate", str(path), "--strict"])
    assert strict.exit_code == 0, strict.output
    assert "Presumptions made" not in sections(strict.output)
    assert "Presumed decoy" not in strict.output
    assert "rests on a presumption" not in words(strict.output)
    assert "1. Was the \u201cminor\u201d a law-enforcement officer posing as one (a decoy)?" in \
        words(strict.output)
    data = json.loads(runner.invoke(app, ["evaluate", str(path), "--strict", "-f",
                                          "json"]).output)
    assert data["presumptions"] == []
    result = engine.evaluate(facts, presume=False)
    assert result.status("status.minor_victim") is Status.UNDETERMINED
    assert data == json.loads(result.model_dump_json())


def test_evaluate_a_case_file_reports_by_accused_and_by_victim(engine: Engine) -> None:
    """A case file gives a report by accused (each one's charges, with the victims they concern)
    and by victim (what she is owed, once), with the case id; --format json is the library's
    case result, pair by pair."""
    out = runner.invoke(app, ["evaluate", str(MOTHER_AND_BUYER)])
    assert out.exit_code == 0, out.output
    assert {"Accused MOTHER (trafficker)", "Accused BUYER (buyer)", "Victim V1"} <= set(
        sections(out.output))
    text = words(out.output)
    assert "Case id: 2018-CR-0230" in text
    assert "Case: 2 accused (MOTHER, BUYER) and 1 victim (V1)" in text
    assert "~ Enticing a child under 14 for commercial sex \u2014 prison up to 10 years" in text
    data = json.loads(runner.invoke(app, ["evaluate", str(MOTHER_AND_BUYER), "-f",
                                          "json"]).output)
    assert [(p["accused"], p["victim"]) for p in data["pairs"]] == [("MOTHER", "V1"),
                                                                   ("BUYER", "V1")]
    assert data == json.loads(engine.evaluate_file(load_case_file(MOTHER_AND_BUYER))
                              .model_dump_json())


@pytest.mark.parametrize("view", ["prosecutor", "advocate", "investigator"])
def test_each_view_of_a_case_file(view: str) -> None:
    """The views work on a case: the prosecutor and investigator by accused, the advocate by
    victim."""
    out = runner.invoke(app, ["evaluate", str(MOTHER_AND_BUYER), "--for", view])
    assert out.exit_code == 0, out.output
    shown = set(sections(out.output))
    by_accused = {"Accused MOTHER (trafficker)", "Accused BUYER (buyer)"}
    if view == "advocate":
        assert "Victim V1" in shown and not by_accused & shown
    else:
        assert by_accused <= shown and "Victim V1" not in shown


# --- input errors ------------------------------------------------------------------------------


def test_a_misspelt_fact_exits_1_naming_file_and_line(tmp_path: Path) -> None:
    """A typo in a fact name is a one-line error with the file and line, and no traceback."""
    path = _case(tmp_path, CASE.replace("third_party_control", "third_party_controll"))
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1
    assert f"{path}:3:" in out.output
    assert "facts.victim.third_party_controll: unknown fact name" in out.output
    assert "Traceback" not in out.output


def test_a_misspelt_fact_suggests_the_fact_meant(tmp_path: Path) -> None:
    """A typo in a fact name comes with a 'did you mean' naming the fact meant."""
    path = _case(tmp_path, CASE.replace("third_party_control", "third_party_controll"))
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1
    assert "did you mean 'facts.victim.third_party_control'" in out.output


def test_a_missing_file_exits_1(tmp_path: Path) -> None:
    """A file that does not exist is a clear error, exit 1."""
    out = runner.invoke(app, ["evaluate", str(tmp_path / "nope.yaml")])
    assert out.exit_code == 1 and "no such file" in out.output


def test_usage_errors_exit_2() -> None:
    """An unknown option, a missing argument, a bad format or reader is a usage error, exit 2."""
    assert runner.invoke(app, ["evaluate"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "x.yaml", "--colour"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "x.yaml", "--format", "pdf"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "x.yaml", "--for", "judge"]).exit_code == 2
    assert runner.invoke(app, ["why-not", "x.yaml"]).exit_code == 2
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


# --- every command ----------------------------------------------------------------------------


COMMANDS = ("evaluate", "explain", "why-not", "diff", "flips", "rules", "check", "schema",
            "batch", "interview", "serve")


def test_every_command_is_listed_and_documented() -> None:
    """dmst --help lists every command, and each command's --help describes it."""
    out = runner.invoke(app, ["--help"])
    assert out.exit_code == 0
    listed = re.findall(r"^  ([a-z-]+) ", out.output.split("Commands:")[1], flags=re.M)
    assert set(listed) == set(COMMANDS)
    for command in COMMANDS:
        help_ = runner.invoke(app, [command, "--help"])
        assert help_.exit_code == 0, command
        assert f" {command} [OPTIONS]" in words(help_.output), command
        assert len(words(help_.output)) > 80, command


def test_version_is_the_package_version() -> None:
    """dmst --version (and -V) prints the package's version and exits 0."""
    for flag in ("--version", "-V"):
        out = runner.invoke(app, [flag])
        assert out.exit_code == 0
        assert out.output == f"dmst {dmst.__version__}\n"


def test_every_report_command_runs_on_the_stock_case(tmp_path: Path) -> None:
    """evaluate, explain, why-not, diff and flips each run on the stock case in every format:
    JSON parses, text and Markdown start with a title, HTML is a page."""
    a = write(tmp_path, "a", PIMP, title="Stock")
    b = write(tmp_path, "b", {**PIMP, "victim": {**PIMP["victim"], "age": 13}}, title="Younger")
    commands = {
        "evaluate": [str(a)], "explain": [str(a)],
        "why-not": [str(a), "charge.enticing_child"], "diff": [str(a), str(b)],
        "flips": [str(a), "--fact", "victim.age"],
    }
    for name, args in commands.items():
        for fmt in ("text", "json", "markdown", "html"):
            out = runner.invoke(app, [name, *args, "--format", fmt])
            assert out.exit_code == 0, (name, fmt, out.output)
            if fmt == "json":
                json.loads(out.output)
            elif fmt == "html":
                assert out.output.startswith("<!doctype html>"), (name, fmt)
            elif fmt == "markdown":
                assert out.output.startswith("# "), (name, fmt)
            else:
                lines = out.output.splitlines()
                assert lines[1] == "=" * min(len(lines[0]), 100), (name, fmt)


def test_rules_lists_one_rule_a_line(engine: Engine) -> None:
    """`dmst rules` prints each rule of the rulebook on its own line."""
    out = runner.invoke(app, ["rules"])
    assert out.exit_code == 0
    lines = out.output.splitlines()
    assert len(lines) == len(engine.rulebook.rules)
    assert {line.split()[0] for line in lines} == {r.id for r in engine.rulebook.rules}


def test_rules_filters_and_shows(engine: Engine) -> None:
    """`dmst rules decoy --show` shows matching rules with conditions and quotes."""
    out = runner.invoke(app, ["rules", "decoy", "--show"])
    assert out.exit_code == 0
    assert "defense_barred.decoy" in out.output and "cites \u201cBoth the human trafficking" in (
        out.output)
    assert "    when investigation.decoy is true" in out.output
    assert "charge.human_trafficking " not in out.output


def test_rules_by_kind_and_as_json(engine: Engine) -> None:
    """`dmst rules --kind investigation --format json` lists exactly the rules adding an
    investigation conclusion, each with its file and quotes."""
    out = runner.invoke(app, ["rules", "--kind", "investigation", "--format", "json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    expected = {r.id for r in engine.rulebook.rules if r.spec.kind is Kind.INVESTIGATION}
    assert {r["id"] for r in data} == expected and expected
    assert all(r["file"] and r["cites"] for r in data)


def test_rules_offenses_lists_the_offense_ids(engine: Engine) -> None:
    """`dmst rules --offenses` lists each offense id with its title, the ids convicted_of and
    charged_with accept."""
    out = runner.invoke(app, ["rules", "--offenses"])
    assert out.exit_code == 0
    listed = {line.split()[0] for line in out.output.splitlines()}
    data = json.loads(runner.invoke(app, ["rules", "--offenses", "-f", "json"]).output)
    assert listed == set(data) == set(engine.rulebook.meta.offenses)
    assert set(data) == set(FACTS["accused.convicted_of"].choices) == set(
        FACTS["accused.charged_with"].choices)
    assert data["human_trafficking"] == "Human trafficking (of a minor)"


def test_schema_is_the_json_schema_of_a_scenario_file() -> None:
    """`dmst schema` prints a JSON Schema that requires facts, forbids unknown keys and knows
    both a scenario and a case of several people."""
    out = runner.invoke(app, ["schema"])
    schema = json.loads(out.output)
    assert schema["required"] == ["facts"]
    assert schema["additionalProperties"] is False
    victim = schema["$defs"]["Victim"]
    assert victim["additionalProperties"] is False
    assert "description" in victim["properties"]["age"]
    assert {"Scenario", "Case", "CaseVictim", "CaseAccused", "AgeRange"} <= set(schema["$defs"])
    assert "id" in schema["$defs"]["CaseVictim"]["properties"]


def test_check_reports_full_coverage_as_json() -> None:
    """`dmst check --format json` reports rules and source coverage with nothing uncovered."""
    out = runner.invoke(app, ["check", "--format", "json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    cov = data["source_coverage"]
    assert data["rules"] > 50
    assert cov["uncovered"] == [] and cov["cited"] + cov["context_only"] == cov["total"]


def test_check_text_says_the_rulebook_is_ok() -> None:
    """`dmst check` says the rulebook is OK and sums up its coverage of the source."""
    out = runner.invoke(app, ["check"])
    assert out.exit_code == 0
    assert out.output.startswith("Rulebook OK: ")
    assert "0 uncovered." in out.output


def test_batch_through_the_runner(tmp_path: Path, engine: Engine) -> None:
    """`dmst batch` writes one JSON line per input line, an error line for a bad one, a summary
    on stderr, and exits 1 when a line failed."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"facts": PIMP}) + "\n" + json.dumps(
        {"facts": {"victim": {"agee": 15}}}) + "\n", encoding="utf-8")
    dest = tmp_path / "out.jsonl"
    out = runner.invoke(app, ["batch", str(src), "--output", str(dest), "--no-progress"])
    assert out.exit_code == 1
    assert "1 ok, 1 failed, 2 lines" in out.stderr
    first, second = [json.loads(line) for line in dest.read_text().splitlines()]
    assert first["line"] == 1
    assert first["result"] == json.loads(engine.evaluate(PIMP).model_dump_json())
    assert second["line"] == 2 and second["error"]["type"] == "FactError"


# --- real processes ----------------------------------------------------------------------------


def test_installed_command_evaluates_an_example() -> None:
    """The installed `dmst` console script runs as a real process."""
    example = sorted(EXAMPLES.glob("*.yaml"))[0]
    proc = subprocess.run([*_dmst_command(), "evaluate", str(example), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stamp"]["rulebook"]["id"] == "dmst-mississippi"


def test_installed_command_reports_a_case_for_the_advocate() -> None:
    """The installed `dmst` prints a case file's advocate view (UTF-8 marks and all), and its
    version."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([*_dmst_command(), "evaluate", str(MOTHER_AND_BUYER), "--for",
                           "advocate"], capture_output=True, text=True, timeout=120, env=env,
                          encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("A mother sells her 12-year-old daughter to a neighbour "
                                  "\u2014 for the victim's advocate\n")
    assert "\u2713 The victim is a child sex trafficking victim" in proc.stdout
    version = subprocess.run([*_dmst_command(), "--version"], capture_output=True, text=True,
                             timeout=120)
    assert version.returncode == 0 and version.stdout == f"dmst {dmst.__version__}\n"


def test_python_m_dmst_help_and_error_without_traceback(tmp_path: Path) -> None:
    """`python -m dmst --help` works; a bad file fails with exit 1 and no traceback."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    proc = subprocess.run([sys.executable, "-m", "dmst", "--help"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0 and "evaluate" in proc.stdout
    bad = _case(tmp_path, "facts: [1, 2\n")
    proc = subprocess.run([sys.executable, "-m", "dmst", "evaluate", str(bad)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 1
    assert "not valid YAML" in proc.stderr and "Traceback" not in proc.stderr
