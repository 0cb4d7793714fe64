"""Deactivating users; listing and revoking API tokens (issue 10)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from service.api.context import container, principal
from service.api.schemas import RequestSchema, ShanghaiDateTime
from service.services import account_operations

blp = Blueprint("account_operations", __name__, url_prefix="/api/v1", description="用户停用与令牌管理")


class UserStateSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    active = fields.Boolean()


class TokenQuerySchema(RequestSchema):
    include_revoked = fields.Boolean(
        load_default=False, metadata={"description": "true：同时列出已吊销的令牌"}
    )


class TokenSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    name = fields.String(metadata={"description": "login 为登录令牌，其余为系统接入令牌的名称"})
    system = fields.Boolean(metadata={"description": "是否为接入系统（如 OA）的令牌"})
    created_at = ShanghaiDateTime()
    expires_at = ShanghaiDateTime(allow_none=True)
    revoked = fields.Boolean()
    expired = fields.Boolean()


class TokenListSchema(Schema):
    items = fields.List(fields.Nested(TokenSchema))


@blp.route("/users/<string:username>/deactivate", methods=["POST"])
@blp.response(200, UserStateSchema)
def deactivate_user(username: str) -> Any:
    """管理员：停用用户；停用后不能登录，已签发的令牌立即失效"""
    return account_operations.set_active(container().db, principal(), username, active=False)


@blp.route("/users/<string:username>/reactivate", methods=["POST"])
@blp.response(200, UserStateSchema)
def reactivate_user(username: str) -> Any:
    """管理员：重新启用停用的用户"""
    return account_operations.set_active(container().db, principal(), username, active=True)


@blp.route("/tokens")
@blp.arguments(TokenQuerySchema, location="query")
@blp.response(200, TokenListSchema)
def list_tokens(query: dict[str, Any]) -> dict[str, Any]:
    """令牌列表（不含令牌值）：管理员看全部，其他用户看自己的"""
    return {"items": account_operations.list_tokens(container().db, principal(), query["include_revoked"])}


@blp.route("/tokens/<string:token_id>", methods=["DELETE"])
@blp.response(204)
def revoke_token(token_id: str) -> None:
    """吊销令牌：管理员可吊销任何令牌，其他用户只能吊销自己的"""
    account_operations.revoke_token(container().db, principal(), token_id)
