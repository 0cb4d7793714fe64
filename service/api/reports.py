from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import RequestSchema
from service.services import reports

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="统计报表")


class YearQuerySchema(RequestSchema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class ShareSchema(Schema):
    recruitments = fields.Integer(metadata={"description": "已完成的管理技术岗招聘次数"})
    total = fields.Integer(metadata={"description": "聘用人数"})
    full_time_bachelor_or_higher = fields.Integer()
    share = fields.Float(allow_none=True)
    minimum = fields.Float()
    below_minimum = fields.Boolean()
    warning = fields.String(allow_none=True)


class OrganisationShareSchema(ShareSchema):
    organisation = fields.String(metadata={"description": "机构代码"})
    organisation_name = fields.String()


class BachelorShareSchema(Schema):
    year = fields.Integer()
    by_organisation = fields.List(
        fields.Nested(OrganisationShareSchema), metadata={"description": "各企业（实例所属机构）分列"}
    )
    recruitments = fields.Integer(metadata={"description": "已完成的管理技术岗招聘次数"})
    total = fields.Integer(metadata={"description": "聘用人数"})
    full_time_bachelor_or_higher = fields.Integer()
    share = fields.Float(allow_none=True)
    minimum = fields.Float()
    below_minimum = fields.Boolean()
    warning = fields.String(allow_none=True)


@blp.route("/fenghua/bachelor-share")
@blp.arguments(YearQuerySchema, location="query")
@blp.response(200, BachelorShareSchema)
def fenghua_bachelor_share(query: dict[str, Any]) -> dict[str, Any]:
    """奉化国企年度管理技术岗聘用人员中全日制本科及以上学历占比（FH-10，低于 75% 预警）"""
    return reports.fenghua_bachelor_share(container(), principal(), query["year"])
