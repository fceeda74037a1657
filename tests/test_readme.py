"""The README's Python examples run as written and print what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_python_blocks_run() -> None:
    """Every ```python block of the README runs without error."""
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102 - the project's own docs


def test_library_example_prints_what_the_readme_shows() -> None:
    """The library example's printed output is the one quoted under it (trailing spaces aside)."""
    match = re.search(r"## The library\n\n```python\n(.*?)```\n\nprints\n\n```\n(.*?)```",
                      README, re.S)
    assert match, "the README's library example and its output"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(match.group(1), "README.md", "exec"), {})  # noqa: S102
    shown = [line.rstrip() for line in match.group(2).splitlines()]
    assert [line.rstrip() for line in out.getvalue().splitlines()] == shown


def test_cli_example_output_is_real(tmp_path: Path) -> None:
    """Every line of the README's trimmed `dmst evaluate` output is a line of the real output
    for the README's scenario file."""
    from typer.testing import CliRunner

    from dmst.cli import app

    case = re.search(r"```yaml\n(.*?)```", README, re.S)
    shown = re.search(r"on it prints \(trimmed\):\n\n```\n(.*?)```", README, re.S)
    assert case and shown
    path = tmp_path / "case.yaml"
    path.write_text(case.group(1), encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", str(path)])
    assert out.exit_code == 0
    real = set(out.output.splitlines())
    missing = [line for line in shown.group(1).splitlines()
               if line.strip() not in ("", "...") and line not in real]
    assert missing == []
