"""Settings read from environment variables, with safe defaults for a single machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'xuanpin.sqlite3'}"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(value: str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    return tuple(item.strip() for item in value.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    # Lifetime of a bearer token obtained with a password (system tokens do not expire).
    token_ttl_hours: int = 12
    # Wall-clock budget for one script or expression from a diagram; helpers it calls count.
    script_time_limit_seconds: float = 1.0
    # Longest list/tuple/dict/range and longest string a script may build or leave in the data.
    script_max_items: int = 10_000
    script_max_string: int = 100_000
    # Most instances one multi-instance activity may create (cardinality or collection size).
    max_instances_per_activity: int = 200
    # Roles that may read every instance but change nothing.
    observer_roles: tuple[str, ...] = ("纪检监督",)
    # Roles that may deploy diagrams besides admins (process designers).
    designer_roles: tuple[str, ...] = ("设计人员",)
    scheduler_enabled: bool = True
    # The scheduler wakes at each next due timer; the sweep catches what it could not know of.
    timer_sweep_seconds: float = 10.0
    timezone: str = "Asia/Shanghai"
    max_upload_bytes: int = 5 * 1024 * 1024
    sql_echo: bool = False
    # Signs the web session cookie; every worker and replica must share it (XUANPIN_SECRET_KEY).
    # Empty: a key generated once and kept in var/secret_key (one machine only).
    secret_key: str = ""
    # Send the session cookie only over HTTPS (set behind a TLS-terminating proxy).
    cookie_secure: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        settings = cls(
            database_url=env.get("DATABASE_URL") or _default_database_url(),
            token_ttl_hours=int(env.get("XUANPIN_TOKEN_TTL_HOURS", "12")),
            script_time_limit_seconds=float(env.get("XUANPIN_SCRIPT_TIME_LIMIT", "1.0")),
            script_max_items=int(env.get("XUANPIN_SCRIPT_MAX_ITEMS", "10000")),
            script_max_string=int(env.get("XUANPIN_SCRIPT_MAX_STRING", "100000")),
            max_instances_per_activity=int(env.get("XUANPIN_MAX_INSTANCES_PER_ACTIVITY", "200")),
            observer_roles=_list(env.get("XUANPIN_OBSERVER_ROLES"), ("纪检监督",)),
            designer_roles=_list(env.get("XUANPIN_DESIGNER_ROLES"), ("设计人员",)),
            scheduler_enabled=_bool(env.get("XUANPIN_SCHEDULER"), True),
            timer_sweep_seconds=float(env.get("XUANPIN_TIMER_SWEEP_SECONDS", "10")),
            max_upload_bytes=int(env.get("XUANPIN_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
            sql_echo=_bool(env.get("XUANPIN_SQL_ECHO"), False),
            secret_key=env.get("XUANPIN_SECRET_KEY", ""),
            cookie_secure=_bool(env.get("XUANPIN_COOKIE_SECURE"), False),
        )
        return replace(settings, **overrides) if overrides else settings
