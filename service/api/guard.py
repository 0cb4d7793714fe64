"""One gate for malformed input, before any route or schema sees the request.

webargs parses JSON bodies with the standard library, which accepts NaN, Infinity, lone
surrogates and NUL, and overflows the stack on deep nesting; PostgreSQL then refuses what was
accepted, and the client got a 500. Here every body, query and path value is checked once and
refused with a 400 problem naming where the fault is.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from service.domain.plain_data import CLIENT, INT64_MAX, find_problem, text_problem
from service.services.errors import ServiceError

_MAX_INT_DIGITS = len(str(INT64_MAX))


class MalformedRequest(ServiceError):
    status = 400
    title = "请求格式错误"


class _Refused(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _constant(name: str) -> Any:
    raise _Refused(f"JSON 中不能使用 {name}：数值必须是有限的数字")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS or abs(value := int(text)) > INT64_MAX:
        shown = text[:20] + ("…" if len(text) > 20 else "")
        raise _Refused(f"整数 {shown} 超出允许范围（绝对值不超过 {INT64_MAX}）")
    return value


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"数字 {text[:20]} 超出浮点数范围")
    return value


def strict_loads(body: bytes | str) -> Any:
    """JSON as I-JSON (RFC 7493) has it: finite numbers, integers within 64 bits, real Unicode
    text without NUL, at most 64 levels deep. Raises MalformedRequest."""
    try:
        value = json.loads(body, parse_constant=_constant, parse_int=_integer, parse_float=_float)
    except _Refused as refused:
        raise MalformedRequest(refused.message, errors={"_request": [refused.message]}) from None
    except RecursionError:
        message = f"JSON 嵌套层数过多（不超过 {CLIENT.max_depth} 层）"
        raise MalformedRequest(message, errors={"_request": [message]}) from None
    except (ValueError, UnicodeDecodeError):
        message = "请求体不是有效的 JSON，请检查格式（须为 UTF-8 编码）"
        raise MalformedRequest(message, errors={"_request": ["请求体不是有效的 JSON"]}) from None
    problem = find_problem(value, CLIENT)
    if problem is not None:
        raise MalformedRequest(
            f"请求数据 {problem.path}：{problem.message}", errors={problem.path: [problem.message]}
        )
    return value


def check_request() -> None:
    """before_request: query and path values, form fields and file names, JSON bodies."""
    for name, values in request.args.lists():
        _check_text(name, "查询参数名", name)
        for value in values:
            _check_text(value, "查询参数", name)
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            _check_text(value, "路径参数", name)
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for name, values in request.form.lists():
            # A part without a name (name="") reaches here as None.
            name = name or ""
            _check_text(name, "表单字段名", name)
            for value in values:
                _check_text(value, "表单字段", name)
        for name, upload in request.files.items(multi=True):
            _check_text(upload.filename or "", "上传文件名", name)
    elif request.is_json:
        body = request.get_data(cache=True)
        if body.strip():
            strict_loads(body)


def _check_text(text: str, where: str, name: str) -> None:
    reason = text_problem(text)
    if reason:
        raise MalformedRequest(f"{where} {name!r} {reason}", errors={name: [reason]})
