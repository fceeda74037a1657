"""The error hierarchy: one root, structured attributes, a documented tree, one exit-code map."""

from __future__ import annotations

import inspect
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import dmst
from dmst import errors
from dmst.cli import app
from dmst.errors import (
    DmstError,
    EvaluationError,
    FactError,
    InputError,
    Problem,
    RulebookError,
    SourceFileError,
    exit_code,
)

runner = CliRunner()
ERROR_CLASSES = [c for _, c in inspect.getmembers(errors, inspect.isclass)
                 if issubclass(c, Exception) and c.__module__ == errors.__name__]


def test_every_error_has_one_root() -> None:
    """Every error class dmst defines descends from DmstError and is exported by dmst."""
    assert set(ERROR_CLASSES) == {DmstError, InputError, SourceFileError, FactError,
                                  RulebookError, EvaluationError}
    for cls in ERROR_CLASSES:
        assert issubclass(cls, DmstError)
        assert getattr(dmst, cls.__name__) is cls


def test_the_module_docstring_draws_the_tree() -> None:
    """The tree in dmst.errors' docstring has every class, each indented under its parent."""
    doc = errors.__doc__ or ""
    depth = {}
    for line in doc.splitlines():
        m = re.match(r"^(\s*)(?:[│ ]*[├└]── )?(\w+Error)\b", line)
        if m:
            depth[m.group(2)] = line.index(m.group(2))
    assert set(depth) == {c.__name__ for c in ERROR_CLASSES}
    for cls in ERROR_CLASSES:
        parent = cls.__bases__[0]
        if parent is not Exception:
            assert depth[cls.__name__] > depth[parent.__name__], cls


def test_errors_carry_structured_attributes() -> None:
    """file, line, field and problems are attributes, and the message renders them."""
    problem = Problem("unknown fact name", field="facts.victim.agee", line=3,
                      suggestion="facts.victim.age")
    error = FactError("the facts are not valid", file="case.yaml", line=3,
                      field="facts.victim.agee", problems=(problem,))
    assert (error.file, error.line, error.field) == ("case.yaml", 3, "facts.victim.agee")
    assert str(error) == ("case.yaml:3: the facts are not valid\n  - facts.victim.agee: unknown "
                          "fact name (did you mean 'facts.victim.age'?)")


def test_to_dict_is_json_ready_and_complete() -> None:
    """to_dict gives the type, message, location and every problem, and survives JSON."""
    error = SourceFileError("not valid JSON", file="in.jsonl", line=7,
                            problems=(Problem("x", field="f"),))
    data = json.loads(json.dumps(error.to_dict()))
    assert data == {"type": "SourceFileError", "message": "not valid JSON", "file": "in.jsonl",
                    "line": 7, "field": None, "problems": [{"message": "x", "field": "f"}]}


@pytest.mark.parametrize("cls", [DmstError, InputError, SourceFileError, FactError,
                                 RulebookError, EvaluationError])
def test_errors_survive_pickling(cls: type[DmstError]) -> None:
    """An error sent between processes keeps its class and every attribute."""
    error = cls("m", file="f.yaml", line=2, field="facts.victim.age",
                problems=(Problem("p", field="x", line=2, suggestion="y"),))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert copy.to_dict() == error.to_dict() and str(copy) == str(error)


def test_a_long_list_of_problems_is_shortened_in_the_message_only() -> None:
    """render() lists the first problems and says how many more; problems keeps them all."""
    problems = tuple(Problem(f"problem {i}", field=f"f{i}") for i in range(50))
    error = FactError("50 problems", problems=problems)
    text = error.render()
    assert "f19: problem 19" in text and "f20:" not in text and "and 30 more" in text
    assert len(error.to_dict()["problems"]) == 50  # type: ignore[arg-type]


def test_exit_codes_are_decided_in_one_place() -> None:
    """dmst errors exit 1, an interrupt 130 and anything else (a bug) 70."""
    for cls in ERROR_CLASSES:
        assert exit_code(cls("x")) == errors.EXIT_USER_ERROR == 1
    assert exit_code(KeyboardInterrupt()) == errors.EXIT_INTERRUPTED == 130
    assert exit_code(ValueError("bug")) == errors.EXIT_INTERNAL == 70


def test_a_bug_is_reported_plainly_with_exit_70(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    """An unexpected exception becomes one line saying it is a bug, exit 70, no traceback."""
    import dmst.cli.evaluate as command

    def broken(path: object) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr(command, "read_case", broken)
    monkeypatch.delenv("DMST_DEBUG", raising=False)
    out = runner.invoke(app, ["evaluate", str(tmp_path / "x.yaml")])
    assert out.exit_code == 70
    assert "internal error (RuntimeError: something broke)" in out.stderr
    assert "DMST_DEBUG=1" in out.stderr and "Traceback" not in out.stderr


def test_an_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Ctrl-C during a command exits 130 with a short note, no traceback."""
    import dmst.cli.evaluate as command

    def interrupted(path: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "read_case", interrupted)
    out = runner.invoke(app, ["evaluate", str(tmp_path / "x.yaml")])
    assert out.exit_code == 130 and "interrupted" in out.stderr


def test_an_evaluation_error_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """An EvaluationError from the engine is reported like any dmst error: exit 1."""
    import dmst.cli.evaluate as command

    class Broken:
        def evaluate_file(self, case: object, *, presume: bool = True) -> None:
            raise EvaluationError("a rule action failed; no partial result is returned")

    monkeypatch.setattr(command, "engine", lambda: Broken())
    example = min((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
    out = runner.invoke(app, ["evaluate", str(example)])
    assert out.exit_code == 1
    assert out.stderr == f"dmst: error: {example}: a rule action failed; no partial result is returned\n"


def _bad_fact_in_a_real_process(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    bad = tmp_path / "bad.yaml"
    bad.write_text("facts:\n  victim:\n    agee: 15\n", encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "dmst", "evaluate", str(bad)],
                          check=False, capture_output=True, text=True, timeout=120)


def test_python_m_dmst_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    """`python -m dmst` on a bad file exits 1 with the message and no traceback."""
    proc = _bad_fact_in_a_real_process(tmp_path)
    assert proc.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:3:" in proc.stderr
    assert "facts.victim.agee: unknown fact name" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_python_m_dmst_suggests_the_fact_meant(tmp_path: Path) -> None:
    """`python -m dmst` on a misspelt fact says which fact was meant."""
    proc = _bad_fact_in_a_real_process(tmp_path)
    assert proc.returncode == 1
    assert "did you mean 'facts.victim.age'" in proc.stderr


def test_the_proof_surfaces_raise_structured_input_errors() -> None:
    """explain, why_not and flips refuse an unknown id, an unknown fact or a pair not in the case
    with an InputError naming the field, with a suggestion where one is close."""
    engine = dmst.default_engine()
    facts = {"victim": {"age": 15}, "accused": {"roles": ["trafficker"]}}
    with pytest.raises(InputError) as info:
        dmst.why_not(engine, facts, "protection.rape_sheild")
    assert (info.value.field, info.value.problems[0].suggestion) == (
        "protection.rape_sheild", "protection.rape_shield")
    with pytest.raises(InputError) as info:
        dmst.explain(dmst.evaluate(facts), "status.minor_victm")
    assert info.value.problems[0].suggestion == "status.minor_victim"
    with pytest.raises(InputError) as info:
        dmst.flips(engine, facts, ["victim.agee"])
    assert (info.value.field, info.value.problems[0].suggestion) == ("victim.agee", "victim.age")
    case = {"victims": [{"id": "V1", "age": 15}, {"id": "V2", "age": 12}],
            "accused": [{"id": "A1", "roles": ["trafficker"]}]}
    with pytest.raises(InputError, match="no victim 'V3'; its victims: V1, V2") as info:
        dmst.why_not(engine, case, "status.minor_victim", victim="V3")
    assert exit_code(info.value) == errors.EXIT_USER_ERROR
    assert info.value.field == "victim"
    case["accused"].append({"id": "A2"})
    with pytest.raises(InputError, match="A1/V1, A1/V2, A2/V1, A2/V2"):
        dmst.why_not(engine, case, "status.minor_victim", victim="V1")
