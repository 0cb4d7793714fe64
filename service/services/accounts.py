"""Users, roles and tokens."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from service.domain.own_records import has_valid_check_digit, normalise_id_number
from service.security import hash_password, id_number_digest, new_token, token_digest, verify_password
from service.services import audit
from service.services.errors import Conflict, Invalid, Unauthorized
from service.services.principal import Principal
from service.store.db import Database
from service.store.models import ApiToken, Role, User
from service.timeutil import utcnow


def _roles(session: Session, names: list[str]) -> list[Role]:
    roles = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        role = session.scalar(select(Role).where(Role.name == name))
        if role is None:
            role = Role(name=name)
            session.add(role)
        roles.append(role)
    return roles


def add_user(
    db: Database,
    username: str,
    password: str,
    roles: list[str] | None = None,
    is_admin: bool = False,
    display_name: str = "",
    replace: bool = False,
    id_number: str | None = None,
    actor: str = "system",
) -> list[str]:
    """Create a person; with replace=True an existing user gets the new password and roles.
    An ID number links a candidate to their applications (X-03); None keeps the current link."""
    if not username.strip():
        raise Invalid("用户名不能为空", errors={"username": ["不能为空"]})
    if len(password) < 8:
        raise Invalid("密码至少 8 个字符", errors={"password": ["至少 8 个字符"]})
    digest = _id_number_digest(id_number) if id_number is not None else None
    # Hashed before the write transaction: argon2 takes tens of milliseconds.
    password_hash = hash_password(password)
    try:
        return _save_user(
            db, username, password_hash, roles or [], is_admin, display_name, replace, digest, actor
        )
    except IntegrityError:  # the same username or ID number saved concurrently
        raise Conflict(f"用户 {username} 或其身份证号刚被另一个请求保存，请核对后重试") from None


def _save_user(
    db: Database,
    username: str,
    password_hash: str,
    roles: list[str],
    is_admin: bool,
    display_name: str,
    replace: bool,
    digest: str | None,
    actor: str,
) -> list[str]:
    with db.transaction(write=True) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and not replace:
            raise Conflict(f"用户 {username} 已存在")
        if user is None:
            user = User(username=username)
            session.add(user)
        user.password_hash = password_hash
        user.is_admin = is_admin
        user.display_name = display_name or username
        user.roles = _roles(session, roles)
        if digest is not None:
            _check_id_number_free(session, digest, username)
            user.id_number_digest = digest
        audit.record(
            session,
            actor,
            "user.saved",
            username=username,
            roles=sorted(roles),
            admin=is_admin,
            linked_id_number=user.id_number_digest is not None,
        )
        return user.role_names


def _id_number_digest(id_number: str) -> str:
    normalised = normalise_id_number(id_number)
    if normalised is None:
        raise Invalid(
            "身份证号格式不正确：应为 18 位，末位可为 X",
            errors={"id_number": ["应为 18 位居民身份证号码，末位可为 X"]},
        )
    # A mistyped number could link the account to a stranger's applications.
    if not has_valid_check_digit(normalised):
        raise Invalid(
            "身份证号校验位不符，请对照身份证核对", errors={"id_number": ["校验位不符，可能有输入错误"]}
        )
    return id_number_digest(normalised)


def _check_id_number_free(session: Session, digest: str, username: str) -> None:
    owner = session.scalar(select(User.username).where(User.id_number_digest == digest))
    if owner is not None and owner != username:
        raise Conflict(f"该身份证号已关联到账号 {owner}：一个人只能关联一个账号，请核实身份证号")


def create_system_token(
    db: Database, name: str, roles: list[str] | None = None, is_admin: bool = False
) -> str:
    """An API token for a system (OA integration). The token is shown once and stored hashed."""
    with db.transaction(write=True) as session:
        username = f"system:{name}"
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, is_system=True)
            session.add(user)
        user.roles = _roles(session, roles or [])
        user.is_admin = is_admin
        token = new_token()
        session.add(ApiToken(user=user, name=name, token_hash=token_digest(token), expires_at=None))
        audit.record(session, "system", "token.created", name=name, roles=sorted(roles or []))
    return token


def login(db: Database, username: str, password: str, ttl_hours: int) -> str:
    with db.transaction(write=True) as session:
        user = session.scalar(select(User).where(User.username == username, User.is_system.is_(False)))
        # Hash even for unknown users so the answer time does not reveal who exists.
        valid = verify_password(user.password_hash if user is not None else None, password)
        if user is None or not user.active or not valid:
            raise Unauthorized("用户名或密码错误")
        token = new_token()
        session.add(
            ApiToken(
                user=user,
                name="login",
                token_hash=token_digest(token),
                expires_at=utcnow() + timedelta(hours=ttl_hours),
            )
        )
        audit.record(session, username, "auth.login")
    return token


def principal_for_token(db: Database, token: str) -> Principal:
    with db.transaction() as session:
        row = (
            session.execute(
                select(ApiToken)
                .options(joinedload(ApiToken.user).joinedload(User.roles))
                .where(ApiToken.token_hash == token_digest(token))
            )
            .unique()
            .scalar_one_or_none()
        )
        if row is None or row.revoked or not row.user.active:
            raise Unauthorized("令牌无效或已被吊销，请重新登录")
        if row.expires_at is not None and row.expires_at < utcnow():
            raise Unauthorized("令牌已过期，请重新登录")
        user = row.user
        return Principal(
            username=user.username,
            roles=frozenset(user.role_names),
            is_admin=user.is_admin,
            is_system=user.is_system,
            display_name=user.display_name,
            id_number_digest=user.id_number_digest,
        )


def check_named_users(
    session: Session, named: list[tuple[str, str, tuple[str, ...]]]
) -> dict[str, list[str]]:
    """{where: [message]} for (where, username, roles) naming an account that does not exist, is
    inactive, or holds none of `roles` (no roles: any account will do)."""
    if not named:
        return {}
    users = {
        user.username: user
        for user in session.scalars(
            select(User).where(
                User.username.in_({username for _, username, _ in named}), User.active.is_(True)
            )
        )
    }
    errors: dict[str, list[str]] = {}
    for where, username, roles in named:
        user = users.get(username)
        if user is None:
            errors.setdefault(where, []).append(f"「{username}」不是系统中的在用账号")
        elif roles and not set(roles) & set(user.role_names):
            errors.setdefault(where, []).append(f"「{username}」不具有角色「{'、'.join(roles)}」")
    return errors
