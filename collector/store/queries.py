"""The reads and idempotent writes the collector needs, over an async engine.

Each write is one transaction. Upserts are keyed by what identifies a fact, so a repeated poll,
a backfill or a restart never counts anything twice; only telemetry rollups *add* (their deltas
are written in the same transaction as the site state that says which readings they hold).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Self

from sqlalchemy import Select, Table, and_, case, delete, func, select, text, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from collector.clock import Clock, SystemClock
from collector.errors import StoreError
from collector.store.records import (
    BlockRecord,
    ChainTipRecord,
    CurtailmentRecord,
    EarningRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    PoolHashrateSampleRecord,
    PoolStatusRecord,
    PriceQuoteRecord,
    ReserveOutputRecord,
    ReserveSpendRecord,
    Rollup,
    RollupDelta,
    SiteStateRecord,
    row_of,
)
from collector.store.tables import (
    ChainTip,
    ChainTipRevision,
    ControlProof,
    CurtailmentOrder,
    EarningRevision,
    IssuedDocument,
    IssuedReport,
    IssuedStatement,
    NetworkBlock,
    NetworkDay,
    NetworkDayRevision,
    PoolEarning,
    PoolHashrateDay,
    PoolHashrateRevision,
    PoolHashrateSample,
    PoolStatus,
    PriceQuote,
    ReminderSent,
    ReserveOutput,
    ReserveOutputRevision,
    ReserveSpend,
    SiteState,
    TelemetryRollup,
    TermsRevision,
)
from remittance.proofs import RegisteredProof

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


class Store:
    """The collector's store. Build with an engine; call :meth:`close` when done."""

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

    # -- telemetry ------------------------------------------------------------------------

    async def flush_telemetry(
        self, deltas: Sequence[RollupDelta], states: Sequence[SiteStateRecord]
    ) -> None:
        """Add rollup deltas and save site states in one transaction (all or nothing)."""

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                TelemetryRollup,
                [row_of(d) for d in deltas],
                ("site_id", "minute"),
                add=("samples", "power_w_sum", "energy_wh", "hashrate_hs_sum", "hashrate_samples"),
                keep_max=("power_w_max",),
            )
            await self._upsert(connection, SiteState, [row_of(s) for s in states], ("site_id",))

        await self._write(work)

    async def site_states(self) -> list[SiteStateRecord]:
        rows = await self._read(select(_table(SiteState)))
        return [
            SiteStateRecord(
                site_id=r.site_id,
                last_ts=r.last_ts,
                meter_wh=r.meter_wh,
                energy_total_wh=r.energy_total_wh,
                power_w=r.power_w,
                hashrate_hs=r.hashrate_hs,
                miners_online=r.miners_online,
                miners_total=r.miners_total,
            )
            for r in rows
        ]

    async def rollups(
        self, site_ids: Iterable[str], start: datetime, end: datetime
    ) -> list[Rollup]:
        """Rollups of ``site_ids`` with ``start <= minute < end``, oldest first."""
        t = _table(TelemetryRollup)
        rows = await self._read(
            select(t)
            .where(t.c.site_id.in_(list(site_ids)), t.c.minute >= start, t.c.minute < end)
            .order_by(t.c.minute, t.c.site_id)
        )
        return [
            Rollup(
                site_id=r.site_id,
                operation_id=r.operation_id,
                minute=r.minute,
                samples=r.samples,
                power_w_avg=r.power_w_sum / r.samples if r.samples else 0.0,
                power_w_max=r.power_w_max,
                energy_wh=r.energy_wh,
                hashrate_hs_avg=(r.hashrate_hs_sum / r.hashrate_samples)
                if r.hashrate_samples
                else None,
                miners_online_last=r.miners_online_last,
            )
            for r in rows
        ]

    async def energy_wh(
        self, site_ids: Iterable[str], start: datetime, end: datetime
    ) -> int | None:
        """Metered energy of ``site_ids`` over ``[start, end)`` from the rollups, in Wh;
        None when no telemetry at all is stored for them in that span."""
        t = _table(TelemetryRollup)
        rows = await self._read(
            select(func.sum(t.c.energy_wh), func.count()).where(
                t.c.site_id.in_(list(site_ids)), t.c.minute >= start, t.c.minute < end
            )
        )
        total, count = rows[0]
        return int(total) if count else None

    async def energy_between(
        self, site_ids: Iterable[str], bounds: Sequence[datetime]
    ) -> dict[tuple[str, int], tuple[int, int]]:
        """Metered energy per site between consecutive ``bounds`` (ascending instants), in
        one read: ``(site, i) -> (Wh, rollups)`` for the minutes in ``[bounds[i],
        bounds[i + 1])``; spans without a rollup are absent. Many periods' energy at once
        (the accounts' pass) without one query per period."""
        sites = list(site_ids)
        if len(bounds) < 2 or not sites:
            return {}
        t = _table(TelemetryRollup)
        bucket = case(
            *((t.c.minute < bound, index) for index, bound in enumerate(bounds[1:])),
            else_=len(bounds) - 1,
        ).label("bucket")
        rows = await self._read(
            select(t.c.site_id, bucket, func.sum(t.c.energy_wh), func.count())
            .where(t.c.site_id.in_(sites), t.c.minute >= bounds[0], t.c.minute < bounds[-1])
            .group_by(t.c.site_id, bucket)
        )
        return {(str(site), int(index)): (int(wh), int(n)) for site, index, wh, n in rows}

    async def hourly_power(
        self, site_ids: Iterable[str], start: datetime, end: datetime
    ) -> list[tuple[str, datetime, float, int]]:
        """Per site and UTC hour in ``[start, end)``: average power (W) and energy (Wh)."""
        t = _table(TelemetryRollup)
        if self._dialect == "sqlite":
            hour: Any = func.strftime("%Y-%m-%d %H:00:00", t.c.minute)
        else:
            hour = func.date_trunc("hour", t.c.minute)
        statement = (
            select(
                t.c.site_id,
                hour.label("hour"),
                (func.sum(t.c.power_w_sum) / func.sum(t.c.samples)).label("power_w"),
                func.sum(t.c.energy_wh).label("energy_wh"),
            )
            .where(t.c.site_id.in_(list(site_ids)), t.c.minute >= start, t.c.minute < end)
            .group_by(t.c.site_id, hour)
            .order_by(hour)
        )
        result: list[tuple[str, datetime, float, int]] = []
        for row in await self._read(statement):
            when = row.hour
            if isinstance(when, str):
                when = datetime.fromisoformat(when)
            result.append(
                (row.site_id, when.replace(tzinfo=UTC), float(row.power_w), int(row.energy_wh))
            )
        return result

    async def record_curtailment(self, order: CurtailmentRecord) -> None:
        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection, CurtailmentOrder, [row_of(order)], ("region", "issued_at")
            )

        await self._write(work)

    async def curtailments(self) -> list[CurtailmentRecord]:
        t = _table(CurtailmentOrder)
        rows = await self._read(select(t).order_by(t.c.region, t.c.issued_at))
        return [
            CurtailmentRecord(r.region, r.issued_at, r.max_power_w, r.until, r.lifted_at)
            for r in rows
        ]

    # -- pools ----------------------------------------------------------------------------

    async def upsert_earnings(self, earnings: Sequence[EarningRecord]) -> None:
        """Save daily earnings; a day seen again (a revised or repeated poll) replaces itself,
        and a changed value is kept as a new revision."""
        now = self.clock.now()
        rows = [{**row_of(e), "recorded_at": now} for e in earnings]

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection,
                PoolEarning,
                EarningRevision,
                rows,
                _CREDIT,
                ("amount_sat", "source"),
                now,
            )
            await self._upsert(connection, PoolEarning, rows, _CREDIT)

        await self._write(work)

    async def earnings(
        self,
        operation_id: str | None = None,
        start: date | None = None,
        end: date | None = None,
        *,
        as_of: datetime | None = None,
    ) -> list[EarningRecord]:
        """Earnings, optionally of one operation and with ``start <= day < end``; with
        ``as_of``, each day's value as known then (its latest revision observed by then)."""
        t = _table(PoolEarning) if as_of is None else _as_of(EarningRevision, _CREDIT, as_of)
        # Only the columns the record holds: audit timestamps cost a conversion per row.
        statement = select(
            t.c.operation_id,
            t.c.pool_kind,
            t.c.account,
            t.c.day,
            t.c.amount_sat,
            t.c.source,
            t.c.income,
        ).order_by(t.c.day, t.c.operation_id, t.c.pool_kind, t.c.account, t.c.income)
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        if start is not None:
            statement = statement.where(t.c.day >= start)
        if end is not None:
            statement = statement.where(t.c.day < end)
        return [EarningRecord(*row) for row in await self._read(statement)]

    async def upsert_pool_hashrate_days(self, days: Sequence[PoolHashrateDayRecord]) -> None:
        now = self.clock.now()
        rows = [{**row_of(d), "recorded_at": now} for d in days]

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection,
                PoolHashrateDay,
                PoolHashrateRevision,
                rows,
                _ACCOUNT_DAY,
                ("hashrate_hs", "source", "coverage"),
                now,
            )
            await self._upsert(
                connection, PoolHashrateDay, rows, ("operation_id", "pool_kind", "account", "day")
            )

        await self._write(work)

    async def pool_hashrate_days(
        self,
        operation_id: str | None = None,
        *,
        as_of: datetime | None = None,
        pool_kind: str | None = None,
        account: str | None = None,
        start: date | None = None,
    ) -> list[PoolHashrateDayRecord]:
        """Daily hash rates (of one operation, one account, from ``start``), as last seen or
        as known at ``as_of``."""
        t = (
            _table(PoolHashrateDay)
            if as_of is None
            else _as_of(PoolHashrateRevision, _ACCOUNT_DAY, as_of)
        )
        statement = select(
            t.c.operation_id,
            t.c.pool_kind,
            t.c.account,
            t.c.day,
            t.c.hashrate_hs,
            t.c.source,
            t.c.coverage,
        ).order_by(t.c.day)
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        if pool_kind is not None:
            statement = statement.where(t.c.pool_kind == pool_kind)
        if account is not None:
            statement = statement.where(t.c.account == account)
        if start is not None:
            statement = statement.where(t.c.day >= start)
        return [PoolHashrateDayRecord(*row) for row in await self._read(statement)]

    async def save_pool_status(self, status: PoolStatusRecord) -> None:
        """Save an account's latest snapshot, and append its hash rate to the samples."""
        sample = {
            "operation_id": status.operation_id,
            "pool_kind": status.pool_kind,
            "account": status.account,
            "observed_at": status.observed_at,
            "hashrate_hs": status.hashrate_hs,
        }

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection, PoolStatus, [row_of(status)], ("operation_id", "pool_kind", "account")
            )
            await self._upsert(connection, PoolHashrateSample, [sample], _SAMPLE)

        await self._write(work)

    async def save_hashrate_samples(self, samples: Sequence[PoolHashrateSampleRecord]) -> None:
        """Append hash-rate samples (a sample seen again at the same instant replaces itself)."""
        rows = [row_of(sample) for sample in samples]

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(connection, PoolHashrateSample, rows, _SAMPLE)

        await self._write(work)

    async def hashrate_samples(
        self,
        operation_id: str,
        pool_kind: str,
        account: str,
        start: datetime,
        end: datetime,
        *,
        as_of: datetime | None = None,
    ) -> list[PoolHashrateSampleRecord]:
        """One account's samples observed in ``start <= observed_at < end`` (and, with
        ``as_of``, no later than it), in time order."""
        t = _table(PoolHashrateSample)
        statement = (
            select(t.c.operation_id, t.c.pool_kind, t.c.account, t.c.observed_at, t.c.hashrate_hs)
            .where(
                t.c.operation_id == operation_id,
                t.c.pool_kind == pool_kind,
                t.c.account == account,
                t.c.observed_at >= start,
                t.c.observed_at < end,
            )
            .order_by(t.c.observed_at)
        )
        if as_of is not None:
            statement = statement.where(t.c.observed_at <= as_of)
        return [PoolHashrateSampleRecord(*row) for row in await self._read(statement)]

    async def pool_statuses(self) -> list[PoolStatusRecord]:
        t = _table(PoolStatus)
        return [
            PoolStatusRecord(
                r.operation_id,
                r.pool_kind,
                r.account,
                r.hashrate_hs,
                r.hashrate_24h_hs,
                r.workers_online,
                r.workers_offline,
                r.observed_at,
            )
            for r in await self._read(select(t))
        ]

    # -- network and chain ----------------------------------------------------------------

    async def replace_blocks_from(self, blocks: Sequence[BlockRecord]) -> None:
        """Save ``blocks`` as the best chain from their lowest height up: stored blocks at or
        above that height that are not among them (a re-organised branch) are deleted."""
        if not blocks:
            return
        lowest = min(b.height for b in blocks)
        heights = [b.height for b in blocks]

        async def work(connection: AsyncConnection) -> None:
            t = _table(NetworkBlock)
            await connection.execute(
                delete(t).where(t.c.height >= lowest, t.c.height.not_in(heights))
            )
            await self._upsert(connection, NetworkBlock, [row_of(b) for b in blocks], ("height",))

        await self._write(work)

    async def upsert_blocks(self, blocks: Sequence[BlockRecord]) -> None:
        """Save ``blocks`` by height (a newer block at a height replaces the stored one);
        nothing else is touched, so a backfill writes only the pages it fetched. Use
        :meth:`replace_blocks_from` when a re-organisation must drop stored blocks."""
        if not blocks:
            return

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(connection, NetworkBlock, [row_of(b) for b in blocks], ("height",))

        await self._write(work)

    async def blocks(self, start: datetime, end: datetime) -> list[BlockRecord]:
        t = _table(NetworkBlock)
        rows = await self._read(
            select(t).where(t.c.time >= start, t.c.time < end).order_by(t.c.height)
        )
        return [BlockRecord(r.height, r.block_hash, r.time, r.reward_sat) for r in rows]

    async def block_hashes(self, from_height: int) -> dict[int, str]:
        t = _table(NetworkBlock)
        rows = await self._read(select(t.c.height, t.c.block_hash).where(t.c.height >= from_height))
        return {int(r.height): str(r.block_hash) for r in rows}

    async def upsert_network_days(self, days: Sequence[NetworkDayRecord]) -> None:
        now = self.clock.now()
        rows = [{**row_of(d), "recorded_at": now} for d in days]

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection,
                NetworkDay,
                NetworkDayRevision,
                rows,
                ("day",),
                ("blocks", "rewards_sat", "hashrate_hs", "difficulty", "complete"),
                now,
            )
            await self._upsert(connection, NetworkDay, rows, ("day",))

        await self._write(work)

    async def network_days(
        self, start: date | None = None, end: date | None = None, *, as_of: datetime | None = None
    ) -> list[NetworkDayRecord]:
        t = _table(NetworkDay) if as_of is None else _as_of(NetworkDayRevision, ("day",), as_of)
        statement = select(t).order_by(t.c.day)
        if start is not None:
            statement = statement.where(t.c.day >= start)
        if end is not None:
            statement = statement.where(t.c.day < end)
        return [
            NetworkDayRecord(
                r.day, r.blocks, r.rewards_sat, r.hashrate_hs, r.difficulty, r.complete
            )
            for r in await self._read(statement)
        ]

    async def save_chain_tip(self, tip: ChainTipRecord) -> None:
        row = row_of(tip)

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection,
                ChainTip,
                ChainTipRevision,
                [row],
                ("chain",),
                ("height", "block_hash"),
                self.clock.now(),
            )
            await self._upsert(connection, ChainTip, [row], ("chain",))

        await self._write(work)

    async def chain_tip(
        self, chain: str, *, as_of: datetime | None = None
    ) -> ChainTipRecord | None:
        """The chain's tip as last seen or, with ``as_of``, the best tip known then."""
        t = _table(ChainTip) if as_of is None else _as_of(ChainTipRevision, ("chain",), as_of)
        rows = await self._read(select(t).where(t.c.chain == chain))
        if not rows:
            return None
        r = rows[0]
        return ChainTipRecord(r.chain, r.height, r.block_hash, r.observed_at)

    async def upsert_reserve_outputs(self, outputs: Sequence[ReserveOutputRecord]) -> None:
        """Save outputs as now seen; ``first_seen`` is kept from the first sighting."""
        now = self.clock.now()
        rows = [{**row_of(o), "first_seen": now, "last_seen": now} for o in outputs]

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection, ReserveOutput, ReserveOutputRevision, rows, _OUTPUT, _OUTPUT_STATE, now
            )
            await self._upsert(
                connection, ReserveOutput, rows, ("txid", "vout"), keep_first=("first_seen",)
            )

        await self._write(work)

    async def mark_outputs_removed(self, keys: Iterable[tuple[str, int]]) -> None:
        """Outputs no longer on the best chain nor in the mempool (replaced or re-organised)."""
        keys = list(keys)
        if not keys:
            return

        async def work(connection: AsyncConnection) -> None:
            t = _table(ReserveOutput)
            now = self.clock.now()
            found = await connection.execute(select(t).where(tuple_(t.c.txid, t.c.vout).in_(keys)))
            gone = [
                {
                    **{c: getattr(r, c) for c in (*_OUTPUT, *_OUTPUT_STATE)},
                    "status": "removed",
                    "block_height": None,
                    "block_hash": None,
                }
                for r in found.all()
            ]
            await self._revise(
                connection, ReserveOutput, ReserveOutputRevision, gone, _OUTPUT, _OUTPUT_STATE, now
            )
            for txid, vout in keys:
                await connection.execute(
                    update(t)
                    .where(t.c.txid == txid, t.c.vout == vout)
                    .values(status="removed", block_height=None, block_hash=None, last_seen=now)
                )

        await self._write(work)

    async def reserve_outputs(
        self,
        operation_id: str | None = None,
        statuses: Sequence[str] = ("mempool", "confirmed"),
        kinds: Sequence[str] = ("remittance", "internal", "outflow"),
        *,
        as_of: datetime | None = None,
    ) -> list[ReserveOutputRecord]:
        """Outputs in ``statuses`` of ``kinds`` (remittances only are what the ledger counts);
        with ``as_of``, each output where it stood as known then."""
        t = (
            _table(ReserveOutput)
            if as_of is None
            else _as_of(ReserveOutputRevision, _OUTPUT, as_of)
        )
        statement = (
            select(
                t.c.txid,
                t.c.vout,
                t.c.operation_id,
                t.c.address,
                t.c.amount_sat,
                t.c.status,
                t.c.block_height,
                t.c.block_hash,
                t.c.block_time,
                t.c.kind,
                t.c.role,
            )
            .where(t.c.status.in_(list(statuses)), t.c.kind.in_(list(kinds)))
            .order_by(t.c.block_time, t.c.txid, t.c.vout)
        )
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        # The columns are selected in the record's field order.
        return [ReserveOutputRecord(*row) for row in await self._read(statement)]

    async def add_reserve_spends(self, spends: Sequence[ReserveSpendRecord]) -> None:
        """Record which transaction spent which watched output (each pair once)."""
        now = self.clock.now()
        rows = [{**row_of(s), "first_seen": now} for s in spends]
        if not rows:
            return

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                ReserveSpend,
                rows,
                ("txid", "prev_txid", "prev_vout"),
                keep_first=("first_seen",),
            )

        await self._write(work)

    async def reserve_spends(self, *, as_of: datetime | None = None) -> list[ReserveSpendRecord]:
        """Every recorded spend of a watched output (with ``as_of``, those seen by then)."""
        t = _table(ReserveSpend)
        statement = select(t.c.txid, t.c.prev_txid, t.c.prev_vout).order_by(
            t.c.txid, t.c.prev_txid, t.c.prev_vout
        )
        if as_of is not None:
            statement = statement.where(t.c.first_seen <= as_of)
        return [ReserveSpendRecord(*row) for row in await self._read(statement)]

    # -- statements -----------------------------------------------------------------------

    async def record_statement(
        self,
        operation_id: str,
        period: str,
        as_of: datetime,
        sha256: str,
        emailed_to: Sequence[str] = (),
    ) -> None:
        row = {
            "operation_id": operation_id,
            "period": period,
            "as_of": as_of,
            "sha256": sha256,
            "emailed_at": self.clock.now() if emailed_to else None,
            "recipients": ",".join(emailed_to) or None,
        }

        # A statement recorded again without recipients (the command, as of the instant of
        # one already e-mailed) keeps the record as it is: it never unmarks an e-mailing.
        kept = () if emailed_to else ("sha256", "emailed_at", "recipients")

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                IssuedStatement,
                [row],
                ("operation_id", "period", "as_of"),
                keep_first=kept,
            )

        await self._write(work)

    async def record_served_statements(
        self, served: Sequence[tuple[str, str, datetime, str]]
    ) -> None:
        """Record statements the API served, ``(operation, period, as_of, sha256)`` each, in
        one transaction; one already recorded (served before, or emailed) is kept as it is."""
        rows = [
            {"operation_id": op, "period": period, "as_of": as_of, "sha256": sha256}
            for op, period, as_of, sha256 in served
        ]

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                IssuedStatement,
                rows,
                ("operation_id", "period", "as_of"),
                keep_first=("sha256",),
            )

        await self._write(work)

    async def save_issued_document(  # noqa: PLR0917 - the document's coordinates
        self,
        operation_id: str,
        period: str,
        as_of: datetime,
        fmt: str,
        statement_sha256: str,
        due_sat: int,
        document: bytes,
    ) -> None:
        """Keep an issued statement whole. An issued document is never replaced: a second
        issue of the same coordinates keeps the first."""
        row = {
            "operation_id": operation_id,
            "period": period,
            "as_of": as_of,
            "format": fmt,
            "statement_sha256": statement_sha256,
            "due_sat": due_sat,
            "issued_at": self.clock.now(),
            "document": document,
        }

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            await connection.execute(
                insert(_table(IssuedDocument)).values(row).on_conflict_do_nothing()
            )

        await self._write(work)

    async def record_reminder(  # noqa: PLR0917 - the reminder's coordinates
        self,
        operation_id: str,
        period: str,
        deadline: datetime,
        sent_at: datetime,
        unpaid_sat: int,
        emailed_to: Sequence[str],
        language: str,
    ) -> None:
        """Remember a reminder sent (append-only: one for a deadline is kept, never replaced)."""
        row = {
            "operation_id": operation_id,
            "period": period,
            "deadline": deadline,
            "sent_at": sent_at,
            "unpaid_sat": unpaid_sat,
            "emailed_to": ", ".join(emailed_to),
            "language": language,
        }

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            await connection.execute(
                insert(_table(ReminderSent)).values(row).on_conflict_do_nothing()
            )

        await self._write(work)

    async def reminders_sent(self, operation_id: str) -> set[tuple[str, datetime]]:
        """(period, deadline) of every reminder sent to the operation (deadlines in UTC)."""
        t = _table(ReminderSent)
        rows = await self._read(
            select(t.c.period, t.c.deadline).where(t.c.operation_id == operation_id)
        )
        return {(row.period, row.deadline) for row in rows}

    async def issued_document(
        self, operation_id: str, period: str, as_of: datetime, fmt: str
    ) -> bytes | None:
        """The document issued for these coordinates, byte for byte, if any."""
        t = _table(IssuedDocument)
        rows = await self._read(
            select(t.c.document).where(
                t.c.operation_id == operation_id,
                t.c.period == period,
                t.c.as_of == as_of,
                t.c.format == fmt,
            )
        )
        return bytes(rows[0].document) if rows else None

    async def save_issued_report(
        self, kind: str, period: str, as_of: datetime, documents: Mapping[str, bytes]
    ) -> None:
        """Keep a report as issued, one document per format, whole; a second issue of the
        same coordinates keeps the first."""
        now = self.clock.now()
        rows = [
            {
                "kind": kind,
                "period": period,
                "as_of": as_of,
                "format": fmt,
                "sha256": hashlib.sha256(document).hexdigest(),
                "issued_at": now,
                "document": document,
            }
            for fmt, document in documents.items()
        ]

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            for row in rows:
                await connection.execute(
                    insert(_table(IssuedReport)).values(row).on_conflict_do_nothing()
                )

        await self._write(work)

    async def issued_report(self, kind: str, period: str, as_of: datetime) -> dict[str, bytes]:
        """The documents issued for these coordinates, by format (none issued: empty)."""
        t = _table(IssuedReport)
        rows = await self._read(
            select(t.c.format, t.c.document).where(
                t.c.kind == kind, t.c.period == period, t.c.as_of == as_of
            )
        )
        return {str(row.format): bytes(row.document) for row in rows}

    async def issued_dues(
        self, operation_id: str | None = None
    ) -> dict[tuple[str, str], tuple[datetime, int]]:
        """Per (operation, period): (as_of, due_sat) of the latest statement issued for it."""
        t = _table(IssuedDocument)
        statement = select(t.c.operation_id, t.c.period, t.c.as_of, t.c.due_sat).order_by(t.c.as_of)
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        return {
            (str(r.operation_id), str(r.period)): (r.as_of, int(r.due_sat))
            for r in await self._read(statement)
        }

    async def revision_instants(
        self,
        operation_id: str | None = None,
        *,
        after: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[str | None, date | None, datetime]]:
        """When each input that sets a period's due was observed: ``(operation, day,
        observed_at)`` for earnings and pool hash rates, ``(None, day, observed_at)`` for
        network days, ``(operation, None, observed_at)`` for terms; each once, observed in
        ``(after, until]`` (either bound optional), optionally of one operation only."""
        found: set[tuple[str | None, date | None, datetime]] = set()
        for table in (EarningRevision, PoolHashrateRevision, NetworkDayRevision, TermsRevision):
            t = _table(table)
            operation = t.c.operation_id if "operation_id" in t.c else None
            day = t.c.day if "day" in t.c else None
            columns = [c for c in (operation, day) if c is not None]
            statement = select(*columns, t.c.observed_at).distinct()
            if operation_id is not None and operation is not None:
                statement = statement.where(operation == operation_id)
            if after is not None:
                statement = statement.where(t.c.observed_at > after)
            if until is not None:
                statement = statement.where(t.c.observed_at <= until)
            for row in await self._read(statement):
                found.add(
                    (
                        str(row.operation_id) if operation is not None else None,
                        row.day if day is not None else None,
                        row.observed_at,
                    )
                )
        return sorted(found, key=lambda item: (item[2], item[0] or "", item[1] or date.min))

    async def record_terms(self, terms: Mapping[str, str]) -> None:
        """Keep each operation's terms (``operation id -> canonical JSON``) as a new revision
        when they differ from the latest one stored."""
        now = self.clock.now()

        async def work(connection: AsyncConnection) -> None:
            latest = await self._latest_terms(connection, now)
            rows = [
                {"operation_id": op, "observed_at": now, "document": document}
                for op, document in terms.items()
                if latest.get(op) != document
            ]
            await self._upsert(connection, TermsRevision, rows, ("operation_id", "observed_at"))

        await self._write(work)

    async def _latest_terms(self, connection: AsyncConnection, as_of: datetime) -> dict[str, str]:
        t = _as_of(TermsRevision, ("operation_id",), as_of)
        result = await connection.execute(select(t.c.operation_id, t.c.document))
        return {str(r.operation_id): str(r.document) for r in result.all()}

    async def terms_as_of(self, as_of: datetime) -> dict[str, str]:
        """Each operation's terms (canonical JSON) as known at ``as_of``."""
        try:
            async with self.engine.connect() as connection:
                return await self._latest_terms(connection, as_of)
        except (SQLAlchemyError, OSError) as err:
            raise StoreError(f"store read failed: {err.__class__.__name__}: {err}") from err

    async def statement_issued(self, operation_id: str, period: str) -> bool:
        t = _table(IssuedStatement)
        rows = await self._read(
            select(t.c.sha256).where(
                t.c.operation_id == operation_id, t.c.period == period, t.c.emailed_at.is_not(None)
            )
        )
        return bool(rows)

    # -- prices and proofs of control: append-only ------------------------------------------

    async def record_prices(self, quotes: Sequence[PriceQuoteRecord]) -> int:
        """Append quotes, recorded now; one already stored for its (base, quote, source,
        instant) is kept as first stored, never replaced. Returns how many were new."""
        now = self.clock.now()
        rows = [
            {
                "base": q.base,
                "quote": q.quote,
                "source": q.source,
                "instant": q.instant,
                "rate": str(q.rate),
                "recorded_at": now,
            }
            for q in quotes
        ]
        keys = ("base", "quote", "source", "instant")
        rows = list({tuple(r[k] for k in keys): r for r in reversed(rows)}.values())
        added = 0

        async def work(connection: AsyncConnection) -> None:
            nonlocal added
            table = _table(PriceQuote)
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            for start in range(0, len(rows), _CHUNK):
                statement = insert(table).values(rows[start : start + _CHUNK])
                result = await connection.execute(
                    statement.on_conflict_do_nothing(index_elements=list(keys))
                )
                added += max(result.rowcount or 0, 0)

        if rows:
            await self._write(work)
        return added

    async def price_quotes(
        self,
        base: str,
        quote: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        as_of: datetime | None = None,
    ) -> list[PriceQuoteRecord]:
        """Quotes of ``base`` in ``quote`` for ``start <= instant < end`` (either bound
        optional), recorded at or before ``as_of`` if given, in time order."""
        t = _table(PriceQuote)
        statement = select(t).where(t.c.base == base, t.c.quote == quote)
        if start is not None:
            statement = statement.where(t.c.instant >= start)
        if end is not None:
            statement = statement.where(t.c.instant < end)
        if as_of is not None:
            statement = statement.where(t.c.recorded_at <= as_of)
        rows = await self._read(statement.order_by(t.c.instant, t.c.source))
        return [_price_quote(r) for r in rows]

    async def latest_prices(
        self, at: datetime, *, as_of: datetime | None = None
    ) -> list[PriceQuoteRecord]:
        """For each (base, quote, source), its latest quote for an instant at or before
        ``at`` that the store had recorded by ``as_of`` (default ``at``): what a valuation at
        ``at`` may use, the same whenever it is asked again."""
        t = _table(PriceQuote)
        known = as_of or at
        keys = (t.c.base, t.c.quote, t.c.source)
        latest = (
            select(*keys, func.max(t.c.instant).label("latest"))
            .where(t.c.instant <= at, t.c.recorded_at <= known)
            .group_by(*keys)
            .subquery()
        )
        statement = select(t).join(
            latest,
            and_(
                t.c.base == latest.c.base,
                t.c.quote == latest.c.quote,
                t.c.source == latest.c.source,
                t.c.instant == latest.c.latest,
            ),
        )
        rows = await self._read(statement.order_by(t.c.base, t.c.quote, t.c.source))
        return [_price_quote(r) for r in rows]

    async def record_proof(self, proof: RegisteredProof) -> None:
        """Append a registered proof (one per address and instant: a second at the same
        instant is refused as a StoreError)."""
        row = row_of(proof)

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(_table(ControlProof).insert().values(row))

        await self._write(work)

    async def proofs(self, address: str | None = None) -> list[RegisteredProof]:
        """Registered proofs (of ``address``, or all), oldest first."""
        t = _table(ControlProof)
        statement = select(t)
        if address is not None:
            statement = statement.where(t.c.address == address)
        rows = await self._read(statement.order_by(t.c.registered_at, t.c.address))
        return [
            RegisteredProof(
                r.address,
                r.message,
                r.signature,
                r.registered_at,
                bool(r.signature_valid),
                r.block_height,
                r.tip_height,
            )
            for r in rows
        ]

    async def block_height_of(self, block_hash: str) -> int | None:
        """The height of ``block_hash`` on the best chain as last seen, or ``None``."""
        t = _table(NetworkBlock)
        rows = await self._read(select(t.c.height).where(t.c.block_hash == block_hash))
        return int(rows[0][0]) if rows else None


def _price_quote(row: Any) -> PriceQuoteRecord:
    return PriceQuoteRecord(
        row.base, row.quote, row.source, row.instant, Decimal(row.rate), row.recorded_at
    )
