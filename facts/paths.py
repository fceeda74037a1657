"""Fact paths: the dotted names rules use for facts, derived from the model itself.

``FACTS`` maps every leaf path of :class:`Scenario` (``victim.age``, ``accused.roles``, ...) to a
:class:`FactSpec` saying what values it takes and the question that asks for it. ``flatten``
turns a scenario into its known facts, path to plain value, leaving unknown facts out; ``nest``
takes them back. ``expand_dotted`` lets input use the same dotted paths as keys
(``accused.enterprise: true``), so what a result reports can be fed back.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel

from dmst.errors import FactError, Problem
from dmst.facts._flips import FLIP_FACTS
from dmst.facts.model import AgeRange, Scenario

__all__ = [
    "FACTS",
    "FLIP_FACTS",
    "FactSpec",
    "expand_dotted",
    "flatten",
    "months_between",
    "nest",
]

Kind = Literal["bool", "int", "age", "number", "date", "set", "choice"]


@dataclass(frozen=True)
class FactSpec:
    """What one fact path holds.

    ``kind``: ``bool``; ``int``; ``age`` (whole years, or a range ``{min, max}``); ``number`` (a
    computed quantity); ``date`` (ISO text); ``set`` (a list of ``choices``); ``choice`` (one of
    ``choices``). ``question`` asks for the fact in plain words.
    """

    path: str
    kind: Kind
    description: str
    choices: tuple[str, ...] = ()
    #: For a computed fact, the given facts it is computed from.
    computed_from: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    question: str = ""
    unit: str | None = None
    #: Another fact this one can never be below (the age at trial is at least the age at the
    #: offense).
    at_least: str | None = None


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _members(annotation: Any) -> list[Any]:
    """The types a (possibly optional, annotated, union) annotation admits, None left out."""
    ann = _unwrap(annotation)
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(ann) for m in _members(a)]
    return [] if ann is type(None) else [ann]


def _leaf_kind(annotation: Any) -> tuple[Kind, tuple[str, ...]]:
    args = _members(annotation)
    if AgeRange in args:
        return "age", ()
    base = args[0]
    if typing.get_origin(base) is tuple:
        item = _unwrap(typing.get_args(base)[0])
        assert isinstance(item, type) and issubclass(item, Enum)
        return "set", tuple(str(m.value) for m in item)
    if isinstance(base, type) and issubclass(base, Enum):
        return "choice", tuple(str(m.value) for m in base)
    if base is bool:
        return "bool", ()
    if base is int:
        return "int", ()
    if base is _dt.date:
        return "date", ()
    raise TypeError(f"fact type {annotation!r} has no rule kind")  # pragma: no cover


def _bounds(annotation: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    stack = [annotation]
    while stack:
        ann = stack.pop()
        if typing.get_origin(ann) is typing.Annotated:
            for meta in typing.get_args(ann)[1:]:
                for bound in getattr(meta, "metadata", [meta]):
                    lo = getattr(bound, "ge", lo)
                    hi = getattr(bound, "le", hi)
            stack.append(typing.get_args(ann)[0])
        else:
            stack.extend(typing.get_args(ann))
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
        lo, hi = _bounds(ann)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        out[path] = FactSpec(path, kind, info.description or "", choices, (), lo, hi,
                             str(extra.get("question", "")),
                             "years" if kind == "age" else None,
                             extra.get("at_least"))
    return out


#: Every fact a scenario can give, by path.
FACTS: dict[str, FactSpec] = _walk(Scenario, "")


def months_between(start: _dt.date, end: _dt.date) -> float:
    """Whole calendar months from ``start`` to ``end``, plus a fraction (days / 32) for any extra
    days, so that one day past 36 months is more than 36."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if end.day < start.day:
        months -= 1
    anchor_year, anchor_month = divmod(start.month - 1 + months, 12)
    anchor_year += start.year
    day = min(start.day, calendar.monthrange(anchor_year, anchor_month + 1)[1])
    anchor = _dt.date(anchor_year, anchor_month + 1, day)
    extra = (end - anchor).days
    return months + (extra / 32 if extra > 0 else 0.0)


def flatten(scenario: Scenario) -> dict[str, Any]:
    """The known facts of ``scenario`` as plain values, by path; unknown facts are absent.

    Values: ``bool``, ``int``, ISO date text, a sorted list of choices, one choice as text, and an
    age range as ``{"min": 15, "max": 16}`` (a bound left out is absent).
    """
    out: dict[str, Any] = {}
    _flatten_into(scenario, "", out)
    return out


def _flatten_into(model: BaseModel, prefix: str, out: dict[str, Any]) -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            continue
        path = f"{prefix}{name}"
        if isinstance(value, AgeRange):
            out[path] = {k: v for k, v in (("min", value.min), ("max", value.max))
                         if v is not None}
        elif isinstance(value, BaseModel):
            _flatten_into(value, path + ".", out)
        elif isinstance(value, tuple):
            out[path] = sorted(str(v.value if isinstance(v, Enum) else v) for v in value)
        elif isinstance(value, Enum):
            out[path] = str(value.value)
        elif isinstance(value, _dt.date):
            out[path] = value.isoformat()
        else:
            out[path] = value


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """The nested facts (``{"victim": {"age": 15}}``) of a flat path -> value mapping, in its
    order: what :func:`flatten` takes apart. Paths that are not given facts (computed ones) are
    left out."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if path not in FACTS:
            continue
        *groups, leaf = path.split(".")
        node = out
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = (list(value) if isinstance(value, (list, tuple)) else
                      dict(value) if isinstance(value, Mapping) else value)
    return out


def expand_dotted(data: Any, where: str = "") -> Any:
    """``data`` with every dotted key of every mapping in it expanded into nested mappings:
    ``{"accused.enterprise": True}`` becomes ``{"accused": {"enterprise": True}}``.

    Raises :class:`~dmst.errors.FactError` when one fact is given both ways (``accused.enterprise``
    beside ``accused: {enterprise: ...}``) or a key has an empty part. Anything that is not a
    mapping or a list is returned as it is.
    """
    if isinstance(data, (list, tuple)):
        return [expand_dotted(v, f"{where}{i}.") for i, v in enumerate(data)]
    if not isinstance(data, Mapping):
        return data
    out: dict[Any, Any] = {}
    for key, value in data.items():
        parts = key.split(".") if isinstance(key, str) else [key]
        if "" in parts:
            raise _invalid(f"{where}'{key}'", f"the key '{key}' has an empty part; write a "
                           "dotted path such as victim.age")
        value = expand_dotted(value, f"{where}{key}.")
        for part in reversed(parts[1:]):
            value = {part: value}
        head = parts[0]
        out[head] = _merge(out[head], value, f"{where}{head}") if head in out else value
    return out


def _invalid(field: str, message: str) -> FactError:
    """The error for one problem with the keys of the facts, naming the field as every other
    problem with the facts is named."""
    head = "the facts are" if field.startswith("facts") else "the scenario is"
    return FactError(f"{head} not valid", field=field, problems=(Problem(message, field=field),))


def _merge(a: Any, b: Any, path: str) -> Any:
    """Two expansions of one key merged; the same fact in both is an error."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        raise _invalid(path, f"{path} is given twice (once as a dotted key, once nested); give "
                       "each fact once")
    merged = dict(a)
    for k, v in b.items():
        merged[k] = _merge(merged[k], v, f"{path}.{k}") if k in merged else v
    return merged
