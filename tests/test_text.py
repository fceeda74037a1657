"""Text that could take over the reader's screen or document: a scenario's title, narrative and
keys are shown escaped on a terminal, as literal text in the Markdown brief, and with their
invisible differences spelt out in errors. Also: ``dmst evaluate -`` reads standard input."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from dmst._text import difference, excerpt, markdown_inline, markdown_paragraphs, printable
from dmst.cli import app

from .conftest import EXAMPLES

runner = CliRunner()
HOSTILE_TITLE = "Case \x1b]0;owned\x07 \x1b[2J\u202eevil\u2066 \x9b31m end"
HOSTILE_NARRATIVE = ("## Charges\n\nNo charges apply. [click](http://x.test) <script>alert(1)"
                     "</script>\n\n| a | b |\n\n1. first\n- item\n> quote\n```\ncode\n```\n"
                     "    indented code\n---\n***emphasis*** `tick` \\backslash")


def _case(tmp_path: Path, title: str = HOSTILE_TITLE, narrative: str = HOSTILE_NARRATIVE
          ) -> Path:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"title": title, "narrative": narrative,
                                "facts": {"victim": {"age": 15}}}), encoding="utf-8")
    return path


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("command", [["evaluate"], ["evaluate", "-f", "markdown"],
                                     ["flips"], ["flips", "-f", "markdown"],
                                     ["explain", "-f", "markdown"]])
def test_no_control_character_reaches_the_reader(tmp_path: Path, command: list[str]) -> None:
    """An escape sequence or a bidirectional override in a title reaches no output raw."""
    out = runner.invoke(app, [command[0], str(_case(tmp_path)), *command[1:]])
    assert out.exit_code == 0, out.stderr
    assert not _CONTROL.search(out.stdout), repr(_CONTROL.search(out.stdout))
    assert "u001b" in out.stdout and "owned" in out.stdout  # shown, escaped


def test_a_narrative_cannot_make_markdown_structure(tmp_path: Path) -> None:
    """A narrative's '## Charges', list items, quotes, code fences, tables, links and HTML stay
    text in the brief: the brief's own headings are the only headings."""
    out = runner.invoke(app, ["evaluate", str(_case(tmp_path)), "-f", "markdown"])
    assert out.exit_code == 0, out.stderr
    # the brief's title, then the case's summary and narrative, then its own sections
    case = out.stdout.split("\n", 1)[1].split("\n## ", 1)[0]
    for line in case.splitlines():
        assert not re.match(r"\s*(#|>|[-+*] |\d+[.)] |```|~~~|\||<|    \S|---|\*\*\*)", line), line
    assert not re.search(r"(?<!\\)<script", out.stdout)  # only as escaped text
    assert not re.search(r"(?<!\\)\]\(http", out.stdout)
    headings = [ln for ln in out.stdout.splitlines() if ln.startswith("#")]
    assert not any("Charges" in h and "Case" not in h for h in headings[:2])
    assert headings[0].startswith("# Case")


@given(st.text())
def test_markdown_inline_is_one_line_of_literal_text(text: str) -> None:
    """Whatever the text, the escaped form is one line, starts no block and has every
    Markdown character escaped."""
    out = markdown_inline(text)
    assert "\n" not in out and "\r" not in out
    assert not re.match(r"([-+=>*#|]|\d+[.)]|`{3}|~{3})", out)
    assert not re.search(r"(?<!\\)[`*_\[\]<>|]", out.replace("\\\\", ""))
    assert not _CONTROL.search(out)


@given(st.text())
def test_printable_text_is_unchanged_and_nothing_hidden_survives(text: str) -> None:
    """printable leaves printable text alone and escapes everything a terminal would act on."""
    out = printable(text)
    if text.isprintable():
        assert out == text
    hidden = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    assert not any(unicodedata.category(c) in hidden for c in out)
    assert len(excerpt(text)) <= 40 * 10 + 30


def test_markdown_paragraphs_keep_paragraphs() -> None:
    """Blank lines separate paragraphs; each becomes one escaped line."""
    assert markdown_paragraphs("a\nb\n\n# c") == ["a b", "", "\\# c", ""]


@pytest.mark.parametrize(("given_key", "note"), [
    ("age ", "ends with a space"), (" age", "starts with a space"),
    ("a\u200bge", "contains the invisible character U+200B ZERO WIDTH SPACE"),
    ("\u0430ge", "contains U+0430 CYRILLIC SMALL LETTER A, which looks like a Latin letter"),
    ("ag\u0435", "contains U+0435 CYRILLIC SMALL LETTER IE, which looks like a Latin letter"),
    ("agee", None), ("AGE", None), ("age", None),
])
def test_invisible_differences_are_spelt_out(given_key: str, note: str | None) -> None:
    """A key that differs from a name only invisibly says how; a plain typo says nothing."""
    assert difference(given_key, "age") == note


def test_an_invisible_difference_in_a_key_is_shown_in_the_error(tmp_path: Path) -> None:
    """'аge' with a Cyrillic а: the message says which character, not a suggestion that looks
    the same as the key."""
    path = tmp_path / "case.json"
    path.write_text('{"facts": {"victim": {"\u0430ge": 15}}}', encoding="utf-8")
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1
    assert "the key '\\u0430ge' contains U+0430 CYRILLIC SMALL LETTER A" in out.stderr


def test_a_file_name_with_control_characters_is_escaped_in_errors(tmp_path: Path) -> None:
    """Even the file name in an error message cannot drive the terminal."""
    path = tmp_path / "x\x1b]0;owned\x07.yaml"
    out = runner.invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 1 and "\x1b" not in out.stderr and "\\u001b]0;owned" in out.stderr


def test_evaluate_reads_standard_input() -> None:
    """`dmst evaluate -` reads the scenario from standard input, as batch does."""
    example = EXAMPLES / "trafficker-pimp-15.yaml"
    piped = runner.invoke(app, ["evaluate", "-", "-f", "json"],
                          input=example.read_text(encoding="utf-8"))
    direct = runner.invoke(app, ["evaluate", str(example), "-f", "json"])
    assert piped.exit_code == 0, piped.stderr
    assert piped.stdout == direct.stdout


def test_evaluate_names_standard_input_in_errors() -> None:
    """An error in a scenario from standard input names <stdin>, the line and the field."""
    out = runner.invoke(app, ["evaluate", "-"], input="facts:\n  victim:\n    age: 015\n")
    assert out.exit_code == 1
    assert out.stderr.startswith("dmst: error: <stdin>:3:") and "- facts.victim.age:" in out.stderr


@pytest.mark.parametrize("command", [
    ["diff", "{a}", "{a}"], ["why-not", "{a}", "status.minor_victim"],
])
def test_a_file_name_with_control_characters_is_escaped_in_reports(tmp_path: Path,
                                                                   command: list[str]) -> None:
    """A scenario file whose name holds an escape sequence is named escaped in the report."""
    path = tmp_path / "x\x1b]0;owned\x07.yaml"
    path.write_text("facts:\n  victim: {age: 15}\n  investigation: {decoy: false}\n",
                    encoding="utf-8")
    out = runner.invoke(app, [c.format(a=path) for c in command])
    assert out.exit_code == 0, out.stderr
    assert not _CONTROL.search(out.stdout) and "u001b]0;owned" in out.stdout
