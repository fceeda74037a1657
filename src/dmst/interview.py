"""An interview about a case: ask the most useful unknown fact, take the answer, re-evaluate, say
what changed, and again, until no question is left or the user stops.

The core has no terminal in it: :class:`Interview` takes answers from any iterator of strings and
writes through any callable taking text, so a test drives it with a list and ``list.append``, and
``dmst interview`` with ``input()`` and ``sys.stdout.write``.

>>> from dmst import Engine
>>> from dmst.interview import Interview
>>> lines = []
>>> iv = Interview(Engine(), {"victim": {"age": 15}}, write=lines.append)
>>> outcome = iv.run(["no", "unknown", "q"])   # was it a decoy? roles? quit  # doctest: +SKIP
>>> outcome.answers, outcome.unknown, outcome.stopped                          # doctest: +SKIP
({'investigation.decoy': False}, ['accused.roles'], 'quit')

The question asked is the top of the result's ``ask_next`` (the unknown fact that would settle
the most undetermined conclusions). A fact the engine *presumes* because the case is silent on it
(the decoy: a described victim is a real child unless a decoy is said) is offered too, ranked as
it would be with no presumption, so the user can confirm or correct it. A fact is asked at most
once: answered, it is known; answered "unknown", it is not asked again.

Answers are read by the fact's kind (:func:`parse_answer`) and set with
:func:`dmst.engine.whatif.with_fact`, so the fact model's own validation decides what is
acceptable; a bad answer is explained and the question asked again.
"""

from __future__ import annotations

import datetime as _dt
import re
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from dmst.engine._firings import Status
from dmst.engine.result import AskNext, CaseResult, Result
from dmst.engine.whatif import ConclusionDelta, ScenarioDiff, diff_results, pair_index, with_fact
from dmst.errors import FactError, InputError
from dmst.facts.model import Case, Scenario
from dmst.facts.paths import FACTS, FactSpec
from dmst.report._doc import MARKS
from dmst.report._words import format_value, suffix
from dmst.report._writers import plain

__all__ = [
    "QUIT_WORDS",
    "UNKNOWN",
    "UNKNOWN_WORDS",
    "Answer",
    "BadAnswer",
    "Interview",
    "Outcome",
    "Question",
    "Reply",
    "change_lines",
    "hint",
    "parse_answer",
    "scenario_yaml",
]

#: Answers that mean "not known": the fact stays unknown and is not asked again.
UNKNOWN_WORDS = frozenset({"", "unknown", "?", "skip", "don't know", "dont know", "idk",
                           "not known"})
#: Answers that stop the interview (what was gathered is kept).
QUIT_WORDS = frozenset({"q", "quit", "exit", "stop"})
#: Lines are wrapped to this width, as the reports are.
WIDTH = 100
#: At most this many conclusion titles are named on one line of changes.
SHOWN = 3


class BadAnswer(ValueError):
    """An answer that cannot be read as a value of the fact asked about; the message says what
    is expected."""


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


#: What :func:`parse_answer` returns for "unknown".
UNKNOWN: Any = _Unknown()


# --- reading answers ---------------------------------------------------------------------------

_TRUE = frozenset({"yes", "y", "true"})
_FALSE = frozenset({"no", "n", "false"})
_AGE_UNITS = re.compile(r"\s*(years?\s*old|years?|yrs?|y/?o)$")
_RANGE = re.compile(r"^(\d+)\s*(?:-|\u2013|\u2014|to|or)\s*(\d+)$")
_BELOW = re.compile(r"^(?:under|below|younger than|less than)\s+(\d+)$")
_AT_MOST = re.compile(r"^(?:at most|no more than|not over)\s+(\d+)$|^(\d+)\s+or\s+(?:younger|under|less)$")
_ABOVE = re.compile(r"^(?:over|above|older than|more than)\s+(\d+)$")
_AT_LEAST = re.compile(r"^(?:at least|no less than)\s+(\d+)$|^(\d+)\s*(?:\+|or (?:older|over|more))$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _words(text: str) -> str:
    return " ".join(text.strip().lower().split())


def hint(spec: FactSpec) -> str:
    """The answers a fact accepts, in words (shown under its question)."""
    if spec.kind == "bool":
        return "yes / no / unknown"
    if spec.kind in ("int", "age"):
        return "a number, a range such as 15-16, 'under 18', or unknown"
    if spec.kind == "choice":
        return " / ".join(c.replace("_", " ") for c in spec.choices) + " / unknown"
    if spec.kind == "set":
        return ("one or more of: " + ", ".join(c.replace("_", " ") for c in spec.choices)
                + " (separated by commas), none, or unknown")
    if spec.kind == "date":
        return "a date YYYY-MM-DD, or unknown"
    return "unknown"


def _choice(spec: FactSpec, text: str) -> str:
    key = text.strip().lower().replace("-", " ").replace("_", " ")
    key = " ".join(key.split())
    names = {c.replace("_", " "): c for c in spec.choices}
    if key in names:
        return names[key]
    matches = [c for n, c in names.items() if key and n.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise BadAnswer(f"'{text.strip()}' could be " + " or ".join(
            m.replace("_", " ") for m in matches) + "; type more of it")
    raise BadAnswer(f"'{text.strip()}' is not one of the choices: "
                    + ", ".join(n for n in names))


def _age(text: str) -> Any:
    t = _AGE_UNITS.sub("", _words(text)).strip()
    if t in ("minor", "a minor", "child", "a child"):
        return {"max": 17}
    if t in ("adult", "an adult"):
        return {"min": 18}
    if t.isdigit():
        return int(t)
    if m := _RANGE.match(t):
        lo, hi = int(m.group(1)), int(m.group(2))
        return lo if lo == hi else {"min": lo, "max": hi}
    if m := _BELOW.match(t):
        return {"max": int(m.group(1)) - 1}
    if m := _AT_MOST.match(t):
        return {"max": int(m.group(1) or m.group(2))}
    if m := _ABOVE.match(t):
        return {"min": int(m.group(1)) + 1}
    if m := _AT_LEAST.match(t):
        return {"min": int(m.group(1) or m.group(2))}
    raise BadAnswer(f"'{text.strip()}' is not an age: give whole years (15), a range (15-16, "
                    "15 to 16), 'under 18', or unknown")


def parse_answer(spec: FactSpec, text: str) -> Any:
    """Read ``text`` as a value of the fact ``spec`` describes, by its kind.

    Returns :data:`UNKNOWN` for an empty answer or one of :data:`UNKNOWN_WORDS`; otherwise the
    plain value :func:`~dmst.engine.whatif.with_fact` takes: ``bool`` (yes/no/y/n/true/false);
    ``int`` or an age range ``{"min": 15, "max": 16}`` (``15-16``, ``15 to 16``, ``under 18`` ->
    ``{"max": 17}``, ``at least 16``, ``a minor``); one choice as text (a unique prefix will do);
    a list of choices (comma-separated; ``none`` is the empty list); a date as ISO text
    (``YYYY-MM-DD``). Raises :class:`BadAnswer` when the text cannot be read so; whether the
    value fits the other facts is the fact model's to say, not this function's.
    """
    words = _words(text)
    if words in UNKNOWN_WORDS:
        return UNKNOWN
    if spec.kind == "bool":
        if words in _TRUE:
            return True
        if words in _FALSE:
            return False
        raise BadAnswer(f"'{text.strip()}' is not yes or no: answer yes, no or unknown")
    if spec.kind in ("int", "age"):
        return _age(text)
    if spec.kind == "choice":
        return _choice(spec, text)
    if spec.kind == "set":
        if words in ("none", "no", "nothing", "neither"):
            return []
        parts = [p for p in re.split(r"\s*,\s*|\s+and\s+", text.strip()) if p.strip()]
        out: list[str] = []
        for p in parts:
            c = _choice(spec, p)
            if c not in out:
                out.append(c)
        return out
    if spec.kind == "date":
        if not _DATE.match(words):
            raise BadAnswer(f"'{text.strip()}' is not a date written YYYY-MM-DD")
        try:
            return _dt.date.fromisoformat(words).isoformat()
        except ValueError:
            raise BadAnswer(f"'{text.strip()}' is not a real date (YYYY-MM-DD)") from None
    raise BadAnswer(f"{spec.path} is computed from other facts and is not asked")


# --- the interview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A question about one unknown fact: ``fact`` (its path), ``question`` (in plain words),
    ``hint`` (the answers it takes), ``settles`` (how many undetermined conclusions wait on it),
    ``conclusions`` (their ids) and, for a presumed fact, ``presumed`` (the value the engine
    assumes if the answer is unknown)."""

    fact: str
    question: str
    hint: str
    settles: int
    conclusions: tuple[str, ...]
    presumed: Any = None


Action = Literal["answered", "unknown", "invalid", "help", "quit"]


@dataclass(frozen=True)
class Reply:
    """What an answer did. ``action``: ``answered`` (``value`` set; ``changes`` is the diff of
    the pair's result), ``unknown`` (the fact stays unknown; ``presumed``: the value the engine
    still presumes for it, if any), ``invalid`` (``message`` says why;
    ask again), ``help`` (``message`` describes the fact; ask again) or ``quit``."""

    action: Action
    fact: str | None = None
    value: Any = None
    message: str = ""
    changes: ScenarioDiff | None = None
    presumed: Any = None


@dataclass(frozen=True)
class Answer:
    """One question and the answer taken (``value`` None when answered "unknown")."""

    fact: str
    value: Any


Stopped = Literal["done", "quit", "end_of_input", "interrupted"]


@dataclass
class Outcome:
    """What an interview gathered: the completed ``case`` (the input's facts plus the answers),
    the pair's final ``result``, the answers in order, the facts left ``unknown`` when asked, and
    why it ``stopped``: ``done`` (no question left), ``quit``, ``end_of_input`` or
    ``interrupted``."""

    case: Scenario | Case
    result: Result
    log: list[Answer] = field(default_factory=list)
    stopped: Stopped = "done"

    @property
    def answers(self) -> dict[str, Any]:
        """The facts answered, path to value, in the order asked."""
        return {a.fact: a.value for a in self.log if a.value is not None}

    @property
    def unknown(self) -> list[str]:
        """The facts answered "unknown", in the order asked."""
        return [a.fact for a in self.log if a.value is None]


def _no_output(text: str) -> None:
    return None


class Interview:
    """Ask about the unknown facts of one accused–victim pair of a case, most useful first.

    ``engine``: a :class:`~dmst.Engine`. ``case``: a :class:`~dmst.Scenario`, a
    :class:`~dmst.Case`, a mapping of facts, a scenario file (:class:`~dmst.CaseFile`) or None
    (an empty case). For a case of several people, ``accused`` and ``victim`` (ids) choose the
    pair asked about. ``strict``: make no presumption (every fact is left to the answers).
    ``write``: where the interview's text goes (a callable taking a string; nothing by default).

    Raises :class:`~dmst.errors.FactError` for facts that are not valid and
    :class:`~dmst.errors.InputError` when ``accused`` and ``victim`` do not pick one pair (the
    message lists the pairs).

    Drive it with :meth:`run` (an iterator of answers), or step by step with
    :meth:`next_question` and :meth:`answer`.
    """

    def __init__(self, engine: Any, case: Any = None, *, accused: str | None = None,
                 victim: str | None = None, strict: bool = False,
                 write: Callable[[str], Any] = _no_output) -> None:
        from dmst.engine._engine import as_case

        self.engine = engine
        self.case: Scenario | Case = Scenario() if case is None else as_case(case)
        self.pair = pair_index(self.case, accused, victim)
        #: The ids of the pair asked about (None for a scenario of one accused and one victim).
        self.accused: str | None = None
        self.victim: str | None = None
        if isinstance(self.case, Case):
            self.accused, self.victim, _ = self.case.pairs()[self.pair]
        self.strict = strict
        self.write = write
        self.log: list[Answer] = []
        self.result = self._evaluate(self.case)
        self._asked: set[str] = set()
        self._current: Question | None = None

    # -- evaluation ----------------------------------------------------------------------------

    def _evaluate(self, case: Scenario | Case, *, presume: bool | None = None) -> Result:
        result = self.engine.evaluate(case, presume=not self.strict if presume is None
                                      else presume)
        return result.pairs[self.pair].result if isinstance(result, CaseResult) else result

    def _askable(self, path: str) -> bool:
        if path in self._asked or path not in FACTS or FACTS[path].computed_from:
            return False
        # a victim no accused's conduct concerns: there is no accused to ask about
        return not (isinstance(self.case, Case) and self.accused is None
                    and path.startswith("accused."))

    def next_question(self) -> Question | None:
        """The most useful question not yet asked, or None when none is left.

        The order is the result's ``ask_next``; a presumed fact comes in where it would stand
        with no presumption (by how many conclusions it would settle)."""
        if self._current is not None:
            return self._current
        # (-settles, presumed?, position): most conclusions settled first; on a tie, a fact
        # nothing presumes before one whose presumption the answer would undo
        ranked: list[tuple[int, bool, int, Question]] = []
        for i, a in enumerate(self.result.ask_next):
            if self._askable(a.fact):
                ranked.append((-a.settles, False, i, self._question(a)))
        presumed = {p.fact: p.value for p in self.result.presumptions if self._askable(p.fact)}
        if presumed:
            unpresumed = self._evaluate(self.case, presume=False)
            for i, a in enumerate(unpresumed.ask_next):
                if a.fact in presumed:
                    ranked.append((-a.settles, True, i, self._question(a, presumed[a.fact])))
        if not ranked:
            return None
        self._current = min(ranked, key=lambda t: t[:3])[3]
        return self._current

    @staticmethod
    def _question(a: AskNext, presumed: Any = None) -> Question:
        spec = FACTS[a.fact]
        return Question(a.fact, a.question or spec.question, hint(spec), a.settles,
                        tuple(a.conclusions), presumed)

    def answer(self, text: str) -> Reply:
        """Take ``text`` as the answer to the current question (:meth:`next_question`).

        Returns a :class:`Reply`; on ``answered`` the case and the result are updated and the
        next question moves on. Raises :class:`~dmst.errors.InputError` when no question is
        left."""
        q = self.next_question()
        if q is None:
            raise InputError("no question is left to answer")
        words = _words(text)
        if words in QUIT_WORDS:
            return Reply("quit", q.fact)
        if words == "help":
            spec = FACTS[q.fact]
            return Reply("help", q.fact, message=f"{spec.description} Answer: {q.hint}.")
        spec = FACTS[q.fact]
        try:
            value = parse_answer(spec, text)
        except BadAnswer as exc:
            return Reply("invalid", q.fact, message=str(exc))
        if value is UNKNOWN:
            self._settle(q, None)
            return Reply("unknown", q.fact, presumed=q.presumed)
        try:
            case = with_fact(self.case, self.pair, q.fact, value)
        except FactError as exc:
            reasons = "; ".join(p.message for p in exc.problems) or exc.message
            return Reply("invalid", q.fact, value, message=reasons)
        before = self.result
        self.case = case
        self.result = self._evaluate(case)
        self._settle(q, value)
        changes = diff_results(self.engine.rulebook, before, self.result,
                               accused=self.accused, victim=self.victim)
        return Reply("answered", q.fact, value, changes=changes)

    def _settle(self, q: Question, value: Any) -> None:
        self._asked.add(q.fact)
        self.log.append(Answer(q.fact, value))
        self._current = None

    # -- the conversation ----------------------------------------------------------------------

    def _say(self, text: str = "", indent: str = "", more: str | None = None) -> None:
        lines = textwrap.wrap(plain(text), width=WIDTH, initial_indent=indent,
                              subsequent_indent=indent if more is None else more,
                              break_on_hyphens=False) or [""]
        self.write("\n".join(lines) + "\n")

    def outcome(self, stopped: Stopped) -> Outcome:
        """What has been gathered so far."""
        return Outcome(self.case, self.result, list(self.log), stopped)

    def run(self, answers: Iterable[str]) -> Outcome:
        """Ask questions until none is left, the answers run out, or the user stops.

        ``answers`` gives one answer per question asked (and one more each time an answer is
        refused or help asked for). A ``KeyboardInterrupt`` (from the iterator or elsewhere)
        ends the interview as ``interrupted``, with what was gathered kept."""
        it: Iterator[str] = iter(answers)
        stopped: Stopped = "done"
        self._intro()
        n = 0
        try:
            while (q := self.next_question()) is not None:
                n += 1
                self._ask(n, q)
                while True:
                    self.write("> ")
                    try:
                        text = next(it)
                    except StopIteration:
                        self.write("\n")
                        return self._end("end_of_input")
                    reply = self.answer(text)
                    if reply.action in ("invalid", "help"):
                        mark = "!" if reply.action == "invalid" else "i"
                        self._say(f"{mark} {reply.message}", "  ", "    ")
                        continue
                    break
                if reply.action == "quit":
                    return self._end("quit")
                self._report(reply)
        except KeyboardInterrupt:
            self.write("\n")
            stopped = "interrupted"
        return self._end(stopped)

    def _intro(self) -> None:
        who = f" (accused {self.accused or 'none'}, victim {self.victim})" if self.victim else ""
        known = len({k for k in self.result.facts if k in FACTS})
        self._say(f"dmst interview{who}: {known} fact{'s' if known != 1 else ''} known. "
                  "Answer each question; 'unknown' (or just Enter) moves on, 'help' explains "
                  "the question, 'q' stops and keeps what you gave.")
        self._say("  Now: " + self.summary())
        self.write("\n")

    def _ask(self, n: int, q: Question) -> None:
        titles = [self._title(c) for c in q.conclusions[:2]]
        more = q.settles - len(titles)
        bears = "; ".join(titles) + (f" and {more} more" if more > 0 else "")
        self._say(f"{n}. {q.question}", "", "   ")
        tail = f"; presumed {format_value(q.presumed)} if unknown" if q.presumed is not None \
            else ""
        self._say(f"({q.hint}{tail})", "   ")
        self._say(f"bears on: {bears}", "   ", "     ")

    def _title(self, cid: str) -> str:
        spec = self.engine.rulebook.conclusions.get(cid)
        return spec.title if spec is not None else cid

    def _report(self, reply: Reply) -> None:
        if reply.action == "unknown":
            presumed = reply.presumed
            self._say("left unknown" + (f" (presumed {format_value(presumed)})"
                                        if presumed is not None else ""), "   ")
            self.write("\n")
            return
        for line in change_lines(reply.changes):
            self._say(line, "   ", "       ")
        self._say("Now: " + self.summary(), "   ")
        self.write("\n")

    def summary(self) -> str:
        """The pair's standing in one line: how many conclusions apply, may apply or are open."""
        r = self.result
        held = (*r.statuses, *r.conclusions)
        applies = sum(c.status is Status.APPLIES for c in held)
        may = sum(c.status is Status.MAY_APPLY for c in held)
        return (f"{applies} appl{'ies' if applies == 1 else 'y'}, {may} may apply, "
                f"{len(r.undetermined)} undetermined")

    def _end(self, stopped: Stopped) -> Outcome:
        answered = sum(a.value is not None for a in self.log)
        unknown = len(self.log) - answered
        why = {"done": "No question left that would settle anything.",
               "quit": "Stopped.", "end_of_input": "No more answers.",
               "interrupted": "Interrupted."}[stopped]
        self._say(f"{why} {answered} answered, {unknown} left unknown. Now: {self.summary()}")
        return self.outcome(stopped)


def _names(deltas: Sequence[ConclusionDelta], *, with_status: bool = False) -> str:
    """The first titles, '; and N more'; with their new status where it is not 'applies'."""
    titles = [d.title + (suffix(d.after.status) if with_status else "") for d in deltas]
    shown = "; ".join(titles[:SHOWN])
    return shown + (f"; and {len(titles) - SHOWN} more" if len(titles) > SHOWN else "")


def change_lines(changes: ScenarioDiff | None) -> list[str]:
    """A few lines saying what an answer changed: the conclusions that now apply, that no longer
    apply, that changed standing, that are settled (no longer undetermined: they do not apply)
    and that became undetermined; ``= nothing changed`` when nothing did."""
    if changes is None:
        return []
    by: dict[str, list[ConclusionDelta]] = {}
    for d in changes.changes:
        by.setdefault(d.change, []).append(d)
    restated = [d for d in by.get("changes", []) if d.before.status.holds
                and d.after.status.holds and d.before.status is not d.after.status]
    settled = by.get("no_longer_undetermined", [])
    out = []
    if by.get("appears"):
        out.append(f"{MARKS['appears']} now applies: {_names(by['appears'], with_status=True)}")
    if by.get("disappears"):
        out.append(f"{MARKS['disappears']} no longer applies: {_names(by['disappears'])}")
    if restated:
        out.append(f"{MARKS['changes']} now: {_names(restated, with_status=True)}")
    if settled:
        named = f"{len(settled)} (e.g. {_names(settled[:2])})" if len(settled) > SHOWN \
            else _names(settled)
        out.append(f"{MARKS['holds']} settled, {Status.DOES_NOT_APPLY.label}: {named}")
    if by.get("becomes_undetermined"):
        out.append(f"{MARKS['undetermined']} now undetermined: "
                   f"{_names(by['becomes_undetermined'])}")
    return out or ["= nothing changed"]


# --- the scenario file -------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block mappings, flow lists of plain values (``roles: [trafficker]``), as the examples."""


def _list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """Long text (a narrative) folded, as the examples write it."""
    style = ">" if len(data) > 80 and "\n" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    """An age range on one line (``age: {min: 15, max: 16}``), other mappings as blocks."""
    flow = bool(data) and set(data) <= {"min", "max"}
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)
_Dumper.add_representer(str, _str)


def _prune(data: Any) -> Any:
    """Empty groups left out (an empty list is an answer, "none", and stays); an id first."""
    if isinstance(data, dict):
        out = {k: _prune(v) for k, v in data.items()}
        out = {k: v for k, v in out.items() if v != {}}
        if "id" in out:
            out = {"id": out.pop("id"), **out}
        return out
    if isinstance(data, list):
        return [_prune(v) for v in data]
    return data


def scenario_yaml(case: Scenario | Case, *, title: str | None = None,
                  narrative: str | None = None, case_id: str | None = None,
                  comments: Sequence[str] = ()) -> str:
    """The scenario file of ``case`` as YAML text: ``comments`` (each a ``#`` line), then
    ``case_id``, ``title`` and ``narrative`` where given, then ``facts`` (known facts only,
    in the fact model's order). :func:`dmst.load_case_file` reads it back to the same facts."""
    data: dict[str, Any] = {}
    if case_id is not None:
        data["case_id"] = case_id
    if title is not None:
        data["title"] = title
    if narrative is not None:
        data["narrative"] = narrative
    data["facts"] = _prune(case.model_dump(mode="json", exclude_none=True))
    head = "".join(f"# {plain(c)}\n" for c in comments)
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=88,
                     default_flow_style=False)
    return head + body
