"""The digital-mining fee's inputs: the grid operator's readings (revisions) and the fee's
bank transfers (append-only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import select

from collector.store.base import StoreBase, _as_of
from collector.store.records import FeePaymentRecord, GridMeterRecord, row_of
from collector.store.tables import GridMeterReading, MiningFeePayment

_READING = ("site_id", "period_start", "period_kind")


class MiningFeeStore(StoreBase):
    """The grid operator's readings and the fee's bank transfers."""

    async def record_grid_meter(self, readings: Sequence[GridMeterRecord]) -> int:
        """Append a revision, observed now, of each reading that is new or differs from the
        one the store holds; one seen again unchanged appends nothing. Returns how many."""
        now = self.clock.now()
        held = {
            (r.site_id, r.period_start, r.period_kind): r.energy_wh
            for r in await self.grid_meter(
                {r.site_id for r in readings}, date.min, date.max, as_of=now
            )
        }
        rows = {
            (r.site_id, r.period_start, r.period_kind): {**row_of(r), "observed_at": now}
            for r in readings
            if held.get((r.site_id, r.period_start, r.period_kind)) != r.energy_wh
        }
        await self._insert_new(GridMeterReading, list(rows.values()), (*_READING, "observed_at"))
        return len(rows)

    async def grid_meter(
        self, site_ids: Iterable[str], start: date, end: date, *, as_of: datetime
    ) -> list[GridMeterRecord]:
        """The latest reading, as known at ``as_of``, of each day or month of ``site_ids``
        that starts in ``[start, end)``, by site and day."""
        sites = list(site_ids)
        if not sites:
            return []
        latest = _as_of(GridMeterReading, _READING, as_of)
        rows = await self._read(
            select(latest)
            .where(
                latest.c.site_id.in_(sites),
                latest.c.period_start >= start,
                latest.c.period_start < end,
            )
            .order_by(latest.c.site_id, latest.c.period_start, latest.c.period_kind)
        )
        return [
            GridMeterRecord(
                r.site_id, r.period_start, r.period_kind, int(r.energy_wh), r.observed_at
            )
            for r in rows
        ]

    async def record_fee_payments(self, payments: Sequence[FeePaymentRecord]) -> int:
        """Append the transfers not yet stored (by operation and reference), observed now;
        returns how many were new. A reference already stored keeps what it first said
        (:meth:`fee_payments` lets the importer refuse a different one first)."""
        now = self.clock.now()
        rows = [{**row_of(p), "observed_at": now} for p in payments]
        return await self._insert_new(MiningFeePayment, rows, ("operation_id", "reference"))

    async def fee_payments(
        self, operation_ids: Iterable[str] | None = None, *, as_of: datetime | None = None
    ) -> list[FeePaymentRecord]:
        """The fee's transfers (of ``operation_ids``, if given) the store held at ``as_of``,
        by operation, day and reference."""
        rows = await self._of_operations(
            MiningFeePayment, operation_ids, as_of, "operation_id", "paid_on", "reference"
        )
        return [
            FeePaymentRecord(
                r.operation_id, r.reference, r.paid_on, int(r.amount_tiyn), r.observed_at
            )
            for r in rows
        ]
