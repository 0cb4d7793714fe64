"""Alembic, driven from code so operators only ever type `xuanpin db upgrade`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from service.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 0x58500001


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        if not db.is_sqlite:
            # Replicas starting together migrate one after the other, however long that takes.
            connection.exec_driver_sql("SET LOCAL lock_timeout = 0")
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if revision == "head":
        # The calendar tables exist only from 0002 on; imported late to keep store free of services.
        from service.services.calendar import seed_from_chinesecalendar

        seed_from_chinesecalendar(db)


def make_revision(db: Database, message: str) -> None:
    """Developer helper: autogenerate a migration from the models."""
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
