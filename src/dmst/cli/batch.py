"""``dmst batch``: many scenarios in, one JSON line out for each, in order."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

import typer

from dmst.cli._common import Command, app, engine, handle_errors, stderr_is_terminal
from dmst.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USER_ERROR

if TYPE_CHECKING:
    from dmst.batch import Input, Summary

_HELP = (
    "Evaluate many scenarios: one JSON line out for each line in, in order.\n\n"
    'Each output line is {"line": n, "result": {...}} or {"line": n, "error": {...}} (with '
    '"file" for a directory). A bad line gets an error line and the run goes on; a summary goes '
    "to stderr. Exit 0 if every line succeeded, 1 if any failed."
)


@app.command(help=_HELP, cls=Command)
def batch(
    input: str = typer.Argument(
        ...,
        help="A JSON Lines file (one scenario a line: a JSON object with 'facts' and optional "
        "title, narrative, expected), '-' for standard input, or a directory of scenario files "
        "(YAML or JSON, taken in name order).",
    ),
    output: Path = typer.Option(
        None, "--output", "-o",
        help="Write the results to this file (default: standard output). It only ever holds "
        "complete lines, even if the run is interrupted.",
    ),
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1, max=256,
        help="Worker processes (each with its own engine); the output order is the same.",
    ),
    progress: bool = typer.Option(
        None, "--progress/--no-progress",
        help="Show progress on stderr (default: when stderr is a terminal).",
    ),
    strict: bool = typer.Option(False, "--strict", help="Make no presumption."),
) -> None:
    """Evaluate many scenarios: one JSON line out for each line in, in order."""
    with handle_errors():
        from dmst.batch import Input, Summary, run_batch  # loaded only by this command

        show = stderr_is_terminal() if progress is None else progress
        reader = Input(_stdin(), name="<stdin>") if input == "-" else Input(input)
        summary = Summary()
        started = time.monotonic()
        try:
            run_batch(
                reader,
                output if output is not None else _stdout(),
                jobs=jobs,
                engine=engine() if jobs == 1 else None,
                presume=not strict,
                progress=_Progress(started) if show else None,
                summary=summary,
            )
        except KeyboardInterrupt:
            _clear(show)
            typer.echo(
                f"dmst batch: interrupted after {summary.lines:,} lines ({summary.ok:,} ok, "
                f"{summary.failed:,} failed); the output holds complete lines only",
                err=True,
            )
            raise typer.Exit(EXIT_INTERRUPTED) from None
        _clear(show)
        seconds = max(time.monotonic() - started, 1e-9)
        typer.echo(
            f"dmst batch: {summary.ok:,} ok, {summary.failed:,} failed, {summary.lines:,} lines "
            f"in {seconds:.1f}s ({summary.lines / seconds:,.0f} a second)"
            + ("; failed lines have an \"error\" entry in the output" if summary.failed else ""),
            err=True,
        )
        raise typer.Exit(EXIT_USER_ERROR if summary.failed else EXIT_OK)


def _stdin() -> IO[bytes]:
    return sys.stdin.buffer


def _stdout() -> int | IO[bytes]:
    """Standard output as a descriptor where there is one (no Python buffering in between)."""
    sys.stdout.flush()
    try:
        return sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return sys.stdout.buffer


class _Progress:
    """A one-line progress display on stderr."""

    def __init__(self, started: float) -> None:
        self.started = started

    def __call__(self, summary: Summary, reader: Input) -> None:
        seconds = max(time.monotonic() - self.started, 1e-9)
        text = f"  {summary.lines:,} lines, {summary.failed:,} failed, " \
               f"{summary.lines / seconds:,.0f} a second"
        if reader.total:
            text += f", {min(reader.done / reader.total, 1.0):.0%}"
        sys.stderr.write("\r" + text + "\x1b[K")
        sys.stderr.flush()


def _clear(shown: bool) -> None:
    if shown:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()
