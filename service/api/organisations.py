"""The organisation tree (issue 12): read by every signed-in user, kept by admins."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import RequestSchema, ShanghaiDateTime
from service.services import organisations
from service.services.organisations import OrganisationInput
from service.store.models import Organisation

blp = Blueprint("organisations", __name__, url_prefix="/api/v1/organisations", description="机构")

_KIND = validate.OneOf(organisations.KINDS)
_CODE = validate.Length(min=1, max=64)


class OrganisationCreateSchema(RequestSchema):
    code = fields.String(
        required=True, validate=_CODE, metadata={"description": "机构代码，唯一，如 fh-jiaotou"}
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(
        load_default="",
        validate=_KIND,
        metadata={"description": "省国资委、区国资管理中心、集团、企业、开发区、部门"},
    )
    parent = fields.String(
        load_default=None, validate=_CODE, metadata={"description": "上级机构代码；不填即顶层"}
    )


class OrganisationPatchSchema(RequestSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=_KIND)
    parent = fields.String(
        validate=_CODE, metadata={"description": "新的上级机构代码（连同下属机构一起调整）"}
    )


class OrganisationSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent = fields.String(allow_none=True)
    depth = fields.Integer(metadata={"description": "层级，顶层为 0"})
    created_at = ShanghaiDateTime()


def _shown(org: Organisation, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "parent": codes.get(org.parent_id) if org.parent_id else None,
        "depth": len(org.ancestor_ids) - 1,
        "created_at": org.created_at,
    }


def _codes() -> dict[int, str]:
    return {org.id: org.code for org in organisations.list_organisations(container().db)}


@blp.route("")
@blp.response(200, OrganisationSchema(many=True))
def list_organisations() -> list[dict[str, Any]]:
    """机构树（上级在前），发起流程时可从中选择所属机构"""
    principal()
    rows = organisations.list_organisations(container().db)
    codes = {org.id: org.code for org in rows}
    return [_shown(org, codes) for org in rows]


@blp.route("", methods=["POST"])
@blp.arguments(OrganisationCreateSchema)
@blp.response(201, OrganisationSchema)
def create_organisation(body: dict[str, Any]) -> dict[str, Any]:
    """新建机构（管理员；本机构管理员只能在本机构以下新建）"""
    org = organisations.create(container().db, principal(), OrganisationInput(**body))
    return _shown(org, _codes())


@blp.route("/<code>", methods=["PATCH"])
@blp.arguments(OrganisationPatchSchema)
@blp.response(200, OrganisationSchema)
def update_organisation(body: dict[str, Any], code: str) -> dict[str, Any]:
    """修改机构名称、类型或上级机构"""
    org = organisations.update(container().db, principal(), code, **body)
    return _shown(org, _codes())
