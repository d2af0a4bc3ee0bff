"""The store's foundation: the engine, the one write path (one transaction each, SQLite's
writes queued on the event loop), the generic upsert and revision, and the as-of read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Self

from sqlalchemy import Select, Table, and_, func, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collector.clock import Clock, SystemClock
from collector.errors import StoreError
from collector.store.records import row_of

_CHUNK = 500  # rows per INSERT: well under SQLite's 32,766 bound parameters


def _table(model: Any) -> Table:
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model!r} is not a mapped table")
    return table


_ACCOUNT_DAY = ("operation_id", "pool_kind", "account", "day")
_CREDIT = (*_ACCOUNT_DAY, "income")
_SAMPLE = ("operation_id", "pool_kind", "account", "observed_at")
_OUTPUT = ("txid", "vout")
_OUTPUT_STATE = (
    "operation_id",
    "address",
    "amount_sat",
    "status",
    "block_height",
    "block_hash",
    "block_time",
    "kind",
    "role",
)


def _as_of(revisions: Any, keys: Sequence[str], as_of: datetime) -> Any:
    """The latest revision of each fact observed at or before ``as_of``, as a subquery with the
    revision table's columns (read it as the current table would be read)."""
    t = _table(revisions)
    key_columns = [t.c[k] for k in keys]
    latest = (
        select(*key_columns, func.max(t.c.observed_at).label("latest"))
        .where(t.c.observed_at <= as_of)
        .group_by(*key_columns)
        .subquery()
    )
    joined: Select[Any] = select(t).join(
        latest,
        and_(*[t.c[k] == latest.c[k] for k in keys], t.c.observed_at == latest.c.latest),
    )
    return joined.subquery()


def _merge_duplicates(
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    add: Sequence[str],
    keep_max: Sequence[str],
) -> list[dict[str, Any]]:
    """One row per key, as the database would end up after inserting them one by one
    (PostgreSQL refuses one INSERT … ON CONFLICT that touches a row twice)."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        previous = merged.get(key)
        if previous is None:
            merged[key] = dict(row)
            continue
        combined = dict(row)
        for column in add:
            combined[column] = previous[column] + row[column]
        for column in keep_max:
            combined[column] = max(previous[column], row[column])
        merged[key] = combined
    return list(merged.values())


class StoreBase:
    """The engine and the write and read paths every family of tables shares."""

    def __init__(self, engine: AsyncEngine, clock: Clock | None = None) -> None:
        """``clock`` dates what the store records (``recorded_at``, ``first_seen``…)."""
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self._dialect = engine.dialect.name
        # SQLite has one writer at a time: this process's writes queue here, on the event
        # loop, rather than in SQLite's busy handler, where a writer whose coroutine waits for
        # the loop could keep the others past busy_timeout.
        self._write_lock = asyncio.Lock() if self._dialect == "sqlite" else None

    async def close(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """``async with Store(engine) as store:`` closes the engine's connections on every
        way out, a failed assertion included (an unclosed aiosqlite connection otherwise
        surfaces later as a ResourceWarning in whichever code runs when it is collected)."""
        await self.close()

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    # -- generic upsert -------------------------------------------------------------------

    async def _upsert(
        self,
        connection: AsyncConnection,
        model: Any,
        rows: Sequence[dict[str, Any]],
        keys: Sequence[str],
        *,
        add: Sequence[str] = (),
        keep_max: Sequence[str] = (),
        keep_first: Sequence[str] = (),
    ) -> None:
        """Insert ``rows``; on a key conflict replace the other columns (``add`` ones are summed,
        ``keep_max`` ones keep the larger value, ``keep_first`` ones keep the stored value)."""
        rows = _merge_duplicates(rows, keys, add, keep_max)
        if not rows:
            return
        table = _table(model)
        insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
        # One statement with the rows as parameters (executemany): SQLAlchemy compiles it
        # once and caches it, and sends the rows in batches of multi-row VALUES itself. A
        # statement with the rows written into it (``.values(rows)``) was compiled again for
        # every write: 250 ms for a telemetry flush of 1,700 rollups.
        statement = insert(table)
        excluded = statement.excluded
        updates: dict[str, Any] = {}
        for column in rows[0]:
            if column in keys or column in keep_first:
                continue
            if column in add:
                updates[column] = table.c[column] + excluded[column]
            elif column in keep_max:
                updates[column] = (
                    func.max(table.c[column], excluded[column])
                    if (self._dialect == "sqlite")
                    else func.greatest(table.c[column], excluded[column])
                )
            else:
                updates[column] = excluded[column]
        upsert = (
            statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
            if updates
            else statement.on_conflict_do_nothing(index_elements=list(keys))
        )
        for start in range(0, len(rows), _CHUNK):
            await connection.execute(upsert, list(rows[start : start + _CHUNK]))

    async def _revise(  # noqa: PLR0917 - the tables, the rows and what identifies a fact
        self,
        connection: AsyncConnection,
        current: Any,
        revisions: Any,
        rows: Sequence[dict[str, Any]],
        keys: Sequence[str],
        values: Sequence[str],
        observed_at: datetime,
    ) -> None:
        """Append a revision for each row whose ``values`` differ from the stored current
        fact (or that is new), observed at ``observed_at``; call before the upsert, in the
        same transaction. A fact seen again unchanged appends nothing."""
        if not rows:
            return
        table = _table(current)
        key_columns = [table.c[k] for k in keys]
        stored: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        wanted = list({tuple(row[k] for k in keys) for row in rows})
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            result = await connection.execute(
                select(*key_columns, *[table.c[v] for v in values]).where(
                    tuple_(*key_columns).in_(chunk)
                )
            )
            for found in result.all():
                stored[tuple(found[: len(keys)])] = tuple(found[len(keys) :])
        changed: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            key = tuple(row[k] for k in keys)
            value = tuple(row[v] for v in values)
            if stored.get(key) != value:
                changed[key] = {**{k: row[k] for k in keys}, **{v: row[v] for v in values}}
                stored[key] = value
        revision_rows = [{**row, "observed_at": observed_at} for row in changed.values()]
        await self._upsert(connection, revisions, revision_rows, (*keys, "observed_at"))

    async def _insert_new(self, model: Any, rows: list[dict[str, Any]], keys: Sequence[str]) -> int:
        """Insert ``rows``, skipping any whose ``keys`` are already stored; how many were new."""
        added = 0

        async def work(connection: AsyncConnection) -> None:
            nonlocal added
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            for start in range(0, len(rows), _CHUNK):
                statement = insert(_table(model)).values(rows[start : start + _CHUNK])
                result = await connection.execute(
                    statement.on_conflict_do_nothing(index_elements=list(keys))
                )
                added += max(result.rowcount or 0, 0)

        if rows:
            await self._write(work)
        return added

    async def _append_revisions(
        self, model: Any, keys: Sequence[str], records: Sequence[Any], held: Sequence[Any]
    ) -> int:
        """Append, observed now, a revision of each of ``records`` (flat records with an
        ``observed_at``) that is new or differs from the ``held`` one (the latest stored) with
        the same ``keys``; one seen again unchanged appends nothing. Returns how many."""

        def key(record: Any) -> tuple[Any, ...]:
            return tuple(getattr(record, name) for name in keys)

        def value(record: Any) -> dict[str, Any]:
            return {**row_of(record), "observed_at": None}

        now = self.clock.now()
        stored = {key(record): value(record) for record in held}
        rows = {
            key(record): {**row_of(record), "observed_at": now}
            for record in records
            if stored.get(key(record)) != value(record)
        }
        await self._insert_new(model, list(rows.values()), (*keys, "observed_at"))
        return len(rows)

    async def _write(self, work: Any) -> None:
        if self._write_lock is None:
            await self._write_transaction(work)
            return
        async with self._write_lock:
            await self._write_transaction(work)

    async def _write_transaction(self, work: Any) -> None:
        try:
            async with self.engine.begin() as connection:
                if self._dialect == "sqlite":
                    # Take the write lock first (another process may hold it: busy_timeout): a
                    # write that reads before it writes (the revisions) then never meets a
                    # snapshot made stale by another writer, which SQLite refuses at once.
                    await connection.exec_driver_sql("BEGIN IMMEDIATE")
                await work(connection)
        except (SQLAlchemyError, OSError) as err:
            raise StoreError(f"store write failed: {err.__class__.__name__}: {err}") from err

    async def _read(self, statement: Any) -> list[Any]:
        try:
            async with self.engine.connect() as connection:
                return list((await connection.execute(statement)).all())
        except (SQLAlchemyError, OSError) as err:
            raise StoreError(f"store read failed: {err.__class__.__name__}: {err}") from err

    async def _of_operations(
        self, model: Any, operation_ids: Iterable[str] | None, as_of: datetime | None, *order: str
    ) -> list[Any]:
        """The rows of an append-only table of ``operation_ids`` (all, if None) the store held
        at ``as_of`` (all, if None), ordered by the columns ``order``."""
        t = _table(model)
        statement = select(t)
        if operation_ids is not None:
            statement = statement.where(t.c.operation_id.in_(list(operation_ids)))
        if as_of is not None:
            statement = statement.where(t.c.observed_at <= as_of)
        return await self._read(statement.order_by(*(t.c[name] for name in order)))
