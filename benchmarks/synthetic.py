"""A synthetic rulebook N times the size of the shipped one, for measuring how cost grows.

Each copy renames every rule id, conclusion id and topic (suffix ``_xK``) and every reference to
them, and keeps the quotes, so the copy passes every check of the loader. The offense table is
the fact model's and cannot grow, so the copies keep the shipped offenses: a copy's rules that
attach to a kind of charge (``scope``) also match the other copies' charges of that offense.
The growth measured includes that coupling, as a rulebook that grew by adding rules about the
same offenses would.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

__all__ = ["write_scaled_rulebook"]


def _rename(node: Any, suffix: str, ids: set[str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("id", "conclusion") and isinstance(value, str) and value in ids:
                out[key] = value + suffix
            elif key == "then" and isinstance(value, str):
                out[key] = value + suffix
            elif key == "unless":
                out[key] = [v + suffix for v in value]
            elif key == "topic" and isinstance(value, str):
                out[key] = value + suffix
            else:
                out[key] = _rename(value, suffix, ids)
        return out
    if isinstance(node, list):
        return [_rename(v, suffix, ids) for v in node]
    return node


def write_scaled_rulebook(target: Path, factor: int) -> Path:
    """Write a rulebook ``factor`` times the shipped one into ``target``; return the folder."""
    source = Path(str(resources.files("dmst.rules")))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(source / "rulebook.yaml", target / "rulebook.yaml")
    shutil.copytree(source / "source", target / "source", dirs_exist_ok=True)
    files = sorted(p for p in source.glob("*.yaml") if p.name != "rulebook.yaml")
    docs = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in files}
    ids = {r["id"] for d in docs.values() for r in d["rules"]}
    ids |= {r["then"]["id"] for d in docs.values() for r in d["rules"]
            if isinstance(r["then"], dict) and r["then"].get("id")}
    for name, doc in docs.items():
        rules = list(doc["rules"])
        for k in range(1, factor):
            rules += _rename(doc["rules"], f"_x{k}", ids)
        (target / name).write_text(
            yaml.safe_dump({"area": doc["area"], "rules": rules}, allow_unicode=True,
                           sort_keys=False, width=200),
            encoding="utf-8",
        )
    return target
