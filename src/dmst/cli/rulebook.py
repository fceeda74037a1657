"""``dmst rules``, ``dmst check`` and ``dmst schema``: the rulebook and the fact schema."""

from __future__ import annotations

import json

import typer

from dmst.cli._common import Command, Format, app, handle_errors
from dmst.rules._kinds import Kind


def _rulebook(cache: bool = True):  # type: ignore[no-untyped-def]
    """The shipped rulebook, loaded and checked, without compiling an engine (``cache=False``:
    read and checked from its files whatever the cache holds)."""
    from dmst.rules import load_rulebook

    return load_rulebook(cache=cache)


@app.command(cls=Command)
def rules(
    query: str = typer.Argument(None, help="Show only rules whose id or title contains this."),
    kind: Kind = typer.Option(None, "--kind", "-k", help="Show only rules adding this kind."),
    show: bool = typer.Option(False, "--show", "-s", help="Show each rule in full."),
    offenses: bool = typer.Option(
        False, "--offenses", help="List the offense ids (for convicted_of and charged_with)."),
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """List the rulebook, one rule a line: id, certainty, title."""
    with handle_errors():
        rulebook = _rulebook()
        if offenses:
            table = rulebook.meta.offenses
            if format is Format.json:
                typer.echo(json.dumps(table, indent=2, ensure_ascii=False))
            else:
                for oid, title in table.items():
                    typer.echo(f"{oid:30} {title}")
            return
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
            flag = "source silent" if r.silent else r.certainty.value.replace("_", " ")
            typer.echo(f"{r.id:55} {flag:13}  {r.rule.title}")
            if show:
                for alt in r.alternatives:
                    typer.echo("    when " + (" and ".join(rulebook.describe(a) for a in alt)
                                              or "always"))
                if r.rule.unless:
                    typer.echo("    unless " + ", ".join(r.rule.unless))
                typer.echo(f"    then {r.conclusion_id} ({r.spec.kind.value}): {r.spec.title}")
                for c in r.rule.cites:
                    typer.echo(f"    cites \u201c{c.quote}\u201d")
                typer.echo("")
        if not selected:
            typer.echo("No rule matches.", err=True)


@app.command(cls=Command)
def check(
    format: Format = typer.Option(Format.text, "--format", "-f", help="text or json."),
) -> None:
    """Check the rulebook and its coverage of the source; exit 1 if a sentence is uncovered.

    Loading checks every quote, figure, fact, parameter and reference, and that no result can
    give and deny one topic (always from the files, whatever the cache holds); a rulebook
    failing any is refused with the problems named. The
    rulebook is then compiled and tried on the cases that reach the most conditions at once, so
    that one too large for the rule engine is refused here."""
    with handle_errors():
        from dmst.engine._engine import Engine
        from dmst.rules._coverage import coverage

        rulebook = _rulebook(cache=False)
        Engine(rulebook)  # an engine made with a rulebook of its own checks its capacity
        report = coverage(rulebook)
        data = report.to_dict()
        if format is Format.json:
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            cov = data["source_coverage"]
            assert isinstance(cov, dict)
            typer.echo(
                f"Rulebook OK: {data['rules']} rules; every quote found in the source; every "
                f"figure in its quote; {len(rulebook.meta.parameters)} parameters checked "
                "against their quotes; no result can give and deny one topic; within the rule "
                "engine's capacity.\n"
                f"Source coverage: {cov['total']} sentences and headings, {cov['cited']} cited by "
                f"rules, {cov['context_only']} context only, {len(cov['uncovered'])} uncovered."
            )
            for sentence in cov["uncovered"]:
                typer.echo(f"  uncovered: {sentence}")
        if report.uncovered:
            raise typer.Exit(1)


@app.command(cls=Command)
def schema() -> None:
    """Print the JSON Schema of a scenario or case file."""
    with handle_errors():
        from dmst.facts.load import CaseFile

        typer.echo(json.dumps(CaseFile.model_json_schema(), indent=2, ensure_ascii=False))
