"""A small pure-Python evaluator of the same rule data, in the same two modes and over the same
entities: the oracle the durable_rules path is tested against, and the baseline the benchmarks
measure it by. One pass over the rules in level order reaches the fixpoint, since a rule comes
after every conclusion it reads."""

from __future__ import annotations

import itertools

from dmst.engine._firings import DEFINITE, POSSIBLE, Firing, Firings, Instance, Mode, weakest
from dmst.engine._prepare import Prepared
from dmst.rules import PAIR, VICTIM, Atom, FactAtom, LoadedRule, Rulebook, weighs

__all__ = ["evaluate_reference"]


def _holds(truth: bool | None, atom: FactAtom, mode: Mode) -> bool:
    if truth is None:
        return mode is POSSIBLE or atom.unknown_holds
    return truth


def evaluate_reference(rulebook: Rulebook, prepared: Prepared) -> Firings:
    """Every rule, in level order, for every entity it is anchored on, in both modes."""
    out = Firings()
    index = {a: i for i, a in enumerate(rulebook.atoms)}
    anchors = {
        PAIR: [(f"p{k}", f"v{prepared.pair_victim[k]}", p.truths)
               for k, p in enumerate(prepared.pairs)],
        VICTIM: [(f"v{j}", f"v{j}", prepared.pairs[prepared.pair_victim.index(j)].truths)
                 for j in range(len(prepared.victims))],
    }
    for rule in rulebook.rules:
        victim_level = rulebook.entity[rule.conclusion_id] == VICTIM
        for entity, victim, truths in anchors[rule.anchor]:
            for mode in (DEFINITE, POSSIBLE):
                _fire(rulebook, rule, index, truths, entity, victim, victim_level, mode, out)
    return out


def _fire(rulebook: Rulebook, rule: LoadedRule, index: dict[FactAtom, int],
          truths: tuple[bool | None, ...], entity: str, victim: str, victim_level: bool,
          mode: Mode, out: Firings) -> None:
    # unless: definite needs the exception impossible; possible needs it not certain.
    for u in rule.rule.unless:
        if out.holds(mode.other, u, victim if rulebook.entity[u] == VICTIM else entity):
            return
    target = victim if victim_level else entity
    for number, alternative in enumerate(rule.alternatives):
        choices = _choices(rulebook, alternative, index, truths, entity, victim, mode, out)
        if choices is None:
            continue
        weighed = [weighs(a) for a in alternative if not isinstance(a, FactAtom)]
        for matched in itertools.product(*choices):
            certainty = weakest([rule.certainty, *(out.certainty[(mode, c, e)]
                                                   for (c, e), w in zip(matched, weighed, strict=True) if w)])
            out.add(rule.conclusion_id, target,
                    Firing(rule.id, number, mode, entity, tuple(matched), rule.silent), certainty)


def _choices(rulebook: Rulebook, alternative: tuple[Atom, ...], index: dict[FactAtom, int],
             truths: tuple[bool | None, ...], entity: str, victim: str, mode: Mode,
             out: Firings) -> list[list[Instance]] | None:
    choices: list[list[Instance]] = []
    for atom in alternative:
        if isinstance(atom, FactAtom):
            if not _holds(truths[index[atom]], atom, mode):
                return None
            continue
        held = [(t, victim if rulebook.entity[t] == VICTIM else entity)
                for t in rulebook.targets(atom)]
        held = [i for i in held if out.holds(mode, *i)]
        if not held:
            return None
        choices.append(sorted(held))
    return choices
