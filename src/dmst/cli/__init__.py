"""The ``dmst`` command line. Commands live in the modules beside this one."""

from __future__ import annotations

from dmst.cli import batch as _batch  # noqa: F401  (registers the command)
from dmst.cli import evaluate as _evaluate  # noqa: F401  (registers the command)
from dmst.cli import explain as _explain  # noqa: F401
from dmst.cli import interview as _interview  # noqa: F401
from dmst.cli import rulebook as _rulebook  # noqa: F401
from dmst.cli import serve as _serve  # noqa: F401
from dmst.cli._common import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``dmst`` console script."""
    app(prog_name="dmst")
