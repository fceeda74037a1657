"""The rulebook: the law as cited rules (YAML files beside this module) and the code that reads
and checks them. ``load_rulebook()`` gives a checked :class:`Rulebook`."""

import importlib
from typing import TYPE_CHECKING, Any

#: Where each public name lives; a module is imported when one of its names is first used, so
#: that ``import dmst.rules._kinds`` (what the command line's help needs) stays cheap.
_WHERE = {
    **dict.fromkeys(("PAIR", "VICTIM", "Atom", "Entity", "FactAtom", "MatchAtom", "RefAtom",
                     "weighs"), "_atoms"),
    **dict.fromkeys(("LoadedRule", "Rulebook"), "_book"),
    "load_rulebook": "_loader",
    **dict.fromkeys(("Certainty", "Citation", "ConclusionSpec", "Modality", "Penalty",
                     "PenaltyBasis", "Range"), "_model"),
    "Kind": "_kinds",
    **dict.fromkeys(("Source", "normalize"), "_source"),
}

if TYPE_CHECKING:
    from dmst.rules._atoms import PAIR, VICTIM, Atom, Entity, FactAtom, MatchAtom, RefAtom, weighs
    from dmst.rules._book import LoadedRule, Rulebook
    from dmst.rules._kinds import Kind
    from dmst.rules._loader import load_rulebook
    from dmst.rules._model import (
        Certainty,
        Citation,
        ConclusionSpec,
        Modality,
        Penalty,
        PenaltyBasis,
        Range,
    )
    from dmst.rules._source import Source, normalize


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dmst.rules' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"dmst.rules.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "PAIR",
    "VICTIM",
    "Atom",
    "Certainty",
    "Citation",
    "ConclusionSpec",
    "Entity",
    "FactAtom",
    "Kind",
    "LoadedRule",
    "MatchAtom",
    "Modality",
    "Penalty",
    "PenaltyBasis",
    "Range",
    "RefAtom",
    "Rulebook",
    "Source",
    "load_rulebook",
    "normalize",
    "weighs",
]
