"""The pools' facts: earnings and daily hash rates (with revisions), statuses and samples."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from collector.store.base import _ACCOUNT_DAY, _CREDIT, _SAMPLE, StoreBase, _as_of, _table
from collector.store.records import (
    EarningRecord,
    PoolHashrateDayRecord,
    PoolHashrateSampleRecord,
    PoolStatusRecord,
    row_of,
)
from collector.store.tables import (
    EarningRevision,
    PoolEarning,
    PoolHashrateDay,
    PoolHashrateRevision,
    PoolHashrateSample,
    PoolStatus,
)


class PoolStore(StoreBase):
    """The pools' facts: earnings and daily hash rates (with revisions), statuses and samples."""

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

    async def first_hashrate_samples(
        self, operation_id: str | None = None, *, as_of: datetime | None = None
    ) -> dict[tuple[str, str, str], datetime]:
        """Per (operation, pool kind, account), when the collector first sampled its hash rate
        (observed no later than ``as_of``): before it, no figure of an account whose pool
        publishes none can exist."""
        t = _table(PoolHashrateSample)
        statement = select(
            t.c.operation_id, t.c.pool_kind, t.c.account, func.min(t.c.observed_at)
        ).group_by(t.c.operation_id, t.c.pool_kind, t.c.account)
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        if as_of is not None:
            statement = statement.where(t.c.observed_at <= as_of)
        return {(row[0], row[1], row[2]): row[3] for row in await self._read(statement)}

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
