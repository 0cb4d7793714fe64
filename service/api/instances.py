from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, render_template
from flask_smorest import Blueprint

from service.api.audit import HistorySchema
from service.api.context import container, principal
from service.api.problems import problem_responses
from service.api.schemas import (
    InstanceCreateSchema,
    InstanceDetailSchema,
    InstancePageSchema,
    InstanceQuerySchema,
    InstanceSchema,
    raw_fields,
)
from service.services import audit_trail, dossier, instances

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
        body.get("organisation"),
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


@blp.route("/<string:instance_id>/history")
@blp.response(200, HistorySchema)
@problem_responses(blp, 404)
def instance_history(instance_id: str) -> dict[str, Any]:
    """实例的办理过程：每个事件的时间、操作（中文）、操作人姓名、步骤与说明；能查看该实例的人及监督角色可读，
    无权查看的详情（如其他评委的评分表）为 null"""
    return {"instance_id": instance_id, "events": audit_trail.history(container(), principal(), instance_id)}


@blp.route("/<string:instance_id>/dossier.xlsx")
@blp.response(
    200,
    {"type": "string", "format": "binary"},
    content_type=dossier.CONTENT_TYPE,
    description="纪实档案工作簿（.xlsx）",
)
@problem_responses(blp, 403, 404)
def instance_dossier(instance_id: str) -> Response:
    """纪实档案：封面（含最后一个审计事件的哈希）、时间线、办理记录、基本信息、评审组与回避，以及由实例数据
    生成的各表（报名与资格审查、评分表、成绩排名、抽签与种子、公示与异议、决定）。组织单位、监督角色与管理员可导出"""
    exported = dossier.export(container(), principal(), instance_id)
    response = Response(exported.content, mimetype=exported.content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(exported.filename)}"
    return response


@blp.route("/<string:instance_id>/dossier.html")
@blp.response(
    200,
    {"type": "string"},
    content_type="text/html",
    description="纪实档案打印页（HTML，A4，每部分另起一页）",
)
@problem_responses(blp, 403, 404)
def instance_dossier_page(instance_id: str) -> Response:
    """纪实档案打印页：与工作簿内容相同（同一份档案模型生成），中文标题、北京时间，可直接打印为 A4。
    组织单位、监督角色与管理员可查看"""
    built = dossier.build(container(), principal(), instance_id, "html")
    response = Response(render_template("dossier.html", dossier=built), mimetype="text/html")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(built.filename('html'))}"
    return response


def _detail(detail: instances.InstanceDetail) -> dict[str, Any]:
    instance = detail.instance
    return {
        **raw_fields(instance, InstanceDetailSchema),
        "data": detail.data,
        "open_tasks": detail.open_tasks,
        "completed_steps": detail.completed_steps,
        "timers": detail.timers,
    }
