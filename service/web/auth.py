"""Sessions for people in a browser: the same accounts and tokens as the REST API.

Logging in issues an ordinary bearer token (services/accounts.login) and keeps it in the signed,
HttpOnly session cookie; every page resolves the principal from it exactly as the API resolves a
bearer header, so pages and API share one authentication and one set of rules. Every POST
carries the session's CSRF token.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import abort, g, redirect, request, session, url_for

from service.api.context import container
from service.services import accounts
from service.services.errors import Unauthorized
from service.services.principal import Principal

TOKEN, CSRF = "token", "csrf"


def start_session(token: str) -> None:
    session.clear()
    session[TOKEN] = token
    session[CSRF] = secrets.token_urlsafe(24)
    session.permanent = True


def current_principal() -> Principal | None:
    if "web_principal" in g:
        return g.web_principal
    token = session.get(TOKEN)
    principal = None
    if token:
        try:
            principal = accounts.principal_for_token(container().db, token)
        except Unauthorized:
            session.clear()
    g.web_principal = principal
    return principal


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_principal() is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def csrf_token() -> str:
    if CSRF not in session:
        session[CSRF] = secrets.token_urlsafe(24)
    return str(session[CSRF])


def check_csrf() -> None:
    """before_request of the web blueprint: a POST must echo the session's token."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, str(session.get(CSRF, ""))):
        abort(400, description="页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试")


def safe_next(target: str | None) -> str:
    """Only a path on this site: a login link must not send people elsewhere."""
    if not target:
        return url_for("web.inbox")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.inbox")
    return target
