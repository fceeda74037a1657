"""``dmst batch``: many scenarios in, one JSON line out for each, in order."""

from __future__ import annotations

import io
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

import typer

from dmst._text import printable
from dmst.cli._common import Command, app, engine, handle_errors, stderr_is_terminal
from dmst.errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USER_ERROR, DmstError

if TYPE_CHECKING:
    from dmst.batch import Input, Summary


class Form(str, Enum):
    """The form of each result line."""

    full = "full"
    lean = "lean"


_HELP = (
    "Evaluate many scenarios: one JSON line out for each line in, in order.\n\n"
    'Each output line is {"line": n, "result": {...}} or {"line": n, "error": {...}} (with '
    '"file" for a directory). A bad line gets an error line and the run goes on; a blank line '
    "is skipped and counted; a summary goes to stderr. Exit 0 if every line succeeded, 1 if "
    "any failed, 130 if interrupted (Ctrl-C, SIGTERM or SIGHUP: the output then holds complete "
    "lines only, and the summary counts exactly those)."
)


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class _Signals:
    """SIGINT, SIGTERM and SIGHUP end the run between two chunks of output, never inside one.

    Outside a hold, a signal raises :class:`Interrupted` at once (in the main thread, where
    Python runs signal handlers, whichever thread the signal reached). Inside a hold (a chunk
    being written and counted) the first signal is kept and raised when the hold ends; a second
    one there ends the run at once (an output nobody reads can block a write forever).
    """

    _NAMES = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self._held = False
        self._pending: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for name in self._NAMES:
                sig = getattr(signal, name, None)
                if sig is not None:
                    self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._held and self._pending is None:
            self._pending = signum
            return
        raise Interrupted(signum)

    @contextmanager
    def hold(self) -> Iterator[None]:
        if self._held:
            yield
            return
        self._held = True
        try:
            yield
        except BaseException:
            self._held = False
            self._pending = None
            raise
        self._held = False
        pending, self._pending = self._pending, None
        if pending is not None:
            raise Interrupted(pending)


@app.command(help=_HELP, cls=Command)
def batch(
    input: str = typer.Argument(
        ...,
        help="A JSON Lines file (one scenario a line: a JSON object with 'facts' and optional "
        "title, narrative, expected), '-' for standard input, or a directory of scenario files "
        "(YAML or JSON, taken in name order; only regular files are read).",
    ),
    output: Path = typer.Option(
        None, "--output", "-o",
        help="Write the results to this file (default: standard output). It only ever holds "
        "complete lines, even if the run is interrupted.",
    ),
    jobs: int = typer.Option(
        1, "--jobs", "-j", min=1,
        help="Worker processes (each with its own engine), at most the cores available: more "
        "is reduced to that, with a note. The output order is the same.",
    ),
    progress: bool = typer.Option(
        None, "--progress/--no-progress",
        help="Show progress on stderr (default: when stderr is a terminal).",
    ),
    strict: bool = typer.Option(False, "--strict", help="Make no presumption."),
    form: Form = typer.Option(
        Form.full, "--form",
        help="full: each result as 'dmst evaluate -f json' gives it, quotes included; lean: "
        "ids, statuses, penalties, missing facts and the ids of the rules each conclusion rests "
        "on (their quotes: 'dmst rules --format json'), about a sixth of the size.",
    ),
) -> None:
    """Evaluate many scenarios: one JSON line out for each line in, in order."""
    with handle_errors(stdout=output is None):
        from dmst.batch import Input, Summary, available_cores, run_batch  # only this command

        cores = available_cores()
        if jobs > cores:
            _note(f"--jobs {jobs} is more than the {cores} core{'s' if cores != 1 else ''} "
                  f"available: using {cores}")
            jobs = cores
        show = stderr_is_terminal() if progress is None else progress
        summary = Summary()
        started = time.monotonic()
        bar = _Progress(started) if show else None
        with _Signals() as signals:
            try:
                reader = Input(_stdin(), name="<stdin>") if input == "-" else Input(input)
                run_batch(
                    reader,
                    output if output is not None else _stdout(),
                    jobs=jobs,
                    engine=engine() if jobs == 1 else None,
                    presume=not strict,
                    form=form.value,
                    progress=bar,
                    summary=summary,
                    hold=signals.hold,
                    output_name=str(output) if output is not None else "standard output",
                )
            except KeyboardInterrupt as exc:
                _clear(bar)
                how = _signal_name(exc)
                _note(f"interrupted{how} after {summary.lines:,} lines ({summary.ok:,} ok, "
                      f"{summary.failed:,} failed){_blank(summary)}; the output holds exactly "
                      "these, complete lines only")
                _skipped(summary)
                raise typer.Exit(EXIT_INTERRUPTED) from None
            except DmstError:
                _clear(bar)
                raise
        _clear(bar)
        seconds = max(time.monotonic() - started, 1e-9)
        _note(
            f"{summary.ok:,} ok, {summary.failed:,} failed, {summary.lines:,} lines "
            f"in {seconds:.1f}s ({summary.lines / seconds:,.0f} a second){_blank(summary)}"
            + ("; failed lines have an \"error\" entry in the output" if summary.failed else "")
        )
        _skipped(summary)
        raise typer.Exit(EXIT_USER_ERROR if summary.failed else EXIT_OK)


def _note(text: str) -> None:
    try:
        typer.echo(f"dmst batch: {printable(text, newlines=True)}", err=True)
    except (OSError, ValueError, AttributeError):
        pass  # no stderr to tell: the exit code still does


def _blank(summary: Summary) -> str:
    if not summary.blank:
        return ""
    return f"; {summary.blank:,} blank line{'s' if summary.blank != 1 else ''} skipped"


def _skipped(summary: Summary) -> None:
    if summary.ignored:
        _note(f"{summary.ignored:,} other entr{'ies' if summary.ignored != 1 else 'y'} of the "
              "directory not read (only .yaml, .yml and .json files that are not hidden)")
    if summary.skipped:
        _note(f"skipped {len(summary.skipped):,} entr{'ies' if len(summary.skipped) != 1 else 'y'}"
              " of the directory: " + "; ".join(f"{name}: {why}" for name, why in summary.skipped))


def _signal_name(exc: BaseException) -> str:
    signum = getattr(exc, "signum", None)
    if signum is None or signum == signal.SIGINT:
        return ""
    try:
        return f" ({signal.Signals(signum).name})"
    except ValueError:
        return f" (signal {signum})"


def _stdin() -> IO[bytes]:
    if sys.stdin is None:
        raise DmstError("cannot read standard input: it is closed")
    return sys.stdin.buffer


def _stdout() -> int | IO[bytes]:
    """Standard output as a descriptor where there is one (no Python buffering in between)."""
    if sys.stdout is None:
        raise DmstError("cannot write standard output: it is closed; give -o FILE")
    sys.stdout.flush()
    try:
        return sys.stdout.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return sys.stdout.buffer


class _Progress:
    """A progress bar on stderr: lines written, failures, rate, share of the input and the time
    left (rich draws it; it is redrawn only when the run reports, never from another thread)."""

    def __init__(self, started: float) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self.started = started
        self.bar = Progress(
            TextColumn("  {task.fields[lines]} lines, {task.fields[failed]} failed, "
                       "{task.fields[rate]} a second"),
            BarColumn(), TaskProgressColumn(), TimeRemainingColumn(),
            console=Console(stderr=True, force_terminal=True), auto_refresh=False,
            transient=True,
        )
        self.task = self.bar.add_task("batch", total=None, lines="0", failed="0", rate="0")
        self.bar.start()

    def __call__(self, summary: Summary, reader: Input) -> None:
        seconds = max(time.monotonic() - self.started, 1e-9)
        try:
            self.bar.update(self.task, total=reader.total or None, completed=reader.done,
                            lines=f"{summary.lines:,}", failed=f"{summary.failed:,}",
                            rate=f"{summary.lines / seconds:,.0f}")
            self.bar.refresh()
        except (OSError, ValueError, AttributeError):
            pass

    def close(self) -> None:
        """Take the bar off the screen."""
        try:
            self.bar.stop()
        except (OSError, ValueError, AttributeError):
            pass


def _clear(progress: _Progress | None) -> None:
    if progress is not None:
        progress.close()
