"""Safe YAML reading for scenarios and rules.

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

from typing import Any

import yaml

__all__ = ["MAX_ALIASES", "MAX_DEPTH", "MAX_NODES", "YamlProblem", "load_yaml"]

#: A document may use this many aliases (``*name``) at most.
MAX_ALIASES = 100
#: A document may hold this many values at most, counting each alias as the values it stands for.
MAX_NODES = 100_000
#: Lists and mappings may be nested this deep at most.
MAX_DEPTH = 50

_CORE = "tag:yaml.org,2002:"
#: The tags a plain document resolves to (explicit ``!!str`` and the like are fine too).
_ALLOWED_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map",
                        "merge", "value")
)


class YamlProblem(Exception):
    """The text is not acceptable YAML; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message)


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


class _PlainConstruction:
    """Construction of plain values only, with no duplicate keys (shared by both loaders)."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            raise YamlProblem(
                f"the value {value!r} cannot be read as {_shown_tag(node.tag)} ({exc})",
                node.start_mark.line + 1,
            ) from None

    def construct_yaml_timestamp(self, node: Any) -> Any:  # type: ignore[override]
        # "2018-13-45" looks like a date but is none: keep the text, so that the model names the
        # field and says how to write a date.
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, AttributeError):
            return self.construct_scalar(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _CORE + "merge":
                continue  # '<<: *base' merges another mapping; YAML lets it be repeated
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a mapping key must be a plain value, not a list or mapping",
                                  line)
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise YamlProblem(
                    f"duplicate key '{key}' (first on line {seen[key]}); give each key once",
                    line,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _Loader(_PlainConstruction, yaml.SafeLoader):
    """SafeLoader with the limits above, checked while the document is composed."""

    def __init__(self, stream: str, *, max_depth: int, max_nodes: int) -> None:
        super().__init__(stream)
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


_Loader.add_constructor(_CORE + "value", _Loader.construct_yaml_str)
_Loader.add_constructor(_CORE + "timestamp", _Loader.construct_yaml_timestamp)

_FastBase: Any = getattr(yaml, "CSafeLoader", None)


if _FastBase is not None:

    class _FastLoader(_PlainConstruction, _FastBase):  # type: ignore[misc, valid-type]
        """libyaml's parser (about ten times faster) with the same plain construction; the
        limits are checked on the composed node graph before anything is constructed."""

    _FastLoader.add_constructor(_CORE + "value", _FastLoader.construct_yaml_str)
    _FastLoader.add_constructor(_CORE + "timestamp", _FastLoader.construct_yaml_timestamp)


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

    ``fast`` uses libyaml's parser where PyYAML has it (same limits, same values; PyYAML's own
    wording of syntax errors is kept for the default path, which scenario files use)."""
    if fast and _FastBase is not None:
        loader: Any = _FastLoader(text)
    else:
        loader = _Loader(text, max_depth=max_depth, max_nodes=max_nodes)
    try:
        if loader.__class__ is _Loader:
            return loader.get_single_data()
        node = loader.get_single_node()
        if node is None:
            return None
        _check_graph(node, max_depth, max_nodes)
        return loader.construct_document(node)
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = _plain(exc.problem or str(exc))
        if exc.context and not exc.context.startswith("while "):
            problem = f"{exc.context}, {problem}"
        raise YamlProblem(f"not valid YAML: {problem}{_context(exc)}{_hint(problem)}",
                          line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem("the document is nested too deeply") from None
    finally:
        loader.dispose()
