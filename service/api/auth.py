from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from service.api.context import container
from service.api.schemas import TokenRequestSchema, TokenResponseSchema
from service.services import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与令牌")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenResponseSchema)
@blp.doc(security=[])
def issue_token(body: dict[str, Any]) -> dict[str, Any]:
    """用用户名和密码换取访问令牌"""
    app = container()
    token = accounts.login(app.db, body["username"], body["password"], app.settings.token_ttl_hours)
    return {"access_token": token, "token_type": "Bearer", "expires_in": app.settings.token_ttl_hours * 3600}
