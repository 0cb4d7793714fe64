"""Settings read from environment variables, with safe defaults for a single machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CANDIDATE_ROLES = ("应聘者", "揭榜人", "竞聘者", "候选人")


def _default_database_url() -> str:
    return f"sqlite:///{PROJECT_ROOT / 'var' / 'xuanpin.sqlite3'}"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _retention_days(value: str | None) -> int | None:
    """XUANPIN_RETENTION_DAYS: unset or empty keeps everything forever (FH-07)."""
    if value is None or not value.strip():
        return None
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise ValueError(f"XUANPIN_RETENTION_DAYS 应为正整数天数（或不设置：永久保存），现为 {value!r}")
    return days


def _upload_types(value: str | None) -> tuple[str, ...]:
    """XUANPIN_UPLOAD_TYPES: the kinds of file an upload may be (judged by content), e.g.
    "pdf,jpeg,png"; unset: every kind the service recognises."""
    from service.domain.file_types import DEFAULT_ALLOWED, KINDS

    kinds = tuple(kind.lower() for kind in _list(value, DEFAULT_ALLOWED))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise ValueError(
            f"XUANPIN_UPLOAD_TYPES 中有不认识的文件类型 {'、'.join(unknown)}；可选：{','.join(KINDS)}"
        )
    return kinds


def _log_format(value: str | None) -> str:
    chosen = (value or "text").strip().lower()
    if chosen not in ("text", "json"):
        raise ValueError(f"XUANPIN_LOG_FORMAT 应为 text 或 json，现为 {value!r}")
    return chosen


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
    # Roles of the people applying: they never start a case.
    candidate_roles: tuple[str, ...] = CANDIDATE_ROLES
    # Roles that may deploy diagrams besides admins (process designers).
    designer_roles: tuple[str, ...] = ("设计人员",)
    scheduler_enabled: bool = True
    # The scheduler wakes at each next due timer; the sweep catches what it could not know of.
    timer_sweep_seconds: float = 10.0
    timezone: str = "Asia/Shanghai"
    # The largest request body, and the largest file POST /api/v1/files stores.
    max_upload_bytes: int = 5 * 1024 * 1024
    # Kinds of file an upload may be, judged by its first bytes (service/domain/file_types.py).
    upload_types: tuple[str, ...] = ("pdf", "jpeg", "png", "ofd", "doc", "docx", "xls", "xlsx")
    # A case's data as stored (serialized JSON) and its number of top-level items.
    max_instance_data_bytes: int = 2 * 1024 * 1024
    max_instance_data_keys: int = 10_000
    sql_echo: bool = False
    # How long a writer waits for the database's write lock (SQLite) or a row lock (PostgreSQL)
    # before the request is answered 503 with Retry-After.
    db_busy_timeout_seconds: float = 30.0
    # A worker that does not answer gunicorn's heartbeat for this long (a step stuck in one C
    # call) is killed; its case is found and settled by services.interruptions.
    worker_timeout_seconds: int = 60
    # Login throttling: failed password logins within the window, per account and per client
    # address; beyond them logins are refused with 429 (a correct password too) until the window
    # has passed over the oldest of them.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_failure_window_seconds: int = 15 * 60
    # Reverse proxies in front of the service whose X-Forwarded-For is trusted for the client
    # address (0: the address is the connection's peer).
    trusted_proxies: int = 0
    # Intake from outside the office (issue 13, service/domain/intake.py): the registration
    # forms a candidate may fill online, the objection forms of the public notice board, and
    # how many objections one address may file per hour.
    online_application_forms: tuple[str, ...] = ("jb_shenqing", "fh_zp_baoming", "kf_baoming")
    objection_forms: tuple[str, ...] = ("gongshi_yiyi_dengji",)
    objections_per_hour: int = 5
    # Signs the web session cookie; every worker and replica must share it (XUANPIN_SECRET_KEY).
    # Empty: a key generated once and kept in var/secret_key (one machine only).
    secret_key: str = ""
    # Send the session cookie only over HTTPS (set behind a TLS-terminating proxy).
    cookie_secure: bool = False
    # Retention (FH-07): None keeps finished cases and their audit permanently. A number of days
    # lets `xuanpin retention apply` remove the working data of cases finished longer ago, except
    # those of procedures whose diagram declares them permanent; the audit trail is never removed.
    retention_days: int | None = None
    # 催办: the same task may be urged once per this many minutes.
    urge_interval_minutes: int = 30
    # OA integration (README「OA 集成」): the address people open the service at, for the links
    # in to-dos and e-mails (empty: links are relative paths).
    public_base_url: str = ""
    # Webhook retries: the first wait, doubled per try with jitter, for at most the period.
    webhook_retry_first_seconds: float = 30.0
    webhook_retry_period_seconds: float = 3 * 24 * 3600.0
    webhook_timeout_seconds: float = 10.0
    # How often the scheduler delivers due webhook events (and finds overdue tasks).
    webhook_sweep_seconds: float = 5.0
    # After a secret rotation the old secret signs too, for this long.
    webhook_rotation_overlap_hours: float = 24.0
    # Delivered webhook events and their delivery logs are pruned this many days after delivery
    # (0: kept for ever); undelivered ones (pending, dead) never are.
    webhook_retention_days: float = 30.0
    # E-mail notifications: off while smtp_host is empty.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_starttls: bool = False
    # GET /metrics: besides an admin's API token, this bearer token may scrape (a Prometheus
    # server need not hold an admin token). Empty: admin tokens only.
    metrics_token: str = ""
    # Log lines: "text" (Python's default) or "json" (one object a line with request id,
    # instance id and actor; service/logs.py).
    log_format: str = "text"
    # Due timers one replica claims at once (FOR UPDATE SKIP LOCKED on PostgreSQL) and fires one
    # after another before claiming again.
    timer_batch: int = 50

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
            candidate_roles=_list(env.get("XUANPIN_CANDIDATE_ROLES"), CANDIDATE_ROLES),
            designer_roles=_list(env.get("XUANPIN_DESIGNER_ROLES"), ("设计人员",)),
            scheduler_enabled=_bool(env.get("XUANPIN_SCHEDULER"), True),
            timer_sweep_seconds=float(env.get("XUANPIN_TIMER_SWEEP_SECONDS", "10")),
            max_upload_bytes=int(env.get("XUANPIN_MAX_UPLOAD_BYTES", str(5 * 1024 * 1024))),
            upload_types=_upload_types(env.get("XUANPIN_UPLOAD_TYPES")),
            max_instance_data_bytes=int(env.get("XUANPIN_MAX_INSTANCE_DATA_BYTES", str(2 * 1024 * 1024))),
            max_instance_data_keys=int(env.get("XUANPIN_MAX_INSTANCE_DATA_KEYS", "10000")),
            sql_echo=_bool(env.get("XUANPIN_SQL_ECHO"), False),
            db_busy_timeout_seconds=float(env.get("XUANPIN_DB_BUSY_TIMEOUT", "30")),
            worker_timeout_seconds=int(env.get("XUANPIN_WORKER_TIMEOUT", "60")),
            login_failures_per_account=int(env.get("XUANPIN_LOGIN_FAILURES_PER_ACCOUNT", "5")),
            login_failures_per_address=int(env.get("XUANPIN_LOGIN_FAILURES_PER_ADDRESS", "20")),
            login_failure_window_seconds=int(env.get("XUANPIN_LOGIN_FAILURE_WINDOW", "900")),
            trusted_proxies=int(env.get("XUANPIN_TRUSTED_PROXIES", "0")),
            online_application_forms=_list(
                env.get("XUANPIN_ONLINE_APPLICATION_FORMS"), ("jb_shenqing", "fh_zp_baoming", "kf_baoming")
            ),
            objection_forms=_list(env.get("XUANPIN_OBJECTION_FORMS"), ("gongshi_yiyi_dengji",)),
            objections_per_hour=int(env.get("XUANPIN_OBJECTIONS_PER_HOUR", "5")),
            secret_key=env.get("XUANPIN_SECRET_KEY", ""),
            cookie_secure=_bool(env.get("XUANPIN_COOKIE_SECURE"), False),
            retention_days=_retention_days(env.get("XUANPIN_RETENTION_DAYS")),
            urge_interval_minutes=int(env.get("XUANPIN_URGE_INTERVAL_MINUTES", "30")),
            public_base_url=env.get("XUANPIN_PUBLIC_BASE_URL", "").rstrip("/"),
            webhook_retry_first_seconds=float(env.get("XUANPIN_WEBHOOK_RETRY_FIRST_SECONDS", "30")),
            webhook_retry_period_seconds=float(env.get("XUANPIN_WEBHOOK_RETRY_PERIOD_SECONDS", "259200")),
            webhook_timeout_seconds=float(env.get("XUANPIN_WEBHOOK_TIMEOUT_SECONDS", "10")),
            webhook_sweep_seconds=float(env.get("XUANPIN_WEBHOOK_SWEEP_SECONDS", "5")),
            webhook_rotation_overlap_hours=float(env.get("XUANPIN_WEBHOOK_ROTATION_HOURS", "24")),
            webhook_retention_days=float(env.get("XUANPIN_WEBHOOK_RETENTION_DAYS", "30")),
            smtp_host=env.get("XUANPIN_SMTP_HOST", ""),
            smtp_port=int(env.get("XUANPIN_SMTP_PORT", "25")),
            smtp_user=env.get("XUANPIN_SMTP_USER", ""),
            smtp_password=env.get("XUANPIN_SMTP_PASSWORD", ""),
            smtp_from=env.get("XUANPIN_SMTP_FROM", ""),
            smtp_starttls=_bool(env.get("XUANPIN_SMTP_STARTTLS"), False),
            metrics_token=env.get("XUANPIN_METRICS_TOKEN", ""),
            log_format=_log_format(env.get("XUANPIN_LOG_FORMAT")),
            timer_batch=max(1, int(env.get("XUANPIN_TIMER_BATCH", "50"))),
        )
        return replace(settings, **overrides) if overrides else settings
