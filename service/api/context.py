"""Per-request access to the container and the authenticated principal."""

from __future__ import annotations

import base64
import binascii
import hmac

from flask import current_app, g, request

from service.container import Container
from service.services import accounts
from service.services.errors import Unauthorized
from service.services.principal import Principal

# Endpoints reachable without a token.
PUBLIC_ENDPOINTS = {
    "health.healthz",
    "health.readyz",
    "auth.issue_token",
    "api-docs.openapi_json",
    "api-docs.openapi_swagger_ui",
    "api-docs.openapi_redoc",
    "static",
}


def container() -> Container:
    return current_app.extensions["xuanpin"]


def principal() -> Principal:
    return g.principal


def authenticate_request() -> None:
    """before_request: every endpoint but the public ones needs a bearer token."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return
    if request.blueprint == "web":
        return  # pages authenticate with the session cookie (service/web/auth.py)
    if request.endpoint == "metrics.metrics_text" and _is_metrics_token():
        g.metrics_token = True  # a scraper's own token: it reads /metrics and nothing else
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "basic" and request.blueprint == "engine_rest":
        g.principal = _basic(token.strip())
        return
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "缺少访问令牌：请在 Authorization 头中提供 Bearer 令牌（POST /api/v1/auth/token 获取）"
        )
    g.principal = accounts.principal_for_token(container().db, token.strip())


def _is_metrics_token() -> bool:
    """The request carries XUANPIN_METRICS_TOKEN (compared in constant time)."""
    expected = container().settings.metrics_token
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), expected)


def _basic(credentials: str) -> Principal:
    """Camunda Modeler's "HTTP Basic": the account's username and an API token as password
    (never the account's password: clients keep it in their settings)."""
    try:
        username, _, token = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("HTTP Basic 凭据格式不正确") from None
    found = accounts.principal_for_token(container().db, token) if token else None
    if found is None or username not in (found.username, found.username.removeprefix("system:")):
        raise Unauthorized("HTTP Basic：用户名与 API 令牌不匹配（密码处请填写 API 令牌）")
    return found
