"""The CLI, through typer's runner and through real subprocesses of the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from dmst import Engine
from dmst.cli import app

from .conftest import EXAMPLES

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


def _case(tmp_path: Path, text: str = CASE, name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _dmst_command() -> list[str]:
    script = Path(sys.executable).with_name("dmst")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]


def test_evaluate_prints_a_readable_report_grouped_by_role(tmp_path: Path) -> None:
    """The default report shows the case title, charges under the buyer role, quotes and the
    not-legal-advice notice."""
    out = runner.invoke(app, ["evaluate", str(_case(tmp_path))])
    assert out.exit_code == 0, out.output
    assert "A buyer of sex with a 16-year-old" in out.output
    assert "Charges, by role of the accused\n  Buyer\n" in out.output
    assert "5–30 years" in out.output
    assert "Not legal advice" in out.output


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
    assert "charge.trafficker.enticing_child" in {c["id"] for c in json.loads(out.output)["conclusions"]}


def test_a_misspelt_fact_exits_1_naming_file_line_and_suggestion(tmp_path: Path) -> None:
    """A typo in a fact name is a one-line error with the file, line and 'did you mean'."""
    path = _case(tmp_path, CASE.replace("third_party_control", "third_party_controll"))
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1
    assert str(path) in out.output and ":3" in out.output
    assert "did you mean 'facts.victim.third_party_control'" in out.output
    assert "Traceback" not in out.output


def test_a_missing_file_exits_1(tmp_path: Path) -> None:
    """A file that does not exist is a clear error, exit 1."""
    out = runner.invoke(app, ["evaluate", str(tmp_path / "nope.yaml")])
    assert out.exit_code == 1 and "no such file" in out.output


def test_usage_errors_exit_2() -> None:
    """An unknown option or a missing argument is a usage error, exit 2."""
    assert runner.invoke(app, ["evaluate"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "x.yaml", "--colour"]).exit_code == 2
    assert runner.invoke(app, ["evaluate", "x.yaml", "--format", "pdf"]).exit_code == 2


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
    assert "defense_barred.decoy" in out.output and "cites “Both the human trafficking" in out.output
    assert "charge.trafficker.human_trafficking " not in out.output


def test_schema_is_the_json_schema_of_a_scenario_file() -> None:
    """`dmst schema` prints a JSON Schema that requires facts and forbids unknown keys."""
    out = runner.invoke(app, ["schema"])
    schema = json.loads(out.output)
    assert schema["required"] == ["facts"]
    assert schema["additionalProperties"] is False
    victim = schema["$defs"]["Victim"]
    assert victim["additionalProperties"] is False
    assert "description" in victim["properties"]["age"]


def test_check_reports_full_coverage_as_json() -> None:
    """`dmst check --format json` reports rules and source coverage with nothing uncovered."""
    out = runner.invoke(app, ["check", "--format", "json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    cov = data["source_coverage"]
    assert data["rules"] > 50
    assert cov["uncovered"] == [] and cov["cited"] + cov["context_only"] == cov["total"]


def test_installed_command_evaluates_an_example() -> None:
    """The installed `dmst` console script runs as a real process."""
    example = sorted(EXAMPLES.glob("*.yaml"))[0]
    proc = subprocess.run([*_dmst_command(), "evaluate", str(example), "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["stamp"]["rulebook"]["id"] == "dmst-mississippi"


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
