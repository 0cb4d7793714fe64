"""Message correlation: POST /api/v1/messages (issue 14)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import DATA_NAME, RequestSchema
from service.services import messages

blp = Blueprint(
    "messages", __name__, url_prefix="/api/v1/messages", description="消息关联：外部事件送达等待中的实例"
)


class MessageSchema(RequestSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "消息名称（BPMN message 的 name）"},
    )
    business_key = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "只送达该业务编号的实例"},
    )
    correlation_keys = fields.Dict(
        load_default=dict,
        keys=fields.String(),
        metadata={"names": DATA_NAME, "description": "只送达案件数据中这些数据项等于给定值的实例"},
    )
    data = fields.Dict(
        load_default=dict,
        keys=fields.String(),
        metadata={"names": DATA_NAME, "description": "随消息写入案件数据的数据项"},
    )
    all = fields.Boolean(load_default=False, metadata={"description": "可送达多个实例时全部送达（否则 409）"})


class ReachedSchema(Schema):
    id = fields.String(attribute="instance_id")
    definition_key = fields.String()
    business_key = fields.String(allow_none=True)
    status = fields.String()
    started = fields.Boolean(metadata={"description": "由消息启动事件新发起的实例"})


class CorrelationSchema(Schema):
    name = fields.String()
    instances = fields.List(fields.Nested(ReachedSchema))


@blp.route("", methods=["POST"])
@blp.arguments(MessageSchema)
@blp.response(200, CorrelationSchema)
def correlate(body: dict[str, Any]) -> dict[str, Any]:
    """送达消息：等待该消息的运行中实例（可按业务编号、关联数据项筛选）接收并继续；
    无实例等待时启动以该消息开始的流程；都没有则 404，多个且未设 all 则 409"""
    reached = messages.correlate(
        container(),
        principal(),
        body["name"],
        body.get("business_key"),
        body.get("correlation_keys"),
        body.get("data"),
        body.get("all", False),
    )
    return {"name": body["name"], "instances": reached}
