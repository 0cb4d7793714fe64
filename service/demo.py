"""Demo accounts for `make run`: one per role, all with the password in the README."""

from __future__ import annotations

from service.services import accounts
from service.store.db import Database

DEMO_PASSWORD = "xuanpin-demo"

# username, display name, roles, admin
DEMO_USERS: list[tuple[str, str, list[str], bool]] = [
    ("admin", "系统管理员", [], True),
    ("renshi", "企业人事（王芳）", ["企业人事"], False),
    ("jituan", "区属集团（李强）", ["区属集团"], False),
    ("guozi", "区国资管理中心（陈静）", ["区国资管理中心"], False),
    ("jijian", "纪检监督（赵敏）", ["纪检监督"], False),
]


def create_demo_users(db: Database) -> list[str]:
    for username, name, roles, admin in DEMO_USERS:
        accounts.add_user(db, username, DEMO_PASSWORD, roles, is_admin=admin, display_name=name, replace=True)
    return [username for username, *_ in DEMO_USERS]
