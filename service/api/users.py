"""Accounts for people, created by an administrator (or an OA system holding an admin token)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import RequestSchema
from service.services import accounts
from service.services.authorization import require_admin

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="用户（管理员）")


class UserCreateSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    roles = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    admin = fields.Boolean(load_default=False)
    id_number = fields.String(
        load_default=None,
        load_only=True,
        metadata={
            "description": "应聘人员的 18 位居民身份证号（末位为 GB 11643 校验位，可为 X）："
            "关联后本人可查看自己的报名和成绩（X-03）",
            "pattern": "^[1-9][0-9]{16}[0-9Xx]$",
        },
    )


class UserSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    admin = fields.Boolean()
    id_number_linked = fields.Boolean(
        metadata={"description": "是否已关联身份证号（可查看本人的报名和成绩）"}
    )


@blp.route("", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body: dict[str, Any]) -> dict[str, Any]:
    """新增用户；应聘人员可同时关联身份证号（须由组织报名的部门核实身份）"""
    require_admin(principal(), "新增用户")
    roles = accounts.add_user(
        container().db,
        body["username"],
        body["password"],
        body["roles"],
        is_admin=body["admin"],
        display_name=body["display_name"],
        id_number=body["id_number"],
        actor=principal().username,
    )
    return {
        "username": body["username"],
        "display_name": body["display_name"] or body["username"],
        "roles": roles,
        "admin": body["admin"],
        "id_number_linked": body["id_number"] is not None,
    }
