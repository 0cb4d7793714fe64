"""Backing up and restoring the embedded SQLite database (`xuanpin backup` / `xuanpin restore`).

A copy of the file is not a backup while the service runs: a transaction may be half in the
WAL file. SQLite's online backup API copies a consistent snapshot in one step under a read
transaction, so the service keeps writing meanwhile. PostgreSQL deployments use pg_dump.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import make_url

from service.store.migrate import alembic_config

POSTGRESQL_HINT = (
    "PostgreSQL 数据库请用 pg_dump / pg_restore 备份与恢复（见 README「备份与恢复」），"
    "xuanpin backup / restore 只用于内嵌的 SQLite 数据库"
)
# What makes a file a 选聘流 database.
_REQUIRED_TABLES = {"alembic_version", "instances", "process_definitions", "users", "audit_events"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Snapshot:
    path: Path
    revision: str
    instances: int
    size_bytes: int


def sqlite_path(database_url: str) -> Path:
    """The database file behind DATABASE_URL; any other database is refused with the way to
    back it up."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(POSTGRESQL_HINT)
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份或恢复，请在 DATABASE_URL 中指定数据库文件")
    return Path(url.database)


def backup(database: Path, target: Path) -> Snapshot:
    """A consistent copy of `database` (in use or not) written to `target` as one file."""
    if not database.exists():
        raise BackupError(f"数据库文件 {database} 不存在，请检查 DATABASE_URL")
    if target.exists():
        raise BackupError(f"{target} 已存在：备份不覆盖已有文件，请换一个文件名")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(_connect(database)) as source, closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)  # one step: a snapshot at a single moment
            # The copy is a file of its own: no WAL beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            _check(copy, partial)
        partial.replace(target)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"备份失败：{error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return inspect(target)


def inspect(path: Path) -> Snapshot:
    """What a backup file holds; refuses a file that is not an intact 选聘流 database."""
    if not path.is_file():
        raise BackupError(f"备份文件 {path} 不存在")
    try:
        with closing(_read_only(path)) as connection:
            _check(connection, path)
            revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            instances = connection.execute("SELECT count(*) FROM instances").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} 不是有效的 SQLite 数据库文件（{error}）") from None
    if revision is None:
        raise BackupError(f"{path} 没有记录数据库结构版本，不能用于恢复")
    return Snapshot(path, revision[0], instances, path.stat().st_size)


def restore(backup_file: Path, database: Path, now: datetime) -> tuple[Snapshot, Path | None]:
    """Put `backup_file` in place of `database`. Refused while another process (a running
    server, the scheduler) has the database open. The current database is first kept beside it
    as `<name>.before-restore-<time>`; returns the snapshot restored and that safety copy."""
    snapshot = inspect(backup_file)
    _check_revision_known(snapshot.revision)
    kept = None
    database.parent.mkdir(parents=True, exist_ok=True)
    with closing(_connect(database)) as live:
        if database.stat().st_size > 0:
            _refuse_if_in_use(live, database)
            kept = database.with_name(f"{database.name}.before-restore-{now:%Y%m%d-%H%M%S}")
            with closing(sqlite3.connect(kept)) as copy:
                live.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")
        with closing(_read_only(backup_file)) as source:
            source.backup(live)  # written as one transaction: all of it or nothing
        live.execute("PRAGMA journal_mode=WAL")
        _check(live, database)
    return snapshot, kept


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=30)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _check(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()
    if result is None or result[0] != "ok":
        raise BackupError(f"{path} 未通过完整性检查：{result[0] if result else '无结果'}")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = _REQUIRED_TABLES - tables
    if missing:
        raise BackupError(f"{path} 不是选聘流的数据库（缺少表 {'、'.join(sorted(missing))}）")


def _refuse_if_in_use(live: sqlite3.Connection, database: Path) -> None:
    """Leaving WAL mode needs the database to itself: if another connection has it open, the
    service (or its scheduler, or another command) is running."""
    try:
        mode = live.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError:
        mode = None
    if mode is None or mode[0].lower() != "delete":
        raise BackupError(
            f"数据库 {database} 正被其他进程使用（服务或定时器调度似乎正在运行）："
            "请先停止 xuanpin serve / xuanpin scheduler，再恢复"
        )


def _check_revision_known(revision: str) -> None:
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        raise BackupError(
            f"备份的数据库结构版本 {revision} 比本程序新，请用生成该备份的选聘流版本恢复"
        ) from None
