"""The errors dmst raises: one tree, with structured attributes and messages that say what to do.

::

    DmstError                       exit code 1 from the CLI
    \u251c\u2500\u2500 InputError                  a scenario (file, line, field) cannot be read or is wrong
    \u2502   \u251c\u2500\u2500 SourceFileError         missing, unreadable, empty, too large, binary, bad YAML/JSON
    \u2502   \u2514\u2500\u2500 FactError               a fact is unknown, mistyped, impossible or contradictory
    \u251c\u2500\u2500 RulebookError               a rule file is wrong (names the file and the rule)
    \u2514\u2500\u2500 EvaluationError             a rule action failed: no partial result is returned

Every error carries ``file``, ``line`` and ``field`` where known (``None`` otherwise) and
``problems``: one entry per problem found, so a tool can show them all at once.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DmstError",
    "EvaluationError",
    "FactError",
    "InputError",
    "Problem",
    "RulebookError",
    "SourceFileError",
    "exit_code",
]


@dataclass(frozen=True)
class Problem:
    """One problem: where it is and what is wrong."""

    message: str
    field: str | None = None
    line: int | None = None
    suggestion: str | None = None

    def render(self) -> str:
        where = f"{self.field}: " if self.field else ""
        hint = f" (did you mean '{self.suggestion}'?)" if self.suggestion else ""
        return f"{where}{self.message}{hint}"


class DmstError(Exception):
    """Root of every error dmst raises on purpose."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        where = self.file or ""
        if self.file and self.line:
            where += f":{self.line}"
        head = f"{where}: {self.message}" if where else self.message
        if not self.problems:
            return head
        return head + "".join(f"\n  - {p.render()}" for p in self.problems)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form, as used by batch output."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "problems": [
                {k: v for k, v in vars(p).items() if v is not None} for p in self.problems
            ],
        }


class InputError(DmstError):
    """A scenario cannot be used as given."""


class SourceFileError(InputError):
    """A scenario file cannot be read: missing, unreadable, empty, too large, or not YAML/JSON."""


class FactError(InputError):
    """A fact is unknown, of the wrong type, impossible, or contradicts another fact."""


class RulebookError(DmstError):
    """The rulebook is invalid; the message names the file and the rule."""


class EvaluationError(DmstError):
    """Evaluation failed inside the engine; no partial result is returned."""


def exit_code(error: BaseException) -> int:
    """The CLI exit code for an error: 1 for every dmst error (input or rulebook)."""
    return 1 if isinstance(error, DmstError) else 70
