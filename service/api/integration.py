"""OA integration (issue 14): webhook subscriptions and their delivery log, the unified to-do
for reconciliation, and users' OA ids and e-mail addresses."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from service.api.context import container, principal
from service.api.schemas import INT64_MAX, PageQuerySchema, RequestSchema, ShanghaiDateTime
from service.services import contacts, todos, webhooks
from service.services.contacts import EMAIL_PATTERN
from service.services.outbox import EVENT_TYPES

blp = Blueprint(
    "integration",
    __name__,
    url_prefix="/api/v1",
    description="OA 集成：事件订阅（webhook）、统一待办、用户 OA 标识",
)


class WebhookCreateSchema(RequestSchema):
    url = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={
            "description": "接收地址：http:// 或 https:// 开头的完整 URL（format 为 email 时为电子邮件地址）"
        },
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(EVENT_TYPES)),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_TYPES)),
    )
    secret = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=16, max=200),
        metadata={
            "description": "签名密钥（whsec_ 开头的 Base64，或任意至少 16 字节的文本）；留空由系统生成"
        },
    )
    active = fields.Boolean(load_default=True)
    format = fields.String(
        load_default="standard",
        validate=validate.OneOf(["standard", "ecology"]),
        metadata={"description": "standard：签名的 JSON 事件；ecology：泛微 e-cology 统一待办接口"},
    )
    options = fields.Dict(
        load_default=dict, keys=fields.String(), metadata={"description": "ecology 时须含 syscode"}
    )


class WebhookSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.List(fields.String())
    format = fields.String()
    options = fields.Dict()
    active = fields.Boolean()
    disabled_reason = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = ShanghaiDateTime()
    previous_secret_until = ShanghaiDateTime(allow_none=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(metadata={"description": "签名密钥，只显示这一次"})


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema))


class ActiveSchema(RequestSchema):
    active = fields.Boolean(required=True)


class RotateSchema(RequestSchema):
    secret = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=16, max=200))


class DeliveryQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(["pending", "delivered", "dead"]))


class DeliverySchema(Schema):
    id = fields.Integer()
    event_id = fields.String(attribute="event.event_id")
    type = fields.String(attribute="event.type")
    instance_id = fields.String(attribute="event.instance_id", allow_none=True)
    version = fields.Integer(attribute="event.version")
    status = fields.String(
        metadata={"description": "pending 待投递 / delivered 已送达 / dead 已放弃（可重投）"}
    )
    attempts = fields.Integer()
    next_attempt_at = ShanghaiDateTime()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    delivered_at = ShanghaiDateTime(allow_none=True)
    created_at = ShanghaiDateTime()


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class AttemptSchema(Schema):
    at = ShanghaiDateTime()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    worker = fields.String()


class DeliveryDetailSchema(DeliverySchema):
    payload = fields.Raw(attribute="event.payload")
    log = fields.List(fields.Nested(AttemptSchema))


@blp.route("/webhooks", methods=["POST"])
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookCreatedSchema)
def create_webhook(body: dict[str, Any]) -> Any:
    """管理员：订阅事件（按 Standard Webhooks 签名投递，失败按指数退避重试）"""
    created = webhooks.create(
        container(),
        principal(),
        body["url"],
        body["events"],
        body.get("secret"),
        body["active"],
        body["format"],
        body.get("options"),
    )
    return _with_secret(created)


def _with_secret(created: webhooks.Created) -> Any:
    return created.webhook  # its `secret` is the one just set, shown this once


@blp.route("/webhooks", methods=["GET"])
@blp.response(200, WebhookListSchema)
def list_webhooks() -> dict[str, Any]:
    """管理员：事件订阅列表（不含密钥）"""
    return {"items": webhooks.list_webhooks(container(), principal())}


@blp.route("/webhooks/<int:webhook_id>", methods=["GET"])
@blp.response(200, WebhookSchema)
def get_webhook(webhook_id: int) -> Any:
    """管理员：一个事件订阅"""
    return webhooks.get(container(), principal(), webhook_id)


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@blp.response(204)
def delete_webhook(webhook_id: int) -> None:
    """管理员：删除事件订阅（连同投递记录）"""
    webhooks.delete(container(), principal(), webhook_id)


@blp.route("/webhooks/<int:webhook_id>/active", methods=["PUT"])
@blp.arguments(ActiveSchema)
@blp.response(200, WebhookSchema)
def set_active(body: dict[str, Any], webhook_id: int) -> Any:
    """管理员：启用或停用事件订阅（接收方答复 410 时系统自动停用）"""
    return webhooks.set_active(container(), principal(), webhook_id, body["active"])


@blp.route("/webhooks/<int:webhook_id>/rotate-secret", methods=["POST"])
@blp.arguments(RotateSchema)
@blp.response(200, WebhookCreatedSchema)
def rotate_secret(body: dict[str, Any], webhook_id: int) -> Any:
    """管理员：更换签名密钥；过渡期内请求同时带新旧两个签名"""
    return _with_secret(webhooks.rotate_secret(container(), principal(), webhook_id, body.get("secret")))


@blp.route("/webhooks/<int:webhook_id>/deliveries", methods=["GET"])
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
def list_deliveries(query: dict[str, Any], webhook_id: int) -> Any:
    """管理员：投递记录，新的在前"""
    return webhooks.list_deliveries(
        container(), principal(), webhook_id, query.get("status"), query["page"], query["per_page"]
    )


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>", methods=["GET"])
@blp.response(200, DeliveryDetailSchema)
def get_delivery(webhook_id: int, delivery_id: int) -> Any:
    """管理员：一次投递的内容和每次尝试的结果"""
    delivery, attempts = webhooks.delivery_attempts(container(), principal(), webhook_id, delivery_id)
    delivery.log = attempts  # type: ignore[attr-defined]  (detached: only read by the schema)
    return delivery


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@blp.response(200, DeliverySchema)
def redeliver(webhook_id: int, delivery_id: int) -> Any:
    """管理员：重新投递（同一 webhook-id），重试期限重新计算"""
    return webhooks.redeliver(container(), principal(), webhook_id, delivery_id)


class TodoQuerySchema(RequestSchema):
    receiver = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "用户名"})
    since = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=INT64_MAX),
        metadata={"description": "上次读到的 version"},
    )
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class TodoSchema(Schema):
    task_id = fields.String()
    instance_id = fields.String()
    receiver = fields.String()
    receiver_oa_id = fields.String()
    kind = fields.String(metadata={"description": "todo 待办 / cc 待阅"})
    state = fields.String(metadata={"description": "pending 待办 / done 已办 / cc 待阅"})
    viewed = fields.Boolean()
    finished = fields.Boolean(metadata={"description": "案件已结束"})
    title = fields.String()
    process_name = fields.String()
    step_name = fields.String()
    creator = fields.String()
    creator_oa_id = fields.String()
    created_at = fields.String()
    received_at = fields.String()
    due_at = fields.String(allow_none=True)
    pc_url = fields.String()
    app_url = fields.String()
    version = fields.Integer(metadata={"description": "毫秒时间戳，只增不减"})


class TodoPageSchema(Schema):
    items = fields.List(fields.Nested(TodoSchema))
    next_since = fields.Integer()


@blp.route("/todos", methods=["GET"])
@blp.arguments(TodoQuerySchema, location="query")
@blp.response(200, TodoPageSchema)
def list_todos(query: dict[str, Any]) -> dict[str, Any]:
    """统一待办对账：version 大于 since 的待办变化（按 version 顺序），OA 据此校正本地副本；
    待办记录与案件同存，案件按保留期限清除时一并清除"""
    from service.api.context import container as app
    from service.services.webhook_delivery import absolute_links

    rows = contacts.todos_since(
        container(), principal(), query.get("receiver"), query["since"], query["limit"]
    )
    with app().db.transaction() as session:
        items = todos.describe(session, rows)
    finished = _finished(rows)
    for item in items:
        item["finished"] = item["instance_id"] in finished
    items = absolute_links(items, app().settings.public_base_url)
    return {"items": items, "next_since": rows[-1].version if rows else query["since"]}


def _finished(rows: list[Any]) -> set[str]:
    from sqlalchemy import select

    from service.store.models import Instance

    ids = {row.instance_id for row in rows}
    if not ids:
        return set()
    with container().db.transaction() as session:
        return set(
            session.scalars(select(Instance.id).where(Instance.id.in_(ids), Instance.status != "running"))
        )


class ContactSchema(Schema):
    username = fields.String()
    oa_user_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    updated_at = ShanghaiDateTime()


class ContactSaveSchema(RequestSchema):
    oa_user_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    email = fields.String(
        load_default=None,
        allow_none=True,
        validate=[
            validate.Length(max=320),
            validate.Regexp(f"^$|{EMAIL_PATTERN}", error="电子邮件地址格式不正确，应如 name@example.com"),
        ],
        metadata={"description": "电子邮件地址；空字符串清除"},
    )


class ContactListSchema(Schema):
    items = fields.List(fields.Nested(ContactSchema))


@blp.route("/contacts", methods=["GET"])
@blp.response(200, ContactListSchema)
def list_contacts() -> dict[str, Any]:
    """管理员：用户的 OA 标识（统一待办接收人）与电子邮件"""
    return {"items": contacts.list_contacts(container(), principal())}


@blp.route("/contacts/<string:username>", methods=["PUT"])
@blp.arguments(ContactSaveSchema)
@blp.response(200, ContactSchema)
def save_contact(body: dict[str, Any], username: str) -> Any:
    """管理员：设置用户的 OA 标识与电子邮件（批量导入见 xuanpin contacts import）"""
    return contacts.save(container(), principal(), username, body.get("oa_user_id"), body.get("email"))
