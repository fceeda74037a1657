"""``dmst evaluate``: one scenario or case file in, a cited result out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmst.cli._common import Command, Format, View, app, emit, engine, handle_errors, read_case

FILE_HELP = "A scenario or case file (YAML or JSON) with 'facts:', or '-' for standard input."
STRICT_HELP = "Make no presumption (a case silent on the decoy leaves it unknown)."
#: The options every command answering about a case shares.
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
StrictOption = Annotated[bool, typer.Option("--strict", help=STRICT_HELP)]


@app.command(cls=Command)
def evaluate(
    file: Path = typer.Argument(..., help=FILE_HELP, metavar="FILE"),
    format: FormatOption = Format.text,
    view: View = typer.Option(View.all, "--for", help="The reader the report is for."),
    strict: StrictOption = False,
    sources: bool = typer.Option(
        False, "--sources", help="Quote the source's sentence behind each conclusion (always in "
        "Markdown and HTML)."),
) -> None:
    """Evaluate a case: charges, consequences, defenses barred, protections, tools, gaps."""
    with handle_errors(file=file):
        case = read_case(file)
        result = engine().evaluate_file(case, presume=not strict)
        emit(result, format, view=view, title=case.title, narrative=case.narrative,
             case_id=case.case_id, sources=True if sources else None)
