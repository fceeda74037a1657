"""Safe YAML reading for scenarios and rules: no object construction, no duplicate keys,
no alias bombs, a size limit, and errors that name the line."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["MAX_ALIASES", "YamlProblem", "load_yaml"]

#: A document may use this many aliases (``*name``) at most; alias expansion is the YAML bomb.
MAX_ALIASES = 100


class YamlProblem(Exception):
    """The text is not acceptable YAML; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(message)


class _Loader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys and limits aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise YamlProblem(
                    f"more than {MAX_ALIASES} YAML aliases; write the values out instead",
                    mark.line + 1,
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:  # type: ignore[override]
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise YamlProblem("a mapping key must be a plain value", key_node.start_mark.line + 1)
            if key in seen:
                raise YamlProblem(
                    f"duplicate key '{key}' (first on line {seen[key]}); give each key once",
                    key_node.start_mark.line + 1,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse one YAML (or JSON) document safely."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except YamlProblem:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or str(exc)
        raise YamlProblem(f"not valid YAML: {what}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem("the document is nested too deeply") from None
