"""Scenario files: one format (YAML or JSON) for the CLI, the examples and the tests.

A scenario file is a mapping with ``facts`` (required) and optional ``title``, ``narrative`` and
``expected``. Reading one never raises anything but a :class:`~dmst.errors.InputError`, whose
message names the file, the line and the field, and says what to do.

Values are read exactly as written: YAML as its 1.2 core schema reads it, less the number forms
JSON does not have (``015``, ``0x10``, ``1:30``, ``1_5``, ``yes`` and ``on`` are text, refused
where a number or true/false is meant, never silently turned into another number); keys are
names, read as the text written. Every input is bounded before the fact model sees it: at most
:data:`MAX_FILE_BYTES` bytes, :data:`MAX_DEPTH` levels, :data:`MAX_LIST_ITEMS` items in a list,
:data:`~dmst._yaml.MAX_INT_DIGITS` digits in a number, and no text that is not Unicode (a lone
surrogate). An error echoes at most a short, escaped excerpt of what it read, and field paths
always start at the document (``facts.victim.age``), whether the facts came from a file, a
batch line or a mapping given to the library.
"""

from __future__ import annotations

import difflib
import errno
import json
import os
import re
import stat
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from dmst._text import difference, excerpt, printable, quoted, visible
from dmst._yaml import MAX_INT_DIGITS, YamlProblem, load_yaml, yaml11_reading
from dmst.errors import DmstError, FactError, Problem, SourceFileError
from dmst.facts.model import Case, Facts, Scenario
from dmst.facts.paths import expand_dotted

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_LIST_ITEMS",
    "MAX_PROBLEMS",
    "CaseFile",
    "DuplicateKey",
    "Expect",
    "Expected",
    "PairExpected",
    "JsonProblem",
    "case_from_data",
    "fact_error",
    "check_document",
    "load_case",
    "load_case_file",
    "load_case_stream",
    "no_duplicate_keys",
    "parse_case",
    "parse_json",
    "parse_line",
]

#: Scenario files larger than this are refused before they are read.
MAX_FILE_BYTES = 1_000_000
#: Scenario documents nested deeper than this are refused (a case file is 3 levels deep).
MAX_DEPTH = 20
#: A list in a scenario holds at most this many items: three times the conclusions the
#: rulebook can draw (the longest list, ``expected``), and far more roles or people than a case
#: has. It keeps every check on a list cheap, whatever it costs per item.
MAX_LIST_ITEMS = 256
#: A :class:`FactError` lists at most this many problems; a last one counts the rest.
MAX_PROBLEMS = 100
#: The keys of a scenario document.
_TOP_KEYS = ("case_id", "title", "narrative", "facts", "expected")


class Expect(BaseModel):
    """What one conclusion is expected to be, beyond applying: any of these may be stated."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    status: str | None = Field(None, description="applies, may_apply, undetermined, ...")
    certainty: str | None = Field(None, description="applies or may_apply.")
    penalty: dict[str, Any] | None = Field(None, description="The penalty, as the result gives it.")
    applies_to: list[str] | None = Field(None, description="Exactly the charges it attaches to.")
    modality: str | None = None
    on_conviction: bool | None = None
    missing: list[str] | None = Field(None, description="Exactly the facts that would decide it.")


#: An expected conclusion: its id, or ``{id: {certainty: ..., penalty: ...}}``.
ExpectedItem = str | dict[str, Expect]


class _Outcomes(BaseModel):
    """The expected outcomes of one evaluation, by conclusion id."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

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


class PairExpected(_Outcomes):
    """What one pair of a case is expected to conclude."""

    accused: str | None = None
    victim: str


class Expected(_Outcomes):
    """What a scenario is expected to conclude: the examples' golden expectations. For a case
    of several people, ``pairs`` states them pair by pair."""

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


def load_case_file(path: str | Path, *, follow_symlinks: bool = True) -> CaseFile:
    """Read and validate a scenario file (YAML, or JSON when it is named ``.json``).

    Only a regular file is read (a FIFO, a device, a socket or a directory is refused without
    being read, so nothing can block), and at most :data:`MAX_FILE_BYTES` of it; with
    ``follow_symlinks=False`` a symbolic link is refused too. Raises :class:`SourceFileError`
    if it cannot be read, :class:`FactError` if its facts are not valid.
    """
    name = str(path)
    # O_NONBLOCK: opening a FIFO never waits for a writer; O_NOCTTY: a terminal is not taken
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise SourceFileError("is a symbolic link; only regular files are read",
                                  file=name) from None
        raise _open_error(exc, name) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _directory(name)
        if not stat.S_ISREG(info.st_mode):
            raise SourceFileError(
                f"is {_file_kind(info.st_mode)}, not a regular file; give a scenario file "
                "(or '-' to read standard input)", file=name)
        if info.st_size > MAX_FILE_BYTES:
            raise SourceFileError(_too_large(f"{info.st_size:,} bytes"), file=name)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SourceFileError(f"cannot read the file: {_os_reason(exc)}", file=name) from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise SourceFileError(_too_large(f"more than {MAX_FILE_BYTES:,} bytes"), file=name)
    return parse_case(raw, name=name, json_only=Path(name).suffix.lower() == ".json")


def _open_error(exc: OSError, name: str) -> SourceFileError:
    if isinstance(exc, (FileNotFoundError, NotADirectoryError)):
        return SourceFileError("no such file; check the path", file=name)
    if isinstance(exc, PermissionError):
        return SourceFileError("permission denied; check the file's permissions", file=name)
    if isinstance(exc, IsADirectoryError):
        return _directory(name)
    return SourceFileError(f"cannot read the file: {_os_reason(exc)}", file=name)


def load_case_stream(handle: IO[bytes], *, name: str = "<stdin>") -> CaseFile:
    """Read and validate a scenario (YAML or JSON) from an open binary stream such as
    standard input, reading at most :data:`MAX_FILE_BYTES` of it. Raises as
    :func:`load_case_file` does."""
    try:
        raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise SourceFileError(f"cannot read: {_os_reason(exc)}", file=name) from None
    if len(raw) > MAX_FILE_BYTES:
        raise SourceFileError(_too_large(f"more than {MAX_FILE_BYTES:,} bytes"), file=name)
    return parse_case(raw, name=name)


def _directory(name: str) -> SourceFileError:
    return SourceFileError(
        "is a directory, not a scenario file; give one .yaml or .json file "
        "(dmst batch reads a whole directory)",
        file=name,
    )


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(exc: BaseException) -> str:
    reason = getattr(exc, "strerror", None)
    if reason is None and getattr(exc, "errno", None) in errno.errorcode:
        reason = os.strerror(exc.errno)  # type: ignore[attr-defined]
    return printable(str(reason or exc)).lower()


def _too_large(size: str) -> str:
    return (f"the file is {size}; scenario files are limited to {MAX_FILE_BYTES:,} bytes "
            "(a scenario is a few dozen facts)")


def parse_case(raw: bytes | str, *, name: str = "<input>", json_only: bool = False) -> CaseFile:
    """Parse scenario text (YAML, or JSON when ``json_only``) into a :class:`CaseFile`.

    ``raw`` is UTF-8 bytes (a BOM is allowed) or text; ``name`` names it in errors. Text that
    looks like JSON (it starts with ``{``) is read as JSON even when YAML is allowed, so that a
    JSON duplicate key is reported as JSON reports it. Raises :class:`SourceFileError` when the
    text is not a scenario document, :class:`FactError` when its facts are not valid.
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
    check_document(data, name=name, text=text)
    if isinstance(data.get("facts"), dict):
        try:
            data = {**data, "facts": expand_dotted(data["facts"], "facts.")}
        except FactError as exc:
            raise _located_key(exc, name, text) from None
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        raise fact_error(exc, data, name=name, text=text) from None


def case_from_data(data: Any, *, name: str = "<input>") -> CaseFile:
    """A :class:`CaseFile` from decoded data (a JSON object, say): a scenario file's content
    (with ``facts``) or the facts alone (``victim``, ``accused``, ... or a case's ``victims``).

    Dotted keys are expanded as in a file. Raises :class:`~dmst.errors.SourceFileError` when
    ``data`` is not a mapping and :class:`~dmst.errors.FactError` naming every problem, fields
    named from the scenario down as in a file (``facts.victim.age``), the facts alone too.
    """
    if not isinstance(data, Mapping):
        raise SourceFileError(
            f"the data is {_a(_type_name(data))}; send a mapping: a scenario with 'facts' (and "
            "optional title and narrative), or the facts themselves (victim, accused, ...)",
            file=name)
    document = {"facts": data} if "facts" not in data else dict(data)
    check_document(document, name=name)
    if isinstance(document.get("facts"), Mapping):
        document["facts"] = expand_dotted(dict(document["facts"]), "facts.")
    try:
        return CaseFile.model_validate(document)
    except ValidationError as exc:
        raise fact_error(exc, document, name=name) from None


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
                raise _read_error(exc.message + hint, exc.line, exc.in_value, text,
                                  name) from None
            # not JSON after all: flow-style YAML such as {victim: {age: 15}}
    try:
        return load_yaml(text, max_depth=MAX_DEPTH, fast=True)
    except YamlProblem as exc:
        raise _read_error(exc.message, exc.line, exc.in_value, text, name) from None


def _read_error(message: str, line: int | None, in_value: bool, text: str, name: str
                ) -> SourceFileError:
    """The error for a document that could not be read; one in a value names its field."""
    field = _field_on_line(text, line) if in_value and line else None
    if field is None:
        return SourceFileError(message, file=name, line=line)
    return SourceFileError(message, file=name, line=line, field=field,
                           problems=(Problem(message, field=field, line=line),))


def _field_on_line(text: str, line: int) -> str | None:
    """The dotted path of the key a problem on ``line`` belongs to: the deepest key written on
    that line, or else the last key written before it (a value can start on a later line than
    its key). The document has already been read once, within the size limits."""
    found: tuple[Any, ...] | None = None
    best = (0, 0)
    for path, at in _line_map(text).items():
        if at <= line and (at, len(path)) >= best:
            found, best = path, (at, len(path))
    if found and "<<" in found:  # a key merged in: name it where it lands
        found = (*found[:found.index("<<")], found[-1])
    return _dotted(found) if found else None


class JsonProblem(ValueError):
    """Text that is not acceptable JSON; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None, duplicate: bool = False, *,
                 in_value: bool = False) -> None:
        self.message = message
        self.line = line
        self.duplicate = duplicate
        #: The problem is in one value of a well-formed document (the field can be named).
        self.in_value = in_value or duplicate
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


class _LongNumber(ValueError):
    """A JSON number with too many digits (the text is the message)."""


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _LongNumber(text)
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > 4 * MAX_INT_DIGITS:
        raise _LongNumber(text)
    return float(text)


_DECODER = json.JSONDecoder(object_pairs_hook=no_duplicate_keys, parse_int=_bounded_int,
                            parse_float=_bounded_float)


def parse_json(text: str | bytes, *, one_line: bool = False) -> Any:
    """Parse JSON, refusing duplicate keys and numbers of more than
    :data:`~dmst._yaml.MAX_INT_DIGITS` digits; raise :class:`JsonProblem` naming the line
    (``one_line``: the text is one line of a larger input, so only the column is named)."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if one_line else f"line {exc.lineno}, column {exc.colno}"
        raise JsonProblem(f"not valid JSON: {exc.msg} ({where})", exc.lineno) from None
    except _LongNumber as exc:
        number = str(exc)
        assert isinstance(text, str)
        at = text.find(number)
        line = text.count("\n", 0, at) + 1 if at >= 0 else None
        shown = number if len(number) <= 24 else number[:20] + "..."
        digits = sum(c.isdigit() for c in number)
        raise JsonProblem(f"the number {shown} has {digits:,} digits; a number here has at most "
                          f"{MAX_INT_DIGITS} (no fact is larger)", line, in_value=True) from None
    except DuplicateKey as exc:
        key = str(exc)
        line = _duplicate_line(text, key)
        raise JsonProblem(f"duplicate key '{excerpt(key)}'; give each key once", line,
                          duplicate=True) from None
    except RecursionError:
        raise JsonProblem(
            f"the document is nested too deeply (more than {MAX_DEPTH} levels); a scenario is a "
            "few levels of mappings"
        ) from None
    except UnicodeDecodeError as exc:
        raise JsonProblem(f"not UTF-8 text (bad byte at offset {exc.start}); use UTF-8") from None
    except ValueError as exc:  # anything else json refuses: never a crash
        raise JsonProblem(f"not valid JSON: {excerpt(str(exc), 80)}") from None


def _duplicate_line(text: str | bytes, key: str) -> int | None:
    """The line of the second occurrence of a duplicate key (JSON is YAML: ask the YAML reader)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        load_yaml(text, max_depth=MAX_DEPTH, fast=True)
    except YamlProblem as exc:
        if key in exc.message:
            return exc.line
    return None


def check_document(data: Any, *, name: str | None = None, line: int | None = None,
                   text: str | None = None) -> None:
    """Refuse a parsed scenario document that no scenario could be, before the fact model
    sees it: nested deeper than :data:`MAX_DEPTH`, a list longer than :data:`MAX_LIST_ITEMS`,
    text that is not Unicode (a lone surrogate, from a ``\\ud800`` escape), or a mapping with
    none of the keys of a scenario (a password file, a configuration file). Linear in the size
    of the document. ``name``, ``line`` and ``text`` say where it came from, for the error.

    Raises :class:`SourceFileError` (not a scenario) or :class:`FactError` (naming the field).
    """
    known = (*_TOP_KEYS, *Scenario.model_fields, *Case.model_fields)  # a fact group at the top: 'facts:' forgotten
    if isinstance(data, dict) and data and not any(
            k in known or difflib.get_close_matches(str(k)[:40], known, n=1)
            for k in list(data)[:MAX_LIST_ITEMS]):
        count = f"{len(data):,} top-level key{'s' if len(data) != 1 else ''}"
        raise SourceFileError(
            f"this is not a scenario file: none of its {count} is 'facts', 'title', "
            "'narrative' or 'expected' (a scenario file is a mapping with 'facts:')",
            file=name, line=line or 1)
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) >= MAX_DEPTH:
            raise SourceFileError(
                f"the document is nested more than {MAX_DEPTH} levels deep; a scenario is a few "
                "levels of mappings",
                file=name, line=line,
            )
        problem = None
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and _not_unicode(k):
                    problem = (f"the key {quoted(k)} is not Unicode text (it holds a "
                               "lone surrogate); write the key's name")
                    break
                stack.append((v, (*path, k)))
        elif isinstance(node, list):
            if len(node) > MAX_LIST_ITEMS:
                problem = (f"a list of {len(node):,} items; a list here holds at most "
                           f"{MAX_LIST_ITEMS}")
            else:
                stack.extend((v, (*path, i)) for i, v in enumerate(node))
        elif isinstance(node, str) and _not_unicode(node):
            problem = (f"{quoted(node)} is not Unicode text: it holds a lone "
                       "surrogate (a \\ud800-\\udfff escape without its pair); remove it")
        if problem is not None:
            field = _dotted(path)
            at = line
            if text is not None and at is None:
                lines = _line_map(text)
                for cut in range(len(path), 0, -1):
                    at = lines.get(path[:cut])
                    if at is not None:
                        break
            what = "the facts are" if field and field.startswith("facts") else "the scenario is"
            raise FactError(f"{what} not valid", file=name, line=at, field=field,
                            problems=(Problem(problem, field=field, line=at),))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _not_unicode(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _type_name(value: Any) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "empty value"}.get(type(value), type(value).__name__)


def _located_key(exc: FactError, name: str, text: str) -> FactError:
    """A problem with a key of the facts, at the line of that key in the file."""
    line = next((at for path, at in _line_map(text).items() if _dotted(path) == exc.field), None)
    return FactError(exc.message, file=name, line=line, field=exc.field,
                     problems=tuple(Problem(p.message, field=p.field, line=line)
                                    for p in exc.problems))


def _dotted(path: tuple[Any, ...]) -> str | None:
    """A key path as a dotted field name (``facts.victim.age``), each key printable and cut
    short; a key that is empty, has a dot or starts or ends with white space is quoted
    (``facts.' age'``); ``None`` for the document itself."""
    def part(key: Any) -> str:
        text = str(key)
        if not text or "." in text or text != text.strip():
            return quoted(text)
        return _short(text, 40)

    return ".".join(part(p) for p in path) or None


def _short(text: str, limit: int = 60) -> str:
    text = printable(text)
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


def _as_written(given: Any, want: type) -> str:
    """For text that a YAML 1.1 reader takes for a number or true/false (``015``, ``0x10``,
    ``1:30``, ``on``) where ``want`` (``int`` or ``bool``) is meant: what it would be read as
    there, and how to write it here; else ``""``."""
    if not isinstance(given, str):
        return ""
    old = yaml11_reading(given)
    if want is bool and isinstance(old, bool):
        return (f": {given} is text in YAML 1.2 and JSON (YAML 1.1 read it as "
                f"{'true' if old else 'false'}); write true or false")
    if want is int and (isinstance(old, (int, float)) and not isinstance(old, bool)
                        or re.fullmatch(r"[-+]?0[0-9]+", given)):
        plain = given.lstrip("+0") or "0"
        hint = f"; if you mean {plain}, write {plain}" \
            if re.fullmatch(r"[-+]?0[0-9]+", given) else ""
        then = f"YAML 1.1 read {given} as {old}, " if old is not None else ""
        return (f": numbers are read as JSON writes them, in plain decimal, so {given} is text"
                f"{f' ({then[:-2]})' if then else ''}{hint}")
    return ""


def _friendly(err: ErrorDetails, in_facts: bool) -> str:
    kind = err["type"]
    given = err.get("input")
    shown = _shown(given)
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown fact name" if in_facts else "unknown key"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        written = _as_written(given, int)
        if written:
            return f"must be a whole number, not {shown} as written{written}"
        what = "text" if isinstance(given, str) else _type_name(given)
        return f"must be a whole number, not {shown} ({what})"
    if kind == "bool_type":
        return f"must be true or false, not {shown}{_as_written(given, bool)}"
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
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters, not {len(str(given)):,}"
    if kind == "string_pattern_mismatch":
        return (f"{shown} is not an id: use letters, digits and _ . - (starting with a letter "
                "or digit)")
    if kind in ("date_type", "date_parsing", "date_from_datetime_inexact"):
        return f"must be a date written YYYY-MM-DD, not {shown}"
    if kind == "contradiction":
        return str(ctx.get("message") or err.get("msg"))
    msg = str(err.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ")


def _suggestion(root: Any, loc: tuple[Any, ...]) -> tuple[str | None, str]:
    """A close name for an unknown key, or else the names allowed there (as a message tail);
    a key that differs from a name only in what cannot be seen (a trailing space, a zero-width
    space, a Cyrillic letter) is shown with the difference spelt out."""
    allowed = _allowed_keys(root, loc)
    key = str(loc[-1])[:100]
    for name in allowed:
        why = difference(key, name)
        if why:
            return (".".join(str(p) for p in (*loc[:-1], name)),
                    f": the key {visible(key)} {why}")
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
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
    given, is the document it was read from, for line numbers. Field paths start at the
    document either way: ``facts.victim.age`` for a scenario's facts given alone too. At most
    :data:`MAX_PROBLEMS` problems are listed (the last one counts the others).
    """
    root: Any = CaseFile if exc.title == CaseFile.__name__ else Scenario
    lines = _line_map(text) if text else {}
    problems: list[Problem] = []
    errors = exc.errors()
    for err in errors[:MAX_PROBLEMS]:
        loc = tuple(p for p in err["loc"] if p not in _UNION_TAGS)
        if root is Scenario:  # the facts alone: name fields as in a scenario file
            loc = ("facts", *loc)
        if err["type"] == "contradiction":
            extra = (err.get("ctx") or {}).get("fields") or ()
            if extra:
                loc = loc + tuple(str(extra[0]).split("."))
        in_facts = bool(loc) and loc[0] == "facts"
        field = _dotted(loc)
        message = _friendly(err, in_facts)
        suggestion = None
        if err["type"] == "extra_forbidden" and loc:
            suggestion, tail = _suggestion(CaseFile, loc)
            message += tail
        line = None
        text_loc = loc[1:] if root is Scenario else loc
        for cut in range(len(text_loc), 0, -1):
            line = lines.get(text_loc[:cut])
            if line is not None:
                break
        problems.append(Problem(message=message, field=field, line=line, suggestion=suggestion))
    # what is wrong before what is missing: "fact: unknown key (did you mean 'facts'?)" first
    problems.sort(key=lambda p: p.message.startswith(("is required", "is missing")))
    all_facts = all(p.field is None or p.field.startswith("facts") for p in problems)
    if len(errors) > MAX_PROBLEMS:
        problems.append(Problem(
            message=f"and {len(errors) - MAX_PROBLEMS:,} more problems, not listed"))
    what = "the facts" if all_facts else "the scenario"
    head = f"{what} {'are' if all_facts else 'is'} not valid" if len(errors) <= 1 else \
        f"{len(errors):,} problems in {what}"
    first = problems[0] if problems else None
    return FactError(
        head, file=name, line=first.line if first else None,
        field=first.field if first else None, problems=tuple(problems),
    )


def _line_map(text: str) -> dict[tuple[Any, ...], int]:
    """1-based line of every key path in a YAML/JSON document (best effort)."""
    out: dict[tuple[Any, ...], int] = {}
    loaders = [getattr(yaml, "CSafeLoader", yaml.SafeLoader)]
    if len(text) <= 1 << 16:  # libyaml refuses a few escapes PyYAML reads (a lone \udc80)
        loaders.append(yaml.SafeLoader)
    root = None
    for loader in loaders:
        try:
            root = yaml.compose(text, Loader=loader)
            break
        except (yaml.YAMLError, RecursionError, ValueError):
            continue

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
