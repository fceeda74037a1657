"""The rulebook: the law as cited rules (YAML files beside this module) and the code that reads
and checks them. ``load_rulebook()`` gives a checked :class:`Rulebook`."""

from dmst.rules._atoms import PAIR, VICTIM, Atom, Entity, FactAtom, MatchAtom, RefAtom, weighs
from dmst.rules._book import LoadedRule, Rulebook
from dmst.rules._loader import load_rulebook
from dmst.rules._model import (
    Certainty,
    Citation,
    ConclusionSpec,
    Kind,
    Modality,
    Penalty,
    PenaltyBasis,
    Range,
)
from dmst.rules._source import Source, normalize

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
