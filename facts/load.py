"""Scenario files: one format (YAML or JSON) for the CLI, the examples and the tests.

A scenario file is a mapping with ``facts`` (required) and optional ``title``, ``narrative`` and
``expected``. Reading one never raises anything but a :class:`~dmst.errors.InputError`, whose
message names the file, the line and the field, and says what to do.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dmst._yaml import YamlProblem, load_yaml
from dmst.errors import FactError, Problem, SourceFileError
from dmst.facts.model import Scenario

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_DEPTH",
    "CaseFile",
    "Expected",
    "fact_error",
    "load_case_file",
    "parse_case",
]

#: Scenario files larger than this are refused before they are read.
MAX_FILE_BYTES = 1_000_000
#: Scenario documents nested deeper than this are refused (a case file is 3 levels deep).
MAX_DEPTH = 20


class Expected(BaseModel):
    """What a scenario is expected to conclude: the examples' golden expectations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conclusions: list[str] | None = Field(
        None, description="Exactly the conclusions (and statuses) that apply, by id."
    )
    undetermined: list[str] | None = Field(
        None, description="Exactly the conclusions left undetermined, by id."
    )
    absent: list[str] = Field(
        default_factory=list,
        description="Conclusions that must neither apply nor be undetermined.",
    )


class CaseFile(BaseModel):
    """A scenario file: the facts, and optionally a title, a narrative and expectations."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str | None = Field(None, description="A short title.")
    narrative: str | None = Field(None, description="The story of the case, for readers.")
    facts: Scenario = Field(description="The facts of the case.")
    expected: Expected | None = Field(None, description="Expected conclusions (examples, tests).")


def load_case_file(path: str | Path) -> CaseFile:
    """Read and validate a scenario file."""
    p = Path(path)
    name = str(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise SourceFileError("no such file; check the path", file=name) from None
    except OSError as exc:
        raise SourceFileError(f"cannot read the file: {exc.strerror}", file=name) from None
    if p.is_dir():
        raise SourceFileError("is a directory, not a scenario file", file=name)
    if size > MAX_FILE_BYTES:
        raise SourceFileError(
            f"the file is {size:,} bytes; scenario files are limited to {MAX_FILE_BYTES:,} bytes",
            file=name,
        )
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SourceFileError(f"cannot read the file: {exc.strerror}", file=name) from None
    return parse_case(raw, name=name, json_only=p.suffix.lower() == ".json")


def parse_case(raw: bytes | str, *, name: str = "<input>", json_only: bool = False) -> CaseFile:
    """Parse scenario text (YAML, or JSON when ``json_only``) into a :class:`CaseFile`."""
    text = _decode(raw, name)
    if not text.strip():
        raise SourceFileError("the file is empty; a scenario needs at least 'facts:'", file=name)
    data = _parse_text(text, name, json_only)
    if not isinstance(data, dict):
        raise SourceFileError(
            f"the top level is a {_type_name(data)}; a scenario file is a mapping with 'facts:' "
            "(and optional title, narrative, expected)",
            file=name,
        )
    _check_depth(data, name)
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        raise fact_error(exc, data, name=name, text=text) from None


def _decode(raw: bytes | str, name: str) -> str:
    if isinstance(raw, str):
        return raw
    if b"\0" in raw[:8192]:
        raise SourceFileError("this is a binary file, not a YAML or JSON scenario", file=name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFileError(
            f"not UTF-8 text (bad byte at offset {exc.start}); save the file as UTF-8", file=name
        ) from None


def _parse_text(text: str, name: str, json_only: bool) -> Any:
    if json_only:
        try:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as exc:
            hint = ""
            if text.lstrip()[:1] not in ("{", "["):
                hint = " (the file is named .json but looks like YAML: rename it to .yaml)"
            raise SourceFileError(f"not valid JSON: {exc.msg}{hint}", file=name,
                                  line=exc.lineno) from None
        except _Duplicate as exc:
            raise SourceFileError(str(exc), file=name) from None
        except RecursionError:
            raise SourceFileError("the document is nested too deeply", file=name) from None
    try:
        return load_yaml(text)
    except YamlProblem as exc:
        raise SourceFileError(exc.message, file=name, line=exc.line) from None


class _Duplicate(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(f"duplicate key '{k}'; give each key once")
        out[k] = v
    return out


def _check_depth(data: Any, name: str) -> None:
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SourceFileError(
                f"the document is nested more than {MAX_DEPTH} levels deep; a scenario is a few "
                "levels of mappings",
                file=name,
            )
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "empty document"}.get(type(value), type(value).__name__)


# --- turning validation errors into messages people can act on ---------------------------------


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at the mapping that holds ``loc[-1]``."""
    model: Any = CaseFile if loc and loc[0] in CaseFile.model_fields else Scenario
    for part in loc[:-1]:
        if not isinstance(part, str):
            return []
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        ann = field.annotation
        inner = [a for a in getattr(ann, "__args__", ()) if isinstance(a, type)]
        model = ann if isinstance(ann, type) else (inner[0] if inner else None)
        if model is None or not hasattr(model, "model_fields"):
            return []
    return list(getattr(model, "model_fields", {}))


def _friendly(err: dict[str, Any]) -> str:
    kind = err["type"]
    given = err.get("input")
    shown = json.dumps(given, default=str) if not isinstance(given, (dict, list)) else ""
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown fact name"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        what = "text" if isinstance(given, str) else _type_name(given)
        return f"must be a whole number, not {shown} ({what})"
    if kind == "bool_type":
        return f"must be true or false, not {shown}"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, not {shown}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}, not {shown}"
    if kind == "enum":
        return f"{shown} is not allowed; use one of {ctx.get('expected')}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, not {shown}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"must be a mapping of facts, not {shown or _type_name(given)}"
    if kind == "missing":
        return "is required"
    if kind in ("string_type",):
        return f"must be text, not {shown}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_inexact"):
        return f"must be a date written YYYY-MM-DD, not {shown}"
    msg = str(err.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def fact_error(exc: ValidationError, data: Any, *, name: str | None = None,
               text: str | None = None) -> FactError:
    """A :class:`FactError` listing every problem in ``exc`` with field, line and suggestion."""
    lines = _line_map(text) if text else {}
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in loc) or None
        suggestion = None
        if err["type"] == "extra_forbidden" and loc:
            allowed = _allowed_keys(loc)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
            if close:
                suggestion = ".".join(str(p) for p in (*loc[:-1], close[0]))
            elif allowed:
                suggestion = None
        line = None
        for cut in range(len(loc), 0, -1):
            line = lines.get(loc[:cut])
            if line is not None:
                break
        problems.append(Problem(message=_friendly(err), field=field, line=line,
                                suggestion=suggestion))
    first = problems[0] if problems else None
    head = "the facts are not valid" if len(problems) <= 1 else \
        f"{len(problems)} problems in the facts"
    return FactError(
        head, file=name, line=first.line if first else None,
        field=first.field if first else None, problems=tuple(problems),
    )


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """1-based line of every key path in a YAML/JSON document (best effort)."""
    out: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return out

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = path + (k.value,)
                out[key] = k.start_mark.line + 1
                walk(v, key)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out[path + (i,)] = v.start_mark.line + 1
                walk(v, path + (i,))

    if root is not None:
        walk(root, ())
    return out
