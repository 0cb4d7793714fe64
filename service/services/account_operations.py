"""Deactivating people and listing or revoking API tokens (issue 10)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from service.services import audit
from service.services.authorization import require_admin
from service.services.errors import Conflict, NotFound
from service.services.principal import Principal
from service.store.db import Database
from service.store.models import ApiToken, User
from service.timeutil import utcnow


def set_active(db: Database, principal: Principal, username: str, active: bool) -> User:
    """A deactivated user cannot log in and every token of theirs stops working at once (the
    token check reads `active`); reactivated, their unexpired tokens work again."""
    verb = "启用" if active else "停用"
    require_admin(principal, f"{verb}用户")
    if not active and username == principal.username:
        raise Conflict("不能停用自己的账号：请由另一位管理员操作")
    with db.transaction(write=True) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"用户 {username} 不存在，请核对用户名")
        if user.active == active:
            raise Conflict(f"用户 {username} 已是{'在用' if active else '停用'}状态，无需{verb}")
        user.active = active
        audit.record(
            session,
            principal.username,
            "user.reactivated" if active else "user.deactivated",
            username=username,
        )
        session.flush()
        session.expunge(user)
        return user


@dataclass(frozen=True)
class TokenView:
    id: int
    username: str
    name: str
    system: bool
    created_at: datetime
    expires_at: datetime | None
    revoked: bool
    expired: bool


def list_tokens(db: Database, principal: Principal, include_revoked: bool = False) -> list[TokenView]:
    """Every token (administrators) or the principal's own; token values are never shown."""
    now = utcnow()
    query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not principal.is_admin:
        query = query.where(User.username == principal.username)
    if not include_revoked:
        query = query.where(ApiToken.revoked.is_(False))
    with db.transaction() as session:
        return [
            TokenView(
                token.id,
                token.user.username,
                token.name,
                token.user.is_system,
                token.created_at,
                token.expires_at,
                token.revoked,
                token.expires_at is not None and token.expires_at < now,
            )
            for token in session.scalars(query)
        ]


def revoke_token(db: Database, principal: Principal, token_id: str) -> None:
    """Administrators revoke any token, people their own (a lost device, a leaked OA token)."""
    with db.transaction(write=True) as session:
        # Ids are integers; anything else names no token (and must not reach an integer column).
        numeric = token_id.isascii() and token_id.isdigit() and len(token_id) <= 9
        token = session.get(ApiToken, int(token_id)) if numeric else None
        if token is None or not (principal.is_admin or token.user.username == principal.username):
            raise NotFound(f"令牌 {token_id} 不存在或不属于您")
        if token.revoked:
            raise Conflict(f"令牌 {token_id} 已被吊销")
        session.execute(update(ApiToken).where(ApiToken.id == token.id).values(revoked=True))
        audit.record(
            session,
            principal.username,
            "token.revoked",
            token_id=token.id,
            name=token.name,
            username=token.user.username,
        )
