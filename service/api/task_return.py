"""退回 and 撤回 of a task (issue 10's REST names)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import CompletionSchema, RequestSchema, comment_field
from service.services import task_return

blp = Blueprint("task_return", __name__, url_prefix="/api/v1/tasks", description="待办任务：退回与撤回")

_COMMENT = comment_field("意见或理由，记入审计轨迹")


class ReturnTargetSchema(Schema):
    element_id = fields.String(metadata={"description": "BPMN 步骤 ID，作为 return 的 target"})
    title = fields.String(metadata={"description": "步骤名称"})
    completed_by = fields.List(fields.String(), metadata={"description": "办理人（会签为各办理人）"})
    completed_at = fields.DateTime(allow_none=True)
    multi_instance = fields.Boolean(metadata={"description": "会签/票签步骤：退回后重新生成全部任务"})


class ReturnSchema(RequestSchema):
    target = fields.String(
        required=True, validate=validate.Length(1, 200), metadata={"description": "退回到的步骤 ID"}
    )
    comment = _COMMENT


class WithdrawSchema(RequestSchema):
    comment = _COMMENT


def _answer(result: Any) -> dict[str, Any]:
    return {"instance": result.instance, "status": result.instance.status, "open_tasks": result.open_tasks}


@blp.route("/<string:task_id>/return-targets")
@blp.response(200, ReturnTargetSchema(many=True))
def return_targets(task_id: str) -> Any:
    """可退回的步骤：本任务已走过的路径上此前办理过的人工步骤，最近的在前"""
    return task_return.return_targets(container(), principal(), task_id)


@blp.route("/<string:task_id>/return", methods=["POST"])
@blp.arguments(ReturnSchema)
@blp.response(200, CompletionSchema)
def return_task(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """退回到此前的步骤：其后已做的工作撤销，并行分支一并撤销，会签步骤重新生成全部任务"""
    result = task_return.return_task(container(), principal(), task_id, body["target"], body.get("comment"))
    return _answer(result)


@blp.route("/<string:task_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawSchema)
@blp.response(200, CompletionSchema)
def withdraw_task(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """撤回本人已办结的任务（后续步骤尚未办理时）"""
    return _answer(task_return.withdraw(container(), principal(), task_id, body.get("comment")))
