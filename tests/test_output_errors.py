"""Output that cannot be written: a full disk, a closed standard output, text that is not
Unicode. Each is a clean exit 1 with one message
saying what could not be written and why, never a traceback, never exit 0 having written
nothing, never exit 70."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES

EXAMPLE = EXAMPLES / "trafficker-pimp-15.yaml"
FULL = Path("/dev/full")
needs_dev_full = pytest.mark.skipif(not FULL.exists(), reason="needs /dev/full (a full disk)")


def _dmst(*args: str, stdin: bytes | None = None, close_stdout: bool = False,
          stdout: object = subprocess.PIPE, env: dict[str, str] | None = None
          ) -> subprocess.CompletedProcess[bytes]:
    script = Path(sys.executable).with_name("dmst")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dmst"]
    return subprocess.run(
        [*command, *args], input=stdin, stdout=stdout, stderr=subprocess.PIPE,
        preexec_fn=(lambda: os.close(1)) if close_stdout else None,
        env={**os.environ, **(env or {})}, timeout=120, check=False,
    )


def _clean_failure(proc: subprocess.CompletedProcess[bytes], phrase: str) -> None:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert err.startswith("dmst: error: ") and err.count("dmst: error: ") == 1, err
    assert phrase in err, err


@needs_dev_full
@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_evaluate_to_a_full_disk(fmt: str) -> None:
    """`dmst evaluate CASE > /dev/full` says the output cannot be written: no space left."""
    with FULL.open("wb") as full:
        proc = _dmst("evaluate", str(EXAMPLE), "-f", fmt, stdout=full)
    _clean_failure(proc, "cannot write standard output: no space left on device")


@needs_dev_full
def test_batch_to_a_full_disk_named_with_o(tmp_path: Path) -> None:
    """`dmst batch IN -o /dev/full` names the output and the reason."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"facts": {"victim": {"age": 15}}}) + "\n", encoding="utf-8")
    proc = _dmst("batch", str(src), "-o", str(FULL))
    _clean_failure(proc, f"cannot write {FULL}: no space left on device")


@needs_dev_full
def test_batch_standard_output_to_a_full_disk() -> None:
    """`dmst batch - > /dev/full` says standard output cannot be written."""
    line = (json.dumps({"facts": {"victim": {"age": 15}}}) + "\n").encode()
    with FULL.open("wb") as full:
        proc = _dmst("batch", "-", stdin=line * 3, stdout=full)
    _clean_failure(proc, "cannot write standard output: no space left on device")


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX file descriptors")
@pytest.mark.parametrize("command", [["evaluate", str(EXAMPLE)], ["batch", "-"],
                                     ["explain", str(EXAMPLE)]])
def test_a_closed_standard_output_is_an_error_not_silence(command: list[str]) -> None:
    """With standard output closed (`>&-`), the command exits 1 saying so, instead of exit 0
    having written nothing."""
    line = (json.dumps({"facts": {"victim": {"age": 15}}}) + "\n").encode()
    proc = _dmst(*command, stdin=line, stdout=None, close_stdout=True)
    _clean_failure(proc, "cannot write standard output: it is closed")


@pytest.mark.skipif(os.name != "posix", reason="needs POSIX file descriptors")
def test_batch_with_an_output_file_does_not_need_standard_output(tmp_path: Path) -> None:
    """`dmst batch IN -o OUT >&-` writes OUT and exits 0: standard output is not used."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"facts": {"victim": {"age": 15}}}) + "\n", encoding="utf-8")
    proc = _dmst("batch", str(src), "-o", str(tmp_path / "out.jsonl"), stdout=None,
                 close_stdout=True)
    assert proc.returncode == 0, proc.stderr
    assert len((tmp_path / "out.jsonl").read_bytes().splitlines()) == 1


@pytest.mark.parametrize(("name", "text"), [
    ("lone.yaml", 'title: "A \\ud800 title"\nfacts: {victim: {age: 15}}\n'),
    ("lone.json", '{"title": "A \\udc00 title", "facts": {"victim": {"age": 15}}}'),
])
@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_a_lone_surrogate_in_a_title_is_refused_by_name(tmp_path: Path, name: str, text: str,
                                                        fmt: str) -> None:
    """A title holding half a UTF-16 pair cannot be written as UTF-8 in any format: it is
    refused when read, naming the field, so no output is half written."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    proc = _dmst("evaluate", str(path), "-f", fmt)
    _clean_failure(proc, "- title: ")
    assert b"is not Unicode text" in proc.stderr and proc.stdout == b""


def test_a_surrogate_pair_escape_is_one_character(tmp_path: Path) -> None:
    """"\\ud83d\\ude00" (JSON's way to write one emoji) is that one character, in YAML too."""
    path = tmp_path / "pair.yaml"
    path.write_text('title: "Emoji \\ud83d\\ude00"\nfacts: {}\n', encoding="utf-8")
    proc = _dmst("evaluate", str(path), "-f", "text")
    assert proc.returncode == 0, proc.stderr
    assert "Emoji \U0001F600" in proc.stdout.decode("utf-8")
