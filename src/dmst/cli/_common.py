"""What every CLI command shares: the app, error handling and output formats.

Each command parses its arguments, calls the library and prints; library errors become one clear
message on stderr and an exit code, here and nowhere else: 0 ok, 1 an error in the input or the
rulebook, 2 a usage error (typer's own), 70 an internal error (a bug; never a traceback unless
DMST_DEBUG=1).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from functools import lru_cache

import typer

from dmst.engine.engine import Engine
from dmst.errors import EXIT_OK, DmstError, exit_code

__all__ = [
    "Format",
    "app",
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
    """Print an error message and exit with ``code``."""
    typer.echo(f"dmst: error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def handle_errors() -> Iterator[None]:
    """Turn library errors into a message and an exit code; never show a traceback."""
    try:
        yield
    except DmstError as exc:
        fail(exc.render(), exit_code(exc))
    except BrokenPipeError:
        # the reader went away (``dmst rules | head``): stop quietly
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass  # no real stdout (tests): nothing to silence
        raise typer.Exit(EXIT_OK) from None
    except KeyboardInterrupt as exc:
        typer.echo("dmst: interrupted", err=True)
        raise typer.Exit(exit_code(exc)) from None
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug: say so plainly
        if os.environ.get("DMST_DEBUG"):
            raise
        fail(
            f"internal error ({type(exc).__name__}: {exc}). This is a bug in dmst; run with "
            "DMST_DEBUG=1 for the traceback.",
            exit_code(exc),
        )


@lru_cache(maxsize=1)
def engine() -> Engine:
    """The engine the CLI uses (the shipped rulebook)."""
    return Engine()


def stdout_is_terminal() -> bool:
    """True when standard output is a terminal."""
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    """True when standard error is a terminal (where progress is shown)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
