"""Every error leaves as application/problem+json (RFC 9457)."""

from __future__ import annotations

import http
import logging
from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from service.services.errors import ServiceError
from service.store.db import DatabaseBusy

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

_TITLES = {
    400: "请求格式错误",
    401: "未登录或令牌无效",
    403: "无权执行此操作",
    404: "资源不存在",
    405: "不支持的请求方法",
    409: "状态冲突",
    413: "上传内容过大",
    415: "不支持的内容类型",
    422: "数据校验未通过",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂时繁忙",
}

_DETAILS = {
    400: "请求无法解析，请检查 JSON 格式和参数",
    404: "请求的地址不存在，请检查 URL",
    405: "该地址不支持此请求方法",
    413: "上传的内容超过了大小限制",
    415: "请以 application/json 发送请求体",
    500: "服务器处理请求时出错，已记录日志，请稍后重试或联系管理员",
}


def problem(
    status: int,
    detail: str,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or _TITLES.get(status, "请求失败"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="xuanpin"')
    return response


def problem_responses(blp: Any, *statuses: int) -> Any:
    """Documents a route's problem+json answers in the OpenAPI document (schema "Problem")."""

    def decorator(func: Any) -> Any:
        for status in statuses:
            func = blp.alt_response(
                status, schema="Problem", content_type=PROBLEM_TYPE, description=_TITLES.get(status)
            )(func)
        return func

    return decorator


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests errors by location and field; clients want {"field": ["message"]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "files", "path", "headers"):
                flat.update(flatten_errors(value, ""))
            else:
                flat.update(flatten_errors(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_request"] = [_translate(m) for m in messages]
    else:
        flat[prefix or "_request"] = [str(messages)]
    return flat


_MARSHMALLOW_MESSAGES = {
    "Missing data for required field.": "必填项",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid boolean.": "应为是/否",
    "Unknown field.": "不认识的字段",
    "Field may not be null.": "不能为空",
    "Invalid input type.": "类型不正确",
    "Not a valid mapping type.": "应为 JSON 对象",
    "Invalid JSON body.": "请求体不是有效的 JSON",
}


def _translate(message: str) -> str:
    if message in _MARSHMALLOW_MESSAGES:
        return _MARSHMALLOW_MESSAGES[message]
    if message.startswith("Must be one of"):
        return "只能是：" + message.removeprefix("Must be one of:").strip().rstrip(".")
    if message.startswith("Must be greater than or equal to") and "less than" in message:
        return "超出允许范围：" + message
    return message


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    if status == 422 and messages:
        errors = flatten_errors(messages)
        summary = "；".join(f"{field}：{'，'.join(msgs)}" for field, msgs in errors.items())
        return problem(422, f"请求参数有误：{summary}", errors=errors)
    if status == 400 and messages:
        errors = flatten_errors(messages)
        return problem(400, "请求体不是有效的 JSON，请检查格式", errors=errors)
    detail = data.get("message") or _DETAILS.get(status) or error.description or ""
    return problem(status, detail, headers=data.get("headers"))


def handle_service_error(error: ServiceError) -> Response:
    retry_after = getattr(error, "retry_after", None)  # TooManyRequests, Unavailable
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return problem(
        error.status, error.detail, title=error.title, errors=error.errors, headers=headers, **error.extra
    )


def handle_database_busy(error: DatabaseBusy) -> Response:
    log.warning("database busy: %s", error)
    return problem(
        503,
        "数据库正忙（其他操作正在写入），本次请求未执行，请稍后重试",
        headers={"Retry-After": str(error.retry_after_seconds)},
    )


def handle_unexpected(error: Exception) -> Response:
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error")
    return problem(500, _DETAILS[500])


def register(app: Flask) -> None:
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(DatabaseBusy, handle_database_busy)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)


# --- OpenAPI: the error answers, documented where they happen -----------------------------

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; detail is a Chinese message a person can act on",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "field → messages",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    # Refusals add what the client needs to act (element_id of a diagram fault, the limit …).
    "additionalProperties": True,
}


def register_responses(spec: APISpec) -> None:
    """One lazily registered response per status (flask-smorest names them NOT_FOUND …), all
    problem+json, in place of flask-smorest's application/json "Error"."""
    spec.components.schema("Problem", PROBLEM_SCHEMA)
    for status in http.HTTPStatus:
        response: dict[str, Any] = {"description": _TITLES.get(status.value, status.phrase)}
        if status >= 400:
            response["content"] = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        spec.components.response(status.name, response, lazy=True)


def _name(status: int) -> str:
    return http.HTTPStatus(status).name


class ErrorResponses(BasePlugin):
    """apispec plugin adding to every operation the problems it can answer, by what the
    operation is: the input gate (400) and body size (413) everywhere, authentication and
    rights (401/403) unless public, a missing resource (404) where a path or body names one,
    conflicts and a busy database (409/503) on writes, validation (422) where there is input,
    and throttling (429) at login."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **_: Any) -> None:
        for method, operation in (operations or {}).items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            public = operation.get("security") == []
            writes = method != "get"
            login = path == "/api/v1/auth/token"
            statuses = [400, 413]
            if not public or login:
                statuses.append(401)
            if not public:
                statuses += [403, 404, 422]
            if writes:
                statuses += [409, 422, 503]
            if login:
                statuses += [422, 429]
            for status in statuses:
                responses.setdefault(str(status), _name(status))
