"""The caller's own view: who they are, and (for candidates) their own applications and results."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from service.api.context import container, principal
from service.api.schemas import PageQuerySchema, ShanghaiDateTime
from service.api.users import UserSchema
from service.services import own_records
from service.services.organisations import code_of

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="本人信息；应聘人员查看本人的报名和成绩")


class MeSchema(UserSchema):
    system = fields.Boolean(metadata={"description": "是否为接入系统（OA）的令牌"})


class ApplicationRecordSchema(Schema):
    label = fields.String(metadata={"description": "如「揭榜申请」"})
    record = fields.Dict(metadata={"description": "本人报名时登记的信息及受理、资格审查结果"})


class ResultGroupSchema(Schema):
    label = fields.String(metadata={"description": "如「面试成绩」"})
    records = fields.List(fields.Dict(), metadata={"description": "本人的成绩或结果记录"})


class OwnApplicationSchema(Schema):
    instance_id = fields.String()
    definition_key = fields.String()
    definition_name = fields.String(metadata={"description": "流程名称，如「揭榜挂帅」"})
    business_key = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "running | completed | error | suspended | cancelled"})
    person_name = fields.String()
    applications = fields.List(fields.Nested(ApplicationRecordSchema))
    results = fields.List(fields.Nested(ResultGroupSchema))
    updated_at = ShanghaiDateTime()


class OwnApplicationPageSchema(Schema):
    items = fields.List(fields.Nested(OwnApplicationSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.route("")
@blp.response(200, MeSchema)
def who_am_i() -> dict[str, Any]:
    """当前登录的用户、角色，以及是否已关联身份证号"""
    me = principal()
    return {
        "username": me.username,
        "display_name": me.display_name,
        "roles": sorted(me.roles),
        # Where each role is held, grants "with subordinates" listed organisation by organisation.
        "grants": sorted(f"{role}@{code_of(container().db, org)}" for role, org in me.role_organisations),
        "organisation": code_of(container().db, me.organisation_id),
        "admin": me.is_admin,
        "system": me.is_system,
        "id_number_linked": me.id_number_digest is not None,
    }


@blp.route("/applications")
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, OwnApplicationPageSchema)
def my_applications(query: dict[str, Any]) -> Any:
    """X-03：本人的报名及成绩（只含本人，按最近变化排序）"""
    return own_records.list_mine(container(), principal(), query["page"], query["per_page"])
