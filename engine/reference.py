"""A small pure-Python evaluator of the same rule data, in the same two modes.

It is the oracle the durable_rules path is tested against, and it answers the questions that are
about conditions rather than about the Rete network: why a rule did not hold, and which unknown
facts would decide an undetermined conclusion.
"""

from __future__ import annotations

import itertools
from typing import Any

from dmst.engine.firings import DEFINITE, POSSIBLE, Firing, Firings, Mode, weakest
from dmst.rules.loader import Atom, FactAtom, LoadedRule, Rulebook

__all__ = ["evaluate_reference", "truth"]


def truth(atom: FactAtom, facts: dict[str, Any], mode: Mode) -> bool:
    """Whether a fact atom counts as holding in ``mode`` (unknown: false if definite, true if
    possible)."""
    value = atom.test(facts)
    if value is None:
        return mode == POSSIBLE
    return value


def evaluate_reference(rulebook: Rulebook, facts: dict[str, Any]) -> Firings:
    """Evaluate every rule in level order; a single pass reaches the fixpoint."""
    out = Firings()
    for rule in rulebook.rules:
        for mode in (DEFINITE, POSSIBLE):
            _fire(rulebook, rule, facts, mode, out)
    return out


def _fire(rulebook: Rulebook, rule: LoadedRule, facts: dict[str, Any], mode: Mode,
          out: Firings) -> None:
    other: Mode = POSSIBLE if mode == DEFINITE else DEFINITE
    # unless: definite needs the exception impossible; possible needs it not certain.
    if any(out.holds(other, u) for u in rule.rule.unless):
        return
    for index, alternative in enumerate(rule.alternatives):
        choices = _choices(rulebook, alternative, facts, mode, out)
        if choices is None:
            continue
        for matched in itertools.product(*choices):
            certainty = weakest(
                [rule.certainty, *(out.certainty[(mode, m)] for m in matched)]
            )
            out.add(rule.conclusion_id, Firing(rule.id, index, mode, tuple(matched)), certainty)


def _choices(rulebook: Rulebook, alternative: tuple[Atom, ...], facts: dict[str, Any],
             mode: Mode, out: Firings) -> list[list[str]] | None:
    choices: list[list[str]] = []
    for atom in alternative:
        if isinstance(atom, FactAtom):
            if not truth(atom, facts, mode):
                return None
            continue
        held = [t for t in rulebook.targets(atom) if out.holds(mode, t)]
        if not held:
            return None
        choices.append(sorted(held))
    return choices
