"""The rulebook compiled into a durable_rules ruleset, and one evaluation session over it.

The C module ``durable_rules_engine`` is driven directly (no ``durable.lang`` globals, no Host
timer threads). Each rule alternative becomes two durable rules, one per mode:

* the facts of the scenario are one durable fact ``{"t": "facts", ...}`` whose fields are the
  known fact paths (``victim.age`` becomes ``victim__age``; a set fact such as ``accused.roles``
  becomes one true/false field per choice);
* a fact condition tests that fact; in ``possible`` mode it also holds when the field is absent;
* a condition on another conclusion joins a conclusion fact ``{"t": "d"|"p", "id": ...}``
  asserted by the action of the rule that reached it: this is the forward chaining;
* rule priority is the rule's level, so every conclusion a rule depends on (``unless`` included)
  is complete before the rule's action runs, and the action checks ``unless`` in Python.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import durable_rules_engine as _dre

from dmst.engine.firings import DEFINITE, POSSIBLE, Firing, Firings, Mode
from dmst.errors import EvaluationError
from dmst.facts.paths import FACTS
from dmst.rules.loader import FactAtom, LoadedRule, MatchAtom, RefAtom, Rulebook
from dmst.rules.model import Certainty

__all__ = ["CompiledRuleset", "durable_facts"]

_PRIME = "$prime"
_SLOT = re.compile(r'"(c\d+)":\s*\{[^{}]*?"c":\s*"([^"]+)"')
_counter = itertools.count()


def _field(path: str) -> str:
    return path.replace(".", "__")


def durable_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The scenario's known facts as the fields of one durable fact."""
    out: dict[str, Any] = {}
    for path, value in facts.items():
        spec = FACTS[path]
        if spec.kind == "set":
            for choice in spec.choices:
                out[f"{_field(path)}__{choice}"] = choice in value
        else:
            out[_field(path)] = value
    return out


_OPERATORS = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def _atom_field(atom: FactAtom) -> str:
    if atom.op == "has":
        return f"{_field(atom.path)}__{atom.value}"
    return _field(atom.path)


def _condition(atom: FactAtom, mode: Mode) -> dict[str, Any]:
    """The durable test of one fact atom; in possible mode an absent field also passes."""
    name = _atom_field(atom)
    if atom.op in ("is", "has"):
        test: dict[str, Any] = {name: True if atom.op == "has" else atom.value}
    else:
        test = {_OPERATORS[atom.op]: {name: atom.value}}
    if mode == DEFINITE:
        return test
    return {"$or": [{"$nex": {name: 1}}, test]}


def _conclusion_pattern(rulebook: Rulebook, atom: RefAtom | MatchAtom, mode: Mode
                        ) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"t": mode}]
    if isinstance(atom, RefAtom):
        parts.append({"c": atom.id})
    else:
        targets = rulebook.targets(atom)
        parts.append({"$or": [{"c": t} for t in targets]} if len(targets) > 1 else
                     {"c": targets[0]})
    return {"$and": parts}


class CompiledRuleset:
    """A rulebook compiled once into durable_rules; evaluate scenarios with :meth:`run`.

    durable_rules' C code never releases the GIL and keeps per-ruleset state, so one lock
    serialises evaluations on one ruleset (it costs nothing and keeps one live session); scale
    throughput with processes.
    """

    def __init__(self, rulebook: Rulebook) -> None:
        self._rulebook = rulebook
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)
        self._actions: dict[str, _Action] = {}
        definition: dict[str, Any] = {_PRIME: {"all": [{"m": {"t": _PRIME}}], "pri": 0}}
        for rule in rulebook.rules:
            for index, alternative in enumerate(rule.alternatives):
                for mode in (DEFINITE, POSSIBLE):
                    name = f"{rule.id}#{index}#{mode}"
                    definition[name] = self._compile(rule, alternative, mode)
                    self._actions[name] = _Action(
                        rule=rule.id,
                        alternative=index,
                        mode=mode,
                        other=POSSIBLE if mode == DEFINITE else DEFINITE,
                        slots=tuple(f"c{i}" for i, a in enumerate(alternative)
                                    if not isinstance(a, FactAtom)),
                        unless=tuple(rule.rule.unless),
                        certainty=rule.certainty,
                        conclusion=rule.conclusion_id,
                        consumed=rule.conclusion_id in rulebook.consumed,
                    )
        self.definition = definition
        self.name = f"dmst-{rulebook.fingerprint}-{next(_counter)}"
        self._handle = _dre.create_ruleset(self.name, json.dumps(definition))
        weakref.finalize(self, _dre.delete_ruleset, self._handle)

    def _compile(self, rule: LoadedRule, alternative: tuple[Any, ...], mode: Mode
                 ) -> dict[str, Any]:
        conditions: list[dict[str, Any]] = []
        facts = [_condition(a, mode) for a in alternative if isinstance(a, FactAtom)]
        if facts:
            conditions.append({"f": {"$and": [{"t": "facts"}, *facts]}})
        for i, atom in enumerate(alternative):
            if not isinstance(atom, FactAtom):
                conditions.append({f"c{i}": _conclusion_pattern(self._rulebook, atom, mode)})
        return {"all": conditions, "pri": rule.level}

    def run(self, facts: dict[str, Any]) -> Firings:
        """Evaluate one scenario in a fresh session and return its firings."""
        with self._lock:
            sid = str(next(self._sessions))
            try:
                return self._session(sid, facts)
            finally:
                _dre.delete_state(self._handle, sid)

    def _session(self, sid: str, facts: dict[str, Any]) -> Firings:
        out = Firings()
        asserted: set[tuple[Mode, str]] = set()
        scenario = {"id": "facts", "t": "facts", "sid": sid, **durable_facts(facts)}
        handle = self._handle
        code, state = _dre.assert_facts(
            handle, json.dumps([{"id": _PRIME, "t": _PRIME, "sid": sid}, scenario])
        )
        result = _dre.start_action_for_state(handle, state)
        message = result[1] if result else None
        while message:
            # The message is {"<rule name>": {...matched facts...}}; rule names hold no quote.
            action = self._actions.get(message[2:message.index('"', 2)])
            if action is not None:
                self._act(action, message, sid, out, asserted)
            message = _dre.complete_and_start_action(handle, state)
        return out

    def _act(self, action: _Action, message: str, sid: str, out: Firings,
             asserted: set[tuple[Mode, str]]) -> None:
        if action.unless and any((action.other, u) in out.certainty for u in action.unless):
            return
        mode = action.mode
        if action.slots:
            # A conclusion fact is flat: {"id": .., "sid": .., "t": .., "c": "<conclusion>"}.
            found = dict(_SLOT.findall(message))
            ids = tuple(found[slot] for slot in action.slots)
            certainty = action.certainty
            if certainty is Certainty.APPLIES and any(
                out.certainty[(mode, m)] is Certainty.MAY_APPLY for m in ids
            ):
                certainty = Certainty.MAY_APPLY
        else:
            ids, certainty = (), action.certainty
        conclusion = action.conclusion
        out.add(conclusion, Firing(action.rule, action.alternative, mode, ids), certainty)
        key = (mode, conclusion)
        if not action.consumed or key in asserted:
            return
        asserted.add(key)
        # durable_rules identifies a fact by its "id" field (by a 32-bit hash of its content
        # when there is none, which can collide): give every fact an explicit, unique id.
        fact = {"id": f"{mode}|{conclusion}", "sid": sid, "t": mode, "c": conclusion}
        code, _ = _dre.assert_fact(self._handle, json.dumps(fact))
        if code not in (0, 1):
            raise EvaluationError(
                f"durable_rules refused conclusion {conclusion!r} (code {code}); no partial "
                "result is returned"
            )


@dataclass(frozen=True)
class _Action:
    """What the action of one compiled durable rule does, worked out once at compile time."""

    rule: str
    alternative: int
    mode: Mode
    other: Mode
    slots: tuple[str, ...]
    unless: tuple[str, ...]
    certainty: Certainty
    conclusion: str
    consumed: bool
