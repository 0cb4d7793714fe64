from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person or a system, with the roles they act in and where.

    `role_organisations` holds (role, organisation id) for every organisation a role is held in,
    a grant "with subordinates" expanded to the whole subtree; `roles` are the role names alone.
    `admin_organisations` is None for a global admin, else the tree a scoped admin administers.
    `confined_to` is the tree an organisation-scoped API token may reach (None: no limit).
    """

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    is_system: bool = False
    display_name: str = ""
    id_number_digest: str | None = None  # set for candidates linked to their applications
    role_organisations: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    organisation_id: int | None = None  # where the person works: their cases' default
    admin_organisations: frozenset[int] | None = None
    confined_to: frozenset[int] | None = None

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return bool(self.roles.intersection(roles))

    def acts_as(self, role: str, organisation_id: int | None) -> bool:
        """Holds `role` in that organisation (directly or over it with its subordinates)."""
        return (role, organisation_id) in self.role_organisations

    def organisations_of(self, roles: Iterable[str]) -> frozenset[int]:
        wanted = set(roles)
        return frozenset(org for role, org in self.role_organisations if role in wanted)

    def administers(self, organisation_id: int | None) -> bool:
        if not self.is_admin:
            return False
        return self.admin_organisations is None or organisation_id in self.admin_organisations

    def reaches(self, organisation_id: int | None) -> bool:
        return self.confined_to is None or organisation_id in self.confined_to
