"""The organisation tree: managing it, reading subtrees, and resolving a task's role from a
case's organisation upwards (issue 12)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.services import audit
from service.services.authorization import require
from service.services.errors import Conflict, Invalid, NotFound
from service.services.principal import Principal
from service.store.db import Database
from service.store.models import DEFAULT_ORGANISATION_CODE, Organisation, Role, RoleGrant, User

# Migration 0018 creates it with this id; every grant and case without another goes there.
DEFAULT_ORGANISATION_ID = 1
KINDS = ("省国资委", "区国资管理中心", "集团", "企业", "开发区", "部门", "")


@dataclass(frozen=True)
class OrganisationInput:
    code: str
    name: str
    kind: str = ""
    parent: str | None = None  # the parent's code; None: a root


def by_code(session: Session, code: str, field: str = "organisation") -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code.strip()))
    if org is None:
        raise Invalid(
            f"机构代码「{code}」不存在：请先在机构管理中创建，或核对代码（GET /api/v1/organisations）",
            errors={field: [f"机构「{code}」不存在"]},
        )
    return org


def subtree_ids(session: Session, organisation_ids: Iterable[int]) -> frozenset[int]:
    """These organisations and every one below them."""
    ids = set(organisation_ids)
    if not ids:
        return frozenset()
    paths = session.scalars(select(Organisation.path).where(Organisation.id.in_(ids))).all()
    below = session.scalars(
        select(Organisation.id).where(or_(*(Organisation.path.startswith(path) for path in paths)))
    )
    return frozenset(below) | ids


def names(session: Session, organisation_ids: Iterable[int]) -> dict[int, Organisation]:
    ids = set(organisation_ids)
    if not ids:
        return {}
    return {org.id: org for org in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


class RoleResolver:
    """Which organisation's holders of a role receive a task of a case: the nearest one on the
    path from the case's organisation to the root where an active user holds the role (企业人事
    at the enterprise, 区属集团 at its group, 区国资管理中心 at the district). Where nobody on the
    path holds it, the case's own organisation: the task waits there until someone is granted
    the role. One resolver serves one transaction and remembers what it looked up."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._paths: dict[int, list[int]] = {}
        self._resolved: dict[tuple[str, int], int] = {}

    def resolve(self, role: str, organisation_id: int) -> int:
        key = (role, organisation_id)
        if key not in self._resolved:
            path = self._ancestors(organisation_id)
            held = set(
                self._session.scalars(
                    select(RoleGrant.organisation_id)
                    .join(Role, Role.id == RoleGrant.role_id)
                    .join(User, User.id == RoleGrant.user_id)
                    .where(Role.name == role, RoleGrant.organisation_id.in_(path), User.active.is_(True))
                )
            )
            self._resolved[key] = next((org for org in path if org in held), organisation_id)
        return self._resolved[key]

    def _ancestors(self, organisation_id: int) -> list[int]:
        if organisation_id not in self._paths:
            org = self._session.get(Organisation, organisation_id)
            self._paths[organisation_id] = org.ancestor_ids if org is not None else [organisation_id]
        return self._paths[organisation_id]


_codes: dict[int, str] = {}


def code_of(db: Database, organisation_id: int | None) -> str | None:
    """An organisation's code, for showing a case's organisation in lists; codes never change,
    so every replica may keep what it has read."""
    if organisation_id is None:
        return None
    if organisation_id not in _codes:
        with db.transaction() as session:
            _codes.update(
                {org_id: code for org_id, code in session.execute(select(Organisation.id, Organisation.code))}
            )
    return _codes.get(organisation_id)


def name_of(db: Database, organisation_id: int | None) -> str:
    """An organisation's name as it is now (names may change; one indexed read)."""
    if organisation_id is None:
        return ""
    with db.transaction() as session:
        return session.scalar(select(Organisation.name).where(Organisation.id == organisation_id)) or ""


def forget_codes() -> None:
    """For a database whose organisations were deleted behind the service's back (tests)."""
    _codes.clear()


def role_holders(session: Session, role: str, organisation_id: int) -> list[str]:
    """The active people who hold `role` in that organisation: there, or above it with its
    subordinates. (A task's role was resolved to the organisation; these are its people.)"""
    org = session.get(Organisation, organisation_id)
    above = org.ancestor_ids[1:] if org is not None else []
    return list(
        session.scalars(
            select(User.username)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Role, Role.id == RoleGrant.role_id)
            .where(
                Role.name == role,
                or_(
                    RoleGrant.organisation_id == organisation_id,
                    and_(RoleGrant.organisation_id.in_(above), RoleGrant.with_subordinates.is_(True)),
                ),
                User.active.is_(True),
                User.is_system.is_(False),
            )
            .order_by(User.username)
            .distinct()
        )
    )


def list_organisations(db: Database) -> list[Organisation]:
    """The whole tree, parents before children: every signed-in user may read it (a starter
    chooses the case's organisation from it)."""
    with db.transaction() as session:
        rows = list(session.scalars(select(Organisation).order_by(Organisation.path)))
        session.expunge_all()
        return rows


def _require_manager(principal: Principal, parent_id: int | None, doing: str) -> None:
    if principal.is_admin and principal.admin_organisations is None:
        return
    require(
        principal.is_admin and parent_id is not None and principal.administers(parent_id),
        f"只有管理员可以{doing}；本机构管理员只能管理本机构以下的机构",
    )


def create(db: Database, principal: Principal, data: OrganisationInput) -> Organisation:
    _check_input(data)
    try:
        with db.transaction(write=True) as session:
            if session.scalar(select(Organisation.id).where(Organisation.code == data.code)) is not None:
                raise Conflict(f"机构代码「{data.code}」已被使用，请换一个代码")
            parent = by_code(session, data.parent, "parent") if data.parent else None
            _require_manager(principal, parent.id if parent else None, "新建机构")
            org = Organisation(
                code=data.code,
                name=data.name,
                kind=data.kind,
                parent_id=parent.id if parent else None,
                path="",
            )
            session.add(org)
            session.flush()
            org.path = f"{parent.path if parent else '/'}{org.id}/"
            audit.record(
                session,
                principal.username,
                "organisation.created",
                code=org.code,
                name=org.name,
                parent=data.parent,
            )
            session.flush()
            session.expunge(org)
            return org
    except IntegrityError:
        raise Conflict(f"机构代码「{data.code}」刚被另一个请求使用，请换一个代码") from None


def update(
    db: Database,
    principal: Principal,
    code: str,
    name: str | None = None,
    kind: str | None = None,
    parent: str | None = None,
) -> Organisation:
    """Rename, retype or move an organisation; a move carries its whole subtree along."""
    with db.transaction(write=True) as session:
        org = session.scalar(select(Organisation).where(Organisation.code == code))
        if org is None:
            raise NotFound(f"机构「{code}」不存在，请核对机构代码")
        _require_manager(principal, org.id, "修改机构")
        if name is not None:
            if not name.strip():
                raise Invalid("机构名称不能为空", errors={"name": ["不能为空"]})
            org.name = name.strip()
        if kind is not None:
            _check_kind(kind)
            org.kind = kind
        if parent is not None:
            _move(session, principal, org, parent)
        audit.record(
            session, principal.username, "organisation.updated", code=code, name=org.name, parent=parent
        )
        session.flush()
        session.expunge(org)
        return org


def _move(session: Session, principal: Principal, org: Organisation, parent_code: str) -> None:
    new_parent = by_code(session, parent_code, "parent")
    if new_parent.path.startswith(org.path):
        raise Invalid(
            f"不能把机构「{org.name}」移到它自己或它的下级「{new_parent.name}」之下",
            errors={"parent": ["会形成循环"]},
        )
    _require_manager(principal, new_parent.id, "调整机构隶属关系")
    old_path, new_path = org.path, f"{new_parent.path}{org.id}/"
    for below in session.scalars(select(Organisation).where(Organisation.path.startswith(old_path))):
        below.path = new_path + below.path[len(old_path) :]
    org.parent_id = new_parent.id


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise Invalid(
            f"机构类型「{kind}」无效，可选：{'、'.join(k for k in KINDS if k)}",
            errors={"kind": [f"可选：{'、'.join(k for k in KINDS if k)}"]},
        )


def _check_input(data: OrganisationInput) -> None:
    errors = {}
    if not data.code.strip() or "@" in data.code or "*" in data.code:
        errors["code"] = ["机构代码不能为空，且不能含 @ 或 *"]
    if not data.name.strip():
        errors["name"] = ["机构名称不能为空"]
    if errors:
        raise Invalid("机构信息不完整：" + "；".join(m for ms in errors.values() for m in ms), errors=errors)
    _check_kind(data.kind)


def import_csv(db: Database, principal: Principal, text: str) -> tuple[int, int]:
    """Rows of code,name,kind,parent_code (header line required; parents may come in any
    order). Existing codes are updated, new ones created: (created, updated)."""
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    missing = {"code", "name"} - set(rows[0].keys() if rows else [])
    if missing:
        raise Invalid(
            "机构 CSV 需要表头 code,name,kind,parent_code", errors={"file": ["缺少列 code 或 name"]}
        )
    pending = [
        OrganisationInput(
            code=(row.get("code") or "").strip(),
            name=(row.get("name") or "").strip(),
            kind=(row.get("kind") or "").strip(),
            parent=(row.get("parent_code") or "").strip() or None,
        )
        for row in rows
    ]
    known = {org.code: org for org in list_organisations(db)}
    created = updated = 0
    while pending:
        ready = [row for row in pending if row.parent is None or row.parent in known]
        if not ready:
            unknown = "、".join(sorted({row.parent or "" for row in pending}))
            raise Invalid(f"机构 CSV 中的上级机构不存在：{unknown}", errors={"parent_code": [unknown]})
        for row in ready:
            if row.code in known:
                update(db, principal, row.code, name=row.name, kind=row.kind, parent=row.parent)
                updated += 1
            else:
                known[row.code] = create(db, principal, row)
                created += 1
        pending = [row for row in pending if row not in ready]
    return created, updated


def is_default(org: Organisation) -> bool:
    return org.code == DEFAULT_ORGANISATION_CODE
