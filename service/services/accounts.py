"""Users, roles and tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from service.config import Settings
from service.domain.own_records import has_valid_check_digit, normalise_id_number
from service.security import hash_password, id_number_digest, new_token, token_digest, verify_password
from service.services import audit, organisations
from service.services.authorization import require_admin
from service.services.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from service.services.principal import Principal
from service.store.db import Database
from service.store.models import ApiToken, LoginFailure, Organisation, Role, RoleGrant, User
from service.timeutil import utcnow


def _role(session: Session, name: str) -> Role:
    role = session.scalar(select(Role).where(Role.name == name))
    if role is None:
        role = Role(name=name)
        session.add(role)
        session.flush()  # seen by the next lookup: one person may hold the role in several places
    return role


def _grants(session: Session, specs: list[str], field: str = "roles") -> list[RoleGrant]:
    """`角色`, `角色@机构代码` or `角色@机构代码*` (and its subordinates); a role without an
    organisation is held in the default one."""
    grants: dict[tuple[str, int], RoleGrant] = {}
    for spec in (s.strip() for s in specs if s.strip()):
        name, _, where = spec.partition("@")
        name, where = name.strip(), where.strip()
        if not name:
            raise Invalid(f"角色「{spec}」缺少角色名，格式为 角色@机构代码", errors={field: [spec]})
        below = where.endswith("*")
        org = (
            organisations.by_code(session, where.rstrip("*"), field)
            if where.rstrip("*")
            else session.get(Organisation, organisations.DEFAULT_ORGANISATION_ID)
        )
        role = _role(session, name)
        grants[(name, org.id)] = RoleGrant(role=role, organisation=org, with_subordinates=below)
    return list(grants.values())


def _check_within_reach(
    manager: Principal | None, grants: list[RoleGrant], places: list[int | None], global_admin: bool
) -> None:
    """An admin of one organisation tree places people only inside it and makes no global
    admin; a global admin anywhere."""
    if manager is None or (manager.admin_organisations is None and manager.confined_to is None):
        return
    orgs = [grant.organisation.id for grant in grants] + [org for org in places if org is not None]
    if global_admin or not all(manager.administers(org) for org in orgs):
        raise Forbidden("您只能管理本机构及下属机构的用户：角色、所在机构和管理范围都须在该范围内")


def grant_specs(user: User) -> list[str]:
    """The user's grants written the way they are given: 角色@机构代码[*]."""
    return sorted(
        f"{g.role.name}@{g.organisation.code}{'*' if g.with_subordinates else ''}" for g in user.grants
    )


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
    organisation: str | None = None,
    admin_organisation: str | None = None,
    manager: Principal | None = None,
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
            db,
            username,
            password_hash,
            roles or [],
            is_admin,
            display_name,
            replace,
            digest,
            actor,
            Placement(organisation, admin_organisation),
            manager,
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
    placement: Placement,
    manager: Principal | None,
) -> list[str]:
    with db.transaction(write=True) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is not None and not replace:
            raise Conflict(f"用户 {username} 已存在")
        created = user is None
        if user is None:
            user = User(username=username)
            session.add(user)
        user.password_hash = password_hash
        user.is_admin = is_admin
        user.display_name = display_name or username
        user.grants = _grants(session, roles)
        placement.apply(session, user)
        _check_within_reach(
            manager,
            user.grants,
            [user.organisation_id, user.admin_organisation_id],
            global_admin=is_admin and user.admin_organisation_id is None,
        )
        if digest is not None:
            _check_id_number_free(session, digest, username)
            user.id_number_digest = digest
        audit.record(
            session,
            actor,
            "user.created" if created else "user.saved",
            username=username,
            roles=grant_specs(user),
            admin=is_admin,
            linked_id_number=user.id_number_digest is not None,
        )
        return grant_specs(user)


def change_user(
    db: Database,
    manager: Principal,
    username: str,
    roles: list[str] | None = None,
    placement: Placement | None = None,
) -> User:
    """An admin reassigns someone: their roles (角色@机构代码, replacing the old ones) and where
    they work; what is not given stays. Open tasks stay where they were resolved."""
    require_admin(manager, "修改用户的角色和机构")
    with db.transaction(write=True) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"用户 {username} 不存在，请核对用户名")
        _check_within_reach(manager, user.grants, [user.organisation_id], global_admin=False)
        if roles is not None:
            user.grants = _grants(session, roles)
        if placement is not None:
            placement.apply(session, user)
        _check_within_reach(
            manager,
            user.grants,
            [user.organisation_id, user.admin_organisation_id],
            global_admin=user.is_admin and user.admin_organisation_id is None,
        )
        session.flush()
        audit.record(
            session,
            manager.username,
            "user.saved",
            username=username,
            roles=grant_specs(user),
            admin=user.is_admin,
        )
        session.refresh(user)
        for grant in user.grants:
            session.expunge(grant)
        session.expunge(user)
        return user


@dataclass(frozen=True)
class Placement:
    """Where a user works (their cases' default organisation) and, for an admin, the tree they
    administer (None: everything)."""

    organisation: str | None = None
    admin_organisation: str | None = None
    keep_organisation: bool = False  # a change that leaves the workplace as it is
    keep_admin_organisation: bool = False

    def apply(self, session: Session, user: User) -> None:
        if not self.keep_organisation:
            user.organisation_id = (
                organisations.by_code(session, self.organisation).id if self.organisation else None
            )
        if not self.keep_admin_organisation:
            user.admin_organisation_id = (
                organisations.by_code(session, self.admin_organisation, "admin_organisation").id
                if self.admin_organisation
                else None
            )


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
    db: Database,
    name: str,
    roles: list[str] | None = None,
    is_admin: bool = False,
    organisation: str | None = None,
    manager: Principal | None = None,
) -> str:
    """An API token for a system (OA integration), confined to `organisation`'s tree when given.
    The token is shown once and stored hashed."""
    with db.transaction(write=True) as session:
        username = f"system:{name}"
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, display_name=name, is_system=True)
            session.add(user)
        user.grants = _grants(session, roles or [])
        user.is_admin = is_admin
        scope = organisations.by_code(session, organisation).id if organisation else None
        _check_within_reach(manager, user.grants, [scope], global_admin=is_admin and scope is None)
        token = new_token()
        session.add(
            ApiToken(
                user=user,
                name=name,
                token_hash=token_digest(token),
                expires_at=None,
                organisation_id=scope,
            )
        )
        audit.record(
            session,
            "system",
            "token.created",
            name=name,
            roles=sorted(roles or []),
            organisation=organisation,
        )
    return token


@dataclass(frozen=True)
class LoginThrottle:
    """Failed logins allowed within `window`, per account and per client address."""

    per_account: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        return cls(
            settings.login_failures_per_account,
            settings.login_failures_per_address,
            timedelta(seconds=settings.login_failure_window_seconds),
        )


def login(
    db: Database,
    username: str,
    password: str,
    ttl_hours: int,
    address: str = "unknown",
    throttle: LoginThrottle | None = None,
) -> str:
    """A bearer token for a person's password. The password is checked (argon2, tens of ms)
    outside any transaction, so logins never queue behind each other on the write lock; only
    the token, or the failure, is written afterwards. An account or address with too many
    recent failures is refused before the password is looked at, a correct one included."""
    throttle = throttle or LoginThrottle()
    username, address = username[:100], (address or "unknown")[:64]
    with db.transaction() as session:
        _refuse_while_locked(session, throttle, username, address, utcnow())
        user = session.scalar(select(User).where(User.username == username, User.is_system.is_(False)))
        user_id = user.id if user is not None and user.active else None
        password_hash = user.password_hash if user is not None else None
    # Hash even for unknown users so the answer time does not reveal who exists.
    valid = verify_password(password_hash, password) and user_id is not None
    if not valid:
        _record_failure(db, throttle, username, address)
        raise Unauthorized("用户名或密码错误")
    token = new_token()
    with db.transaction(write=True) as session:
        session.add(
            ApiToken(
                user_id=user_id,
                name="login",
                token_hash=token_digest(token),
                expires_at=utcnow() + timedelta(hours=ttl_hours),
            )
        )
        # The account's own count starts afresh; the address keeps what it tried elsewhere.
        session.execute(delete(LoginFailure).where(LoginFailure.username == username))
        audit.record(session, username, "auth.login", address=address)
    return token


def _recent_failures(
    session: Session, column: Any, value: str, limit: int, since: datetime
) -> list[datetime]:
    """The newest `limit` failures for an account or address within the window, newest first."""
    return list(
        session.scalars(
            select(LoginFailure.at)
            .where(column == value, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(limit)
        )
    )


def _lock(
    session: Session, throttle: LoginThrottle, username: str, address: str, now: datetime
) -> tuple[str, datetime] | None:
    """(scope, until) when the account or the address has reached its limit, else None. The
    lock lifts once the oldest failure that keeps the count at the limit leaves the window."""
    since = now - throttle.window
    for scope, column, value, limit in (
        ("account", LoginFailure.username, username, throttle.per_account),
        ("address", LoginFailure.address, address, throttle.per_address),
    ):
        failures = _recent_failures(session, column, value, limit, since)
        if limit > 0 and len(failures) >= limit:
            return scope, failures[limit - 1] + throttle.window
    return None


def _refuse_while_locked(
    session: Session, throttle: LoginThrottle, username: str, address: str, now: datetime
) -> None:
    locked = _lock(session, throttle, username, address, now)
    if locked is None:
        return
    scope, until = locked
    seconds = max(1, math.ceil((until - now).total_seconds()))
    minutes = math.ceil(seconds / 60)
    who = f"账号 {username}" if scope == "account" else "来自您所在地址的登录"
    raise TooManyRequests(
        f"{who}连续登录失败次数过多，已暂停登录，请 {minutes} 分钟后再试；忘记密码请联系管理员重置",
        retry_after=seconds,
    )


def _record_failure(db: Database, throttle: LoginThrottle, username: str, address: str) -> None:
    now = utcnow()
    with db.transaction(write=True) as session:
        session.execute(delete(LoginFailure).where(LoginFailure.at <= now - throttle.window))
        session.add(LoginFailure(at=now, username=username, address=address))
        audit.record(session, username, "auth.failed", address=address)
        session.flush()
        locked = _lock(session, throttle, username, address, now)
        if locked is not None and _lock_starts_now(session, throttle, locked[0], username, address, now):
            scope, until = locked
            audit.record(
                session,
                username,
                "auth.locked",
                scope=scope,
                address=address,
                until=until.isoformat(),
                limit=throttle.per_account if scope == "account" else throttle.per_address,
            )


def _lock_starts_now(
    session: Session, throttle: LoginThrottle, scope: str, username: str, address: str, now: datetime
) -> bool:
    """This failure is the one that reached the limit (not a later one that slipped in
    concurrently): the lockout is recorded once."""
    column, value, limit = (
        (LoginFailure.username, username, throttle.per_account)
        if scope == "account"
        else (LoginFailure.address, address, throttle.per_address)
    )
    count = len(_recent_failures(session, column, value, limit + 1, now - throttle.window))
    return count == limit


def principal_for_token(db: Database, token: str) -> Principal:
    with db.transaction() as session:
        row = (
            session.execute(
                select(ApiToken)
                .options(joinedload(ApiToken.user).selectinload(User.grants))
                .where(ApiToken.token_hash == token_digest(token))
            )
            .unique()
            .scalar_one_or_none()
        )
        if row is None or row.revoked or not row.user.active:
            raise Unauthorized("令牌无效或已被吊销，请重新登录")
        if row.expires_at is not None and row.expires_at < utcnow():
            raise Unauthorized("令牌已过期，请重新登录")
        return _principal(session, row.user, row.organisation_id)


def principal_of(session: Session, user: User) -> Principal:
    """Who a user is when they act (their roles where they hold them), without a token."""
    return _principal(session, user, None)


def _principal(session: Session, user: User, token_scope: int | None) -> Principal:
    """Expands grants "with subordinates" and an admin's or a token's tree to organisation ids
    once per request; a deployment with one organisation never reads the tree."""
    confined = organisations.subtree_ids(session, [token_scope]) if token_scope is not None else None
    pairs: set[tuple[str, int]] = set()
    for grant in user.grants:
        reach = (
            organisations.subtree_ids(session, [grant.organisation_id])
            if grant.with_subordinates
            else {grant.organisation_id}
        )
        pairs |= {(grant.role.name, org) for org in reach if confined is None or org in confined}
    admin_tree = (
        organisations.subtree_ids(session, [user.admin_organisation_id])
        if user.admin_organisation_id is not None
        else None
    )
    if confined is not None:
        admin_tree = confined if admin_tree is None else admin_tree & confined
    return Principal(
        username=user.username,
        roles=frozenset(role for role, _ in pairs),
        is_admin=user.is_admin,
        is_system=user.is_system,
        display_name=user.display_name,
        id_number_digest=user.id_number_digest,
        role_organisations=frozenset(pairs),
        organisation_id=user.organisation_id or _only_organisation(user),
        admin_organisations=admin_tree if user.is_admin else None,
        confined_to=confined,
    )


def _only_organisation(user: User) -> int:
    """Without a stated workplace: the one organisation all the user's roles are held in, else
    the default organisation."""
    held = {grant.organisation_id for grant in user.grants}
    return held.pop() if len(held) == 1 else organisations.DEFAULT_ORGANISATION_ID


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
