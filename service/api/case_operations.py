"""Case operations (issue 10): cancel, suspend, resume, move (repair), migrate to another version."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.instances import _detail
from service.api.schemas import InstanceDetailSchema, RequestSchema
from service.services import case_operations

blp = Blueprint(
    "case_operations", __name__, url_prefix="/api/v1", description="案件操作（撤销、挂起、修复、迁移）"
)

_REASON = fields.String(
    required=True,
    validate=validate.Length(min=1, max=500),
    metadata={"description": "原因：记入办理记录，并显示在实例上"},
)


class ReasonSchema(RequestSchema):
    reason = _REASON


class ResumeSchema(RequestSchema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class MoveSchema(RequestSchema):
    from_element = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "进行中的元素（BPMN id）"},
    )
    to_element = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "改为从此元素开始（BPMN id）"},
    )
    reason = _REASON


class MigrateSchema(RequestSchema):
    from_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    instance_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        load_default=None,
        validate=validate.Length(max=1000),
        metadata={"description": "只迁移这些实例；省略则迁移源版本的全部运行中和挂起的实例"},
    )
    dry_run = fields.Boolean(load_default=False, metadata={"description": "true：只报告，不做任何修改"})


class MigrationItemSchema(Schema):
    instance_id = fields.String()
    business_key = fields.String(allow_none=True)
    status = fields.String(
        metadata={
            "description": "migrated 已迁移 / would_migrate 可以迁移（试运行） / refused 不能迁移",
            "enum": ["migrated", "would_migrate", "refused"],
        }
    )
    changes = fields.List(fields.String(), metadata={"description": "进行中的步骤将有的变化"})
    reasons = fields.List(fields.String(), metadata={"description": "不能迁移的原因"})


class MigrationReportSchema(Schema):
    definition_key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    items = fields.List(fields.Nested(MigrationItemSchema))


@blp.route("/instances/<string:instance_id>/cancel", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, InstanceDetailSchema)
def cancel_instance(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """撤销流程实例：待办任务撤销、定时器取消（不再触发），原因记入办理记录并显示在实例上。
    管理员，或流程图声明 xuanpin:starterMayCancel=true 时的发起人"""
    return _detail(case_operations.cancel(container(), principal(), instance_id, body["reason"]))


@blp.route("/instances/<string:instance_id>/suspend", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, InstanceDetailSchema)
def suspend_instance(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """管理员：挂起运行中的实例；挂起期间任何任务都不能办结，定时器不触发"""
    return _detail(case_operations.suspend(container(), principal(), instance_id, body["reason"]))


@blp.route("/instances/<string:instance_id>/resume", methods=["POST"])
@blp.arguments(ResumeSchema)
@blp.response(200, InstanceDetailSchema)
def resume_instance(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """管理员：恢复挂起的实例；挂起期间到期的定时器随即触发"""
    return _detail(case_operations.resume(container(), principal(), instance_id, body.get("reason")))


@blp.route("/instances/<string:instance_id>/move", methods=["POST"])
@blp.arguments(MoveSchema)
@blp.response(200, InstanceDetailSchema)
def move_instance(body: dict[str, Any], instance_id: str) -> dict[str, Any]:
    """管理员修复卡住的实例：撤销一个元素上进行中的活动，改为从另一个元素开始（同一流程或子流程内）"""
    return _detail(
        case_operations.move(
            container(), principal(), instance_id, body["from_element"], body["to_element"], body["reason"]
        )
    )


@blp.route("/definitions/<string:key>/migrate", methods=["POST"])
@blp.arguments(MigrateSchema)
@blp.response(200, MigrationReportSchema)
def migrate_instances(body: dict[str, Any], key: str) -> Any:
    """管理员：把某版本的运行中实例迁移到另一版本（如修正后的新版本），逐个实例报告变化及不能迁移的原因；
    dry_run=true 只报告不修改"""
    return case_operations.migrate(
        container(),
        principal(),
        key,
        body["from_version"],
        body["to_version"],
        body["instance_ids"],
        body["dry_run"],
    )
