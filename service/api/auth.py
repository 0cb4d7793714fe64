from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from service.api.context import container
from service.api.schemas import TokenRequestSchema, TokenResponseSchema
from service.services import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenResponseSchema)
@blp.alt_response(
    429,
    schema="Problem",
    content_type="application/problem+json",
    description="登录失败次数过多，暂停登录",
    headers={"Retry-After": {"description": "多少秒后可再试", "schema": {"type": "integer"}}},
)
@blp.doc(security=[])
def issue_token(body: dict[str, Any]) -> dict[str, Any]:
    """用用户名和密码换取访问令牌；同一账号或地址连续失败过多时暂停登录"""
    app = container()
    token = accounts.login(
        app.db,
        body["username"],
        body["password"],
        app.settings.token_ttl_hours,
        address=request.remote_addr or "unknown",
        throttle=accounts.LoginThrottle.from_settings(app.settings),
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": app.settings.token_ttl_hours * 3600}
