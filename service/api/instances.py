from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from service.api.context import container, principal
from service.api.schemas import (
    InstanceCreateSchema,
    InstanceDetailSchema,
    InstancePageSchema,
    InstanceQuerySchema,
    InstanceSchema,
    raw_fields,
)
from service.services import instances

blp = Blueprint("instances", __name__, url_prefix="/api/v1/instances", description="流程实例")


@blp.route("", methods=["POST"])
@blp.arguments(InstanceCreateSchema)
@blp.response(201, InstanceSchema)
def start_instance(body: dict[str, Any]) -> Any:
    """发起流程实例（使用该流程的最新版本）"""
    return instances.start(
        container(),
        principal(),
        body["definition_key"],
        body.get("business_key"),
        body.get("data"),
        body.get("source_instance_id"),
    )


@blp.route("")
@blp.arguments(InstanceQuerySchema, location="query")
@blp.response(200, InstancePageSchema)
def list_instances(query: dict[str, Any]) -> Any:
    """流程实例列表（分页）"""
    return instances.list_instances(container(), principal(), **query)


@blp.route("/<string:instance_id>")
@blp.response(200, InstanceDetailSchema)
def get_instance(instance_id: str) -> dict[str, Any]:
    """实例详情：状态、数据、待办任务、已完成步骤"""
    return _detail(instances.get_instance(container(), principal(), instance_id))


@blp.route("/<string:instance_id>/retry", methods=["POST"])
@blp.response(200, InstanceDetailSchema)
def retry_instance(instance_id: str) -> dict[str, Any]:
    """管理员：排除原因后，让出错的实例从最后一次正常状态继续运行"""
    return _detail(instances.retry(container(), principal(), instance_id))


def _detail(detail: instances.InstanceDetail) -> dict[str, Any]:
    instance = detail.instance
    return {
        **raw_fields(instance, InstanceDetailSchema),
        "data": detail.data,
        "open_tasks": detail.open_tasks,
        "completed_steps": detail.completed_steps,
        "timers": detail.timers,
    }
