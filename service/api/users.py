"""Accounts for people, created by an administrator (or an OA system holding an admin token)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import RequestSchema
from service.services import accounts, organisations
from service.services.authorization import require_admin
from service.store.models import User

blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="用户（管理员）")


class UserCreateSchema(RequestSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    roles = fields.List(
        fields.String(validate=validate.Length(min=1, max=170)),
        load_default=list,
        metadata={
            "description": "角色，写作 角色@机构代码（如 企业人事@fh-jiaotou-yunshu）；机构代码后加 * 表示"
            "含下属机构（如 纪检监督@fh-guozi*）；不写机构即默认机构"
        },
    )
    admin = fields.Boolean(load_default=False)
    organisation = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "所在机构的代码：本人发起的流程默认属于该机构"},
    )
    admin_organisation = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "管理员只管理该机构及其下属机构；不填即全局管理员"},
    )
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
    roles = fields.List(fields.String(), metadata={"description": "角色名"})
    grants = fields.List(fields.String(), metadata={"description": "角色@机构代码（* 含下属机构）"})
    organisation = fields.String(allow_none=True)
    admin = fields.Boolean()
    admin_organisation = fields.String(allow_none=True)
    id_number_linked = fields.Boolean(
        metadata={"description": "是否已关联身份证号（可查看本人的报名和成绩）"}
    )


@blp.route("", methods=["POST"])
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(body: dict[str, Any]) -> dict[str, Any]:
    """新增用户；应聘人员可同时关联身份证号（须由组织报名的部门核实身份）"""
    require_admin(principal(), "新增用户")
    grants = accounts.add_user(
        container().db,
        body["username"],
        body["password"],
        body["roles"],
        is_admin=body["admin"],
        display_name=body["display_name"],
        id_number=body["id_number"],
        actor=principal().username,
        organisation=body["organisation"],
        admin_organisation=body["admin_organisation"],
        manager=principal(),
    )
    return {
        "username": body["username"],
        "display_name": body["display_name"] or body["username"],
        "roles": sorted({grant.partition("@")[0] for grant in grants}),
        "grants": grants,
        "organisation": body["organisation"],
        "admin": body["admin"],
        "admin_organisation": body["admin_organisation"],
        "id_number_linked": body["id_number"] is not None,
    }


class UserPatchSchema(RequestSchema):
    roles = fields.List(
        fields.String(validate=validate.Length(min=1, max=170)),
        metadata={"description": "新的全部角色（角色@机构代码，* 含下属机构），替换原有角色"},
    )
    organisation = fields.String(
        validate=validate.Length(min=1, max=64), metadata={"description": "所在机构代码"}
    )
    admin_organisation = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "管理员的管理范围（机构代码）；null 为全局管理员"},
    )


def _shown(user: User) -> dict[str, Any]:
    db = container().db
    grants = accounts.grant_specs(user)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted({grant.partition("@")[0] for grant in grants}),
        "grants": grants,
        "organisation": organisations.code_of(db, user.organisation_id),
        "admin": user.is_admin,
        "admin_organisation": organisations.code_of(db, user.admin_organisation_id),
        "id_number_linked": user.id_number_digest is not None,
    }


@blp.route("/<string:username>", methods=["PATCH"])
@blp.arguments(UserPatchSchema)
@blp.response(200, UserSchema)
def change_user(body: dict[str, Any], username: str) -> dict[str, Any]:
    """调整用户的角色（角色@机构代码）、所在机构或管理范围；未给出的保持不变"""
    me = principal()
    placement = None
    if "organisation" in body or "admin_organisation" in body:
        placement = accounts.Placement(
            body.get("organisation"),
            body.get("admin_organisation"),
            keep_organisation="organisation" not in body,
            keep_admin_organisation="admin_organisation" not in body,
        )
    user = accounts.change_user(container().db, me, username, body.get("roles"), placement)
    return _shown(user)
