"""Fact paths: the dotted names rules use for facts, derived from the model itself.

``FACTS`` maps every leaf path of :class:`Scenario` (``victim.age``, ``accused.roles``, ...) to a
:class:`FactSpec` saying what values it takes. ``flatten`` turns a scenario into the known facts,
path to plain value, leaving unknown facts out. A few *computed* facts (the compensation filing
delay) are derived from given ones and carry the paths of the facts they come from.
"""

from __future__ import annotations

import datetime as _dt
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel

from dmst.facts.model import Scenario

__all__ = ["FACTS", "FLIP_FACTS", "FactSpec", "flatten", "months_between", "nest"]

Kind = Literal["bool", "int", "number", "date", "set"]


@dataclass(frozen=True)
class FactSpec:
    """What one fact path holds."""

    path: str
    kind: Kind
    description: str
    choices: tuple[str, ...] = ()
    #: For a computed fact, the given facts it is computed from.
    computed_from: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


def _leaf_kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    base = args[0] if args else annotation
    while typing.get_origin(base) is typing.Annotated:
        base = typing.get_args(base)[0]
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        while typing.get_origin(item) is typing.Annotated:
            item = typing.get_args(item)[0]
        assert isinstance(item, type) and issubclass(item, Enum)
        return "set", tuple(str(m.value) for m in item)
    if base is bool:
        return "bool", ()
    if base is int:
        return "int", ()
    if base is _dt.date:
        return "date", ()
    raise TypeError(f"fact type {annotation!r} has no rule kind")  # pragma: no cover


def _bounds(info: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for meta in getattr(info, "metadata", []):
        lo = getattr(meta, "ge", lo)
        hi = getattr(meta, "le", hi)
    return lo, hi


def _walk(model: type[BaseModel], prefix: str) -> dict[str, FactSpec]:
    out: dict[str, FactSpec] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.update(_walk(ann, path + "."))
            continue
        kind, choices = _leaf_kind(ann)
        lo, hi = _bounds(info)
        if lo is None and hi is None:
            for arg in typing.get_args(ann):
                if typing.get_origin(arg) is typing.Annotated:
                    for meta in typing.get_args(arg)[1:]:
                        for bound in getattr(meta, "metadata", [meta]):
                            lo = getattr(bound, "ge", lo)
                            hi = getattr(bound, "le", hi)
        out[path] = FactSpec(path, kind, info.description or "", choices, (), lo, hi)
    return out


FILING_DELAY = "compensation.filing_delay_months"

FACTS: dict[str, FactSpec] = {
    **_walk(Scenario, ""),
    FILING_DELAY: FactSpec(
        FILING_DELAY,
        "number",
        "Computed: months from dates.offense to compensation.claim_filed (a part month counts "
        "as a fraction, so one day past 36 months is more than 36).",
        computed_from=("dates.offense", "compensation.claim_filed"),
        minimum=0,
    ),
}

#: The facts the what-if (``dmst flips``) changes by default: the victim's age and age at testimony across
#: every threshold the rules compare them with, and the true/false facts that most often turn
#: a case.
FLIP_FACTS: tuple[str, ...] = (
    "victim.age",
    "victim.age_at_testimony",
    "investigation.decoy",
    "accused.conduct.used_internet",
    "victim.third_party_control",
)


def months_between(start: _dt.date, end: _dt.date) -> float:
    """Whole calendar months from ``start`` to ``end``, plus a fraction for any extra days."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    anchor_year, anchor_month = divmod(start.month - 1 + months, 12)
    anchor_year += start.year
    day = min(start.day, _days_in(anchor_year, anchor_month + 1))
    anchor = _dt.date(anchor_year, anchor_month + 1, day)
    extra = (end - anchor).days
    return months + (extra / 32 if extra > 0 else 0.0)


def _days_in(year: int, month: int) -> int:
    nxt = _dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - _dt.timedelta(days=1)).day


def flatten(scenario: Scenario) -> dict[str, Any]:
    """The known facts of ``scenario`` as plain values, by path; unknown facts are absent."""
    out: dict[str, Any] = {}
    _flatten_into(scenario, "", out)
    offense, filed = scenario.dates.offense, scenario.compensation.claim_filed
    if offense is not None and filed is not None:
        out[FILING_DELAY] = round(months_between(offense, filed), 4)
    return out


def _flatten_into(model: BaseModel, prefix: str, out: dict[str, Any]) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            continue
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            _flatten_into(value, path + ".", out)
        elif isinstance(value, tuple):
            out[path] = sorted(str(v.value if isinstance(v, Enum) else v) for v in value)
        elif isinstance(value, _dt.date):
            out[path] = value.isoformat()
        else:
            out[path] = value


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The nested facts (``{"victim": {"age": 15}}``) of a flat path -> value mapping, in its
    order: what :func:`flatten` takes apart. Computed facts are left out (they are not given)."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        spec = FACTS.get(path)
        if spec is not None and spec.computed_from:
            continue
        *groups, leaf = path.split(".")
        node = out
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = list(value) if isinstance(value, (list, tuple)) else value
    return out
