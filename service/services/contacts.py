"""Users' contacts outside the service: OA user id (to-do receiver mapping) and e-mail."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sqlalchemy import select

from service.container import Container
from service.services import audit
from service.services.authorization import require_admin
from service.services.errors import Forbidden, Invalid, NotFound
from service.services.principal import Principal
from service.store.models import TodoItem, User, UserContact
from service.timeutil import utcnow

# Whitespace spelled out: the API's schema states the same pattern, and JSON Schema's \s is not
# Python's (which also counts the separators \x1c–\x1f).
EMAIL_PATTERN = r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+\.[^@ \t\n\r\f\v]+$"
_EMAIL = re.compile(EMAIL_PATTERN)


def _checked(
    username: str, oa_user_id: str | None, email: str | None, where: str
) -> tuple[str | None, str | None]:
    oa_user_id = (oa_user_id or "").strip() or None
    email = (email or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise Invalid(f"{where}电子邮件地址 {email} 格式不正确", errors={"email": ["格式不正确"]})
    if oa_user_id is not None and len(oa_user_id) > 200:
        raise Invalid(f"{where}OA 用户标识过长（不超过 200 字符）", errors={"oa_user_id": ["过长"]})
    return oa_user_id, email


def save(
    app: Container, principal: Principal, username: str, oa_user_id: str | None, email: str | None
) -> UserContact:
    require_admin(principal, "维护用户的 OA 标识和电子邮件")
    oa_user_id, email = _checked(username, oa_user_id, email, "")
    with app.db.transaction(write=True) as session:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            raise NotFound(f"用户 {username} 不存在")
        contact = _put(session, username, oa_user_id, email)
        audit.record(session, principal.username, "contact.saved", username=username, oa_user_id=oa_user_id)
        return contact


def _put(session, username: str, oa_user_id: str | None, email: str | None) -> UserContact:  # type: ignore[no-untyped-def]
    contact = session.get(UserContact, username) or UserContact(username=username)
    contact.oa_user_id, contact.email, contact.updated_at = oa_user_id, email, utcnow()
    session.add(contact)
    return contact


def list_contacts(app: Container, principal: Principal) -> list[UserContact]:
    require_admin(principal, "查看用户的 OA 标识和电子邮件")
    with app.db.transaction() as session:
        return list(session.scalars(select(UserContact).order_by(UserContact.username)))


def import_csv(app: Container, principal: Principal, path: Path) -> int:
    """CSV with the header username,oa_user_id,email (email optional); all rows or none."""
    require_admin(principal, "导入用户的 OA 标识")
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "username" not in reader.fieldnames or "oa_user_id" not in reader.fieldnames:
        raise Invalid("CSV 表头须为 username,oa_user_id[,email]")
    rows = []
    for number, row in enumerate(reader, start=2):
        username = (row.get("username") or "").strip()
        if not username:
            raise Invalid(f"第 {number} 行缺少 username")
        rows.append(
            (username, *_checked(username, row.get("oa_user_id"), row.get("email"), f"第 {number} 行："))
        )
    with app.db.transaction(write=True) as session:
        known = set(session.scalars(select(User.username).where(User.username.in_([r[0] for r in rows]))))
        unknown = [r[0] for r in rows if r[0] not in known]
        if unknown:
            raise Invalid(f"这些用户不存在：{'、'.join(unknown[:20])}；未导入任何一行")
        for username, oa_user_id, email in rows:
            _put(session, username, oa_user_id, email)
        audit.record(session, principal.username, "contact.saved", imported=len(rows), file=path.name)
    return len(rows)


def todos_since(
    app: Container, principal: Principal, receiver: str | None, since: int, limit: int
) -> list[TodoItem]:
    """The to-do rows changed after version `since`, oldest change first (an OA reconciles its
    copy: it keeps the last version it saw). People read their own; integrations and admins any."""
    if receiver != principal.username and not (principal.is_system or principal.is_admin):
        raise Forbidden("只能查询本人的待办：请以 receiver 指定本人的用户名（接入系统和管理员可查询任何人）")
    with app.db.transaction() as session:
        query = select(TodoItem).where(TodoItem.version > since)
        if receiver:
            query = query.where(TodoItem.receiver == receiver)
        return list(session.scalars(query.order_by(TodoItem.version, TodoItem.id).limit(limit)))
