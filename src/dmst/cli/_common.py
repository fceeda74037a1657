"""What every CLI command shares: the app, error handling and output formats.

Each command parses its arguments, calls the library and prints; library errors become one clear
message on stderr and an exit code, here and nowhere else: 0 ok, 1 an error in the input or the
rulebook, 2 a usage error (typer's own), 70 an internal error (a bug; never a traceback unless
DMST_DEBUG=1).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand

from dmst.errors import EXIT_OK, DmstError, exit_code

if TYPE_CHECKING:
    from dmst.engine._engine import Engine

__all__ = [
    "Command",
    "Format",
    "View",
    "app",
    "emit",
    "engine",
    "fail",
    "handle_errors",
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


class Format(str, Enum):
    """Output formats."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


class View(str, Enum):
    """Readers a report is written for."""

    all = "all"
    prosecutor = "prosecutor"
    advocate = "advocate"
    investigator = "investigator"


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
        typer.echo(text)
        return
    from dmst.report import render

    typer.echo(render(obj, format=format.value, view=view.value, **document), nl=False)


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
    """The engine the CLI uses (the shipped rulebook), made on first use: commands that do not
    evaluate never import it."""
    from dmst.engine._engine import Engine

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


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Mississippi law on domestic minor sex trafficking as cited rules: describe a case as
    facts, get the charges, penalties, consequences, barred defenses, victim protections,
    investigation tools and gaps, each with the verbatim sentence of the source. Not legal
    advice."""
