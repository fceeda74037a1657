"""The errors dmst raises: one tree, with structured attributes and messages that say what to do.

::

    Exception
    └── DmstError                   root: catch this to catch every error dmst raises on purpose
        ├── InputError              a scenario (file, batch line, field) cannot be used as given
        │   ├── SourceFileError     missing, unreadable, empty, too large, binary, bad YAML/JSON
        │   └── FactError           a fact is unknown, mistyped, impossible or contradictory
        ├── RulebookError           a rule file is wrong (names the file and the rule)
        └── EvaluationError         a rule action failed: no partial result is returned

Every error carries ``message`` (what is wrong and what to do), ``file``, ``line`` (1-based) and
``field`` (a dotted fact path such as ``facts.victim.age``) where known, ``None`` otherwise, and
``problems``: one :class:`Problem` per problem found, so a tool can show them all at once.
``to_dict()`` gives the JSON form ``dmst batch`` writes; errors survive pickling (they cross
process boundaries in parallel batch runs).

Exit codes of the ``dmst`` command, decided here and nowhere else (:func:`exit_code`):

====  ===========================================================================
0     success
1     a :class:`DmstError`: bad input or a bad rulebook (a batch with a failed line)
2     usage error: unknown option, missing argument (reported by the CLI parser)
70    internal error: a bug in dmst (any other exception)
130   interrupted (Ctrl-C)
====  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_USER_ERROR",
    "DmstError",
    "EvaluationError",
    "FactError",
    "InputError",
    "Problem",
    "RulebookError",
    "SourceFileError",
    "exit_code",
]


EXIT_OK = 0
EXIT_USER_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

#: ``render()`` lists at most this many problems (``problems`` and ``to_dict()`` keep them all).
MAX_SHOWN_PROBLEMS = 20


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
        shown = self.problems[:MAX_SHOWN_PROBLEMS]
        text = head + "".join(f"\n  - {p.render()}" for p in shown)
        if len(self.problems) > len(shown):
            text += f"\n  ... and {len(self.problems) - len(shown)} more"
        return text

    def located(self, file: str) -> DmstError:
        """The same error naming ``file``, unless it names a file already (an error the engine
        raises after reading knows the facts, not where they came from)."""
        if self.file is not None:
            return self
        return type(self)(self.message, file=file, line=self.line, field=self.field,
                          problems=self.problems)

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.file, self.line, self.field,
                           self.problems))

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


def _rebuild(cls: type[DmstError], message: str, file: str | None, line: int | None,
             field: str | None, problems: tuple[Problem, ...]) -> DmstError:
    return cls(message, file=file, line=line, field=field, problems=problems)


def exit_code(error: BaseException) -> int:
    """The CLI exit code for an error (see the table above)."""
    if isinstance(error, DmstError):
        return EXIT_USER_ERROR
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL
