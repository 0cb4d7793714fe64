"""Engine and transaction scopes for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

_WRITE = "xuanpin_write"
# session.info key: callables to run once the transaction has committed.
AFTER_COMMIT = "after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


class Database:
    """One per process: owns the connection pool and opens transactions."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            self.engine = _sqlite_engine(url, echo)
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)
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
        with factory() as session:
            with session.begin():
                yield session
            for callback in session.info.pop(AFTER_COMMIT, []):
                callback()

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: str, echo: bool) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
