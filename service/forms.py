"""Form schemas (JSON Schema 2020-12): checking uploaded schemas and validating submissions
with messages a person can act on, keyed by field path."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, ValidationError

from service.domain.dates import as_date

FORM_SUFFIX = ".schema.json"
_FORMATS = FormatChecker()


class FormSchemaError(ValueError):
    pass


def form_key_of(filename: str) -> str | None:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name[: -len(FORM_SUFFIX)] if name.endswith(FORM_SUFFIX) else None


def load_form_schema(filename: str, content: bytes) -> dict[str, Any]:
    try:
        schema = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FormSchemaError(f"表单文件 {filename} 不是有效的 JSON：{error}") from None
    if not isinstance(schema, dict):
        raise FormSchemaError(f"表单文件 {filename} 的顶层必须是 JSON 对象")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise FormSchemaError(f"表单文件 {filename} 不是有效的 JSON Schema：{error.message}") from None
    return schema


def validate_submission(
    schema: Mapping[str, Any],
    data: Mapping[str, Any],
    case: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> dict[str, list[str]]:
    """Return {field path: [messages]}; empty when the data is valid.

    `case` is the data the task sees and `today` the Beijing date, for the keywords that check
    a value against the case (CASE_KEYWORDS).

    A submission may only carry the fields its form declares: whatever it carries is merged
    into the instance data, so an undeclared field could overwrite a list, a score or a
    deadline the person completing the task has no say over. A form opts out with
    `"additionalProperties": true`.
    """
    validator = Draft202012Validator(schema, format_checker=_FORMATS)
    errors: dict[str, list[str]] = {}
    if schema.get("additionalProperties") is not True:
        declared = declared_fields(schema)
        for name in sorted(set(data) - declared):
            errors[str(name)] = [f"表单中没有字段「{name}」，不能提交；请只提交表单上的字段"]
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        for path, message in _explain(error, schema):
            messages = errors.setdefault(path, [])
            if message not in messages:
                messages.append(message)
    if not errors:  # the case checks assume well-formed values
        for path, message in _case_checks(schema, data, case or {}, today, ""):
            errors.setdefault(path, []).append(message)
    return errors


# Checks of a value against the case, written on a field of the form:
#   "x-xuanpin-not-before": "fabu_riqi"   a date not before the case's date variable (or
#                                         {"variable": "fabu_riqi", "title": "发榜日期"})
#   "x-xuanpin-not-after":  "jiezhi_riqi" a date not after it
#   "x-xuanpin-not-future": 0             a date at most that many days after today
#   "x-xuanpin-unique": "shenfenzheng_hao" on a list of records: no two with the same value
NOT_BEFORE, NOT_AFTER, NOT_FUTURE, UNIQUE = (
    "x-xuanpin-not-before",
    "x-xuanpin-not-after",
    "x-xuanpin-not-future",
    "x-xuanpin-unique",
)
CASE_KEYWORDS = (NOT_BEFORE, NOT_AFTER, NOT_FUTURE, UNIQUE)


def _case_checks(
    schema: Mapping[str, Any], value: Any, case: Mapping[str, Any], today: date | None, path: str
) -> Iterator[tuple[str, str]]:
    if not isinstance(schema, Mapping):
        return
    title = schema.get("title") or path.rsplit(".", 1)[-1] or "表单"
    where = path or "_form"
    if isinstance(value, str) and any(k in schema for k in (NOT_BEFORE, NOT_AFTER, NOT_FUTURE)):
        yield from _date_checks(schema, value, case, today, title, where)
    # A field that must be filled in (minLength) is not filled by spaces (JB-01 "all required"):
    # JSON Schema counts leading and trailing spaces, a reader of the record would not.
    minimum = schema.get("minLength")
    if isinstance(value, str) and isinstance(minimum, int) and minimum > 0 and len(value.strip()) < minimum:
        yield (where, f"「{title}」至少 {minimum} 个字，首尾空格不计")
    if isinstance(value, Mapping):
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                yield from _case_checks(sub, value[name], case, today, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        key = schema.get(UNIQUE)
        if isinstance(key, str):
            seen: dict[Any, int] = {}
            for index, item in enumerate(value):
                if isinstance(item, Mapping) and item.get(key) not in (None, ""):
                    first = seen.setdefault(item[key], index)
                    if first != index:
                        label = (
                            _title(schema.get("items", {}), [key])
                            if isinstance(schema.get("items"), Mapping)
                            else key
                        )
                        yield (
                            f"{where}.{index}.{key}",
                            f"「{label}」{item[key]} 与第 {first + 1} 项重复，同一人只能登记一次",
                        )
        items = schema.get("items")
        if isinstance(items, Mapping):
            for index, item in enumerate(value):
                yield from _case_checks(items, item, case, today, f"{path}.{index}" if path else str(index))


def _date_checks(
    schema: Mapping[str, Any], text: str, case: Mapping[str, Any], today: date | None, title: str, where: str
) -> Iterator[tuple[str, str]]:
    try:
        day = as_date(text)
    except ValueError:
        return  # the format keyword reports it
    for keyword, earlier in ((NOT_BEFORE, True), (NOT_AFTER, False)):
        reference = schema.get(keyword)
        if reference is None:
            continue
        variable, label = (
            (reference.get("variable"), reference.get("title"))
            if isinstance(reference, Mapping)
            else (reference, None)
        )
        bound = case.get(str(variable))
        if bound in (None, ""):
            continue
        try:
            limit = as_date(bound)
        except ValueError:
            continue
        if (earlier and day < limit) or (not earlier and day > limit):
            word = "早于" if earlier else "晚于"
            yield where, f"「{title}」{day.isoformat()} 不能{word}{label or variable}（{limit.isoformat()}）"
    margin = schema.get(NOT_FUTURE)
    if today is not None and isinstance(margin, int) and not isinstance(margin, bool):
        latest = today + timedelta(days=margin)
        if day > latest:
            yield (
                where,
                (
                    f"「{title}」{day.isoformat()} 晚于今天（{today.isoformat()}），不能填写将来的日期"
                    if margin == 0
                    else f"「{title}」{day.isoformat()} 不能晚于 {latest.isoformat()}（今天起 {margin} 天内）"
                ),
            )


# A string field (or the items of a list) marked "x-xuanpin-role": "面试评审组" names user
# accounts that must hold that role, e.g. the panel a committee chooses (checked on submission).
ROLE_KEYWORD = "x-xuanpin-role"


def named_users(
    schema: Mapping[str, Any], data: Any, path: str = ""
) -> list[tuple[str, str, tuple[str, ...]]]:
    """(field path, username, (required role,)) for every value of a field marked with ROLE_KEYWORD."""
    found: list[tuple[str, str, tuple[str, ...]]] = []
    if not isinstance(schema, Mapping):
        return found
    role = schema.get(ROLE_KEYWORD)
    if isinstance(role, str) and isinstance(data, str):
        found.append((path or "_form", data, (role,)))
    if isinstance(data, Mapping):
        for name, sub in schema.get("properties", {}).items():
            if name in data:
                found += named_users(sub, data[name], f"{path}.{name}" if path else name)
    elif isinstance(data, list):
        items = schema.get("items", {})
        if isinstance(role, str) and isinstance(items, Mapping) and ROLE_KEYWORD not in items:
            items = {**items, ROLE_KEYWORD: role}
        for index, item in enumerate(data):
            found += named_users(items, item, f"{path}.{index}" if path else str(index))
    return found


# A string field marked "format": "xuanpin-file" holds the id of an uploaded file
# (POST /api/v1/files); a UI renders an upload control for it. The built-in forms mark the
# `file_id` of their attachment records {"file_id", "filename"}. On submission the id must name
# a file the submitter uploaded or may read (services/files.py); the format itself, unknown to
# JSON Schema's checkers, is not judged by the schema validation.
FILE_FORMAT = "xuanpin-file"


def is_file_field(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("format") == FILE_FORMAT


def file_references(schema: Mapping[str, Any], data: Any, path: str = "") -> list[tuple[str, str]]:
    """(field path, file id) for every value of a field marked FILE_FORMAT."""
    found: list[tuple[str, str]] = []
    if not isinstance(schema, Mapping):
        return found
    if is_file_field(schema) and isinstance(data, str):
        found.append((path or "_form", data))
    if isinstance(data, Mapping):
        for name, sub in schema.get("properties", {}).items():
            if name in data:
                found += file_references(sub, data[name], f"{path}.{name}" if path else name)
    elif isinstance(data, list):
        items = schema.get("items", {})
        for index, item in enumerate(data):
            found += file_references(items, item, f"{path}.{index}" if path else str(index))
    return found


# The form's root may list variables of the case the person needs to see beside the fields
# (the candidates a judge scores, the decision under review): "x-xuanpin-context": ["mingdan"].
CONTEXT_KEYWORD = "x-xuanpin-context"


def form_context(schema: Mapping[str, Any]) -> list[str] | None:
    """The context variables a form declares; None when it declares none (legacy forms see the
    whole task data)."""
    names = schema.get(CONTEXT_KEYWORD)
    return [str(name) for name in names] if isinstance(names, list) else None


def declared_fields(schema: Mapping[str, Any]) -> set[str]:
    """Top-level field names, including those of conditional branches (allOf, if/then/else…)."""
    fields = set(schema.get("properties", {}))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []):
            if isinstance(branch, Mapping):
                fields |= declared_fields(branch)
    for keyword in ("if", "then", "else", "dependentSchemas"):
        branch = schema.get(keyword)
        if isinstance(branch, Mapping):
            branches = branch.values() if keyword == "dependentSchemas" else [branch]
            for sub in branches:
                if isinstance(sub, Mapping):
                    fields |= declared_fields(sub)
    return fields


def _title(schema: Mapping[str, Any], path: list[Any]) -> str:
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node, Mapping) else {}
        else:
            node = node.get("properties", {}).get(part, {}) if isinstance(node, Mapping) else {}
    title = node.get("title") if isinstance(node, Mapping) else None
    return title or (str(path[-1]) if path else "表单")


def _path(parts: list[Any]) -> str:
    return ".".join(str(p) for p in parts) or "_form"


_TYPES = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否",
    "object": "对象",
    "array": "列表",
    "null": "空值",
}


def _explain(error: ValidationError, schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    path = list(error.absolute_path)
    title = _title(schema, path)
    kind = error.validator
    value = error.validator_value
    if kind == "required":
        missing = [
            name for name in value if isinstance(error.instance, Mapping) and name not in error.instance
        ]
        return [(_path([*path, name]), f"「{_title(schema, [*path, name])}」为必填项") for name in missing]
    if kind == "type":
        expected = value if isinstance(value, list) else [value]
        names = "或".join(_TYPES.get(t, t) for t in expected)
        return [(_path(path), f"「{title}」应为{names}")]
    messages = {
        "minimum": f"「{title}」不能小于 {value}",
        "maximum": f"「{title}」不能大于 {value}",
        "exclusiveMinimum": f"「{title}」必须大于 {value}",
        "exclusiveMaximum": f"「{title}」必须小于 {value}",
        "minLength": f"「{title}」至少 {value} 个字",
        "maxLength": f"「{title}」最多 {value} 个字",
        "minItems": f"「{title}」至少 {value} 项",
        "maxItems": f"「{title}」最多 {value} 项",
        "uniqueItems": f"「{title}」不能有重复项",
        "pattern": f"「{title}」格式不正确",
        "format": f"「{title}」不是有效的{_format_name(value)}",
        "enum": f"「{title}」只能是：{_choices(value)}",
        "const": f"「{title}」必须为 {value}",
        "multipleOf": f"「{title}」必须是 {value} 的整数倍",
        "additionalProperties": f"「{title}」包含表单未定义的字段：{error.message}",
    }
    return [(_path(path), messages.get(str(kind), f"「{title}」不符合要求：{error.message}"))]


def _format_name(value: Any) -> str:
    return {
        "date": "日期（YYYY-MM-DD）",
        "date-time": "日期时间",
        "email": "电子邮箱",
        "time": "时间",
        FILE_FORMAT: "文件编号",
    }.get(str(value), str(value))


def _choices(value: Any) -> str:
    return "、".join(str(v) for v in value) if isinstance(value, list) else str(value)
