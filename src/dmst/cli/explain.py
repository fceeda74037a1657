"""``dmst explain``, ``dmst why-not``, ``dmst diff`` and ``dmst flips``: how a conclusion was
reached, why another was not, and what changes when the facts change."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import typer

from dmst.cli._common import Format, app, engine, handle_errors
from dmst.facts.load import load_case_file
from dmst.facts.paths import FLIP_FACTS
from dmst.render import (
    render_diff_text,
    render_explanation_text,
    render_flips_text,
    render_why_not_text,
)

_FILE_HELP = "A scenario file (YAML or JSON) with 'facts:'."
_FORMAT_HELP = "Output format: text, json or markdown."


@app.command("explain")
def explain_command(
    file: Path = typer.Argument(..., help=_FILE_HELP),
    conclusion: str = typer.Option(
        None, "--conclusion", "-c",
        help="Explain only this conclusion (or rule) id; it must apply.",
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """Show how each conclusion was reached: its rules, their quotes and the facts they used."""
    with handle_errors():
        from dmst.engine import explain as ex  # loaded only by these commands

        case = load_case_file(file)
        eng = engine()
        result = eng.evaluate(case.facts)
        nodes = ex.explain(result, conclusion, rulebook=eng.rulebook)
        if format is Format.json:
            typer.echo(json.dumps([n.model_dump(mode="json") for n in nodes], indent=2,
                                  ensure_ascii=False))
        elif format is Format.markdown:
            from dmst.markdown import render_explanation_markdown, render_markdown

            if conclusion is None:
                typer.echo(render_markdown(result, case=case, explanations=nodes), nl=False)
            else:
                typer.echo(render_explanation_markdown(nodes, result, case=case), nl=False)
        else:
            if case.title:
                typer.echo(f"{case.title}\n{'=' * min(len(case.title), 100)}\n")
            if not nodes:
                typer.echo("No conclusion applies on the facts given.")
            typer.echo(render_explanation_text(nodes), nl=False)
            if conclusion is None and result.undetermined:
                n = len(result.undetermined)
                typer.echo(
                    f"\n{n} conclusion{'s are' if n != 1 else ' is'} undetermined; "
                    f"'dmst why-not {file} ID' shows what would decide each."
                )
            typer.echo("\n" + textwrap.fill(result.stamp.notice, width=100))


@app.command("why-not")
def why_not_command(
    file: Path = typer.Argument(..., help=_FILE_HELP),
    id: str = typer.Argument(..., help="A conclusion id (or a rule id)."),
    depth: int = typer.Option(
        1, "--depth", "-d", min=0, max=5,
        help="How many levels of conclusions a rule relies on to explain in turn.",
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """Show why a conclusion does not apply: each rule's conditions, holding, failing or unknown."""
    with handle_errors():
        from dmst.engine import explain as ex  # loaded only by these commands

        case = load_case_file(file)
        answer = ex.why_not(engine(), case.facts, id, depth=depth)
        if format is Format.json:
            typer.echo(answer.model_dump_json(indent=2))
        elif format is Format.markdown:
            from dmst.markdown import render_why_not_markdown

            typer.echo(render_why_not_markdown(answer), nl=False)
        else:
            typer.echo(render_why_not_text(answer, file=str(file)), nl=False)


@app.command("diff")
def diff_command(
    a: Path = typer.Argument(..., help="The first scenario file."),
    b: Path = typer.Argument(..., help="The second scenario file."),
    format: Format = typer.Option(Format.text, "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """Compare two scenarios: conclusions that appear, disappear or change, and the facts why."""
    with handle_errors():
        from dmst.engine import explain as ex  # loaded only by these commands

        case_a, case_b = load_case_file(a), load_case_file(b)
        answer = ex.diff(engine(), case_a.facts, case_b.facts)
        label_a, label_b = str(a), str(b)
        if format is Format.json:
            typer.echo(answer.model_dump_json(indent=2))
        elif format is Format.markdown:
            from dmst.markdown import render_diff_markdown

            typer.echo(render_diff_markdown(answer, a=label_a, b=label_b), nl=False)
        else:
            typer.echo(render_diff_text(answer, a=label_a, b=label_b), nl=False)


@app.command("flips")
def flips_command(
    file: Path = typer.Argument(..., help=_FILE_HELP),
    fact: list[str] = typer.Option(
        None, "--fact",
        help="A true/false or whole-number fact to change (repeatable); default: "
        + ", ".join(FLIP_FACTS) + ".",
    ),
    format: Format = typer.Option(Format.text, "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """What if one fact changed: ages across each threshold, true/false facts toggled.

    Unknown facts are set either way. Each change lists the conclusions it adds or removes.
    """
    with handle_errors():
        from dmst.engine import explain as ex  # loaded only by these commands

        case = load_case_file(file)
        report = ex.flips(engine(), case.facts, tuple(fact) if fact else FLIP_FACTS)
        if format is Format.json:
            typer.echo(report.model_dump_json(indent=2))
        elif format is Format.markdown:
            from dmst.markdown import render_flips_markdown

            typer.echo(render_flips_markdown(report, title=case.title), nl=False)
        else:
            typer.echo(render_flips_text(report, title=case.title), nl=False)
