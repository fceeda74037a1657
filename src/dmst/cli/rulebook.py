"""``dmst rules``, ``dmst check`` and ``dmst schema``: the rulebook and the fact schema."""

from __future__ import annotations

import json

import typer

from dmst.cli._common import Format, app, engine, handle_errors
from dmst.facts.load import CaseFile
from dmst.rules.coverage import coverage
from dmst.rules.model import Kind


@app.command()
def rules(
    query: str = typer.Argument(None, help="Show only rules whose id or title contains this."),
    kind: Kind = typer.Option(None, "--kind", "-k", help="Show only rules adding this kind."),
    show: bool = typer.Option(False, "--show", "-s", help="Show each rule in full."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """List the rulebook, one rule a line: id, certainty, title."""
    with handle_errors():
        rulebook = engine().rulebook
        selected = [
            r for r in sorted(rulebook.rules, key=lambda r: (r.area, r.id))
            if (kind is None or r.spec.kind is kind)
            and (not query or query.lower() in (r.id + " " + r.rule.title).lower())
        ]
        if format is Format.json:
            typer.echo(json.dumps(
                [{"file": r.file, "area": r.area, **r.rule.model_dump(mode="json", by_alias=True,
                                                                     exclude_none=True)}
                 for r in selected], indent=2, ensure_ascii=False))
            return
        for r in selected:
            flag = "undecided" if r.silent else r.certainty.value
            typer.echo(f"{r.id:55} {flag:9}  {r.rule.title}")
            if show:
                for alt in r.alternatives:
                    typer.echo("    when " + " and ".join(a.describe() for a in alt))
                if r.rule.unless:
                    typer.echo("    unless " + ", ".join(r.rule.unless))
                typer.echo(f"    then {r.conclusion_id} ({r.spec.kind.value}): {r.spec.title}")
                for c in r.rule.cites:
                    typer.echo(f"    cites \u201c{c.quote}\u201d")
                typer.echo("")
        if not selected:
            typer.echo("No rule matches.", err=True)


@app.command()
def check(
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Check the rulebook and its coverage of the source; exit 1 if a sentence is uncovered."""
    with handle_errors():
        report = coverage(engine().rulebook)
        data = report.to_dict()
        if format is Format.json:
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            cov = data["source_coverage"]
            assert isinstance(cov, dict)
            typer.echo(
                f"Rulebook OK: {data['rules']} rules; every quote found in the source.\n"
                f"Source coverage: {cov['total']} sentences and headings, {cov['cited']} cited by "
                f"rules, {cov['context_only']} context only, {len(cov['uncovered'])} uncovered."
            )
            for sentence in cov["uncovered"]:
                typer.echo(f"  uncovered: {sentence}")
        if report.uncovered:
            raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a scenario file."""
    with handle_errors():
        typer.echo(json.dumps(CaseFile.model_json_schema(), indent=2, ensure_ascii=False))
