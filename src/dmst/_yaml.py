"""Safe YAML reading for scenarios and rules.

* A scalar is read as a number, a boolean or null only where YAML 1.1 (PyYAML's default, and
  most emitters') and YAML 1.2's core schema agree, which is also how JSON writes them: a number
  in plain decimal (``15``, ``-3``, ``1.5``, ``2.5e3``), ``true``/``false``, ``null``/``~``.
  Every form on which they disagree stays text — ``015`` (octal 13 in YAML 1.1, 15 in YAML
  1.2), ``0o17``, ``0x10``, ``0b1111``, ``1:30`` (90 in YAML 1.1), ``1_5``, ``1e3`` (text in
  YAML 1.1), ``yes``/``no``/``on``/``off`` — so the fact model refuses it by name where a
  number or true/false is meant (:func:`yaml11_reading` says what YAML 1.1 made of it), and a
  title written ``1e3`` keeps its text. A ``!!int``, ``!!float`` or ``!!bool`` tag on such a
  form is refused. Dates written ``YYYY-MM-DD`` are read as dates.
* Mapping keys are names: each is read as the text written (``on:`` is the key ``"on"``,
  ``2018-01-01:`` the key ``"2018-01-01"``), never as a number, a boolean, null or a date.
* Integers have at most :data:`MAX_INT_DIGITS` digits (Python refuses to read very long ones and
  reading long ones costs time that grows faster than their length).
* A merge key (``<<``) may add keys but never replace one: a key that a merge would override,
  or that two merged mappings both give, is a duplicate key.
* No object construction: only plain values (text, numbers, true/false, null, dates, lists and
  mappings) are built; any other tag (``!!python/object``, ``!!binary``, ``!custom``) is refused.
* Duplicate keys are refused (YAML would silently keep the last one).
* Bounded work and memory: at most :data:`MAX_ALIASES` aliases, at most :data:`MAX_NODES` values
  once aliases are expanded (the "billion laughs" bomb is refused while it is being read, before
  anything is expanded), nesting at most :data:`MAX_DEPTH` deep, no alias that refers to the
  collection containing it.
* Every problem is a :class:`YamlProblem` whose message says what to do and whose ``line`` is
  1-based where known.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from dmst._text import printable

__all__ = [
    "MAX_ALIASES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "MAX_NODES",
    "YamlProblem",
    "load_yaml",
    "yaml11_reading",
]

#: A document may use this many aliases (``*name``) at most.
MAX_ALIASES = 100
#: A document may hold this many values at most, counting each alias as the values it stands for.
MAX_NODES = 100_000
#: Lists and mappings may be nested this deep at most.
MAX_DEPTH = 50
#: An integer may have this many digits at most: beyond 15, a JSON reader in another language
#: (JavaScript, most JSON Schema tools) no longer keeps it exactly.
MAX_INT_DIGITS = 15

_CORE = "tag:yaml.org,2002:"
#: The tags a plain document resolves to (explicit ``!!str`` and the like are fine too).
_ALLOWED_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map",
                        "merge", "value")
)


class YamlProblem(Exception):
    """The text is not acceptable YAML; ``line`` is 1-based where known. ``in_value`` is true
    when the problem is in one value or key of a well-formed document (a number too long, a
    duplicate key), so the caller can name the field on that line."""

    def __init__(self, message: str, line: int | None = None, *, in_value: bool = False
                 ) -> None:
        self.message = message
        self.line = line
        self.in_value = in_value
        super().__init__(message)


# --- the YAML 1.2 core schema --------------------------------------------------------------

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
# a dot is required: YAML 1.1 reads 1e3 as text, YAML 1.2 as a number
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")


class _CoreResolver(yaml.resolver.BaseResolver):
    """Implicit tags as YAML 1.2's core schema gives them, plus dates and merge keys."""


_CoreResolver.add_implicit_resolver(_CORE + "bool", re.compile(f"^(?:{_BOOL.pattern})$"),
                                    list("tTfF"))
_CoreResolver.add_implicit_resolver(_CORE + "int", re.compile(f"^(?:{_INT.pattern})$"),
                                    list("-+0123456789"))
_CoreResolver.add_implicit_resolver(_CORE + "float", re.compile(f"^(?:{_FLOAT.pattern})$"),
                                    list("-+.0123456789"))
_CoreResolver.add_implicit_resolver(_CORE + "null", re.compile(f"^(?:{_NULL.pattern})$"),
                                    ["~", "n", "N", ""])
_CoreResolver.add_implicit_resolver(_CORE + "timestamp", re.compile(
    r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    r"(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"
    r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])$"), list("0123456789"))
_CoreResolver.add_implicit_resolver(_CORE + "merge", re.compile(r"^(?:<<)$"), ["<"])


def yaml11_reading(text: str) -> int | float | bool | None:
    """What a YAML 1.1 reader (PyYAML's default) makes of the plain scalar ``text`` when that
    is a number or true/false this module leaves as text: ``"015"`` → 13, ``"on"`` → True,
    ``"1:30"`` → 90; ``None`` for anything else."""
    if len(text) > 40 or "\n" in text or _INT.fullmatch(text) or _FLOAT.fullmatch(text) \
            or _BOOL.fullmatch(text):
        return None
    try:
        value = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):
        return None
    return value if isinstance(value, (int, float, bool)) else None


def _shown_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


def _children(node: Any) -> list[Any]:
    """The nodes directly inside a list or mapping node (a mapping's keys and values)."""
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return [n for pair in node.value for n in pair]


def _too_many_aliases(line: int) -> YamlProblem:
    return YamlProblem(
        f"more than {MAX_ALIASES} YAML aliases (*name); write the values out instead", line
    )


def _bad_tag(tag: str, line: int) -> YamlProblem:
    return YamlProblem(
        f"the tag '{_shown_tag(tag)}' is not allowed; only plain values (text, numbers, "
        "true/false, dates, lists and mappings) are read, so remove the tag",
        line,
    )


def _too_deep(max_depth: int, line: int) -> YamlProblem:
    return YamlProblem(
        f"the document is nested more than {max_depth} levels deep; a scenario or rule file is a "
        "few levels of mappings",
        line,
    )


def _too_big(max_nodes: int, aliased: bool, line: int) -> YamlProblem:
    hint = ("through YAML aliases; write the values out instead" if aliased
            else "far more than any scenario or rule file")
    return YamlProblem(f"the document holds more than {max_nodes:,} values ({hint})", line)


def _number_too_long(text: str, line: int) -> YamlProblem:
    digits = sum(c.isdigit() for c in text)
    shown = text if len(text) <= 24 else text[:20] + "..."
    return YamlProblem(
        f"the number {shown} has {digits:,} digits; a number here has at most "
        f"{MAX_INT_DIGITS} (no fact is larger)", line, in_value=True)


def _not_core(node: Any, what: str, how: str) -> YamlProblem:
    shown = node.value if len(node.value) <= 24 else node.value[:20] + "..."
    return YamlProblem(
        f"'{_shown_tag(node.tag)} {shown}' is not {what} as YAML 1.2 and JSON write it; "
        f"{how}", node.start_mark.line + 1, in_value=True)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _paired(text: str) -> str:
    """``text`` with each escaped UTF-16 surrogate pair (``"\\ud83d\\ude00"``, as JSON writes
    a character beyond the first 65,536) made the one character it stands for, as JSON reads
    it; a lone surrogate is left for the caller to refuse."""
    if _SURROGATE.search(text) is None:
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class _PlainConstruction:
    """Construction of plain values only (YAML 1.2 core scalars, text keys), with no duplicate
    keys (shared by both loaders)."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        try:
            return super().construct_object(node, deep=deep)  # type: ignore[misc]
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            shown = value if len(value) <= 24 else value[:20] + "..."
            raise YamlProblem(
                f"the value {shown!r} cannot be read as {_shown_tag(node.tag)} "
                f"({str(exc)[:80]})",
                node.start_mark.line + 1, in_value=True,
            ) from None

    def construct_yaml_str(self, node: Any) -> str:
        return _paired(self.construct_scalar(node))  # type: ignore[attr-defined]

    def construct_yaml_int(self, node: Any) -> int:
        text = node.value
        if not _INT.fullmatch(text):
            raise _not_core(node, "a whole number",
                            "write it in decimal, with no leading zero, base prefix, ':' or '_'")
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:
            raise _number_too_long(text, node.start_mark.line + 1)
        return int(text)

    def construct_yaml_float(self, node: Any) -> float:
        text = node.value
        if not _FLOAT.fullmatch(text):
            raise _not_core(node, "a number", "write it in decimal, with no ':' or '_'")
        if len(text) > 4 * MAX_INT_DIGITS:
            raise _number_too_long(text, node.start_mark.line + 1)
        low = text.lower()
        if low.endswith((".inf", ".nan")):
            return float(low.replace(".", ""))
        return float(text)

    def construct_yaml_bool(self, node: Any) -> bool:
        if not _BOOL.fullmatch(node.value):
            raise _not_core(node, "true or false", "write true or false")
        return node.value.lower() == "true"

    def construct_yaml_timestamp(self, node: Any) -> Any:
        # "2018-13-45" looks like a date but is none: keep the text, so that the model names the
        # field and says how to write a date.
        try:
            return super().construct_yaml_timestamp(node)  # type: ignore[misc]
        except (ValueError, AttributeError):
            return self.construct_scalar(node)  # type: ignore[attr-defined]

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        own = {id(k) for k, _ in node.value}
        self.flatten_mapping(node)  # type: ignore[attr-defined]
        merged = any(id(k) not in own for k, _ in node.value)
        out: dict[str, Any] = {}
        seen: dict[str, tuple[int, bool]] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a mapping key must be a plain value, not a list or mapping",
                                  line)
            key = _paired(key_node.value)  # a key is a name: the text as written
            if key in seen:
                first, first_own = seen[key]
                how = ""
                if merged and not (first_own and id(key_node) in own):
                    how = " (through a merge key '<<', which may add keys but not replace them)"
                shown = key if len(key) <= 40 else key[:37] + "..."
                raise YamlProblem(
                    f"duplicate key '{shown}' (first on line {first}){how}; give each key once",
                    line, in_value=True,
                )
            seen[key] = (line, id(key_node) in own)
            out[key] = self.construct_object(value_node, deep=deep)
        return out


class _Loader(_PlainConstruction, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser,
              yaml.composer.Composer, yaml.constructor.SafeConstructor, _CoreResolver):
    """SafeLoader with the limits above, checked while the document is composed."""

    def __init__(self, stream: str, *, max_depth: int, max_nodes: int) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _CoreResolver.__init__(self)
        self._aliases = 0
        self._depth = 0
        self._max_depth = max_depth
        self._max_nodes = max_nodes
        self._sizes: dict[int, int] = {}
        self._open: set[str] = set()

    # -- composing: limits checked before anything is constructed ----------------------------

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _too_many_aliases(line)
            if event.anchor in self._open:
                raise YamlProblem(
                    f"the alias *{event.anchor} refers to the list or mapping that contains it "
                    "(a cycle); write the values out instead",
                    line,
                )
            return super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            if anchor is not None:
                self._open.discard(anchor)
        if node.tag not in _ALLOWED_TAGS:
            raise _bad_tag(node.tag, line)
        return node

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise _too_deep(self._max_depth, self.peek_event().start_mark.line + 1)

    def _sized(self, node: Any, children: list[Any]) -> Any:
        size = 1 + sum(self._sizes.get(id(c), 1) for c in children)
        if size > self._max_nodes:
            raise _too_big(self._max_nodes, bool(self._aliases), node.start_mark.line + 1)
        self._sizes[id(node)] = size
        return node

    def compose_sequence_node(self, anchor: Any) -> Any:  # type: ignore[override]
        self._enter()
        try:
            node = super().compose_sequence_node(anchor)
        finally:
            self._depth -= 1
        return self._sized(node, _children(node))

    def compose_mapping_node(self, anchor: Any) -> Any:  # type: ignore[override]
        self._enter()
        try:
            node = super().compose_mapping_node(anchor)
        finally:
            self._depth -= 1
        return self._sized(node, _children(node))


def _register(loader: Any) -> None:
    loader.yaml_constructors = dict(loader.yaml_constructors)
    loader.add_constructor(_CORE + "value", loader.construct_yaml_str)
    loader.add_constructor(_CORE + "str", loader.construct_yaml_str)
    loader.add_constructor(_CORE + "int", loader.construct_yaml_int)
    loader.add_constructor(_CORE + "float", loader.construct_yaml_float)
    loader.add_constructor(_CORE + "bool", loader.construct_yaml_bool)
    loader.add_constructor(_CORE + "timestamp", loader.construct_yaml_timestamp)


_register(_Loader)

_FastParser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None)


if _FastParser is not None:

    class _FastLoader(_PlainConstruction, _FastParser,  # type: ignore[misc, valid-type]
                      yaml.constructor.SafeConstructor, _CoreResolver):
        """libyaml's parser (about ten times faster) with the same plain construction; the
        limits are checked on the composed node graph before anything is constructed."""

        def __init__(self, stream: str) -> None:
            _FastParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _CoreResolver.__init__(self)

    _register(_FastLoader)


def _check_graph(root: Any, max_depth: int, max_nodes: int) -> None:
    """The limits of :class:`_Loader`, checked on an already composed node graph: allowed tags,
    depth, expanded size (aliases counted as what they stand for) and no alias cycles."""
    sizes: dict[int, int] = {}
    aliases = 0
    stack: list[tuple[Any, int, bool]] = [(root, 1, False)]
    open_nodes: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        line = node.start_mark.line + 1
        if done:
            open_nodes.discard(id(node))
            size = 1 + sum(sizes.get(id(c), 1) for c in _children(node))
            if size > max_nodes:
                raise _too_big(max_nodes, bool(aliases), line)
            sizes[id(node)] = size
            continue
        if node.tag not in _ALLOWED_TAGS:
            raise _bad_tag(node.tag, line)
        if id(node) in sizes:  # met again through an alias
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _too_many_aliases(line)
            continue
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in open_nodes:
            raise YamlProblem("an alias refers to the list or mapping that contains it (a "
                              "cycle); write the values out instead", line)
        if depth > max_depth:
            raise _too_deep(max_depth, line)
        open_nodes.add(id(node))
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(_children(node)))


def _context(exc: yaml.MarkedYAMLError) -> str:
    """`` (in the list that starts on line 6)`` for a problem found after its context began."""
    if not exc.context or not exc.context.startswith("while ") or exc.context_mark is None:
        return ""
    start = exc.context_mark.line + 1
    if exc.problem_mark is not None and exc.problem_mark.line + 1 == start:
        return ""
    what = exc.context
    for prefix in ("while parsing ", "while scanning ", "while constructing "):
        what = what.removeprefix(prefix)
    what = (what.replace("a flow sequence", "the list").replace("a flow mapping", "the mapping")
            .replace("a block sequence", "the list").replace("a block mapping", "the mapping")
            .replace("a block collection", "the block"))
    return f" (in {what} that starts on line {start})"


def _plain(problem: str) -> str:
    """PyYAML's token names in words."""
    if "<block end>" in problem or "<block mapping start>" in problem:
        return "a line is indented differently from the lines before it"
    return problem


def _hint(problem: str) -> str:
    if "found character '\\t'" in problem:
        return "; indent with spaces, not tabs"
    if "another document" in problem:
        return "; a file holds one document: remove the second '---'"
    if "indented" in problem:
        return "; keys of one mapping start in the same column"
    if "mapping values are not allowed" in problem:
        return "; check the indentation and that every 'key: value' has a space after the colon"
    if "could not find expected ':'" in problem:
        return "; each line inside a mapping needs 'key: value'"
    return ""


def load_yaml(text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES,
              fast: bool = False) -> Any:
    """Parse one YAML (or JSON) document safely; raise :class:`YamlProblem` if it is not.

    ``fast`` uses libyaml's parser where PyYAML has it (same limits, same values, and its cost
    grows with the length of the text alone: about a tenth of a second for a megabyte, where the
    pure-Python parser takes seconds). A document that is not valid YAML is read again by the
    pure-Python parser, whose wording of syntax errors is clearer, when it is short
    (:data:`_REPARSE_BYTES`); a long one keeps libyaml's wording."""
    def pure() -> Any:
        return _Loader(text, max_depth=max_depth, max_nodes=max_nodes)

    if not fast or _FastParser is None:
        return _load(pure, text, None)
    try:
        return _load(lambda: _FastLoader(text), text, (max_depth, max_nodes))
    except _SyntaxProblem as exc:
        if len(text) <= _REPARSE_BYTES:
            return _load(pure, text, None)
        raise YamlProblem(exc.message, exc.line) from None


#: A document that libyaml finds invalid is read again for a clearer message up to this size.
_REPARSE_BYTES = 1 << 16


class _SyntaxProblem(YamlProblem):
    """Not valid YAML (as opposed to a limit or a value refused)."""


def _load(make: Any, text: str, limits: tuple[int, int] | None) -> Any:
    loader = None
    try:
        loader = make()
        if limits is None:
            return loader.get_single_data()
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node, *limits)
        return loader.construct_document(node)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = _plain(exc.problem or str(exc))
        if exc.context and not exc.context.startswith("while "):
            problem = f"{exc.context}, {problem}"
        raise _SyntaxProblem(f"not valid YAML: {problem}{_context(exc)}{_hint(problem)}",
                             line) from None
    except yaml.reader.ReaderError as exc:
        where = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, where) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        raise _SyntaxProblem(
            f"not valid YAML: the character U+{char:04X} (a control character) is not allowed "
            "in YAML text; remove it", line) from None
    except yaml.YAMLError as exc:
        raise _SyntaxProblem(f"not valid YAML: {printable(str(exc)[:200])}") from None
    except RecursionError:
        raise YamlProblem("the document is nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
