"""``dmst batch`` and ``dmst.batch``: one output line per input line, in order, byte for byte the
result the engine gives for the scenario; bad lines become error lines; memory stays bounded;
output is only ever whole lines."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from typer.testing import CliRunner

from dmst import DmstError, Engine, FactError
from dmst.batch import (
    MAX_LINE_BYTES,
    BatchEvaluator,
    Input,
    LineSink,
    LineTooLong,
    available_cores,
    evaluate_lines,
    evaluate_parallel,
    read_items,
    run_batch,
)
from dmst.cli import app
from dmst.facts.load import MAX_LIST_ITEMS, load_case_file
from dmst.facts.paths import FACTS, nest

from .conftest import EXAMPLES
from .strategies import batches

runner = CliRunner()
GOOD = {"title": "A buyer of a 16-year-old", "facts": {
    "victim": {"age": 16, "engaged_in_commercial_sex": True, "third_party_control": True},
    "accused": {"roles": ["buyer"], "conduct": {"bought_commercial_sex": True}},
    "investigation": {"decoy": False}}}
MIXED = [
    json.dumps(GOOD),
    "",
    '{"facts": {"victim": {"agee": 15}}}',
    "not json",
    json.dumps({"facts": {"victim": {"age": 13}}}),
    "[1, 2]",
]


def _dmst_command() -> list[str]:
    script = Path(sys.executable).with_name("dmst")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]


def _expected_line(engine: Engine, number: int, doc: dict[str, Any]) -> bytes:
    result = engine.evaluate(doc["facts"]).model_dump_json().encode()
    return b'{"line":%d,"result":%s}\n' % (number, result)


def _parse(out: bytes | str) -> list[dict[str, Any]]:
    text = out.decode() if isinstance(out, bytes) else out
    return [json.loads(line) for line in text.splitlines()]


# --- the differential tests -----------------------------------------------------------------


@settings(max_examples=60)
@given(batches())
def test_batch_output_is_the_engine_result_byte_for_byte(
        engine: Engine, scenarios: list[dict[str, Any]]) -> None:
    """Every output line is exactly {"line": n, "result": <Result.model_dump_json()>} as the
    library's evaluate gives it: batch writes results that share the engine's cached parts,
    and they must read the same as the results a caller is handed."""
    docs = [{"title": f"case {i}", "facts": nest(flat)} for i, flat in enumerate(scenarios)]
    docs += docs[:1]  # the same case again: from the engine's cache this time
    lines = [json.dumps(d, default=str) for d in docs]
    for number, (doc, out) in enumerate(zip(docs, BatchEvaluator(engine).lines(lines),
                                            strict=True), 1):
        try:
            expected = _expected_line(engine, number, doc)
        except FactError as exc:  # contradictory values: an error line naming the field
            entry = json.loads(out)
            assert entry["line"] == number and entry["error"]["type"] == "FactError"
            assert entry["error"]["field"] == exc.problems[0].field
            continue
        assert out == expected


def test_every_example_through_batch_matches_evaluate(engine: Engine) -> None:
    """The example files, as a directory, give the same results as `evaluate`, in name order."""
    files = sorted(EXAMPLES.glob("*.yaml"))
    out = b"".join(evaluate_lines(files, engine))
    entries = _parse(out)
    assert [e["file"] for e in entries] == [f.name for f in files]
    for entry, path in zip(entries, files, strict=True):
        expected = engine.evaluate_file(load_case_file(path)).model_dump(mode="json")
        assert entry["result"] == expected


# --- lines in, lines out ----------------------------------------------------------------------


def test_lines_in_equal_lines_out_and_bad_lines_do_not_stop_the_run(engine: Engine) -> None:
    """Good and bad lines each get one output line, in order, numbered as in the input; a
    blank line gets none (it is skipped and counted)."""
    evaluator = BatchEvaluator(engine, source="in.jsonl")
    out = [line for line in evaluator.lines(MIXED) if line]
    entries = _parse(b"".join(out))
    assert [e["line"] for e in entries] == [1, 3, 4, 5, 6]
    assert ["result" in e for e in entries] == [True, False, False, True, False]
    assert all(line.endswith(b"\n") and line.count(b"\n") == 1 for line in out)
    assert (evaluator.summary.ok, evaluator.summary.failed, evaluator.summary.blank) == (2, 3, 1)


def test_error_entries_say_where_and_what(engine: Engine) -> None:
    """Each kind of bad line gets DmstError.to_dict() with the input, the line and the field."""
    entries = _parse(b"".join(evaluate_lines(MIXED, engine, source="in.jsonl")))
    misspelt, not_json, a_list = (entries[i]["error"] for i in (1, 2, 4))
    assert misspelt["type"] == "FactError" and misspelt["line"] == 3
    assert misspelt["field"] == "facts.victim.agee"
    assert misspelt["problems"] == [{"message": "unknown fact name", "field": "facts.victim.agee",
                                     "suggestion": "facts.victim.age"}]
    assert not_json["message"].startswith("not valid JSON: Expecting value (column 1)")
    assert "the line is a list" in a_list["message"]


@pytest.mark.parametrize(("line", "phrase"), [
    (b'{"facts": {}, "facts": {}}', "duplicate key 'facts'"),
    (b'{"facts": {"victim": {"age": 15}}, "titel": "x"}', "unknown key (did you mean title)"),
    (b'{"facts": {"victim": {"age": "15"}}}', 'must be a whole number, not "15"'),
    (b'{"facts": {"victim": {"age": true}}}', "must be a whole number, not true"),
    (b'{"facts": {"victim": {"age": 15, "age_at_testimony": 12}}}', "cannot testify before"),
    (b'{"facts": {"dates": {"offense": "2999-01-01"}}}', "is in the future"),
    (b'{"facts": {"victim": {"age": 15}}, "title": "caf\xe9"}', "not UTF-8 text (byte 0xe9"),
    (b'"just a string"', "the line is a string"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_bad_lines_are_explained(engine: Engine, line: bytes, phrase: str) -> None:
    """Each bad line gets an error entry whose message or problems say what is wrong."""
    entry = _parse(b"".join(evaluate_lines([line], engine)))[0]
    assert entry["line"] == 1 and "result" not in entry
    error = entry["error"]
    text = " ".join([error["message"], *(
        p["message"] + (f" (did you mean {p['suggestion']})" if "suggestion" in p else "")
        for p in error["problems"])])
    assert phrase in text


def test_repeated_lines_give_repeated_results(engine: Engine) -> None:
    """The same scenario twice gives the same result twice (only the line number differs)."""
    out = _parse(b"".join(evaluate_lines([json.dumps(GOOD)] * 3, engine)))
    assert out[0]["result"] == out[1]["result"] == out[2]["result"]
    assert [o["line"] for o in out] == [1, 2, 3]


def test_crlf_line_ends_a_byte_order_mark_and_a_missing_last_newline() -> None:
    """Lines split on \\n with \\r stripped; a leading BOM is dropped; a last line without a
    newline still counts."""
    data = b"\xef\xbb\xbf" + b"a\r\nb\n\nc"
    items = list(read_items(BytesIO(data)))
    assert items == [b"a\r", b"b", b"", b"c"]


def test_a_line_too_long_is_never_held_whole() -> None:
    """A line over MAX_LINE_BYTES becomes LineTooLong, read in blocks: memory stays small."""
    size = MAX_LINE_BYTES * 8
    stream = BytesIO(b'{"facts": {}}\n' + b"x" * size + b'\n{"facts": {}}\n')
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    items = list(read_items(stream))
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert items == [b'{"facts": {}}', LineTooLong(size), b'{"facts": {}}']
    assert peak < 4 * MAX_LINE_BYTES  # the 8 MB line was never in memory at once


def test_a_line_too_long_gets_an_error_entry(engine: Engine) -> None:
    """A LineTooLong item is an error line saying the limit."""
    entry = _parse(b"".join(evaluate_lines([LineTooLong(5_000_000)], engine)))[0]
    assert f"limited to {MAX_LINE_BYTES:,} bytes" in entry["error"]["message"]


def test_memory_stays_flat_over_a_long_stream(engine: Engine) -> None:
    """After the engine's cache is full, streaming thousands more lines holds no more
    memory."""
    evaluator = BatchEvaluator(Engine(engine.rulebook, cache_size=16))

    def lines(n: int, seed: int) -> Iterator[str]:
        for i in range(n):
            age = 10 + (i * 7 + seed) % 12
            facts = {"victim": {"age": age, "willing": i % 2 == 0,
                                "engaged_in_commercial_sex": i % 3 != 0},
                     "accused": {"roles": [["buyer"], ["trafficker"]][i % 2]}}
            yield json.dumps({"title": f"case {seed}-{i}", "facts": facts})

    for _ in evaluator.lines(lines(1500, 1)):
        pass
    tracemalloc.start()
    for _ in evaluator.lines(lines(500, 2)):
        pass
    settled = tracemalloc.get_traced_memory()[0]
    for _ in evaluator.lines(lines(4000, 3)):
        pass
    grown = tracemalloc.get_traced_memory()[0] - settled
    tracemalloc.stop()
    assert evaluator.summary.failed == 0
    assert grown < 2 << 20  # bounded by the cache, not by the number of lines


# --- the command -----------------------------------------------------------------------------


def _jsonl(tmp_path: Path, lines: list[str], name: str = "in.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_writes_one_line_per_input_line_and_exits_1_on_any_failure(
        tmp_path: Path, engine: Engine) -> None:
    """`dmst batch IN` writes a line for every non-blank line to stdout in order, a summary
    (with the blank lines skipped) to stderr, exit 1."""
    src = _jsonl(tmp_path, MIXED)
    out = runner.invoke(app, ["batch", str(src)])
    assert out.exit_code == 1
    entries = _parse(out.stdout)
    assert len(entries) == len(MIXED) - 1 and entries[0]["result"] == json.loads(
        engine.evaluate(GOOD["facts"]).model_dump_json())
    assert "2 ok, 3 failed, 5 lines" in out.stderr and "1 blank line skipped" in out.stderr
    assert "Traceback" not in out.stderr
    assert entries[1]["error"]["file"] == str(src) and entries[1]["error"]["line"] == 3


def test_cli_exits_0_when_every_line_succeeds(tmp_path: Path) -> None:
    """All good lines: exit 0 and '0 failed'."""
    src = _jsonl(tmp_path, [json.dumps(GOOD)] * 3)
    out = runner.invoke(app, ["batch", str(src)])
    assert out.exit_code == 0 and "3 ok, 0 failed" in out.stderr
    assert len(out.stdout.splitlines()) == 3


def test_cli_reads_standard_input(tmp_path: Path) -> None:
    """`dmst batch -` reads the lines from standard input."""
    out = runner.invoke(app, ["batch", "-"], input="\n".join(MIXED) + "\n")
    assert out.exit_code == 1 and len(out.stdout.splitlines()) == len(MIXED) - 1
    assert _parse(out.stdout)[2]["error"]["file"] == "<stdin>"


def test_cli_output_file_holds_the_same_lines(tmp_path: Path) -> None:
    """-o writes the same bytes as stdout would."""
    src = _jsonl(tmp_path, MIXED)
    target = tmp_path / "out.jsonl"
    to_file = runner.invoke(app, ["batch", str(src), "-o", str(target)])
    to_stdout = runner.invoke(app, ["batch", str(src)])
    assert to_file.exit_code == to_stdout.exit_code == 1 and to_file.stdout == ""
    assert target.read_text(encoding="utf-8") == to_stdout.stdout


def test_cli_refuses_to_overwrite_its_input(tmp_path: Path) -> None:
    """-o naming the input file, or a scenario file of the input directory, is an error, and
    the input is left as it was."""
    src = _jsonl(tmp_path, MIXED)
    before = src.read_bytes()
    out = runner.invoke(app, ["batch", str(src), "-o", str(src)])
    assert out.exit_code == 1 and "the output file is part of the input" in out.stderr
    assert src.read_bytes() == before
    scenario = tmp_path / "case.json"
    scenario.write_text(json.dumps(GOOD), encoding="utf-8")
    out = runner.invoke(app, ["batch", str(tmp_path), "-o", str(scenario)])
    assert out.exit_code == 1 and "the output file is part of the input" in out.stderr
    assert json.loads(scenario.read_text(encoding="utf-8")) == GOOD


def test_cli_reads_a_directory_in_name_order(tmp_path: Path) -> None:
    """A directory's .yaml/.json files are read in sorted order; a bad one gets an error line
    naming its file and line; other files are ignored."""
    (tmp_path / "b.yaml").write_text("facts:\n  victim: {age: 15}\n", encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (tmp_path / "c.yaml").write_text("facts:\n  victim:\n    agee: 15\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    out = runner.invoke(app, ["batch", str(tmp_path)])
    entries = _parse(out.stdout)
    assert out.exit_code == 1
    assert [(e["line"], e["file"]) for e in entries] == [(1, "a.json"), (2, "b.yaml"),
                                                         (3, "c.yaml")]
    error = entries[2]["error"]
    assert error["file"] == str(tmp_path / "c.yaml") and error["line"] == 3
    assert error["problems"][0]["suggestion"] == "facts.victim.age"


def test_cli_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    """An input that does not exist: exit 1, named, no output."""
    out = runner.invoke(app, ["batch", str(tmp_path / "nope.jsonl")])
    assert out.exit_code == 1 and out.stdout == ""
    assert "nope.jsonl: no such file or directory" in out.stderr


def test_parallel_output_is_in_input_order(engine: Engine) -> None:
    """evaluate_parallel with small chunks returns the chunks in input order, same bytes."""
    lines = [json.dumps({"title": str(i), "facts": {"victim": {"age": 10 + i % 9}}})
             for i in range(40)] + ["", "bad"]
    chunks = list(evaluate_parallel(lines, 2, chunk_lines=5))
    parallel = b"".join(c[0] for c in chunks)
    assert parallel == b"".join(evaluate_lines(lines, engine))
    assert sum(c[1] for c in chunks) == 40 and sum(c[2] for c in chunks) == 1


def test_installed_command_with_jobs_gives_the_sequential_output(tmp_path: Path) -> None:
    """`dmst batch -j 2` (worker processes) writes the same bytes as `dmst batch`."""
    lines = [json.dumps({"facts": {"victim": {"age": 10 + i % 9, "willing": i % 2 == 0}}})
             for i in range(600)] + MIXED
    src = _jsonl(tmp_path, lines)
    one = subprocess.run([*_dmst_command(), "batch", str(src)], check=False, capture_output=True,
                         timeout=300)
    two = subprocess.run([*_dmst_command(), "batch", str(src), "-j", "2", "-o",
                          str(tmp_path / "out.jsonl")], check=False, capture_output=True,
                         timeout=300)
    assert one.returncode == two.returncode == 1
    assert (tmp_path / "out.jsonl").read_bytes() == one.stdout
    assert len(one.stdout.splitlines()) == len(lines) - 1  # the blank line is skipped
    assert b"Traceback" not in one.stderr + two.stderr
    assert b"602 ok, 3 failed, 605 lines" in two.stderr and b"1 blank line skipped" in two.stderr


def test_progress_shows_on_a_terminal_only(tmp_path: Path) -> None:
    """Progress goes to stderr when it is a terminal, and not when stderr is piped."""
    pty = pytest.importorskip("pty")
    src = _jsonl(tmp_path, [json.dumps(GOOD)] * 5)
    piped = subprocess.run([*_dmst_command(), "batch", str(src), "-o", str(tmp_path / "o")],
                           check=False, capture_output=True, timeout=120)
    assert b"\r" not in piped.stderr and b"5 ok" in piped.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*_dmst_command(), "batch", str(src), "-o", str(tmp_path / "o")],
                            stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(leader)
    assert b"  5 lines, 0 failed" in seen and b"5 ok, 0 failed" in seen
    assert b"100%" in seen  # the bar, with the share of the input done


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals")
def test_an_interrupted_run_leaves_only_complete_lines(tmp_path: Path) -> None:
    """Ctrl-C mid-run exits 130 saying so, and the output holds only whole lines. The test
    waits on the output itself (a blocking read until 200 KB have come), not on a clock."""
    proc = subprocess.Popen([*_dmst_command(), "batch", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    stop = threading.Event()

    def feed() -> None:
        i = 0
        try:
            while not stop.is_set():
                facts = {"victim": {"age": 10 + i % 9, "willing": i % 2 == 0}}
                proc.stdin.write((json.dumps({"facts": facts}) + "\n").encode() * 50)
                proc.stdin.flush()
                i += 1
        except (BrokenPipeError, OSError, ValueError):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    received = b""
    while len(received) < 200_000:
        chunk = proc.stdout.read1(1 << 16)
        assert chunk, "the run ended before it was interrupted"
        received += chunk
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()  # to the end: the run closes its output as it exits
    assert proc.stderr is not None
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, stderr
    stop.set()
    feeder.join(timeout=10)
    assert b"interrupted after" in stderr and b"Traceback" not in stderr
    data = received + rest
    assert data and data.endswith(b"\n")
    entries = _parse(data)
    assert [e["line"] for e in entries] == list(range(1, len(entries) + 1))


def test_a_failed_write_is_cut_back_to_whole_lines(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """If a write fails halfway (a full disk), the file is cut back to its last whole chunk."""
    path = tmp_path / "out.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    sink = LineSink(fd, truncate=True)
    sink.write(b'{"line":1}\n')
    real_write = os.write

    def half_then_full(target: int, data: Any) -> int:
        real_write(target, bytes(data[:5]))
        monkeypatch.setattr(os, "write", lambda *_: (_ for _ in ()).throw(
            OSError(errno.ENOSPC, "No space left on device")))
        return 5

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(DmstError, match="no space left on device"):
        sink.write(b'{"line":2}\n{"line":3}\n')
    os.close(fd)
    assert path.read_bytes() == b'{"line":1}\n'


def test_run_batch_reports_a_summary(tmp_path: Path, engine: Engine) -> None:
    """run_batch returns how many lines succeeded and failed, and writes them to the output."""
    src = _jsonl(tmp_path, MIXED)
    target = tmp_path / "out.jsonl"
    summary = run_batch(src, target, engine=engine)
    assert (summary.ok, summary.failed, summary.lines, summary.blank) == (2, 3, 5, 1)
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5


# --- hostile and broken input ---------------------------------------------------------------


def test_blank_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    """Blank and white-space lines (CRLF ones too) give no output line and no failure; the
    summary counts them and the other lines keep their input numbers."""
    good = json.dumps(GOOD)
    src = tmp_path / "in.jsonl"
    src.write_bytes(f"\n{good}\r\n   \r\n\t\n{good}\n\n".encode())
    out = runner.invoke(app, ["batch", str(src)])
    assert out.exit_code == 0, out.stderr
    assert [e["line"] for e in _parse(out.stdout)] == [2, 5]
    assert "2 ok, 0 failed, 2 lines" in out.stderr and "4 blank lines skipped" in out.stderr


@pytest.mark.parametrize(("name", "text"), [
    ("case.yaml", "title: A case\nfacts:\n  victim: {age: 15}\n"),
    ("case.yml", "facts: {}\n"),
    ("case.json", '{\n  "facts": {\n    "victim": {"age": 15}\n  }\n}\n'),
    ("case.jsonl", "facts:\n  victim:\n    age: 15\n"),
])
def test_a_scenario_file_given_to_batch_points_to_evaluate(tmp_path: Path, name: str,
                                                           text: str) -> None:
    """`dmst batch case.yaml` (or a pretty-printed JSON scenario) is one message saying to use
    dmst evaluate, not an error for each of its lines."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = runner.invoke(app, ["batch", str(path)])
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr.count("dmst: error:") == 1
    assert "this is a scenario file: use dmst evaluate" in out.stderr


def test_a_json_lines_file_with_a_broken_first_line_is_still_batch_input(tmp_path: Path) -> None:
    """A JSONL file whose first line is bad is not mistaken for a scenario file."""
    src = _jsonl(tmp_path, ["not json", json.dumps(GOOD)])
    out = runner.invoke(app, ["batch", str(src)])
    assert out.exit_code == 1
    assert [("error" in e, e["line"]) for e in _parse(out.stdout)] == [(True, 1), (False, 2)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_and_symlinks_in_a_directory_are_skipped_and_named(tmp_path: Path) -> None:
    """A directory's FIFO (which would block forever), its symbolic links (to a file outside
    or inside) and its subdirectories are never opened: they are listed as skipped, with why,
    and the regular files are evaluated. The real command, so a hang would show."""
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "a.yaml").write_text(yaml.safe_dump({"facts": GOOD["facts"]}), encoding="utf-8")
    outside = tmp_path / "secret.yaml"
    outside.write_text("facts: {}\n", encoding="utf-8")
    os.mkfifo(cases / "b-pipe.yaml")
    (cases / "c-link.yaml").symlink_to(outside)
    (cases / "d-inner-link.json").symlink_to(cases / "a.yaml")
    (cases / "e-dir.yaml").mkdir()
    (cases / "README.md").write_text("notes\n", encoding="utf-8")
    proc = subprocess.run([*_dmst_command(), "batch", str(cases)], check=False,
                          capture_output=True, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert [e["file"] for e in _parse(proc.stdout)] == ["a.yaml"]
    assert "skipped 4 entries of the directory" in err
    assert "b-pipe.yaml: not a regular file" in err
    assert "c-link.yaml: a symbolic link" in err and "d-inner-link.json: a symbolic link" in err
    assert "e-dir.yaml: a directory" in err
    assert "1 other entry of the directory not read" in err


def test_a_file_replaced_by_a_symlink_after_listing_is_not_followed(tmp_path: Path,
                                                                    engine: Engine) -> None:
    """Files of a directory are opened without following a link, so one swapped for a link
    between listing and reading is an error line, not a read of the link's target."""
    cases = tmp_path / "cases"
    cases.mkdir()
    target = cases / "a.yaml"
    target.write_text("facts: {}\n", encoding="utf-8")
    reader = Input(cases)
    target.unlink()
    target.symlink_to(tmp_path / "elsewhere.yaml")
    (tmp_path / "elsewhere.yaml").write_text("facts: {}\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = run_batch(reader, out, engine=engine)
    assert summary.failed == 1
    assert "is a symbolic link" in _parse(out.read_bytes())[0]["error"]["message"]


def test_jobs_are_capped_at_the_cores_available_and_it_says_so(tmp_path: Path) -> None:
    """--jobs 256 on a small machine uses the cores there are, says so, and finishes."""
    src = _jsonl(tmp_path, [json.dumps(GOOD)] * 2)
    cores = available_cores()
    out = runner.invoke(app, ["batch", str(src), "--jobs", "256"])
    assert out.exit_code == 0, out.stderr
    assert f"--jobs 256 is more than the {cores} core" in out.stderr
    assert f"using {cores}" in out.stderr and len(_parse(out.stdout)) == 2


@pytest.mark.parametrize(("line", "phrase"), [
    (json.dumps({"facts": {"accused": {"roles": ["buyer"] * 120_000}}}),
     "a list of 120,000 items; a list here holds at most 256"),
    ('{"facts": {"victim": {"age": ' + "9" * 4_300 + "}}}", "has 4,300 digits"),
    ('{"facts": {"victim": {"age": ' + "9" * 100_000 + "}}}", "has 100,000 digits"),
    ('{"title": "\\ud800", "facts": {}}', "is not Unicode text"),
])
def test_hostile_lines_are_refused_by_name_in_linear_time(engine: Engine, line: str,
                                                          phrase: str) -> None:
    """A line of 120,000 roles or a number of thousands of digits is an error line naming the
    field, refused by the bounds checked before the fact model sees it (how long that takes
    is measured in benchmarks/, not here)."""
    entry = _parse(BatchEvaluator(engine).line(1, line.encode()))[0]
    error = entry["error"]
    assert phrase in error["message"] + " ".join(p["message"] for p in error["problems"])


def test_the_largest_accepted_input_is_read_and_evaluated(engine: Engine) -> None:
    """The largest scenario dmst accepts (every fact given, the longest lists, a narrative
    filling the file to its size limit) is read and evaluated like any other (its cost against
    parsing alone is measured in benchmarks/)."""
    from dmst.facts.load import MAX_FILE_BYTES, parse_case

    facts = nest(largest_facts())
    ids = sorted(engine.rulebook.by_id)
    doc: dict[str, Any] = {"title": "t" * 1_000, "facts": facts,
                           "expected": {"absent": (ids * MAX_LIST_ITEMS)[:MAX_LIST_ITEMS]}}
    size = len(yaml.safe_dump(doc, width=10**9))
    doc["narrative"] = ("The child was moved between motels. " * 30_000)[:MAX_FILE_BYTES - size - 200]
    text = yaml.safe_dump(doc, width=10**9)
    assert MAX_FILE_BYTES - 1_000 < len(text.encode()) <= MAX_FILE_BYTES
    case = parse_case(text, name="largest.yaml")
    assert case.narrative == doc["narrative"]
    assert engine.evaluate(case.facts).facts == engine.evaluate(facts).facts


def largest_facts() -> dict[str, Any]:
    """Every given fact with its widest valid value: lists with every choice, ranges for
    ages."""
    out: dict[str, Any] = {}
    for path, spec in FACTS.items():
        if spec.computed_from:
            continue
        if spec.kind == "bool":
            out[path] = True
        elif spec.kind in ("set", "choice"):
            out[path] = list(spec.choices) if spec.kind == "set" else spec.choices[0]
        elif spec.kind == "date":
            out[path] = "2016-01-01" if path == "compensation.claim_filed" else "2015-01-01"
        elif spec.kind == "age":
            out[path] = {"min": 0, "max": 17}
        else:
            out[path] = 17
    return out


# --- the lean form ---------------------------------------------------------------------------


def _projected(result: dict[str, Any]) -> dict[str, Any]:
    """What the lean form must say, read off the full result."""
    conclusions = []
    for c in result["conclusions"]:
        entry: dict[str, Any] = {"id": c["id"], "kind": c["kind"], "status": c["status"],
                                 "certainty": c["certainty"]}
        if c.get("penalty") is not None:
            entry["penalty"] = {k: v for k, v in c["penalty"].items() if v is not None}
            for part in ("prison_years", "fine_usd"):
                entry["penalty"][part] = {k: v for k, v in c["penalty"][part].items()
                                          if v is not None}
        if c["applies_to"]:
            entry["applies_to"] = c["applies_to"]
        if c["on_conviction"]:
            entry["on_conviction"] = True
        if c["presumed"]:
            entry["presumed"] = c["presumed"]
        if c["deadlines"]:
            entry["deadlines"] = [d["date"] for d in c["deadlines"]]
        entry["rules"] = sorted({d["rule"] for d in c["derivations"]})
        conclusions.append(entry)
    return {
        "conclusions": conclusions,
        "statuses": [s["id"] for s in result["statuses"]],
        "undetermined": [{"id": u["id"], "status": u["status"], "missing": u["missing"],
                          "rules": u["rules"]} for u in result["undetermined"]],
        "not_applicable": [n["id"] for n in result["not_applicable"]],
        "presumptions": [p["fact"] for p in result["presumptions"]],
        "warnings": [w["code"] for w in result["warnings"]],
    }


@settings(max_examples=40)
@given(batches(max_size=3))
def test_the_lean_form_says_what_the_full_result_says(engine: Engine,
                                                     scenarios: list[dict[str, Any]]) -> None:
    """Every lean line is the full result's ids, statuses, certainties, penalties, missing
    facts and rule ids, nothing more and nothing different."""
    lines = [json.dumps({"facts": nest(flat)}, default=str) for flat in scenarios]
    full = _parse(b"".join(evaluate_lines(lines, engine)))
    lean = _parse(b"".join(evaluate_lines(lines, engine, form="lean")))
    for f, thin in zip(full, lean, strict=True):
        if "error" in f:
            assert thin["error"] == f["error"]
            continue
        expected = {"rulebook": engine.rulebook.fingerprint, **_projected(f["result"])}
        assert thin["result"] == expected


def test_the_lean_form_of_a_case_gives_every_pair(engine: Engine) -> None:
    """For a case of several people, the lean line lists each pair as the full result does."""
    files = sorted(EXAMPLES.glob("case-*.yaml"))
    assert files
    full = _parse(b"".join(evaluate_lines(files, engine)))
    lean = _parse(b"".join(evaluate_lines(files, engine, form="lean")))
    for f, thin in zip(full, lean, strict=True):
        pairs = f["result"]["pairs"]
        assert [(p["accused"], p["victim"]) for p in thin["result"]["pairs"]] == \
            [(p["accused"], p["victim"]) for p in pairs]
        for p, t in zip(pairs, thin["result"]["pairs"], strict=True):
            assert {k: v for k, v in t.items() if k not in ("accused", "victim")} == \
                _projected(p["result"])


def test_the_cli_writes_the_lean_form_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    """--form lean gives smaller lines that say the same; another form is a usage error."""
    source = _jsonl(tmp_path, [json.dumps(GOOD)])
    lean = runner.invoke(app, ["batch", str(source), "--form", "lean"])
    full = runner.invoke(app, ["batch", str(source)])
    assert lean.exit_code == full.exit_code == 0
    assert len(lean.stdout) * 3 < len(full.stdout)
    assert _parse(lean.stdout)[0]["result"]["conclusions"] == _projected(
        _parse(full.stdout)[0]["result"])["conclusions"]
    assert runner.invoke(app, ["batch", str(source), "--form", "thin"]).exit_code == 2
