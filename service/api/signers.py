"""加签 / 减签 (issue 10): thin routes over services/signers.py."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import (
    USERNAME,
    CompletionSchema,
    PageQuerySchema,
    RequestSchema,
    ShanghaiDateTime,
    TaskSchema,
    comment_field,
)
from service.domain.signers import Position
from service.services import signers as ops

blp = Blueprint(
    "signers",
    __name__,
    url_prefix="/api/v1",
    description="加签、减签：给本步骤附加签署人（前加签 before、后加签 after、并加签 parallel），不改流程图",
)

_COMMENT = comment_field("说明或意见")


class AddSignersSchema(RequestSchema):
    users = fields.List(
        fields.String(validate=USERNAME),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "加签人的用户名"},
    )
    position = fields.String(
        required=True,
        validate=validate.OneOf([p.value for p in Position]),
        metadata={"description": "before 前加签（先签后办）/ after 后加签（提交后签）/ parallel 并加签"},
    )
    comment = _COMMENT


class SignSchema(RequestSchema):
    agree = fields.Boolean(required=True, metadata={"description": "true 同意 / false 不同意（须填写意见）"})
    comment = _COMMENT


class SignerSchema(Schema):
    username = fields.String()
    name = fields.String()
    position = fields.String(metadata={"description": "before / after / parallel"})
    position_label = fields.String()
    status = fields.String(
        metadata={"description": "pending 待签 / agreed 同意 / disagreed 不同意 / removed 已减签"}
    )
    status_label = fields.String()
    opinion = fields.String(allow_none=True, metadata={"description": "签署意见"})
    comment = fields.String(allow_none=True, metadata={"description": "加签说明"})
    added_by = fields.String()
    added_at = ShanghaiDateTime()
    signed_at = ShanghaiDateTime(allow_none=True)
    removed_at = ShanghaiDateTime(allow_none=True)


class SignerListSchema(Schema):
    items = fields.List(fields.Nested(SignerSchema))


class SignersResultSchema(CompletionSchema):
    task = fields.Nested(TaskSchema, metadata={"description": "操作后的任务"})
    signers = fields.List(fields.Nested(SignerSchema), metadata={"description": "本任务的加签人"})


class SignoffQuerySchema(PageQuerySchema):
    status = fields.String(
        validate=validate.OneOf(["open", "done"]), metadata={"description": "open 待签署 / done 已签署"}
    )


class SignoffSchema(Schema):
    task_id = fields.String()
    task_title = fields.String()
    task_status = fields.String()
    instance_id = fields.String()
    definition_key = fields.String()
    business_key = fields.String(allow_none=True)
    holder = fields.String(allow_none=True, metadata={"description": "任务办理人"})
    position = fields.String()
    position_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    can_sign_now = fields.Boolean(metadata={"description": "现在可以签署（后加签须等办理人提交）"})
    opinion = fields.String(allow_none=True)
    added_by = fields.String()
    added_at = ShanghaiDateTime()
    signed_at = ShanghaiDateTime(allow_none=True)


class SignoffPageSchema(Schema):
    items = fields.List(fields.Nested(SignoffSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


def _answer(result: ops.SignersResult) -> dict[str, Any]:
    return {
        "task": result.task,
        "instance": result.instance,
        "status": result.instance.status,
        "open_tasks": result.open_tasks,
        "signers": result.signers,
    }


@blp.route("/tasks/<string:task_id>/add-signers", methods=["POST"])
@blp.arguments(AddSignersSchema)
@blp.response(200, SignersResultSchema)
def add_signers(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """加签：由任务办理人或管理员给本步骤附加签署人；纪检监督和应聘一方不能成为加签人"""
    return _answer(
        ops.add_signers(
            container(), principal(), task_id, body["users"], body["position"], body.get("comment")
        )
    )


@blp.route("/tasks/<string:task_id>/signers/<string:username>", methods=["DELETE"])
@blp.response(200, SignersResultSchema)
def remove_signer(task_id: str, username: str) -> dict[str, Any]:
    """减签：移除尚未签署（或不同意）的加签人；已同意的不能减签。若办理人已提交且其余加签人均已同意，本步骤随即办结"""
    return _answer(ops.remove_signer(container(), principal(), task_id, username))


@blp.route("/tasks/<string:task_id>/signers", methods=["GET"])
@blp.response(200, SignerListSchema)
def list_signers(task_id: str) -> dict[str, Any]:
    """本任务的加签人：谁、加签方式、签署状态、意见、时间"""
    return {"items": ops.list_signers(container(), principal(), task_id)}


@blp.route("/tasks/<string:task_id>/sign", methods=["POST"])
@blp.arguments(SignSchema)
@blp.response(200, SignersResultSchema)
def sign(body: dict[str, Any], task_id: str) -> dict[str, Any]:
    """加签人签署：同意或不同意（不同意时任务回到办理人待办，本步骤不办结）"""
    return _answer(ops.sign(container(), principal(), task_id, body["agree"], body.get("comment")))


@blp.route("/signoffs", methods=["GET"])
@blp.arguments(SignoffQuerySchema, location="query")
@blp.response(200, SignoffPageSchema)
def list_signoffs(query: dict[str, Any]) -> Any:
    """我的加签（待签署 open / 已签署 done），新的在前"""
    return ops.list_signoffs(container(), principal(), query.get("status"), query["page"], query["per_page"])
