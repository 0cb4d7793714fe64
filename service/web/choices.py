"""Options for the pickers of the task page (转办/委派 to a user, 抄送 to users and roles).

Read-only lists for the person's convenience: whether a choice is allowed is decided by the
service the form posts to (services/task_operations.py), which refuses with a message otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from service.container import Container
from service.services import organisations
from service.store.models import Role, User


@dataclass(frozen=True)
class Person:
    username: str
    display_name: str
    roles: tuple[str, ...]


def people(
    app: Container, roles: list[str] | None = None, where: list[tuple[str, int | None]] | None = None
) -> list[Person]:
    """Active, non-system accounts (those holding one of `roles` when given, and then, with
    `where`, holding it in the organisation named beside it), no applicants."""
    hidden = set(app.settings.candidate_roles) | set(app.settings.observer_roles)
    with app.db.transaction() as session:
        query = select(User).where(User.active.is_(True), User.is_system.is_(False)).order_by(User.username)
        if roles:
            query = query.join(User.roles).where(Role.name.in_(roles)).distinct()
        allowed = (
            {
                name
                for role, org in where
                if org is not None
                for name in organisations.role_holders(session, role, org)
            }
            if where
            else None
        )
        found = []
        for user in session.scalars(query):
            if allowed is not None and user.username not in allowed:
                continue
            held = tuple(sorted(user.role_names))
            if set(held) & hidden:
                continue
            found.append(Person(user.username, user.display_name or user.username, held))
        return found


def role_names(app: Container) -> list[str]:
    hidden = set(app.settings.candidate_roles) | set(app.settings.observer_roles)
    with app.db.transaction() as session:
        return [name for name in session.scalars(select(Role.name).order_by(Role.name)) if name not in hidden]
