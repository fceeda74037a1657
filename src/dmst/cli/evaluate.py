"""``dmst evaluate``: one scenario file in, a cited result out."""

from __future__ import annotations

from pathlib import Path

import typer

from dmst.cli._common import Format, app, engine, handle_errors
from dmst.facts.load import load_case_file
from dmst.render import render_text


@app.command()
def evaluate(
    file: Path = typer.Argument(..., help="A scenario file (YAML or JSON) with 'facts:'."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="Output format."),
) -> None:
    """Evaluate a scenario: charges, consequences, defenses barred, protections, tools, gaps."""
    with handle_errors():
        case = load_case_file(file)
        result = engine().evaluate(case.facts)
        if format is Format.json:
            typer.echo(result.model_dump_json(indent=2))
        elif format is Format.markdown:
            from dmst.markdown import render_markdown

            typer.echo(render_markdown(result, case=case), nl=False)
        else:
            typer.echo(render_text(result, title=case.title), nl=False)
