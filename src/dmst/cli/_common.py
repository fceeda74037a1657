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
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from functools import lru_cache

import typer

from dmst._text import printable
from dmst.engine.engine import Engine
from dmst.errors import EXIT_OK, EXIT_USER_ERROR, DmstError, exit_code

__all__ = [
    "Format",
    "app",
    "echo",
    "engine",
    "fail",
    "handle_errors",
    "stderr_is_terminal",
    "stdout_is_terminal",
]

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
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    """Output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


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
def handle_errors(*, stdout: bool = True) -> Iterator[None]:
    """Turn library errors into a message and an exit code; never show a traceback.

    ``stdout``: the command writes to standard output, so a closed one is an error at once
    (Python then has no ``sys.stdout`` and would drop everything written to it silently).
    """
    try:
        if stdout and sys.stdout is None:
            raise _Unwritable("it is closed")
        yield
    except DmstError as exc:
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


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The engine the CLI uses (the shipped rulebook)."""
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
