"""Engine and transaction scopes for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

_WRITE = "xuanpin_write"
# session.info key: callables to run once the transaction has committed.
AFTER_COMMIT = "after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


class DatabaseBusy(Exception):
    """A writer waited the busy timeout for a lock and gave up: try again shortly."""

    retry_after_seconds = 2


# PostgreSQL: lock_not_available, deadlock_detected, serialization_failure.
_PG_BUSY = {"55P03", "40P01", "40001"}


def is_busy(error: DBAPIError) -> bool:
    """SQLite's "database is locked" after the busy timeout, or PostgreSQL's lock timeout (and
    the conflicts a retry resolves)."""
    original = error.orig
    if getattr(original, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"):
        return True
    if "database is locked" in str(original) or "database is busy" in str(original):
        return True
    return getattr(original, "sqlstate", None) in _PG_BUSY


class Database:
    """One per process: owns the connection pool and opens transactions."""

    def __init__(self, url: str, echo: bool = False, busy_timeout: float = 30.0) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo, busy_timeout)
        else:
            self.engine = _postgresql_engine(url, echo, busy_timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._write_engine = self.engine.execution_options(**{_WRITE: True})
        self._write_sessions = sessionmaker(self._write_engine, expire_on_commit=False, autoflush=False)

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception.

        On SQLite a writing transaction starts with BEGIN IMMEDIATE so that two writers
        queue on the busy timeout instead of failing when one upgrades a stale snapshot.
        """
        factory = self._write_sessions if write else self._sessions
        try:
            with factory() as session:
                with session.begin():
                    yield session
                for callback in session.info.pop(AFTER_COMMIT, []):
                    callback()
        except DBAPIError as error:
            if is_busy(error):
                raise DatabaseBusy(str(error.orig)) from error
            raise

    def dispose(self) -> None:
        self.engine.dispose()


def _postgresql_engine(url: str, echo: bool, busy_timeout: float) -> Engine:
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # A writer waiting for a row lock gives up like SQLite's busy timeout does (503), instead
        # of holding the request until the worker is killed.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET lock_timeout = {int(busy_timeout * 1000)}")
        dbapi_connection.commit()

    return engine


def _sqlite_engine(url: str, echo: bool, busy_timeout: float) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
