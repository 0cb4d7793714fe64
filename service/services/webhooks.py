"""Webhook subscriptions (admins) and their delivery log; delivery itself is in webhook_delivery."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from service.container import Container
from service.services import audit
from service.services.authorization import require_admin
from service.services.errors import Invalid, NotFound
from service.services.outbox import EVENT_TYPES
from service.services.pagination import Page, bounded_count
from service.services.principal import Principal
from service.store.models import Webhook, WebhookAttempt, WebhookDelivery
from service.timeutil import utcnow

FORMATS = ("standard", "ecology", "email")
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret (whsec_<base64>); any other text as is."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except ValueError:
            pass
    return secret.encode()


@dataclass
class Created:
    webhook: Webhook
    secret: str  # shown once


def _check(url: str, events: list[str], format_: str, secret: str | None) -> None:
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" — an unclosed IPv6 address
        parts = urlsplit("")
    if format_ != "email" and (parts.scheme not in ("http", "https") or not parts.netloc):
        raise Invalid(
            "地址须为 http:// 或 https:// 开头的完整 URL", errors={"url": ["不是有效的 http(s) 地址"]}
        )
    unknown = [name for name in events if name not in EVENT_TYPES]
    if unknown or not events:
        message = f"不认识的事件：{'、'.join(unknown)}" if unknown else "至少订阅一种事件"
        raise Invalid(f"{message}；可选：{', '.join(EVENT_TYPES)}", errors={"events": [message]})
    if format_ not in FORMATS:
        raise Invalid(f"格式须为 {'、'.join(FORMATS)} 之一", errors={"format": ["不支持的格式"]})
    if secret is not None and len(secret_key(secret)) < 16:
        message = "密钥太短：至少 16 字节（建议留空由系统生成 whsec_ 开头的密钥）"
        raise Invalid(message, errors={"secret": [message]})


def create(
    app: Container,
    principal: Principal,
    url: str,
    events: list[str],
    secret: str | None,
    active: bool,
    format_: str = "standard",
    options: dict[str, Any] | None = None,
) -> Created:
    require_admin(principal, "管理事件订阅（webhook）")
    events = list(dict.fromkeys(events))
    _check(url, events, format_, secret)
    options = _check_options(format_, options or {})
    secret = secret or new_secret()
    with app.db.transaction(write=True) as session:
        hook = Webhook(
            url=url,
            events=events,
            secret=secret,
            format=format_,
            options=options,
            active=active,
            created_by=principal.username,
            created_at=utcnow(),
        )
        session.add(hook)
        session.flush()
        audit.record(session, principal.username, "webhook.created", url=url, events=events, format=format_)
        return Created(hook, secret)


def _check_options(format_: str, options: dict[str, Any]) -> dict[str, Any]:
    """e-cology: `syscode`, the code of this system registered in 统一待办 (异构系统标识)."""
    if format_ == "ecology":
        syscode = options.get("syscode")
        if not isinstance(syscode, str) or not syscode.strip():
            message = "e-cology 统一待办须给出 options.syscode（在 e-cology 中登记的异构系统标识）"
            raise Invalid(message, errors={"options.syscode": [message]})
    return {key: value for key, value in options.items() if isinstance(value, str | int | bool)}


def list_webhooks(app: Container, principal: Principal) -> list[Webhook]:
    require_admin(principal, "查看事件订阅（webhook）")
    with app.db.transaction() as session:
        return list(session.scalars(select(Webhook).order_by(Webhook.id)))


def get(app: Container, principal: Principal, webhook_id: int) -> Webhook:
    require_admin(principal, "查看事件订阅（webhook）")
    with app.db.transaction() as session:
        return _hook(session, webhook_id)


def _hook(session: Any, webhook_id: int) -> Webhook:
    # Beyond any stored id (webhooks.id is a 32-bit integer): not found, not a driver overflow.
    hook = session.get(Webhook, webhook_id) if 0 < webhook_id < 2**31 else None
    if hook is None:
        raise NotFound(f"事件订阅 {webhook_id} 不存在")
    return hook


def delete(app: Container, principal: Principal, webhook_id: int) -> None:
    require_admin(principal, "删除事件订阅（webhook）")
    with app.db.transaction(write=True) as session:
        hook = _hook(session, webhook_id)
        audit.record(session, principal.username, "webhook.deleted", url=hook.url, webhook_id=hook.id)
        session.delete(hook)


def set_active(app: Container, principal: Principal, webhook_id: int, active: bool) -> Webhook:
    require_admin(principal, "启用或停用事件订阅（webhook）")
    with app.db.transaction(write=True) as session:
        hook = _hook(session, webhook_id)
        hook.active = active
        hook.disabled_reason = None if active else f"管理员 {principal.username} 停用"
        audit.record(session, principal.username, "webhook.saved", webhook_id=hook.id, active=active)
        return hook


def rotate_secret(app: Container, principal: Principal, webhook_id: int, secret: str | None) -> Created:
    """A new secret signs from now on; the old one signs too (a second signature) for the
    overlap period, so the receiver can switch without losing a delivery."""
    require_admin(principal, "更换事件订阅密钥")
    if secret is not None and len(secret_key(secret)) < 16:
        raise Invalid("密钥太短：至少 16 字节", errors={"secret": ["密钥太短"]})
    with app.db.transaction(write=True) as session:
        hook = _hook(session, webhook_id)
        hook.previous_secret = hook.secret
        hook.previous_secret_until = utcnow() + timedelta(hours=app.settings.webhook_rotation_overlap_hours)
        hook.secret = secret or new_secret()
        audit.record(session, principal.username, "webhook.secret_rotated", webhook_id=hook.id)
        return Created(hook, hook.secret)


def list_deliveries(
    app: Container, principal: Principal, webhook_id: int, status: str | None, page: int, per_page: int
) -> Page[WebhookDelivery]:
    require_admin(principal, "查看事件投递记录")
    with app.db.transaction() as session:
        _hook(session, webhook_id)
        query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
        if status:
            query = query.where(WebhookDelivery.status == status)
        total, capped = bounded_count(session, query)
        rows = session.scalars(
            query.order_by(WebhookDelivery.id.desc()).offset((page - 1) * per_page).limit(per_page)
        )
        return Page(list(rows), total, page, per_page, capped)


def delivery_attempts(
    app: Container, principal: Principal, webhook_id: int, delivery_id: int
) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    require_admin(principal, "查看事件投递记录")
    with app.db.transaction() as session:
        delivery = _delivery(session, webhook_id, delivery_id)
        attempts = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id == delivery.id)
            .order_by(WebhookAttempt.id)
        )
        return delivery, list(attempts)


def _delivery(session: Any, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id) if 0 < delivery_id < 2**63 else None
    if delivery is None or delivery.webhook_id != webhook_id:
        raise NotFound(f"事件订阅 {webhook_id} 没有投递记录 {delivery_id}")
    return delivery


def redeliver(app: Container, principal: Principal, webhook_id: int, delivery_id: int) -> WebhookDelivery:
    """Send the same event (same webhook-id) again, with a fresh retry period."""
    require_admin(principal, "重新投递事件")
    with app.db.transaction(write=True) as session:
        delivery = _delivery(session, webhook_id, delivery_id)
        now = utcnow()
        delivery.status = "pending"
        delivery.next_attempt_at = now
        delivery.retry_from = now
        delivery.claimed_by = delivery.claimed_until = None
        audit.record(
            session, principal.username, "webhook.redelivered", webhook_id=webhook_id, delivery_id=delivery.id
        )
        return delivery
