"""E-mail notifications (issue 14): a new task, an overdue task and a 催办, with a link to the
task page, to the people holding the task who have an address (user_contacts). Off unless
XUANPIN_SMTP_HOST is set: the scheduler then keeps one internal subscription of format
"email" to these events, so e-mail rides the outbox's retries and delivery log."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select

from service.container import Container
from service.store.models import TodoItem, UserContact, Webhook
from service.timeutil import utcnow

EMAIL_EVENTS = ["task.created", "task.overdue", "task.urged"]
_SUBJECTS = {"task.created": "新待办", "task.overdue": "待办已超期", "task.urged": "催办"}


def ensure_channel(app: Container) -> None:
    """The internal e-mail subscription exists (and is active) exactly while SMTP is set."""
    configured = bool(app.settings.smtp_host)
    with app.db.transaction() as session:
        hook = session.scalar(select(Webhook).where(Webhook.format == "email").limit(1))
        if (hook is None and not configured) or (hook is not None and hook.active == configured):
            return
    with app.db.transaction(write=True) as session:
        hook = session.scalar(select(Webhook).where(Webhook.format == "email").limit(1))
        if hook is None and configured:
            session.add(
                Webhook(
                    url=f"smtp://{app.settings.smtp_host}:{app.settings.smtp_port}",
                    events=EMAIL_EVENTS,
                    secret="-",
                    format="email",
                    options={},
                    active=True,
                    created_by="system",
                    created_at=utcnow(),
                )
            )
        elif hook is not None and hook.active != configured:
            hook.active = configured


def send_for_event(app: Container, event: dict[str, Any]) -> tuple[bool, int | None, str | None]:
    """Mail the event's task to its holders; (ok, status, error) as a delivery records it."""
    data = event.get("data") or {}
    task = data.get("task")
    if not app.settings.smtp_host or not task:
        return True, None, None
    with app.db.transaction() as session:
        receivers = set(
            session.scalars(
                select(TodoItem.receiver).where(
                    TodoItem.task_id == task["id"], TodoItem.kind == "todo", TodoItem.state == "pending"
                )
            )
        )
        addresses = list(
            session.scalars(
                select(UserContact.email).where(
                    UserContact.username.in_(receivers), UserContact.email.is_not(None)
                )
            )
        )
    if not addresses:
        return True, None, None
    instance = data.get("instance") or {}
    subject = f"【{_SUBJECTS.get(event['type'], '通知')}】{instance.get('process_name', '')}：{task['title']}"
    lines = [
        f"流程：{instance.get('process_name', '')}"
        + (f"（{instance['business_key']}）" if instance.get("business_key") else ""),
        f"步骤：{task['title']}",
    ]
    if task.get("due_at"):
        lines.append(f"期限：{task['due_at'][:16].replace('T', ' ')}")
    detail = data.get("detail") or {}
    if event["type"] == "task.urged" and detail.get("message"):
        lines.append(f"催办留言：{detail['message']}")
    lines.append(f"办理：{task['links']['pc']}")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = app.settings.smtp_from or f"xuanpin@{app.settings.smtp_host}"
    message["To"] = ", ".join(sorted(addresses))
    message["Message-ID"] = f"<{event['id']}@xuanpin>"  # the same event mailed twice is one message
    message.set_content("\n".join(lines))
    try:
        with smtplib.SMTP(
            app.settings.smtp_host, app.settings.smtp_port, timeout=app.settings.webhook_timeout_seconds
        ) as smtp:
            if app.settings.smtp_starttls:
                smtp.starttls()
            if app.settings.smtp_user:
                smtp.login(app.settings.smtp_user, app.settings.smtp_password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        return False, None, f"邮件发送失败：{type(error).__name__}: {error}"[:1000]
    return True, 250, None
