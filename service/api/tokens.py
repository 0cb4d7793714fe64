from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import RequestSchema
from service.services import accounts
from service.services.authorization import require_admin

blp = Blueprint("tokens", __name__, url_prefix="/api/v1/tokens", description="系统接入令牌（管理员）")


class TokenCreateSchema(RequestSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    roles = fields.List(
        fields.String(validate=validate.Length(min=1, max=170)),
        load_default=list,
        metadata={"description": "角色，写作 角色@机构代码（* 含下属机构）；不写机构即默认机构"},
    )
    admin = fields.Boolean(load_default=False)
    organisation = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "令牌只能读取和办理该机构及其下属机构的流程；不填即不限"},
    )


class SystemTokenSchema(Schema):
    name = fields.String()
    roles = fields.List(fields.String())
    admin = fields.Boolean()
    organisation = fields.String(allow_none=True)
    access_token = fields.String(metadata={"description": "只在此时显示一次，请妥善保存"})
    token_type = fields.String()


@blp.route("", methods=["POST"])
@blp.arguments(TokenCreateSchema)
@blp.response(201, SystemTokenSchema)
def create_token(body: dict[str, Any]) -> dict[str, Any]:
    """为接入系统（如 OA）签发 API 令牌"""
    require_admin(principal(), "签发系统令牌")
    token = accounts.create_system_token(
        container().db,
        body["name"],
        body["roles"],
        is_admin=body["admin"],
        organisation=body["organisation"],
        manager=principal(),
    )
    return {**body, "access_token": token, "token_type": "Bearer"}
