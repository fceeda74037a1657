"""Scenario files: one format (YAML or JSON) for the CLI, the examples and the tests.

A scenario file is a mapping with ``facts`` (required) and optional ``title``, ``narrative`` and
``expected``. Reading one never raises anything but a :class:`~dmst.errors.InputError`, whose
message names the file, the line and the field, and says what to do.
"""

from __future__ import annotations

import difflib
import json
import stat
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from dmst._yaml import YamlProblem, load_yaml
from dmst.errors import DmstError, FactError, Problem, SourceFileError
from dmst.facts.model import Case, Facts, Scenario
from dmst.facts.paths import expand_dotted

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "CaseFile",
    "DuplicateKey",
    "Expect",
    "Expected",
    "PairExpected",
    "JsonProblem",
    "case_from_data",
    "fact_error",
    "load_case",
    "load_case_file",
    "no_duplicate_keys",
    "parse_case",
    "parse_json",
    "parse_line",
]

#: Scenario files larger than this are refused before they are read.
MAX_FILE_BYTES = 1_000_000
#: Scenario documents nested deeper than this are refused (a case file is 3 levels deep).
MAX_DEPTH = 20


class Expect(BaseModel):
    """What one conclusion is expected to be, beyond applying: any of these may be stated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: str | None = Field(None, description="applies, may_apply, undetermined, ...")
    certainty: str | None = Field(None, description="applies or may_apply.")
    penalty: dict[str, Any] | None = Field(None, description="The penalty, as the result gives it.")
    applies_to: list[str] | None = Field(None, description="Exactly the charges it attaches to.")
    modality: str | None = None
    on_conviction: bool | None = None
    missing: list[str] | None = Field(None, description="Exactly the facts that would decide it.")


#: An expected conclusion: its id, or ``{id: {certainty: ..., penalty: ...}}``.
ExpectedItem = str | dict[str, Expect]


class PairExpected(BaseModel):
    """What one pair of a case is expected to conclude."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accused: str | None = None
    victim: str
    conclusions: list[ExpectedItem] | None = Field(
        None, description="Exactly the conclusions (and statuses) that apply, by id."
    )
    undetermined: list[ExpectedItem] | None = Field(
        None, description="Exactly the conclusions left undetermined, by id."
    )
    not_applicable: list[str] | None = Field(
        None, description="Exactly the conclusions listed as not applicable, by id."
    )
    absent: list[str] = Field(
        default_factory=list,
        description="Conclusions that must neither apply nor be undetermined.",
    )


class Expected(BaseModel):
    """What a scenario is expected to conclude: the examples' golden expectations. For a case
    of several people, ``pairs`` states them pair by pair."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    conclusions: list[ExpectedItem] | None = Field(
        None, description="Exactly the conclusions (and statuses) that apply, by id."
    )
    undetermined: list[ExpectedItem] | None = Field(
        None, description="Exactly the conclusions left undetermined, by id."
    )
    not_applicable: list[str] | None = Field(
        None, description="Exactly the conclusions listed as not applicable, by id."
    )
    absent: list[str] = Field(
        default_factory=list,
        description="Conclusions that must neither apply nor be undetermined.",
    )
    presumptions: list[str] | None = Field(
        None, description="Exactly the facts presumed, by path."
    )
    pairs: list[PairExpected] | None = Field(None, description="For a case: by pair.")


class CaseFile(BaseModel):
    """A scenario file: the facts, and optionally an id, a title, a narrative and expectations.
    ``facts`` is one victim and one accused (:class:`Scenario`) or a case of several
    (:class:`Case`: ``victims`` and a list of ``accused``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str | None = Field(None, max_length=200,
                                description="Any id for the case; passed through to results.")
    title: str | None = Field(None, description="A short title.")
    narrative: str | None = Field(None, description="The story of the case, for readers.")
    facts: Facts = Field(description="The facts of the case.")
    expected: Expected | None = Field(None, description="Expected conclusions (examples, tests).")

    @property
    def is_case(self) -> bool:
        """Whether the facts describe a case of several people (a :class:`Case`)."""
        return isinstance(self.facts, Case)


def load_case_file(path: str | Path) -> CaseFile:
    """Read and validate a scenario file (YAML, or JSON when it is named ``.json``).

    At most :data:`MAX_FILE_BYTES` are read, whatever the file claims to be (a device or a pipe
    included), so memory stays bounded.
    """
    p = Path(path)
    name = str(path)
    try:
        info = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise SourceFileError("no such file; check the path", file=name) from None
    except PermissionError:
        raise SourceFileError("permission denied; check the file's permissions",
                              file=name) from None
    except (OSError, ValueError) as exc:
        raise SourceFileError(f"cannot read the file: {_os_reason(exc)}", file=name) from None
    if stat.S_ISDIR(info.st_mode):
        raise SourceFileError(
            "is a directory, not a scenario file; give one .yaml or .json file "
            "(dmst batch reads a whole directory)",
            file=name,
        )
    if info.st_size > MAX_FILE_BYTES:
        raise SourceFileError(_too_large(f"{info.st_size:,} bytes"), file=name)
    try:
        with p.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except PermissionError:
        raise SourceFileError("permission denied; check the file's permissions",
                              file=name) from None
    except OSError as exc:
        raise SourceFileError(f"cannot read the file: {_os_reason(exc)}", file=name) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SourceFileError(_too_large(f"more than {MAX_FILE_BYTES:,} bytes"), file=name)
    return parse_case(raw, name=name, json_only=p.suffix.lower() == ".json")


def _os_reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc)


def _too_large(size: str) -> str:
    return (f"the file is {size}; scenario files are limited to {MAX_FILE_BYTES:,} bytes "
            "(a scenario is a few dozen facts)")


def parse_case(raw: bytes | str, *, name: str = "<input>", json_only: bool = False) -> CaseFile:
    """Parse scenario text (YAML, or JSON when ``json_only``) into a :class:`CaseFile`.

    Text that looks like JSON (it starts with ``{``) is read as JSON even when YAML is allowed,
    since JSON and YAML 1.1 disagree on a few details (``1e5`` is a number in JSON only).
    """
    text = _decode(raw, name)
    if not text.strip():
        raise SourceFileError("the file is empty; a scenario needs at least 'facts:'", file=name)
    data = _parse_text(text, name, json_only)
    if data is None:
        raise SourceFileError(
            "the file holds no data (only comments or an empty document); a scenario needs at "
            "least 'facts:'",
            file=name,
        )
    if not isinstance(data, dict):
        raise SourceFileError(
            f"the top level is {_a(_type_name(data))}; a scenario file is a mapping with "
            "'facts:' (and optional title, narrative, expected)",
            file=name, line=1,
        )
    _check_depth(data, name)
    if isinstance(data.get("facts"), dict):
        data = {**data, "facts": expand_dotted(data["facts"], "facts.")}
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        raise fact_error(exc, data, name=name, text=text) from None


def case_from_data(data: Any, *, name: str = "<input>") -> CaseFile:
    """A :class:`CaseFile` from decoded data (a JSON object, say): a scenario file's content
    (with ``facts``) or the facts alone (``victim``, ``accused``, ... or a case's ``victims``).

    Dotted keys are expanded as in a file. Raises :class:`~dmst.errors.SourceFileError` when
    ``data`` is not a mapping and :class:`~dmst.errors.FactError` naming every problem; for the
    facts alone, fields are named from the facts down (``victim.age``, not ``facts.victim.age``).
    """
    if not isinstance(data, Mapping):
        raise SourceFileError(
            f"the data is {_a(_type_name(data))}; send a mapping: a scenario with 'facts' (and "
            "optional title and narrative), or the facts themselves (victim, accused, ...)",
            file=name)
    _check_depth(data, name)
    bare = "facts" not in data
    document = {"facts": data} if bare else dict(data)
    if isinstance(document.get("facts"), Mapping):
        document["facts"] = expand_dotted(dict(document["facts"]), "facts.")
    try:
        return CaseFile.model_validate(document)
    except ValidationError as exc:
        error = fact_error(exc, document, name=name)
        if not bare:
            raise error from None
        raise _without_facts_prefix(error) from None


def _without_facts_prefix(error: FactError) -> FactError:
    def cut(path: str | None) -> str | None:
        return path[len("facts."):] if path and path.startswith("facts.") else path

    problems = tuple(
        Problem(message=p.message, field=cut(p.field), line=p.line, suggestion=cut(p.suggestion))
        for p in error.problems)
    return FactError(error.message.replace("the scenario", "the facts"), file=error.file,
                     line=error.line, field=cut(error.field), problems=problems)


def parse_line(raw: bytes | str, *, name: str = "<input>", line: int | None = None) -> CaseFile:
    """Parse one JSON line of a batch (a scenario file's content as one JSON object) into a
    :class:`CaseFile`; every problem is an :class:`~dmst.errors.InputError` naming ``name`` and
    ``line``, worded as for scenario files."""
    try:
        return parse_case(raw, name=name, json_only=True)
    except DmstError as exc:
        raise type(exc)(exc.message, file=name, line=line, field=exc.field,
                        problems=exc.problems) from None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _decode(raw: bytes | str, name: str) -> str:
    if isinstance(raw, str):
        return raw
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceFileError("the file is UTF-16 text; save it as UTF-8", file=name)
    if b"\0" in raw[:8192]:
        raise SourceFileError(
            "this is a binary file, not a YAML or JSON scenario; give a text file", file=name
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SourceFileError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file "
            "as UTF-8",
            file=name, line=line,
        ) from None


def _parse_text(text: str, name: str, json_only: bool) -> Any:
    looks_json = text.lstrip()[:1] == "{"
    if json_only or looks_json:
        try:
            return parse_json(text)
        except JsonProblem as exc:
            if json_only or exc.duplicate:
                hint = ""
                if json_only and not looks_json and text.lstrip()[:1] != "[":
                    hint = " (the file is named .json but looks like YAML: rename it to .yaml)"
                raise SourceFileError(exc.message + hint, file=name, line=exc.line) from None
            # not JSON after all: flow-style YAML such as {victim: {age: 15}}
    try:
        return load_yaml(text, max_depth=MAX_DEPTH)
    except YamlProblem as exc:
        raise SourceFileError(exc.message, file=name, line=exc.line) from None


class JsonProblem(ValueError):
    """Text that is not acceptable JSON; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None, duplicate: bool = False) -> None:
        self.message = message
        self.line = line
        self.duplicate = duplicate
        super().__init__(message)


class DuplicateKey(ValueError):
    """A JSON object gives a key twice; the key is the message."""


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :mod:`json` that refuses a key given twice."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise DuplicateKey(k)
            seen.add(k)
    return out


def parse_json(text: str | bytes) -> Any:
    """Parse JSON, refusing duplicate keys; raise :class:`JsonProblem` naming the line."""
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                          exc.lineno) from None
    except DuplicateKey as exc:
        key = str(exc)
        line = _duplicate_line(text, key)
        raise JsonProblem(f"duplicate key '{_short(key)}'; give each key once", line,
                          duplicate=True) from None
    except RecursionError:
        raise JsonProblem(
            f"the document is nested too deeply (more than {MAX_DEPTH} levels); a scenario is a "
            "few levels of mappings"
        ) from None
    except UnicodeDecodeError as exc:
        raise JsonProblem(f"not UTF-8 text (bad byte at offset {exc.start}); use UTF-8") from None


def _duplicate_line(text: str | bytes, key: str) -> int | None:
    """The line of the second occurrence of a duplicate key (JSON is YAML: ask the YAML reader)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        load_yaml(text, max_depth=MAX_DEPTH)
    except YamlProblem as exc:
        if key in exc.message:
            return exc.line
    return None


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
            type(None): "empty value"}.get(type(value), type(value).__name__)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --- turning validation errors into messages people can act on ---------------------------------


def _models_in(annotation: Any) -> list[Any]:
    """The pydantic models an annotation admits (through optionals, unions, tuples, tags)."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _allowed_keys(root: Any, loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed at the mapping that holds ``loc[-1]`` (``root`` is the model validated);
    where the mapping may be one of several models (a scenario or a case), the one that has the
    keys around it."""
    candidates: list[Any] = [root]
    for i, part in enumerate(loc[:-1]):
        if isinstance(part, int):
            continue  # an item of a list: the same models
        found: list[Any] = []
        for model in candidates:
            field = getattr(model, "model_fields", {}).get(part)
            if field is not None:
                found.extend(_models_in(field.annotation))
        if not found:
            return []
        following = [p for p in loc[i + 1:-1] if isinstance(p, str)][:1]
        fitting = [m for m in found if not following or following[0] in m.model_fields]
        candidates = fitting or found
    keys: dict[str, None] = {}
    for model in candidates:
        keys.update(dict.fromkeys(getattr(model, "model_fields", {})))
    return list(keys)


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list, tuple)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return _short(json.dumps(value, default=str, ensure_ascii=False))


def _friendly(err: ErrorDetails, in_facts: bool) -> str:
    kind = err["type"]
    given = err.get("input")
    shown = _shown(given)
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown fact name" if in_facts else "unknown key"
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
        what = "a mapping of facts" if in_facts else "a mapping"
        return f"must be {what}, not {shown or _type_name(given)}"
    if kind == "missing":
        if err["loc"] == ("facts",):
            return "is missing: add 'facts:' (an empty mapping, {}, means every fact is unknown)"
        return "is required"
    if kind == "string_type":
        return f"must be text, not {shown}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_inexact"):
        return f"must be a date written YYYY-MM-DD, not {shown}"
    if kind == "contradiction":
        return str(ctx.get("message") or err.get("msg"))
    msg = str(err.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def _suggestion(root: Any, loc: tuple[Any, ...]) -> tuple[str | None, str]:
    """A close name for an unknown key, or else the names allowed there (as a message tail)."""
    allowed = _allowed_keys(root, loc)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.5)
    if close:
        return ".".join(str(p) for p in (*loc[:-1], close[0])), ""
    if allowed:
        return None, "; the names allowed here are " + ", ".join(allowed)
    return None, ""


#: The tags of the model's tagged unions, which pydantic puts in an error's location.
_UNION_TAGS = frozenset({"scenario", "case", "years", "range"})


def fact_error(exc: ValidationError, data: Any = None, *, name: str | None = None,
               text: str | None = None) -> FactError:
    """A :class:`FactError` listing every problem in ``exc`` with field, line and suggestion.

    ``exc`` comes from validating a :class:`CaseFile` or a :class:`Scenario`; ``text``, when
    given, is the document it was read from, for line numbers.
    """
    root: Any = CaseFile if exc.title == CaseFile.__name__ else Scenario
    lines = _line_map(text) if text else {}
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in _UNION_TAGS)
        if err["type"] == "contradiction":
            extra = (err.get("ctx") or {}).get("fields") or ()
            if extra:
                loc = loc + tuple(str(extra[0]).split("."))
        in_facts = root is Scenario or (bool(loc) and loc[0] == "facts")
        field = ".".join(_short(str(p), 40) for p in loc) or None
        message = _friendly(err, in_facts)
        suggestion = None
        if err["type"] == "extra_forbidden" and loc:
            suggestion, tail = _suggestion(root, loc)
            message += tail
        line = None
        for cut in range(len(loc), 0, -1):
            line = lines.get(loc[:cut])
            if line is not None:
                break
        problems.append(Problem(message=message, field=field, line=line, suggestion=suggestion))
    # what is wrong before what is missing: "fact: unknown key (did you mean 'facts'?)" first
    problems.sort(key=lambda p: p.message.startswith(("is required", "is missing")))
    all_facts = all(p.field and (root is Scenario or p.field.startswith("facts"))
                    for p in problems)
    what = "the facts" if all_facts else "the scenario"
    head = f"{what} {'are' if all_facts else 'is'} not valid" if len(problems) <= 1 else \
        f"{len(problems)} problems in {what}"
    first = problems[0] if problems else None
    return FactError(
        head, file=name, line=first.line if first else None,
        field=first.field if first else None, problems=tuple(problems),
    )


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """1-based line of every key path in a YAML/JSON document (best effort)."""
    out: dict[tuple[Any, ...], int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return out

    def walk(node: Any, path: tuple[Any, ...], depth: int) -> None:
        if depth > MAX_DEPTH:
            return
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = path + (k.value,)
                out.setdefault(key, k.start_mark.line + 1)
                walk(v, key, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                out.setdefault(path + (i,), v.start_mark.line + 1)
                walk(v, path + (i,), depth + 1)

    if root is not None:
        walk(root, (), 0)
    return out


#: Read a scenario file (the same as :func:`load_case_file`).
load_case = load_case_file
