"""转办、委派、抄送、催办、审批意见 (issue 10): thin routes over services/task_operations.py."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.problems import problem_responses
from service.api.schemas import (
    DATA_NAME,
    USERNAME,
    CompletionSchema,
    PageQuerySchema,
    RequestSchema,
    ShanghaiDateTime,
    TaskSchema,
    comment_field,
)
from service.services import task_operations as ops

blp = Blueprint(
    "task_operations",
    __name__,
    url_prefix="/api/v1",
    description="任务操作：转办、委派、抄送（待阅）、催办、审批意见",
)

_COMMENT = comment_field("说明或理由")


class TransferSchema(RequestSchema):
    to_user = fields.String(required=True, validate=USERNAME, metadata={"description": "接收任务的用户名"})
    comment = _COMMENT


class ResolveSchema(RequestSchema):
    comment = _COMMENT
    data = fields.Dict(
        load_default=dict,
        keys=fields.String(),
        metadata={
            "names": DATA_NAME,
            "description": "受委派人填写的表单数据，作为草稿交给所有人（不直接写入案件）",
        },
    )


class CcSchema(RequestSchema):
    users = fields.List(
        fields.String(validate=USERNAME), load_default=list, validate=validate.Length(max=200)
    )
    roles = fields.List(fields.String(validate=USERNAME), load_default=list, validate=validate.Length(max=50))
    comment = _COMMENT


class UrgeSchema(RequestSchema):
    message = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "催办留言"},
    )


class CommentCreateSchema(RequestSchema):
    text = fields.String(
        required=True, validate=validate.Length(min=1, max=2000), metadata={"description": "意见内容"}
    )


class CcQuerySchema(PageQuerySchema):
    status = fields.String(
        validate=validate.OneOf(["unread", "read"]), metadata={"description": "unread 未读 / read 已读"}
    )


class CcItemSchema(Schema):
    id = fields.Integer()
    task_id = fields.String()
    task_title = fields.String()
    instance_id = fields.String()
    definition_key = fields.String()
    business_key = fields.String(allow_none=True)
    recipient = fields.String()
    sent_by = fields.String()
    sent_by_name = fields.String()
    comment = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "unread 未读 / read 已读"})
    created_at = ShanghaiDateTime()
    read_at = ShanghaiDateTime(allow_none=True)


class CcPageSchema(Schema):
    items = fields.List(fields.Nested(CcItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class OperationSchema(CompletionSchema):
    task = fields.Nested(TaskSchema, metadata={"description": "操作后的任务"})
    cc = fields.List(fields.Nested(CcItemSchema), metadata={"description": "本次新产生的抄送（仅抄送操作）"})


class CommentSchema(Schema):
    id = fields.Integer()
    task_id = fields.String()
    task_title = fields.String()
    instance_id = fields.String()
    author = fields.String()
    author_name = fields.String()
    kind = fields.String(
        metadata={"description": "comment 审批意见；transfer/delegate/resolve/cc 为随操作填写的说明"}
    )
    kind_label = fields.String()
    text = fields.String()
    created_at = ShanghaiDateTime()


class CommentListSchema(Schema):
    items = fields.List(fields.Nested(CommentSchema))


def _answer(result: ops.Operation) -> dict[str, Any]:
    return {
        "task": result.task,
        "instance": result.instance,
        "status": result.instance.status,
        "open_tasks": result.open_tasks,
        "cc": result.cc,
    }


@blp.route("/tasks/<string:task_id>/transfer", methods=["POST"])
@blp.arguments(TransferSchema)
@blp.response(200, OperationSchema)
def transfer(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """转办：任务交给担任其办理角色的另一用户（流程图允许时可交给任何在岗用户），转办人不再持有"""
    return _answer(ops.transfer(container(), principal(), task_id, body["to_user"], body.get("comment")))


@blp.route("/tasks/<string:task_id>/delegate", methods=["POST"])
@blp.arguments(TransferSchema)
@blp.response(200, OperationSchema)
def delegate(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """委派：受委派人办理后用 resolve 交回，由任务所有人办结；再次委派时所有人不变"""
    return _answer(ops.delegate(container(), principal(), task_id, body["to_user"], body.get("comment")))


@blp.route("/tasks/<string:task_id>/resolve", methods=["POST"])
@blp.arguments(ResolveSchema)
@blp.response(200, OperationSchema)
def resolve(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """委派交回：受委派人把任务（连同所填数据作为草稿）交回所有人"""
    return _answer(ops.resolve(container(), principal(), task_id, body.get("comment"), body.get("data")))


@blp.route("/tasks/<string:task_id>/cc", methods=["POST"])
@blp.arguments(CcSchema)
@blp.response(200, OperationSchema)
def cc(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """抄送：给用户或角色成员一份只读的待阅，可查看该任务及其案件"""
    return _answer(
        ops.cc(container(), principal(), task_id, body["users"], body["roles"], body.get("comment"))
    )


@blp.route("/tasks/<string:task_id>/urge", methods=["POST"])
@blp.arguments(UrgeSchema)
@blp.response(200, OperationSchema)
@problem_responses(blp, 429)
def urge(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """催办：发起人、本案件的办理角色或管理员提醒办理人；同一任务按设定间隔限一次，发出 task.urged 事件"""
    return _answer(ops.urge(container(), principal(), task_id, body.get("message")))


@blp.route("/tasks/<string:task_id>/comments", methods=["GET"])
@blp.response(200, CommentListSchema)
def task_comments(task_id: str) -> dict[str, Any]:
    """任务的审批意见（含随转办、委派、抄送填写的说明），按时间先后"""
    return {"items": ops.task_comments(container(), principal(), task_id)}


@blp.route("/tasks/<string:task_id>/comments", methods=["POST"])
@blp.arguments(CommentCreateSchema)
@blp.response(201, CommentSchema)
def add_comment(body: dict[str, Any], task_id: str) -> Any:
    """填写审批意见（纪检监督只查看，不填写）"""
    return ops.add_comment(container(), principal(), task_id, body["text"])


@blp.route("/instances/<string:instance_id>/comments", methods=["GET"])
@blp.response(200, CommentListSchema)
def instance_comments(instance_id: str) -> dict[str, Any]:
    """案件的全部审批意见，按时间先后（指名给个人的任务的意见只给能看该任务的人）"""
    return {"items": ops.instance_comments(container(), principal(), instance_id)}


@blp.route("/cc", methods=["GET"])
@blp.arguments(CcQuerySchema, location="query")
@blp.response(200, CcPageSchema)
def list_cc(query: dict[str, Any]) -> Any:
    """我的待阅（抄送给我的任务），新的在前"""
    return ops.list_cc(container(), principal(), query.get("status"), query["page"], query["per_page"])


@blp.route("/cc/<int:cc_id>/read", methods=["POST"])
@blp.response(200, CcItemSchema)
def read_cc(cc_id: int) -> Any:
    """标记待阅为已读"""
    return ops.read_cc(container(), principal(), cc_id)
