"""Delivering the outbox to subscribers: any replica, at least once, in order per instance.

A worker claims, in a short transaction, the deliveries that are due and are the oldest
undelivered one of their (subscription, instance): rows are locked with FOR UPDATE SKIP LOCKED
on PostgreSQL (SQLite has one writer, BEGIN IMMEDIATE), and a claim is a lease, so a worker
that dies leaves its rows to the next after the lease. The later events of an instance wait
until the earlier one is delivered or dead, so receivers see each instance's events in order.
Requests are signed the Standard Webhooks way; failures are retried with exponential backoff
and jitter for the configured period, then the delivery is dead (kept, redeliverable).
A 410 Gone disables the subscription.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from service.container import Container
from service.services import ecology, notifications, outbox
from service.services.timers import worker_name
from service.services.webhooks import secret_key
from service.store.models import (
    IdempotencyRecord,
    Task,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from service.timeutil import utcnow

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    attempts: int
    retry_from: datetime
    webhook: dict[str, Any]
    event: dict[str, Any]


BATCH = 50
MAX_BACKOFF_SECONDS = 6 * 3600
PRUNE_EVERY = timedelta(hours=1)
PRUNE_BATCH = 2000
_pruned_at: datetime | None = None


def tick(app: Container, worker: str | None = None) -> int:
    """The scheduler's webhook job: the e-mail channel, overdue tasks, old deliveries pruned
    (now and then), then what is due."""
    notifications.ensure_channel(app)
    emit_overdue(app)
    prune_if_due(app)
    delivered = deliver_due(app, worker)
    with app.db.transaction(write=True) as session:  # Idempotency-Key answers are kept 24 hours
        session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - timedelta(hours=24))
        )
    return delivered


def prune_if_due(app: Container) -> int:
    """Prune at most once an hour per process (a clock set back counts as due)."""
    global _pruned_at
    now = utcnow()
    if _pruned_at is not None and _pruned_at <= now < _pruned_at + PRUNE_EVERY:
        return 0
    _pruned_at = now
    return prune(app, now)


def prune(app: Container, now: datetime | None = None) -> int:
    """Delivered deliveries (with their attempt logs) older than XUANPIN_WEBHOOK_RETENTION_DAYS,
    then the old events no delivery row refers to any more. A pending or dead delivery keeps its
    event however old; so does a task.overdue of a task still open, which the sweep would
    otherwise announce again. To-do rows are not touched: they live as long as their case.
    Returns how many rows went; a large backlog goes a batch per call."""
    days = app.settings.webhook_retention_days
    if days <= 0:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    with app.db.transaction(write=True) as session:
        old = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status == "delivered", WebhookDelivery.delivered_at < cutoff)
                .limit(PRUNE_BATCH)
            )
        )
        if old:
            session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(old)))
        referred = exists().where(WebhookDelivery.event_row_id == WebhookEvent.id)
        still_overdue = and_(
            WebhookEvent.type == "task.overdue",
            exists().where(Task.id == WebhookEvent.task_id, Task.status == "open"),
        )
        events = list(
            session.scalars(
                select(WebhookEvent.id)
                .where(WebhookEvent.created_at < cutoff, ~referred, ~still_overdue)
                .limit(PRUNE_BATCH)
            )
        )
        if events:
            session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(events)))
    if old or events:
        log.info("webhooks: pruned %d deliveries and %d events (over %s days)", len(old), len(events), days)
    return len(old) + len(events)


def emit_overdue(app: Container, limit: int = 200) -> int:
    """A task.overdue event, once, for each open task past its due time."""
    now = utcnow()
    with app.db.transaction(write=True) as session:
        told = exists().where(WebhookEvent.task_id == Task.id, WebhookEvent.type == "task.overdue")
        rows = session.execute(
            select(Task.id, Task.instance_id)
            .where(Task.status == "open", Task.due_at.is_not(None), Task.due_at < now, ~told)
            .order_by(Task.due_at)
            .limit(limit)
        ).all()
        for task_id, instance_id in rows:
            outbox.queue(session, "task.overdue", instance_id, task_id)
        return len(rows)


def deliver_due(app: Container, worker: str | None = None, rounds: int = 20) -> int:
    """Deliver what is due now; returns how many deliveries succeeded. Runs a few claim rounds
    so an instance's next event goes out in the same tick once the one before it is through."""
    worker = worker or worker_name()
    delivered = 0
    for _round in range(rounds):
        claims = _claim(app, worker)
        if not claims:
            break
        for claim in claims:
            delivered += _attempt(app, worker, claim)
    return delivered


def _claim(app: Container, worker: str) -> list[_Claim]:
    now = utcnow()
    lease = timedelta(seconds=app.settings.webhook_timeout_seconds * 3 + 30)
    earlier = aliased(WebhookDelivery)
    with app.db.transaction(write=True) as session:
        blocked = exists().where(
            and_(
                earlier.webhook_id == WebhookDelivery.webhook_id,
                earlier.ordering_key == WebhookDelivery.ordering_key,
                earlier.status == "pending",
                earlier.id < WebhookDelivery.id,
            )
        )
        query = (
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_at <= now,
                WebhookDelivery.claimed_until.is_(None) | (WebhookDelivery.claimed_until < now),
                ~blocked,
            )
            .order_by(WebhookDelivery.id)
            .limit(BATCH)
        )
        if not app.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if not ids:
            return []
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(claimed_by=worker, claimed_until=now + lease)
        )
        rows = session.execute(
            select(WebhookDelivery, Webhook, WebhookEvent)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_row_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.id)
        ).all()
        return [
            _Claim(
                delivery.id,
                delivery.attempts,
                delivery.retry_from,
                {
                    "id": hook.id,
                    "url": hook.url,
                    "format": hook.format,
                    "options": dict(hook.options or {}),
                    "active": hook.active,
                    "secrets": _signing_secrets(hook, now),
                },
                {"event_id": event.event_id, "type": event.type, "payload": event.payload},
            )
            for delivery, hook, event in rows
        ]


def _signing_secrets(hook: Webhook, now: datetime) -> list[str]:
    secrets = [hook.secret]
    if hook.previous_secret and hook.previous_secret_until and hook.previous_secret_until > now:
        secrets.append(hook.previous_secret)
    return secrets


def sign(event_id: str, timestamp: int, body: bytes, secrets: list[str]) -> str:
    """webhook-signature: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret."""
    content = f"{event_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(secret_key(s), content, hashlib.sha256).digest()).decode()
        for s in secrets
    )


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None
    gone: bool = False


def _attempt(app: Container, worker: str, claim: _Claim) -> int:
    started = time.monotonic()
    hook = claim.webhook
    if not hook["active"]:
        outcome = _Outcome(False, error="订阅已停用", gone=False)
    else:
        try:
            outcome = _send(app, claim)
        except Exception as error:  # a bug in a format must not stop the other deliveries
            log.exception("webhook %s delivery %s failed", hook["id"], claim.delivery_id)
            outcome = _Outcome(False, error=f"{type(error).__name__}: {error}")
    elapsed = int((time.monotonic() - started) * 1000)
    _record(app, worker, claim, outcome, elapsed)
    return 1 if outcome.ok else 0


def _send(app: Container, claim: _Claim) -> _Outcome:
    hook, event = claim.webhook, claim.event
    payload = absolute_links(event["payload"], app.settings.public_base_url)
    if hook["format"] == "email":
        ok, status, error = notifications.send_for_event(app, payload)
        return _Outcome(ok, status, error)
    bodies = (
        [json.dumps(body, ensure_ascii=False).encode() for body in ecology.requests(payload, hook["options"])]
        if hook["format"] == "ecology"
        else [json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()]
    )
    status: int | None = None
    for body in bodies:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json; charset=utf-8",
            "webhook-id": event["event_id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(event["event_id"], timestamp, body, hook["secrets"]),
            "user-agent": "xuanpin-webhooks/1",
        }
        status, text = _post(hook["url"], body, headers, app.settings.webhook_timeout_seconds)
        if status is None:
            return _Outcome(False, error=text)
        if status == 410:
            return _Outcome(False, 410, "接收方答复 410 Gone：订阅已自动停用", gone=True)
        if not 200 <= status < 300:
            return _Outcome(False, status, text)
        if hook["format"] == "ecology":
            refused = ecology.refusal(text)
            if refused:
                return _Outcome(False, status, refused)
    return _Outcome(True, status)


def _post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """(status, start of the answer); no status when the receiver could not be reached."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # the URL an admin subscribed
            return response.status, response.read(4000).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(1000).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"[:1000]


def _record(app: Container, worker: str, claim: _Claim, outcome: _Outcome, elapsed_ms: int) -> None:
    now = utcnow()
    with app.db.transaction(write=True) as session:
        delivery = session.get(WebhookDelivery, claim.delivery_id)
        if delivery is None:  # the subscription was deleted meanwhile
            return
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                at=now,
                status_code=outcome.status,
                error=outcome.error,
                duration_ms=elapsed_ms,
                worker=worker[:100],
            )
        )
        delivery.attempts += 1
        delivery.last_status = outcome.status
        delivery.last_error = outcome.error
        delivery.claimed_by = delivery.claimed_until = None
        if outcome.ok:
            delivery.status = "delivered"
            delivery.delivered_at = now
            return
        if outcome.gone:
            delivery.status = "dead"
            hook = session.get(Webhook, delivery.webhook_id)
            if hook is not None:
                hook.active = False
                hook.disabled_reason = outcome.error
            return
        wait = backoff(app.settings.webhook_retry_first_seconds, delivery.attempts)
        next_at = now + timedelta(seconds=wait)
        deadline = claim.retry_from + timedelta(seconds=app.settings.webhook_retry_period_seconds)
        if next_at > deadline or not claim.webhook["active"]:
            delivery.status = "dead"  # the dead letter: kept with its log, redeliverable
        else:
            delivery.next_attempt_at = next_at


def backoff(first_seconds: float, attempts: int) -> float:
    """first · 2^(n-1), capped, with ±25 % jitter so failed receivers are not hit in step."""
    base = min(first_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)
    return base * random.uniform(0.75, 1.25)


def absolute_links(value: Any, base_url: str) -> Any:
    """The task page links (`/tasks/…`) with the service's public address in front."""
    if not base_url:
        return value
    if isinstance(value, dict):
        return {
            key: (
                base_url + item
                if key in ("pc", "mobile", "pc_url", "app_url")
                and isinstance(item, str)
                and item.startswith("/")
                else absolute_links(item, base_url)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [absolute_links(item, base_url) for item in value]
    return value
