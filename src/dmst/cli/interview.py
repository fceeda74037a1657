"""``dmst interview``: ask about a case's unknown facts in the terminal, most useful first, and
write the completed scenario file. The conversation itself is :mod:`dmst.interview`; this
module reads lines, chooses the files and writes the result."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import typer

from dmst.cli._common import Command, app, engine, fail, handle_errors
from dmst.cli.evaluate import StrictOption
from dmst.errors import EXIT_INTERRUPTED, InputError

_DEFAULT = "case.yaml"


def _answers(echo: Callable[[str], Any]) -> Iterator[str]:
    """Lines typed by the user (the interview has written the prompt). When the answers come
    from a file or a pipe, each is echoed so the transcript reads as a conversation."""
    typed = sys.stdin.isatty()
    while True:
        try:
            line = input()
        except EOFError:
            return
        if not typed:
            echo(line + "\n")
        yield line


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _target(file: Path | None, output: str | None) -> Path | None:
    """Where the completed file goes (None: standard output). Refuses, before any question,
    the input itself, a directory, a missing directory, and (with no file and no ``-o``) an
    existing ``case.yaml``."""
    if output == "-":
        return None
    if output is not None:
        target = Path(output)
    elif file is not None:
        target = file.with_name(file.stem + ".completed.yaml")
    else:
        target = Path(_DEFAULT)
        if target.exists():
            raise InputError(f"{_DEFAULT} already exists: continue it with 'dmst interview "
                             f"{_DEFAULT}', or name another output with -o")
    if file is not None and _same_file(file, target):
        raise InputError(f"the output {target} is the input file; the interview never "
                         "overwrites its input: name another output with -o")
    if target.is_dir():
        raise InputError(f"the output {target} is a directory; give a file name with -o")
    if not target.parent.is_dir():
        raise InputError(f"the directory of the output {target} does not exist")
    return target


def _write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` whole or not at all (a temporary file renamed)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _save(outcome: Any, case_file: Any, target: Path | None, say: TextIO) -> None:
    from dmst.interview import scenario_yaml

    unknown = outcome.unknown
    comments = [f"Completed with dmst interview: {len(outcome.answers)} answered, "
                f"{len(unknown)} left unknown" + (": " + ", ".join(unknown) if unknown else "")
                + "."]
    if case_file is not None and case_file.expected is not None:
        comments.append("The input's expected conclusions are left out: they were written "
                        "for the input.")
    text = scenario_yaml(
        outcome.case, comments=comments,
        title=case_file.title if case_file else None,
        narrative=case_file.narrative if case_file else None,
        case_id=case_file.case_id if case_file else None,
    )
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        _write(target, text)
    except OSError as exc:
        sys.stdout.write(text)
        fail(f"cannot write {target} ({exc.strerror or exc}); the completed scenario is printed "
             "above")
    say.write(f"Wrote {target}. See the result with: dmst evaluate {target}\n")


@app.command("interview", cls=Command)
def interview_command(
    file: Path = typer.Argument(
        None, metavar="FILE",
        help="A scenario or case file (YAML or JSON) to complete; none: start from an empty case.",
    ),
    output: str = typer.Option(
        None, "--output", "-o", metavar="OUT",
        help="Where to write the completed scenario file ('-': standard output). Default: "
        "FILE.completed.yaml, or case.yaml with no FILE. Never the input.",
    ),
    accused: str = typer.Option(
        None, "--accused", metavar="ID",
        help="In a case of several people: the accused of the pair to ask about.",
    ),
    victim: str = typer.Option(
        None, "--victim", metavar="ID",
        help="In a case of several people: the victim of the pair to ask about.",
    ),
    strict: StrictOption = False,
) -> None:
    """Ask the most useful question about a case, one at a time; show what each answer
    changes; write the completed scenario file.

    'unknown' (or Enter) moves on, 'help' explains a question, 'q' or Ctrl-D stops and writes
    what was gathered.
    """
    with handle_errors():
        from dmst.facts.load import load_case_file
        from dmst.interview import Interview

        case_file = load_case_file(file) if file is not None else None
        target = _target(file, output)
        say = sys.stderr if target is None else sys.stdout

        def write(text: str) -> None:
            say.write(text)
            say.flush()

        try:
            interview = Interview(engine(), case_file.facts if case_file else None,
                                  accused=accused, victim=victim, strict=strict, write=write)
        except InputError as exc:
            if exc.field in ("accused", "victim"):
                fail(f"{exc.message} (--accused ID --victim ID)")
            raise
        try:
            outcome = interview.run(_answers(write))
        except BaseException:
            _save(interview.outcome("interrupted"), case_file, target, say)
            raise
        _save(outcome, case_file, target, say)
        if outcome.stopped == "interrupted":
            raise typer.Exit(EXIT_INTERRUPTED)
