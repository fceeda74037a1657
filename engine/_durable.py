"""The rulebook compiled into a durable_rules ruleset, and one evaluation session over it.

The C module ``durable_rules_engine`` is driven directly (no ``durable.lang`` globals, no Host
timer threads). Each rule alternative becomes two durable rules, one per mode:

* each pair of the case is one durable fact ``{"t": "pf", "e": "p0", "v": "v0", "a3": true, ...}``
  and each victim one ``{"t": "vf", "e": "v0", "v": "v0", ...}``, whose fields are the truth of
  the rulebook's fact atoms (absent when unknown), worked out in Python beforehand;
* a rule is anchored on the pair fact or the victim fact (its entity); a fact atom tests a field
  (in ``possible`` mode, or for an atom that holds when unknown, an absent field passes too);
* a condition on another conclusion joins a conclusion fact ``{"t": "d"|"p", "c": ..., "e": ...,
  "v": ...}`` of the same pair, or of the pair's victim for a conclusion about the victim; the
  action of the rule that reached it asserted it: this is the forward chaining, across the pairs
  of a case (a victim's status, reached from any pair, is read by every pair of that victim);
* rule priority is the rule's level, so every conclusion a rule depends on (``unless`` included)
  is complete before the rule's action runs, and the action checks ``unless`` in Python.
"""

from __future__ import annotations

import itertools
import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import durable_rules_engine as _dre

from dmst.engine._firings import DEFINITE, POSSIBLE, Firing, Firings, Mode
from dmst.engine._prepare import Prepared, victim_atoms
from dmst.errors import EvaluationError, RulebookError
from dmst.rules import (
    PAIR,
    VICTIM,
    Certainty,
    FactAtom,
    LoadedRule,
    MatchAtom,
    RefAtom,
    Rulebook,
    weighs,
)

__all__ = ["CompiledRuleset"]

_PRIME = "$prime"
_ANCHOR = '"f":{"id": "'
_counter = itertools.count()


@dataclass(frozen=True)
class _Action:
    """What the action of one compiled durable rule does, worked out once at compile time."""

    rule: str
    alternative: int
    mode: Mode
    slots: tuple[str, ...]
    #: For each slot: whether the matched conclusion's certainty weakens the rule's.
    weighed: tuple[bool, ...]
    #: The conclusion fact's JSON after its id, sid and entities: type, conclusion, marks.
    body: str
    unless: tuple[tuple[str, bool], ...]
    certainty: Certainty
    conclusion: str
    victim_level: bool
    consumed: bool
    silent: bool


class CompiledRuleset:
    """A rulebook compiled once into durable_rules; evaluate prepared cases with :meth:`run`.

    durable_rules' C code never releases the GIL and keeps per-ruleset state, so one lock
    serialises evaluations on one ruleset (it costs nothing and keeps one live session); scale
    throughput with processes.
    """

    def __init__(self, rulebook: Rulebook) -> None:
        self._rulebook = rulebook
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)
        self._actions: dict[str, _Action] = {}
        self._index = {a: i for i, a in enumerate(rulebook.atoms)}
        self._victim_atoms = victim_atoms(rulebook)
        self._matches = {
            atom: j for j, atom in enumerate(dict.fromkeys(
                a for r in rulebook.rules for alt in r.alternatives for a in alt
                if isinstance(a, MatchAtom)))
        }
        self._marks: dict[str, tuple[str, ...]] = {
            cid: tuple(f"m{j}" for atom, j in self._matches.items()
                       if cid in rulebook.targets(atom))
            for cid in rulebook.conclusions
        }
        definition: dict[str, Any] = {_PRIME: {"all": [{"m": {"t": _PRIME}}], "pri": 0}}
        for rule in rulebook.rules:
            for index, alternative in enumerate(rule.alternatives):
                for mode in (DEFINITE, POSSIBLE):
                    name = f"{rule.id}#{index}#{mode.value}"
                    definition[name] = self._compile(rule, alternative, mode)
                    marks = "".join(f', "{m}": true'
                                    for m in self._marks[rule.conclusion_id])
                    self._actions[name] = _Action(
                        rule=rule.id, alternative=index, mode=mode,
                        slots=tuple(f'"c{i}":{{"id": "' for i, a in enumerate(alternative)
                                    if not isinstance(a, FactAtom)),
                        body=f'"t": "{mode.value}", "c": "{rule.conclusion_id}"{marks}}}',
                        weighed=tuple(weighs(a) for a in alternative
                                      if not isinstance(a, FactAtom)),
                        unless=tuple((u, rulebook.entity[u] == VICTIM) for u in rule.rule.unless),
                        certainty=rule.certainty,
                        conclusion=rule.conclusion_id,
                        victim_level=rulebook.entity[rule.conclusion_id] == VICTIM,
                        consumed=rule.conclusion_id in rulebook.consumed and not rule.silent,
                        silent=rule.silent,
                    )
        self.definition = definition
        self.name = f"dmst-{rulebook.fingerprint}-{next(_counter)}"
        self._handle = _dre.create_ruleset(self.name, json.dumps(definition))
        weakref.finalize(self, _dre.delete_ruleset, self._handle)

    def _test(self, atom: FactAtom, mode: Mode) -> dict[str, Any]:
        # A known atom is one field: "t<i>" when true, "x<i>" when false (none when unknown),
        # so that "holds" and "is not known to fail" are each one test, without "$or".
        i = self._index[atom]
        if mode is DEFINITE and not atom.unknown_holds:
            return {f"t{i}": True}
        return {"$nex": {f"x{i}": 1}}

    def _compile(self, rule: LoadedRule, alternative: tuple[Any, ...], mode: Mode
                 ) -> dict[str, Any]:
        kind = "pf" if rule.anchor == PAIR else "vf"
        tests = [self._test(a, mode) for a in alternative if isinstance(a, FactAtom)]
        conditions: list[dict[str, Any]] = [
            {"f": {"$and": [{"t": kind}, *tests]} if tests else {"t": kind}}
        ]
        for i, atom in enumerate(alternative):
            if isinstance(atom, FactAtom):
                continue
            targets = self._rulebook.targets(atom)
            levels = {self._rulebook.entity[t] for t in targets}
            if len(levels) != 1:
                raise RulebookError(
                    f"rule '{rule.id}' matches conclusions about both pairs and victims "
                    f"({', '.join(targets)}); match one kind of entity per condition"
                )
            join = {"v": {"f": "v"}} if levels == {VICTIM} else {"e": {"f": "e"}}
            # A conclusion fact carries "m<j>" for every match condition it satisfies: one test,
            # where an "$or" of ids would be long, and would lose the join (durable_rules drops a
            # join that follows an "$or" in an "$and").
            which = ({"c": targets[0]} if isinstance(atom, RefAtom)
                     else {f"m{self._matches[atom]}": True})
            conditions.append({f"c{i}": {"$and": [{"t": mode.value}, which, join]}})
        return {"all": conditions, "pri": rule.level}

    def run(self, prepared: Prepared) -> Firings:
        """Evaluate one prepared case in a fresh session and return its firings."""
        with self._lock:
            sid = str(next(self._sessions))
            try:
                return self._session(sid, prepared)
            except (EvaluationError, RulebookError):
                raise
            except Exception as exc:  # an action failed inside the rule network
                raise EvaluationError(
                    f"evaluation failed inside the rule engine: {exc}; no partial result is "
                    "returned"
                ) from exc
            finally:
                _dre.delete_state(self._handle, sid)

    def _session(self, sid: str, prepared: Prepared) -> Firings:
        out = Firings()
        facts: list[dict[str, Any]] = [{"id": _PRIME, "t": _PRIME, "sid": sid}]
        for j, _ in enumerate(prepared.victims):
            pair = prepared.pairs[prepared.pair_victim.index(j)]
            fact = {"id": f"f|v{j}|v{j}", "sid": sid, "t": "vf", "e": f"v{j}", "v": f"v{j}"}
            for i in self._victim_atoms:
                truth = pair.truths[i]
                if truth is not None:
                    fact[f"t{i}" if truth else f"x{i}"] = True
            facts.append(fact)
        for k, pair in enumerate(prepared.pairs):
            v = f"v{prepared.pair_victim[k]}"
            fact = {"id": f"f|p{k}|{v}", "sid": sid, "t": "pf", "e": f"p{k}", "v": v}
            for i, truth in enumerate(pair.truths):
                if truth is not None:
                    fact[f"t{i}" if truth else f"x{i}"] = True
            facts.append(fact)
        handle = self._handle
        _, state = _dre.assert_facts(handle, json.dumps(facts))
        asserted: set[str] = set()
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
             asserted: set[str]) -> None:
        # The message is {"<rule>":{"f":{"id": "f|<entity>|<victim>", ...},"c1":{"id": ...}}}:
        # every fact's id comes first, and ids hold no quote.
        start = message.index(_ANCHOR) + len(_ANCHOR)
        end = message.index('"', start)
        _, entity, victim = message[start:end].split("|")
        other = action.mode.other
        certainties = out.certainty
        for u, victim_level in action.unless:
            if (other, u, victim if victim_level else entity) in certainties:
                return
        mode = action.mode
        matched = []
        certainty = action.certainty
        for slot, weighed in zip(action.slots, action.weighed, strict=True):
            at = message.index(slot, end) + len(slot)
            _, cid, where = message[at:message.index('"', at)].split("|")
            matched.append((cid, where))
            if weighed and certainties[(mode, cid, where)] is Certainty.MAY_APPLY:
                certainty = Certainty.MAY_APPLY
        target = victim if action.victim_level else entity
        firing = Firing(action.rule, action.alternative, mode, entity, tuple(matched),
                        action.silent)
        first = out.add(action.conclusion, target, firing, certainty)
        if not (first and action.consumed):
            return
        fact_id = f"{mode.value}|{action.conclusion}|{target}"
        if fact_id in asserted:
            return
        asserted.add(fact_id)
        # durable_rules identifies a fact by its "id" field (by a 32-bit hash of its content
        # when there is none, which can collide): give every fact an explicit, unique id.
        fact = (f'{{"id": "{fact_id}", "sid": "{sid}", "e": "{target}", "v": "{victim}", '
                + action.body)
        code, _ = _dre.assert_fact(self._handle, fact)
        if code not in (0, 1):
            raise EvaluationError(
                f"durable_rules refused conclusion {action.conclusion!r} (code {code}); no "
                "partial result is returned"
            )

