from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from service.api.context import container, principal
from service.api.schemas import (
    CompleteSchema,
    CompletionSchema,
    TaskDetailSchema,
    TaskPageSchema,
    TaskQuerySchema,
    TaskSchema,
    raw_fields,
)
from service.services import tasks

blp = Blueprint("tasks", __name__, url_prefix="/api/v1/tasks", description="待办任务")


@blp.route("")
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskPageSchema)
def list_tasks(query: dict[str, Any]) -> Any:
    """待办/已办列表：只含本人角色、本人认领或点名给本人的任务"""
    return tasks.list_tasks(container(), principal(), **query)


@blp.route("/<string:task_id>")
@blp.response(200, TaskDetailSchema)
def get_task(task_id: str) -> dict[str, Any]:
    """任务详情，含表单 JSON Schema 和当前数据"""
    detail = tasks.get_task(container(), principal(), task_id)
    return {
        **raw_fields(detail.task, TaskDetailSchema),
        "form": detail.form,
        "data": detail.data,
        "context": detail.context,
    }


@blp.route("/<string:task_id>/claim", methods=["POST"])
@blp.response(200, TaskSchema)
def claim_task(task_id: str) -> Any:
    """认领任务"""
    return tasks.claim(container(), principal(), task_id)


@blp.route("/<string:task_id>/unclaim", methods=["POST"])
@blp.response(200, TaskSchema)
def unclaim_task(task_id: str) -> Any:
    """退回认领，任务回到角色公共待办"""
    return tasks.unclaim(container(), principal(), task_id)


@blp.route("/<string:task_id>/complete", methods=["POST"])
@blp.arguments(CompleteSchema)
@blp.response(200, CompletionSchema)
def complete_task(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """提交表单并办结任务；返回实例状态和新产生的待办"""
    result = tasks.complete(container(), principal(), task_id, body.get("data"))
    return {"instance": result.instance, "status": result.instance.status, "open_tasks": result.open_tasks}
