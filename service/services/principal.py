from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person or a system, with the roles they act in."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    is_system: bool = False
    display_name: str = ""
    id_number_digest: str | None = None  # set for candidates linked to their applications

    def has_any_role(self, roles: list[str] | set[str] | frozenset[str]) -> bool:
        return bool(self.roles.intersection(roles))
