"""``dmst evaluate``: one scenario file in, a cited result out."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from dmst.cli._common import Format, app, echo, engine, handle_errors
from dmst.errors import SourceFileError
from dmst.facts.load import CaseFile, load_case_file, load_case_stream
from dmst.render import render_text


@app.command()
def evaluate(
    file: Path = typer.Argument(
        ..., help="A scenario file (YAML or JSON) with 'facts:', or '-' for standard input."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
) -> None:
    """Evaluate a scenario: charges, consequences, defenses barred, protections, tools, gaps."""
    with handle_errors():
        case = _read(file)
        result = engine().evaluate(case.facts)
        if format is Format.json:
            echo(result.model_dump_json(indent=2))
        elif format is Format.markdown:
            from dmst.markdown import render_markdown

            echo(render_markdown(result, case=case), nl=False)
        else:
            echo(render_text(result, title=case.title), nl=False)


def _read(file: Path) -> CaseFile:
    if str(file) != "-":
        return load_case_file(file)
    if sys.stdin is None:
        raise SourceFileError("standard input is closed; give a scenario file",
                              file="<stdin>")
    return load_case_stream(sys.stdin.buffer, name="<stdin>")
