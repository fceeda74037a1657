"""``dmst explain``, ``dmst why-not``, ``dmst diff`` and ``dmst flips``: how a conclusion was
reached, why another was not, and what changes when the facts change."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dmst.cli._common import Command, Format, app, emit, engine, handle_errors, read_case
from dmst.cli.evaluate import FILE_HELP, FormatOption, StrictOption
from dmst.facts._flips import FLIP_FACTS

#: The pair of a case of several people a command looks at.
AccusedOption = Annotated[str | None, typer.Option(
    "--accused", metavar="ID",
    help="In a case of several people: the accused of the pair to look at.")]
VictimOption = Annotated[str | None, typer.Option(
    "--victim", metavar="ID",
    help="In a case of several people: the victim of the pair to look at.")]


@app.command("explain", cls=Command)
def explain_command(
    file: Path = typer.Argument(..., help=FILE_HELP, metavar="FILE"),
    conclusion: str = typer.Option(
        None, "--conclusion", "-c", metavar="ID",
        help="Explain only this conclusion (or rule) id; it must apply.",
    ),
    accused: AccusedOption = None,
    victim: VictimOption = None,
    format: FormatOption = Format.text,
    strict: StrictOption = False,
) -> None:
    """Show how each conclusion was reached: its rules, their quotes and the facts they used."""
    with handle_errors(file=file):
        from dmst.engine.explain import explain
        from dmst.engine.whatif import pair_index

        case = read_case(file)
        eng = engine()
        k = pair_index(case.facts, accused, victim)
        result = eng.evaluate(case.facts, presume=not strict)
        where = ""
        if case.is_case:
            result = result.pairs[k].result
            where = " (accused {}, victim {})".format(*case.facts.pairs()[k][:2])
        nodes = explain(result, conclusion, rulebook=eng.rulebook)
        emit(nodes, format, title=f"How it was reached: {case.title or file.name}{where}",
             undetermined=0 if conclusion else len(result.undetermined), stamp=eng.stamp)


@app.command("why-not", cls=Command)
def why_not_command(
    file: Path = typer.Argument(..., help=FILE_HELP, metavar="FILE"),
    id: str = typer.Argument(..., help="A conclusion id (or a rule id).", metavar="ID"),
    accused: AccusedOption = None,
    victim: VictimOption = None,
    depth: int = typer.Option(
        1, "--depth", "-d", min=0, max=5,
        help="How many levels of conclusions a rule relies on to explain in turn.",
    ),
    format: FormatOption = Format.text,
    strict: StrictOption = False,
) -> None:
    """Show why a conclusion does or does not apply: each rule's conditions, holding, failing or
    unknown, and what the missing facts would make of it."""
    with handle_errors(file=file):
        from dmst.engine.whynot import why_not

        case = read_case(file)
        answer = why_not(engine(), case.facts, id, accused=accused, victim=victim, depth=depth,
                         presume=not strict)
        emit(answer, format, file=str(file))


@app.command("diff", cls=Command)
def diff_command(
    a: Path = typer.Argument(..., help="The first scenario or case file.", metavar="A"),
    b: Path = typer.Argument(..., help="The second scenario or case file.", metavar="B"),
    format: FormatOption = Format.text,
    strict: StrictOption = False,
) -> None:
    """Compare two cases: conclusions that appear, disappear or change, and the facts why."""
    with handle_errors():
        from dmst.engine.whatif import diff

        answer = diff(engine(), read_case(a).facts, read_case(b).facts, presume=not strict)
        emit(answer, format, compare=(str(a), str(b)))


@app.command("flips", cls=Command)
def flips_command(
    file: Path = typer.Argument(..., help=FILE_HELP, metavar="FILE"),
    fact: list[str] = typer.Option(
        None, "--fact", metavar="PATH",
        help="A true/false or whole-number fact to change (repeatable); default: "
        + ", ".join(FLIP_FACTS) + ".",
    ),
    accused: AccusedOption = None,
    victim: VictimOption = None,
    format: FormatOption = Format.text,
    strict: StrictOption = False,
) -> None:
    """What if one fact changed: ages across each threshold, true/false facts toggled.

    Unknown facts are set either way. Each change lists the conclusions it adds or removes.
    """
    with handle_errors(file=file):
        from dmst.engine.whatif import flips

        case = read_case(file)
        report = flips(engine(), case.facts, tuple(fact) if fact else FLIP_FACTS,
                       accused=accused, victim=victim, presume=not strict)
        emit(report, format, title=case.title)
