"""Varied, valid cases for benchmarks, from a seeded generator (same seed, same cases).

:func:`generate` gives cases that differ the way real records do: every fact the rules read is
drawn (ages across every threshold and as ranges, roles, conduct, dates, convictions), a random
part of them is left unknown, and no two cases are the same. :func:`generate_case` gives case
files of several accused and victims.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

from dmst.facts.model import CONTROLLING_CONDUCT
from dmst.facts.paths import FACTS, nest

__all__ = ["full_scenario", "generate", "generate_case", "stream", "with_known"]

_GIVEN = list(FACTS)
_AGES = [10, 12, 13, 14, 15, 16, 17, 18, 19, 25]


def _value(rng: random.Random, path: str) -> Any:
    spec = FACTS[path]
    if spec.kind == "bool":
        return rng.random() < 0.5
    if spec.kind == "age":
        if rng.random() < 0.2:
            lo = rng.choice(_AGES[:-1])
            return {"min": lo, "max": lo + rng.choice([0, 1, 2, 4])}
        return rng.choice(_AGES)
    if spec.kind == "set":
        return rng.sample(list(spec.choices), rng.choice([0, 1, 1, 2]))
    if spec.kind == "choice":
        return rng.choice(spec.choices)
    if spec.kind == "date":
        return (dt.date(2016, 6, 1) + dt.timedelta(days=rng.randrange(1400))).isoformat()
    raise AssertionError(path)  # pragma: no cover


def _low(v: Any) -> int:
    return v.get("min", 0) if isinstance(v, dict) else v


def _high(v: Any) -> int:
    return v.get("max", 120) if isinstance(v, dict) else v


def full_scenario(rng: random.Random) -> dict[str, Any]:
    """A scenario with every fact given (as a flat path -> value mapping), valid together."""
    flat = {p: _value(rng, p) for p in _GIVEN}
    if _high(flat["victim.age_at_testimony"]) < _low(flat["victim.age"]):
        flat["victim.age_at_testimony"] = _low(flat["victim.age"]) + rng.randrange(3)
    if flat["compensation.claim_filed"] < flat["dates.offense"]:
        offense = dt.date.fromisoformat(flat["dates.offense"])
        flat["compensation.claim_filed"] = (offense + dt.timedelta(days=rng.randrange(2000))
                                            ).isoformat()
    convictions = flat.get("accused.convicted_of") or []
    for offense in list(convictions):  # a conviction needs its conduct: keep the pair coherent
        conduct = {"promoting_prostitution": "promoted_prostitution",
                   "enticing_child": "enticed_for_commercial_sex"}.get(offense)
        if conduct:
            flat[f"accused.conduct.{conduct}"] = True
        else:
            convictions.remove(offense)
    flat["accused.convicted_of"] = convictions
    controls = any(flat[f"accused.conduct.{c}"] is True for c in CONTROLLING_CONDUCT) or (
        "trafficker" in flat["accused.roles"] and flat["accused.conduct.promoted_prostitution"])
    if controls:  # whoever traffics her (or profits, aids, promotes as trafficker) controls her
        flat["victim.third_party_control"] = True
    return flat


def with_known(flat: dict[str, Any], rng: random.Random, known: int) -> dict[str, Any]:
    """The scenario's facts with only ``known`` of them given (the rest unknown), nested."""
    keep = rng.sample(sorted(flat), min(known, len(flat)))
    return nest({p: flat[p] for p in keep})


def generate(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` distinct scenario documents (``{"facts": ...}``), between 3 and all facts given."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(out) < count:
        flat = full_scenario(rng)
        doc = {"facts": with_known(flat, rng, rng.randrange(3, len(flat) + 1))}
        key = json.dumps(doc, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(doc)
    return out


def stream(seed: int = 7) -> Iterator[dict[str, Any]]:
    """Scenario documents drawn as :func:`generate` draws them, without end and without keeping
    them (so without checking that no two are the same: with every fact drawn and a random part
    of them given, a repeat is rare)."""
    rng = random.Random(seed)
    while True:
        flat = full_scenario(rng)
        yield {"facts": with_known(flat, rng, rng.randrange(3, len(flat) + 1))}


def generate_case(rng: random.Random, accused: int, victims: int) -> dict[str, Any]:
    """A case document with this many accused and victims, each accused's conduct concerning
    every victim."""
    vs, acc = [], []
    for j in range(victims):
        nested = with_known(full_scenario(rng), rng, 40)
        v = dict(nested.get("victim", {}))
        if "compensation" in nested:
            v["compensation"] = nested["compensation"]
        v["id"] = f"V{j + 1}"
        v["third_party_control"] = True
        vs.append(v)
    for i in range(accused):
        nested = with_known(full_scenario(rng), rng, 40)
        a = dict(nested.get("accused", {}))
        a["id"] = f"A{i + 1}"
        a.setdefault("conduct", {})["trafficked_for_sex"] = rng.random() < 0.5
        acc.append(a)
    return {"facts": {"victims": vs, "accused": acc, "investigation": {"decoy": False}}}
