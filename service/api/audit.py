"""The audit trail for overseers (the observer role and admins): events, and the chain's check."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from service.api.context import container, principal
from service.api.problems import problem_responses
from service.api.schemas import PageQuerySchema, ShanghaiDateTime
from service.services import audit_trail

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="审计记录（防篡改的哈希链，供监督角色与管理员查阅）",
)


class MomentField(fields.String):
    """A day (2026-12-01) or a moment (2026-12-01T09:00:00+08:00; Beijing time if no offset)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date | datetime:
        text = str(super()._deserialize(value, attr, data, **kwargs)).strip()
        if "T" in text and " " in text:  # a "+08:00" that arrived unencoded in a query string
            text = text.replace(" ", "+")
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError("应为日期（如 2026-12-01）或时间（如 2026-12-01T09:00:00+08:00）") from None


# What MomentField reads, stated in the OpenAPI document (days 29–31 are left to the parser).
MOMENT_PATTERN = (
    r"^[12][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?([+-](0[0-9]|1[0-4]):[0-5][0-9]|Z)?)?$"
)


class AuditQuerySchema(PageQuerySchema):
    instance_id = fields.String(metadata={"description": "只看某个流程实例"})
    actor = fields.String(metadata={"description": "操作人用户名，如 renshi、engine、scheduler"})
    action = fields.String(
        metadata={"description": "操作，如 task.completed；不带点时取整类（task = task.*）"}
    )
    start = MomentField(
        data_key="from", metadata={"description": "起（含）：日期或时间", "pattern": MOMENT_PATTERN}
    )
    end = MomentField(
        data_key="to", metadata={"description": "止（含）：日期表示含当天全天", "pattern": MOMENT_PATTERN}
    )
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))


class AuditEventSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer(metadata={"description": "在全局链中的位置（从 1 起）"})
    at = ShanghaiDateTime()
    actor = fields.String()
    actor_name = fields.String(metadata={"description": "操作人姓名；流程引擎、定时调度等为中文名称"})
    action = fields.String()
    action_label = fields.String(metadata={"description": "操作的中文名称"})
    instance_id = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    detail = fields.Dict()
    prev_hash = fields.String(metadata={"description": "全局链中前一事件的哈希"})
    instance_prev_hash = fields.String(allow_none=True, metadata={"description": "本实例前一事件的哈希"})
    hash = fields.String(metadata={"description": "本事件的 SHA-256（字段的规范 JSON 与两个前一哈希）"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEventSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class BrokenLinkSchema(Schema):
    position = fields.Integer(metadata={"description": "断开处在链中的位置（从 1 起）"})
    event_id = fields.Integer(allow_none=True)
    reason = fields.String(
        metadata={
            "description": "content 内容被改 / link 前后链接断开 / instance_link 实例链断开 / "
            "missing 事件缺失 / head 末尾事件缺失"
        }
    )
    message = fields.String()


class ChainReportSchema(Schema):
    ok = fields.Boolean()
    events = fields.Integer(metadata={"description": "链上的事件数"})
    last_hash = fields.String(allow_none=True)
    broken = fields.Nested(BrokenLinkSchema, allow_none=True, metadata={"description": "第一个断开之处"})
    checked_at = ShanghaiDateTime()


class HistoryEntrySchema(Schema):
    seq = fields.Integer()
    event_id = fields.Integer()
    at = ShanghaiDateTime()
    action = fields.String()
    action_label = fields.String()
    actor = fields.String()
    actor_name = fields.String()
    step = fields.String(allow_none=True, metadata={"description": "步骤名称"})
    summary = fields.String(metadata={"description": "一句话说明"})
    task_id = fields.String(allow_none=True)
    detail = fields.Dict(
        allow_none=True,
        metadata={"description": "事件详情；无权查看时（如其他评委的评分表）为 null"},
    )
    hash = fields.String()


class HistorySchema(Schema):
    instance_id = fields.String()
    events = fields.List(fields.Nested(HistoryEntrySchema))


@blp.route("")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditPageSchema)
@problem_responses(blp, 403, 422)
def list_events(query: dict[str, Any]) -> Any:
    """审计记录（分页，按链中位置排序），可按实例、操作人、操作、时间筛选"""
    return audit_trail.list_events(container(), principal(), **query)


@blp.route("/verify")
@blp.response(200, ChainReportSchema)
@problem_responses(blp, 403)
def verify_chain() -> Any:
    """重新计算整条审计链：完整时 ok 为 true，否则给出第一个断开之处（位置、事件编号、原因）"""
    return audit_trail.verify(container(), principal())
