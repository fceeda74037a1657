"""`dmst interview`: the core driven by scripted answers, the command through CliRunner, and one
real run in a pseudo-terminal."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dmst import Engine, Scenario, load_case_file
from dmst.cli import app
from dmst.engine.result import Status
from dmst.errors import InputError
from dmst.facts.paths import FACTS
from dmst.interview import UNKNOWN, BadAnswer, Interview, parse_answer, scenario_yaml

from .conftest import EXAMPLES, TWO_VICTIMS, write

INTAKE = EXAMPLES / "intake-hotline-tip.yaml"


def _unknown_until(iv: Interview, fact: str) -> None:
    """Answer "unknown" to every question before the one about ``fact``."""
    while (q := iv.next_question()) is not None and q.fact != fact:
        assert iv.answer("unknown").action == "unknown"
    assert q is not None, f"{fact} was never asked"


# --- reading answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "text", "value"), [
    ("investigation.decoy", "yes", True),
    ("investigation.decoy", " Y ", True),
    ("investigation.decoy", "false", False),
    ("investigation.decoy", "n", False),
    ("victim.age", "15", 15),
    ("victim.age", "15-16", {"min": 15, "max": 16}),
    ("victim.age", "15 to 16", {"min": 15, "max": 16}),
    ("victim.age", "under 18", {"max": 17}),
    ("victim.age", "at least 16", {"min": 16}),
    ("victim.age", "14 years old", 14),
    ("accused.believed_victim_was", "ad", "adult"),
    ("accused.roles", "trafficker, buy", ["trafficker", "buyer"]),
    ("accused.convicted_of", "none", []),
    ("accused.convicted_of", "promoting prostitution", ["promoting_prostitution"]),
    ("dates.offense", "2018-05-14", "2018-05-14"),
    ("victim.willing", "", UNKNOWN),
    ("victim.age", "unknown", UNKNOWN),
])
def test_answers_are_read_by_the_facts_kind(path: str, text: str, value: Any) -> None:
    """Each kind of fact reads its own answers: yes/no, ages and ranges, choices by a unique
    prefix, lists or none, ISO dates; an empty answer or "unknown" is unknown."""
    assert parse_answer(FACTS[path], text) == value


@pytest.mark.parametrize(("path", "text", "says"), [
    ("investigation.decoy", "maybe", "not yes or no"),
    ("victim.age", "fifteen", "not an age"),
    ("accused.believed_victim_was", "child", "not one of the choices"),
    ("accused.convicted_of", "pro", "could be"),
    ("dates.offense", "14/05/2018", "YYYY-MM-DD"),
    ("dates.offense", "2018-02-30", "not a real date"),
])
def test_unreadable_answers_say_what_is_expected(path: str, text: str, says: str) -> None:
    """An answer that is not a value of the fact's kind raises BadAnswer saying what to give."""
    with pytest.raises(BadAnswer, match=says):
        parse_answer(FACTS[path], text)


# --- the core ----------------------------------------------------------------------------------


def test_questions_follow_ask_next_for_the_intake_case(engine: Engine) -> None:
    """For the hotline intake, the first questions are the facts ask-next ranks highest, in
    order, and each question asked is the top of the then-current result's ask-next."""
    iv = Interview(engine, load_case_file(INTAKE))
    asked = []
    while (q := iv.next_question()) is not None:
        fresh = engine.evaluate(iv.case)
        top = [a.fact for a in fresh.ask_next if a.fact not in asked]
        assert q.fact == top[0]
        assert q.question == FACTS[q.fact].question
        asked.append(q.fact)
        iv.answer("unknown")
    assert asked[:5] == [
        "accused.conduct.aided_or_abetted_trafficking",
        "accused.conduct.financially_benefited_from_trafficking",
        "accused.conduct.trafficked_for_sex",
        "accused.conduct.caused_sexual_conduct_for_images",
        "accused.conduct.promoted_prostitution",
    ]
    assert len(asked) == len(set(asked))


def test_the_decoy_question_is_asked_although_presumed_and_yes_removes_minor_status(
        engine: Engine) -> None:
    """A 15-year-old is presumed a real child; the interview still asks about the decoy first
    (it would settle the most), says what is presumed, and "yes" removes the minor status."""
    iv = Interview(engine, {"victim": {"age": 15}})
    assert iv.result.status("status.minor_victim") is Status.APPLIES
    q = iv.next_question()
    assert q is not None and q.fact == "investigation.decoy" and q.presumed is False
    reply = iv.answer("yes")
    assert reply.action == "answered" and reply.value is True
    assert reply.changes is not None and "status.minor_victim" in reply.changes.disappeared()
    assert iv.result.status("status.minor_victim") is Status.DOES_NOT_APPLY
    assert iv.result.facts["investigation.decoy"] is True
    strict = Interview(engine, {"victim": {"age": 15}}, strict=True).next_question()
    assert strict is not None and strict.fact == "investigation.decoy" and strict.presumed is None


def test_each_answer_changes_the_result_as_the_rules_say(engine: Engine) -> None:
    """A trafficker who enticed a child: age 13 brings the enticing charge (under 14), and the
    written lines name it as now applying."""
    lines: list[str] = []
    case = {"accused": {"roles": ["trafficker"], "conduct": {"enticed_for_commercial_sex": True}},
            "victim": {"engaged_in_commercial_sex": True}, "investigation": {"decoy": False}}
    iv = Interview(engine, case, write=lines.append)
    assert iv.next_question().fact == "victim.age"  # type: ignore[union-attr]
    reply = iv.answer("13")
    assert reply.changes is not None
    assert "charge.enticing_child" in reply.changes.appeared()
    assert iv.result.status("charge.enticing_child") is Status.APPLIES
    # the same case answered 14 does not bring it
    other = Interview(engine, case)
    other.next_question()
    assert other.answer("14").changes.appeared().count("charge.enticing_child") == 0  # type: ignore[union-attr]
    assert other.result.status("charge.enticing_child") is Status.DOES_NOT_APPLY


def test_an_age_range_is_a_fact_the_rules_read(engine: Engine) -> None:
    """"under 18" is stored as {max: 17}, and the victim is then a minor."""
    iv = Interview(engine, {"investigation": {"decoy": False}}, strict=True)
    _unknown_until(iv, "victim.age")
    reply = iv.answer("under 18")
    assert reply.value == {"max": 17}
    assert iv.result.facts["victim.age"] == {"max": 17}
    assert iv.result.status("status.minor_victim") is Status.APPLIES


def test_bad_answers_are_asked_again_and_a_contradiction_shows_the_models_message(
        engine: Engine) -> None:
    """An unreadable answer and one the fact model refuses (testifying younger than at the
    offense) are explained and the same question asked again, once numbered."""
    lines: list[str] = []
    iv = Interview(engine, {"victim": {"age": 15}, "investigation": {"decoy": False}},
                   write=lines.append)

    def answers() -> Iterator[str]:
        while (q := iv.next_question()) is not None:
            if q.fact == "victim.age_at_testimony":
                yield "fifteen"
                yield "14"
                yield "16"
                return
            yield "unknown"

    outcome = iv.run(answers())
    text = "".join(lines)
    assert "'fifteen' is not an age" in text
    assert "age_at_testimony (14) is less than victim.age (15)" in text
    assert outcome.answers == {"victim.age_at_testimony": 16}
    numbered = re.findall(r"^\d+\. How old will the victim be when testifying", text, re.M)
    assert len(numbered) == 1
    assert outcome.stopped == "end_of_input"


def test_unknown_is_an_answer_and_no_question_is_asked_twice(engine: Engine) -> None:
    """Answering "unknown" to everything runs to the end: every fact asked once, all left
    unknown, and the case unchanged."""
    start = load_case_file(INTAKE).facts
    iv = Interview(engine, start)
    outcome = iv.run(iter(lambda: "", None))  # Enter, forever
    assert outcome.stopped == "done"
    assert outcome.answers == {}
    assert len(outcome.unknown) == len(set(outcome.unknown)) > 20
    assert outcome.case == start


def test_quit_end_of_input_and_interrupt_keep_what_was_gathered(engine: Engine) -> None:
    """q stops, running out of answers stops, Ctrl-C stops: each keeps the answers given."""
    quit_ = Interview(engine, {"victim": {"age": 15}}).run(["no", "q", "yes"])
    assert quit_.stopped == "quit" and quit_.answers == {"investigation.decoy": False}

    ended = Interview(engine, {"victim": {"age": 15}}).run(["no"])
    assert ended.stopped == "end_of_input" and ended.answers == {"investigation.decoy": False}

    def interrupted() -> Iterator[str]:
        yield "no"
        raise KeyboardInterrupt

    lines: list[str] = []
    stopped = Interview(engine, {"victim": {"age": 15}}, write=lines.append).run(interrupted())
    assert stopped.stopped == "interrupted" and stopped.answers == {"investigation.decoy": False}
    assert "Interrupted." in "".join(lines)


def test_the_written_file_round_trips_and_evaluates_the_same(engine: Engine,
                                                              tmp_path: Path) -> None:
    """The completed scenario file loads back to the same facts and the same result, ranges,
    lists and dates included."""
    iv = Interview(engine, None)
    script = {"victim.age": "15 to 16", "investigation.decoy": "no", "accused.roles": "buyer",
              "accused.conduct.bought_commercial_sex": "yes", "dates.offense": "2018-05-14",
              "victim.charged_with": "none"}

    def answers() -> Iterator[str]:
        while (q := iv.next_question()) is not None:
            yield script.get(q.fact, "unknown")

    outcome = iv.run(answers())
    assert set(script) <= set(outcome.answers)
    path = tmp_path / "done.yaml"
    path.write_text(scenario_yaml(outcome.case, title="Gathered", comments=["a note"]),
                    encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# a note\n") and "roles: [buyer]" in text
    assert "age: {min: 15, max: 16}" in text
    loaded = load_case_file(path)
    assert loaded.title == "Gathered"
    assert loaded.facts == outcome.case
    assert engine.evaluate(loaded.facts).model_dump() == outcome.result.model_dump()
    assert outcome.result.facts["victim.age"] == {"min": 15, "max": 16}


def test_a_case_of_several_people_needs_the_pair_and_changes_only_that_victim(
        engine: Engine) -> None:
    """Without --accused/--victim the error lists the pairs; with them, a victim fact answered
    changes that victim's entry of the case only."""
    case = load_case_file(TWO_VICTIMS).facts
    with pytest.raises(InputError, match="A1/V1, A1/V2"):
        Interview(engine, case)
    iv = Interview(engine, case, accused="A1", victim="V2")
    _unknown_until(iv, "victim.will_testify")
    iv.answer("yes")
    victims = {v.id: v for v in iv.case.victims}  # type: ignore[union-attr]
    assert victims["V2"].will_testify is True and victims["V1"].will_testify is None
    assert iv.result.facts["victim.age"] == 12


# --- the command -------------------------------------------------------------------------------


def test_cli_with_no_file_writes_case_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """`dmst interview` alone starts from nothing and writes case.yaml, which evaluates."""
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(app, ["interview"], input="15\nno\ntrafficker\n\nq\n")
    assert out.exit_code == 0, out.output
    assert "1. How old was the victim" in out.stdout
    assert "+ now applies: The victim is a minor (under 18)" in out.stdout
    assert "Wrote case.yaml" in out.stdout
    facts = yaml.safe_load((tmp_path / "case.yaml").read_text(encoding="utf-8"))["facts"]
    assert facts == {"victim": {"age": 15}, "accused": {"roles": ["trafficker"]},
                     "investigation": {"decoy": False}}
    again = CliRunner().invoke(app, ["evaluate", "case.yaml"])
    assert again.exit_code == 0
    refused = CliRunner().invoke(app, ["interview"], input="q\n")
    assert refused.exit_code == 1 and "case.yaml already exists" in refused.stderr


def test_cli_completes_a_file_beside_it_and_keeps_its_title(tmp_path: Path) -> None:
    """With a file, the answers go to <file>.completed.yaml with the title kept and the
    expectations dropped; end of input stops cleanly."""
    src = tmp_path / "intake.yaml"
    src.write_text(INTAKE.read_text(encoding="utf-8"), encoding="utf-8")
    out = CliRunner().invoke(app, ["interview", str(src)], input="yes\nunknown\n")
    assert out.exit_code == 0, out.output
    done = load_case_file(tmp_path / "intake.completed.yaml")
    given = load_case_file(src)
    assert (done.title, done.narrative) == (given.title, given.narrative)
    assert done.expected is None and "expected conclusions are left out" in \
        (tmp_path / "intake.completed.yaml").read_text(encoding="utf-8")
    assert done.facts.accused.conduct.aided_or_abetted_trafficking is True  # type: ignore[union-attr]
    assert "No more answers. 1 answered, 1 left unknown" in out.stdout
    assert src.read_text(encoding="utf-8") == INTAKE.read_text(encoding="utf-8")


def test_cli_output_to_stdout_keeps_the_conversation_on_stderr(tmp_path: Path) -> None:
    """-o - writes only the YAML to stdout; questions and changes go to stderr."""
    src = write(tmp_path, "a", {"victim": {"age": 15}})
    out = CliRunner().invoke(app, ["interview", str(src), "-o", "-"], input="yes\nq\n")
    assert out.exit_code == 0, out.output
    assert yaml.safe_load(out.stdout)["facts"]["investigation"] == {"decoy": True}
    assert "Was the “minor” a law-enforcement officer" in out.stderr
    assert "no longer applies: The victim is a minor" in out.stderr


def test_cli_refuses_to_overwrite_its_input_and_names_the_pairs(tmp_path: Path) -> None:
    """-o naming the input is refused before any question; a case of several pairs without the
    pair is a clear error listing them."""
    src = write(tmp_path, "a", {"victim": {"age": 15}})
    before = src.read_bytes()
    out = CliRunner().invoke(app, ["interview", str(src), "-o", str(src)], input="yes\n")
    assert out.exit_code == 1 and "never overwrites its input" in out.stderr
    assert src.read_bytes() == before and "1." not in out.stdout
    pairs = CliRunner().invoke(app, ["interview", str(TWO_VICTIMS), "-o", "-"], input="")
    assert pairs.exit_code == 1 and "A1/V1, A1/V2" in pairs.stderr
    assert "--accused ID --victim ID" in pairs.stderr and "Traceback" not in pairs.output
    chosen = CliRunner().invoke(app, ["interview", str(TWO_VICTIMS), "--accused", "A1",
                                      "--victim", "V1", "-o", str(tmp_path / "v1.yaml")],
                                input="q\n")
    assert chosen.exit_code == 0 and "(accused A1, victim V1)" in chosen.stdout
    assert load_case_file(tmp_path / "v1.yaml").facts == load_case_file(TWO_VICTIMS).facts


def test_interview_is_in_the_readme_command_list() -> None:
    """The README's command list has a line for dmst interview."""
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^dmst interview \[CASE\.yaml\] \[-o OUT\.yaml\]", readme, re.M)


# --- a real terminal ---------------------------------------------------------------------------


class _Terminal:
    """`python -m dmst ARGS` on a pseudo-terminal of its own (its controlling terminal, so that
    Ctrl-C is a real SIGINT), read and typed into like a user."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        import fcntl
        import termios

        self.master, slave = os.openpty()

        def own_terminal() -> None:  # in the child: a new session whose terminal is the pty
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            # as a shell starts a command: Ctrl-C interrupts (a test run started in the
            # background inherits SIGINT ignored, and would pass that on)
            signal.signal(signal.SIGINT, signal.SIG_DFL)

        env = {**os.environ, "COLUMNS": "100", "TERM": "dumb", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dmst", *args], cwd=cwd, stdin=slave, stdout=slave,
            stderr=slave, env=env, preexec_fn=own_terminal, close_fds=True,
        )
        os.close(slave)
        self.seen = ""

    def read_until(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.seen, re.S)
            if m:
                self.seen = self.seen[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"waited for {pattern!r}; the terminal shows:\n{self.seen}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"ended while waiting for {pattern!r}:\n{self.seen}")
                self.seen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 30.0) -> tuple[int, str]:
        rest = self.seen
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                rest += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
            elif self.proc.poll() is not None:
                break
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"still running after {2 * timeout:.0f} s; the terminal "
                                 f"shows:\n{rest}") from None
        finally:
            os.close(self.master)
        return code, rest


_ANSWERS = {"How old was the victim at the time": "15",
            "law-enforcement officer posing": "no",
            "In which role did the accused": "trafficker",
            "traffic the victim for sex": "yes",
            "promote the victim's prostitution": "yes",
            "On what date did the offense": "2018-05-14"}


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_real_terminal_session_runs_to_completion(tmp_path: Path) -> None:
    """`dmst interview` in a pseudo-terminal: every question answered (a few facts, "unknown"
    to the rest, one bad answer re-asked) until none is left; the file written evaluates."""
    term = _Terminal(["interview", "-o", "pimp.yaml"], tmp_path)
    asked = 0
    bad_given = False
    while True:
        m = term.read_until(r"\n\d+\. (.+?)\n|No question left")
        if m.group(0) == "No question left":
            break
        asked += 1
        question = m.group(1)
        term.read_until(r"> ")
        answer = next((a for k, a in _ANSWERS.items() if k in question), "unknown")
        if answer == "15" and not bad_given:
            bad_given = True
            term.type("fifteen\n")
            term.read_until(r"is not an age.*?> ")
        term.type(answer + "\n")
        assert asked < 60, "the interview does not end"
    code, rest = term.finish()
    assert code == 0, rest
    assert "Wrote pimp.yaml" in rest and "Traceback" not in rest
    done = load_case_file(tmp_path / "pimp.yaml")
    assert done.facts == Scenario.parse({
        "victim": {"age": 15},
        "accused": {"roles": ["trafficker"],
                    "conduct": {"trafficked_for_sex": True, "promoted_prostitution": True}},
        "investigation": {"decoy": False}, "dates": {"offense": "2018-05-14"},
    })
    result = Engine().evaluate(done.facts)
    assert result.status("charge.human_trafficking") is Status.APPLIES


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_ctrl_c_in_a_real_terminal_writes_what_was_gathered(tmp_path: Path) -> None:
    """Ctrl-C at a question: a clean message, the answers so far written, exit 130, no
    traceback; Ctrl-D likewise ends with the file written (exit 0)."""
    term = _Terminal(["interview"], tmp_path)
    term.read_until(r"How old was the victim.*?> ")
    term.type("16\n")
    term.read_until(r"Now: .*?> ")
    term.type("\x03")  # the terminal turns it into SIGINT
    code, rest = term.finish()
    assert code == 130, rest
    assert "Interrupted." in rest and "Wrote case.yaml" in rest and "Traceback" not in rest
    assert load_case_file(tmp_path / "case.yaml").facts == Scenario.parse({"victim": {"age": 16}})

    term = _Terminal(["interview", "case.yaml"], tmp_path)
    term.read_until(r"> ")
    term.type("no\n")
    term.read_until(r"Now: .*?> ")
    term.type("\x04")
    code, rest = term.finish()
    assert code == 0 and "Wrote case.completed.yaml" in rest and "Traceback" not in rest
    facts = load_case_file(tmp_path / "case.completed.yaml").facts
    assert facts == Scenario.parse({"victim": {"age": 16}, "investigation": {"decoy": False}})
