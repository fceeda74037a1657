"""Varied, valid scenarios for benchmarks, from a seeded generator (same seed, same scenarios)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from dmst.facts.paths import FACTS, nest

__all__ = ["full_scenario", "generate", "with_known"]

_GIVEN = [p for p, spec in FACTS.items() if not spec.computed_from]


def _value(rng: random.Random, path: str) -> Any:
    spec = FACTS[path]
    if spec.kind == "bool":
        return rng.random() < 0.5
    if spec.kind == "int":
        return rng.choice([10, 12, 13, 14, 15, 16, 17, 18, 19, 25])
    if spec.kind == "set":
        k = rng.choice([1, 1, 1, 2])
        return rng.sample(list(spec.choices), k)
    if spec.kind == "date":
        return (dt.date(2017, 4, 1) + dt.timedelta(days=rng.randrange(800))).isoformat()
    raise AssertionError(path)  # pragma: no cover


def full_scenario(rng: random.Random) -> dict[str, Any]:
    """A scenario with every fact given (as a flat path -> value mapping)."""
    flat = {p: _value(rng, p) for p in _GIVEN}
    if flat["victim.age_at_testimony"] < flat["victim.age"]:
        flat["victim.age_at_testimony"] = flat["victim.age"] + rng.randrange(3)
    if flat["compensation.claim_filed"] < flat["dates.offense"]:
        offense = dt.date.fromisoformat(flat["dates.offense"])
        flat["compensation.claim_filed"] = (offense + dt.timedelta(days=rng.randrange(2000))
                                            ).isoformat()
    return flat


def with_known(flat: dict[str, Any], rng: random.Random, known: int) -> dict[str, Any]:
    """The scenario's facts with only ``known`` of them given (the rest unknown), nested."""
    keep = rng.sample(sorted(flat), min(known, len(flat)))
    return nest({p: flat[p] for p in keep})


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` scenario documents (``{"facts": ...}``) with between 3 and all facts given."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        flat = full_scenario(rng)
        out.append({"facts": with_known(flat, rng, rng.randrange(3, len(flat) + 1))})
    return out
