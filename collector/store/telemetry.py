"""Telemetry: site states, one-minute rollups and their energy, curtailment orders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from collector.store.base import StoreBase, _table
from collector.store.records import (
    CurtailmentRecord,
    Rollup,
    RollupDelta,
    SiteStateRecord,
    row_of,
)
from collector.store.tables import (
    CurtailmentOrder,
    SiteState,
    TelemetryEnergyObserved,
    TelemetryRollup,
)

_MINUTE = timedelta(minutes=1)


def observed_minute(instant: datetime) -> datetime:
    """``instant`` rounded up to the whole UTC minute: when a flush's energy counts from."""
    utc = instant.astimezone(UTC)
    floor = utc.replace(second=0, microsecond=0)
    return floor if floor == utc else floor + _MINUTE


class TelemetryStore(StoreBase):
    """Telemetry: site states, one-minute rollups and their energy, curtailment orders."""

    async def flush_telemetry(
        self, deltas: Sequence[RollupDelta], states: Sequence[SiteStateRecord]
    ) -> None:
        """Add rollup deltas and save site states in one transaction (all or nothing); each
        delta's energy is also kept by when it was observed (the store's clock, rounded up to
        the minute: ``telemetry_energy_observed``), for energy as of an instant."""
        observed_at = observed_minute(self.clock.now())
        observed = [
            {
                "site_id": d.site_id,
                "minute": d.minute,
                "observed_at": observed_at,
                "energy_wh": d.energy_wh,
            }
            for d in deltas
        ]

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                TelemetryRollup,
                [row_of(d) for d in deltas],
                ("site_id", "minute"),
                add=("samples", "power_w_sum", "energy_wh", "hashrate_hs_sum", "hashrate_samples"),
                keep_max=("power_w_max",),
            )
            await self._upsert(
                connection,
                TelemetryEnergyObserved,
                observed,
                ("site_id", "minute", "observed_at"),
                add=("energy_wh",),
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
        self, site_ids: Iterable[str], start: datetime, end: datetime, *, as_of: datetime
    ) -> int | None:
        """Metered energy of ``site_ids`` over ``[start, end)`` as the store knew it at
        ``as_of``, in Wh; None when no telemetry at all was known for them in that span."""
        t = _table(TelemetryEnergyObserved)
        rows = await self._read(
            select(func.sum(t.c.energy_wh), func.count()).where(
                t.c.site_id.in_(list(site_ids)),
                t.c.minute >= start,
                t.c.minute < end,
                t.c.observed_at <= as_of,
            )
        )
        total, count = rows[0]
        return int(total) if count else None

    async def energy_between(
        self, site_ids: Iterable[str], bounds: Sequence[datetime], *, as_of: datetime
    ) -> dict[tuple[str, int], tuple[int, int]]:
        """Metered energy per site between consecutive ``bounds`` (ascending instants), in
        one read: ``(site, i) -> (Wh, rollups)`` for the minutes in ``[bounds[i],
        bounds[i + 1])``; spans without a rollup are absent. Many periods' energy at once
        (the accounts' pass) without one query per period. As the store knew it at
        ``as_of``; ``(Wh, rollups)`` counts the observations of the span, not its minutes."""
        sites = list(site_ids)
        if len(bounds) < 2 or not sites:
            return {}
        t = _table(TelemetryEnergyObserved)
        bucket = case(
            *((t.c.minute < bound, index) for index, bound in enumerate(bounds[1:])),
            else_=len(bounds) - 1,
        ).label("bucket")
        rows = await self._read(
            select(t.c.site_id, bucket, func.sum(t.c.energy_wh), func.count())
            .where(
                t.c.site_id.in_(sites),
                t.c.minute >= bounds[0],
                t.c.minute < bounds[-1],
                t.c.observed_at <= as_of,
            )
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
