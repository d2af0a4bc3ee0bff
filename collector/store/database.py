"""Opening the database and applying migrations.

SQLite (aiosqlite) by default, so one machine needs nothing more; PostgreSQL (asyncpg) when
users outgrow it. The password is never in the URL of the config: it comes from
``database.password_env`` / ``password_file`` and is added to the URL object here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from collector.config.base import resolve_secret
from collector.config.sections import DatabaseConfig
from collector.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets /metrics and statements read while the collector writes; NORMAL is durable in WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def open_engine(config: DatabaseConfig) -> AsyncEngine:
    """An async engine for ``config``; no connection is made until first use."""
    url = make_url(config.url)
    password = resolve_secret(config.password_env, config.password_file, "database password")
    if password is not None:
        url = url.set(password=password.get_secret_value())
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(
                    f"cannot create the database's folder {Path(url.database).parent}: "
                    f"{err.strerror or err}"
                ) from err
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _alembic_config(connection: Connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (idempotent)."""

    def run(connection: Connection) -> None:
        command.upgrade(_alembic_config(connection), revision)

    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    except (SQLAlchemyError, OSError) as err:
        raise StoreError(
            f"cannot migrate the database {engine.url.render_as_string()}: {err}"
        ) from err


async def current_revision(engine: AsyncEngine) -> str | None:
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - only for `db` commands

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
