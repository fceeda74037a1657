"""What every CLI command shares: the app, error handling and output formats.

Each command parses its arguments, calls the library and prints; library errors become one clear
message on stderr and an exit code, here and nowhere else: 0 ok, 1 an error in the input or the
rulebook, or an output that cannot be written (a full disk, a closed standard output), 2 a usage
error (typer's own), 70 an internal error (a bug; never a traceback unless DMST_DEBUG=1), 130
interrupted. Every message is made printable first: a file name or a value with control
characters in it cannot drive the terminal.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

from dmst._names import Format, View
from dmst._text import printable
from dmst.errors import EXIT_OK, EXIT_USER_ERROR, DmstError, exit_code

if TYPE_CHECKING:
    from pathlib import Path

    from dmst.engine._engine import Engine
    from dmst.facts.load import CaseFile

__all__ = [
    "Command",
    "Format",
    "View",
    "app",
    "echo",
    "emit",
    "engine",
    "fail",
    "handle_errors",
    "read_case",
    "stderr_is_terminal",
    "stdout_is_terminal",
]


class Command(TyperCommand):
    """A command whose usage line names its arguments plainly (``FILE``, not ``{FILE}``)."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p
                for p in super().collect_usage_pieces(ctx)]


def _version(value: bool) -> None:
    if value:
        from dmst._version import __version__

        typer.echo(f"dmst {__version__}")
        raise typer.Exit()


app = typer.Typer(
    name="dmst",
    help=(
        "Mississippi law on domestic minor sex trafficking as cited rules: describe a case as "
        "facts, get the charges, penalties, consequences, barred defenses, victim protections, "
        "investigation tools and gaps, each with the verbatim sentence of the source. "
        "Not legal advice."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def emit(obj: Any, format: Format, *, view: View = View.all, **document: Any) -> None:
    """Print a result, explanation, why-not, diff or what-if in ``format``: JSON (the library's
    models) or a report (text, Markdown, HTML) for ``view``. The one output path of the CLI."""
    document.pop("sources", None) if format is Format.json else None
    if format is Format.json:
        if isinstance(obj, list):
            text = json.dumps([o.model_dump(mode="json") for o in obj], indent=2,
                              ensure_ascii=False)
        else:
            text = obj.model_dump_json(indent=2)
        echo(text)
        return
    from dmst.report import render

    echo(render(obj, format=format.value, view=view.value, **document), nl=False)


def fail(message: str, code: int = 1) -> None:
    """Print an error message (control characters escaped) and exit with ``code``."""
    try:
        typer.echo(f"dmst: error: {printable(message, newlines=True)}", err=True)
    except (OSError, ValueError, AttributeError):
        pass  # no stderr to tell: the exit code still does
    raise typer.Exit(code)


def echo(text: str, *, nl: bool = True) -> None:
    """Write ``text`` to standard output; a closed, full or failing standard output (or one
    whose encoding cannot show the text) is a clean exit 1 through :func:`handle_errors`."""
    if sys.stdout is None:
        raise _Unwritable("it is closed")
    typer.echo(text, nl=nl)


class _Unwritable(Exception):
    """Standard output cannot be written; the message says why."""


#: errno values that mean "this output cannot take what is written to it".
_OUTPUT_ERRNOS = frozenset(getattr(errno, n) for n in (
    "ENOSPC", "EDQUOT", "EFBIG", "EIO", "EBADF", "EROFS", "EINVAL", "ENXIO", "EAGAIN")
    if hasattr(errno, n))


def _silence_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush of what
    could not be written neither fails nor prints."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # no real stdout (tests): nothing to silence


@contextmanager
def handle_errors(*, stdout: bool = True, file: Path | None = None) -> Iterator[None]:
    """Turn library errors into a message and an exit code; never show a traceback.

    ``stdout``: the command writes to standard output, so a closed one is an error at once
    (Python then has no ``sys.stdout`` and would drop everything written to it silently).
    ``file``: the case file the command reads, named by an error that does not name one.
    """
    try:
        if stdout and sys.stdout is None:
            raise _Unwritable("it is closed")
        yield
    except DmstError as exc:
        if file is not None:
            exc = exc.located("<stdin>" if str(file) == "-" else str(file))
        fail(exc.render(), exit_code(exc))
    except BrokenPipeError:
        # the reader went away (``dmst rules | head``): stop quietly
        _silence_stdout()
        raise typer.Exit(EXIT_OK) from None
    except _Unwritable as exc:
        fail(f"cannot write standard output: {exc}", EXIT_USER_ERROR)
    except UnicodeEncodeError as exc:
        _silence_stdout()
        fail(f"cannot write standard output: its encoding ({exc.encoding}) cannot show "
             "this text; set PYTHONIOENCODING=utf-8", EXIT_USER_ERROR)
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            _internal(exc)
        _silence_stdout()
        reason = printable(str(exc.strerror or exc)).lower()
        fail(f"cannot write standard output: {reason}", EXIT_USER_ERROR)
    except KeyboardInterrupt as exc:
        try:
            typer.echo("dmst: interrupted", err=True)
        except (OSError, ValueError, AttributeError):
            pass
        raise typer.Exit(exit_code(exc)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug: say so plainly
        _internal(exc)


def _internal(exc: Exception) -> None:
    if os.environ.get("DMST_DEBUG"):
        raise exc
    fail(
        f"internal error ({type(exc).__name__}: {str(exc)[:500]}). This is a bug in dmst; run "
        "with DMST_DEBUG=1 for the traceback.",
        exit_code(exc),
    )


def read_case(file: Path) -> CaseFile:
    """The scenario or case file ``file``, or standard input for ``-``. Raises
    :class:`~dmst.errors.SourceFileError` or :class:`~dmst.errors.FactError`."""
    from dmst.errors import SourceFileError
    from dmst.facts.load import load_case_file, load_case_stream

    if str(file) != "-":
        return load_case_file(file)
    if sys.stdin is None:
        raise SourceFileError("standard input is closed; give a scenario file", file="<stdin>")
    return load_case_stream(sys.stdin.buffer, name="<stdin>")


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The engine the CLI uses (the shipped rulebook), made on first use: commands that do not
    evaluate never import it."""
    from dmst.engine._engine import Engine

    return Engine()


def stdout_is_terminal() -> bool:
    """True when standard output is a terminal."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def stderr_is_terminal() -> bool:
    """True when standard error is a terminal (where progress is shown)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Mississippi law on domestic minor sex trafficking as cited rules: describe a case as
    facts, get the charges, penalties, consequences, barred defenses, victim protections,
    investigation tools and gaps, each with the verbatim sentence of the source. Not legal
    advice."""
