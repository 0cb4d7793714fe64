from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import INT64_MAX, RequestSchema, ShanghaiDateTime
from service.services import events

blp = Blueprint(
    "events", __name__, url_prefix="/api/v1/events", description="流程对外事件（供 OA、网站读取）"
)


class EventQuerySchema(RequestSchema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=INT64_MAX),
        metadata={"description": "上次读到的事件 id"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class EventSchema(Schema):
    id = fields.Integer()
    name = fields.String(metadata={"description": "消息名称，如「揭榜挂帅榜单发布」"})
    instance_id = fields.String()
    definition_key = fields.String()
    business_key = fields.String(allow_none=True)
    payload = fields.Raw(allow_none=True)
    created_at = ShanghaiDateTime()


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema))
    next_after = fields.Integer(metadata={"description": "下次请求时作为 after 传入"})


@blp.route("")
@blp.arguments(EventQuerySchema, location="query")
@blp.response(200, EventPageSchema)
def list_events(query: dict[str, Any]) -> dict[str, Any]:
    """按 id 顺序读取流程抛出的对外消息（如 JB-02 发榜）；记住最后的 id，下次从其后读取"""
    rows = events.list_events(container(), principal(), query["after"], query["limit"])
    return {"items": rows, "next_after": rows[-1].id if rows else query["after"]}
