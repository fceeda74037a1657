"""An OpenAPI 3.0 rendering of an OpenAPI 3.1 document, for integrators that import only 3.0.

OpenAPI 3.1 schemas are JSON Schema 2020-12; OpenAPI 3.0 schemas are a dialect of an older draft.
What pydantic and FastAPI emit that 3.0 lacks is rewritten:

* ``anyOf``/``oneOf`` with a ``{"type": "null"}`` branch, and ``type: [T, "null"]``, become the
  other branch with ``nullable: true`` (a ``$ref`` branch is wrapped in ``allOf``, since 3.0
  ignores a ``$ref``'s siblings);
* ``const`` becomes a one-value ``enum``; ``examples`` (a list) becomes ``example`` (its first);
* a numeric ``exclusiveMinimum``/``exclusiveMaximum`` becomes ``minimum``/``maximum`` with the
  boolean flag;
* keywords 3.0 does not know (``$schema``, ``$id``, ``prefixItems``, ``contentMediaType``,
  ``propertyNames``, ``dependentRequired``, ...) are dropped, as are ``info.summary``,
  ``license.identifier``, ``webhooks`` and ``jsonSchemaDialect``.

The input document is not changed.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["OPENAPI_30_VERSION", "to_openapi_30"]

OPENAPI_30_VERSION = "3.0.3"

# Keywords of an OpenAPI 3.0 Schema Object; anything else in a schema is dropped.
_SCHEMA_KEYS = frozenset({
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", "required", "enum", "type", "allOf", "oneOf", "anyOf",
    "not", "items", "properties", "additionalProperties", "description", "format", "default",
    "nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example",
    "deprecated", "$ref",
})
_NULL = {"type": "null"}


def to_openapi_30(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of OpenAPI 3.1 ``document`` rewritten as OpenAPI 3.0.3 (see the module's notes)."""
    doc = copy.deepcopy(document)
    doc["openapi"] = OPENAPI_30_VERSION
    for key in ("webhooks", "jsonSchemaDialect"):
        doc.pop(key, None)
    info = doc.get("info", {})
    info.pop("summary", None)
    info.get("license", {}).pop("identifier", None)
    doc.setdefault("paths", {})
    components = doc.get("components", {})
    for name, schema in list(components.get("schemas", {}).items()):
        components["schemas"][name] = _schema(schema)
    for item in doc["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                _operation(operation)
    return doc


def _operation(op: dict[str, Any]) -> None:
    for param in op.get("parameters", []):
        if "schema" in param:
            param["schema"] = _schema(param["schema"])
    body = op.get("requestBody")
    if body:
        _content(body.get("content", {}))
    for response in op.get("responses", {}).values():
        _content(response.get("content", {}))
        for header in response.get("headers", {}).values():
            if "schema" in header:
                header["schema"] = _schema(header["schema"])


def _content(content: dict[str, Any]) -> None:
    for media in content.values():
        if "schema" in media:
            media["schema"] = _schema(media["schema"])


def _schema(s: Any) -> Any:
    """One schema (and every schema inside it) in the 3.0 dialect."""
    if not isinstance(s, dict):
        return s
    s = dict(s)
    nullable = False
    # a JSON Schema list of types: one type plus null
    if isinstance(s.get("type"), list):
        types = [t for t in s["type"] if t != "null"]
        nullable = len(types) < len(s["type"])
        if len(types) == 1:
            s["type"] = types[0]
        else:
            s.pop("type")
            if types:
                s["anyOf"] = [{"type": t} for t in types]
    if s.get("type") == "null":  # only null: an always-empty value
        s.pop("type")
        s["enum"] = [None]
        nullable = True
    for key in ("anyOf", "oneOf"):
        if key in s:
            branches = [b for b in s[key] if b != _NULL]
            if len(branches) < len(s[key]):
                nullable = True
                if len(branches) == 1:
                    del s[key]
                    only = branches[0]
                    if "$ref" in only:
                        s.setdefault("allOf", []).append(only)
                    else:
                        s = {**only, **s}  # the outer keywords (description, default) win
                else:
                    s[key] = branches
    if "const" in s:
        s["enum"] = [s.pop("const")]
    if "examples" in s:
        examples = s.pop("examples")
        if isinstance(examples, list) and examples and "example" not in s:
            s["example"] = examples[0]
    for bound, flag in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = s.get(bound)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            s[flag] = value
            s[bound] = True
    if "$ref" in s and len(s) > 1:  # 3.0 ignores a $ref's siblings: keep them through allOf
        ref = s.pop("$ref")
        s.setdefault("allOf", []).insert(0, {"$ref": ref})
    if nullable:
        s["nullable"] = True
    out: dict[str, Any] = {}
    for key, value in s.items():
        if key not in _SCHEMA_KEYS:
            continue
        if key in ("properties",):
            out[key] = {name: _schema(sub) for name, sub in value.items()}
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_schema(sub) for sub in value]
        elif key in ("items", "not") or (key == "additionalProperties"
                                         and isinstance(value, dict)):
            out[key] = _schema(value)
        else:
            out[key] = value
    return out
