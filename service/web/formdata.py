"""An HTML form post turned into the JSON a form's schema describes.

Field names follow the schema's shape: `xingming`, `dizhi.sheng` (an object's field),
`jiating_chengyuan.0.guanxi` (a row of a table), and a list of plain values is the field
repeated (check boxes, several inputs). Text is converted to the declared type; an empty input
is left out so that the schema's `required` reports it. Values that cannot be converted are
returned as errors in the same {field path: [message]} shape as the server's validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

_INDEX = re.compile(r"^(\d+)$")


class FormPost(Protocol):
    """werkzeug's MultiDict, as request.form gives it."""

    def getlist(self, key: str) -> list[str]: ...

    def __iter__(self) -> Any: ...

    def __contains__(self, key: object) -> bool: ...


# A hidden input `<field>.__present` says the list was on the page: an emptied table or an
# unchecked group of boxes is then submitted as [] instead of being left out.
PRESENT = "__present"


def _type(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None and "enum" in schema:
        return "string"
    return str(kind or "string")


def form_to_data(schema: Mapping[str, Any], post: FormPost) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    data = _object(schema, post, "", errors)
    return data, errors


def _object(
    schema: Mapping[str, Any], post: FormPost, prefix: str, errors: dict[str, list[str]]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, sub in _properties(schema).items():
        path = f"{prefix}{name}"
        value = _value(sub, post, path, errors)
        if value is not None:
            result[name] = value
    return result


def _properties(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The fields of an object, including those of its conditional branches."""
    properties: dict[str, Mapping[str, Any]] = dict(schema.get("properties", {}))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []) or []:
            if isinstance(branch, Mapping):
                for name, sub in _properties(branch).items():
                    properties.setdefault(name, sub)
    for keyword in ("then", "else"):
        branch = schema.get(keyword)
        if isinstance(branch, Mapping):
            for name, sub in _properties(branch).items():
                properties.setdefault(name, sub)
    return properties


def _value(schema: Mapping[str, Any], post: FormPost, path: str, errors: dict[str, list[str]]) -> Any:
    kind = _type(schema)
    if kind == "object":
        value = _object(schema, post, f"{path}.", errors)
        return value or None
    if kind == "array":
        items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        present = f"{path}.{PRESENT}" in post
        if _type(items) == "object":
            table = [
                row
                for row in (_object(items, post, f"{path}.{i}.", errors) for i in _rows(post, path))
                if row
            ]
            return table if table or present else None
        values = [_scalar(items, text, path, errors) for text in post.getlist(path) if text.strip()]
        return [v for v in values if v is not None] if values or present else None
    texts = post.getlist(path)
    if not texts or not texts[-1].strip():
        return None
    return _scalar(schema, texts[-1], path, errors)


def _rows(post: FormPost, path: str) -> list[int]:
    """The row numbers of a table, in order (rows removed on the page leave gaps)."""
    rows = set()
    for key in post:
        head = key[len(path) + 1 :].split(".", 1)[0] if key.startswith(f"{path}.") else ""
        if _INDEX.match(head):
            rows.add(int(head))
    return sorted(rows)


def _scalar(schema: Mapping[str, Any], text: str, path: str, errors: dict[str, list[str]]) -> Any:
    kind = _type(schema)
    title = schema.get("title") or path
    text = text.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
    except ValueError:
        errors.setdefault(path, []).append(f"「{title}」应为{'整数' if kind == 'integer' else '数字'}")
        return None
    if kind == "boolean":
        if text in ("true", "是", "1", "on"):
            return True
        if text in ("false", "否", "0"):
            return False
        errors.setdefault(path, []).append(f"「{title}」应为是或否")
        return None
    return text
