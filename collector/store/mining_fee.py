"""The digital-mining fee's inputs: the grid operator's readings and the sites' energy
invoices (revisions), and the fee's bank transfers (append-only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import select

from collector.store.base import StoreBase, _as_of
from collector.store.records import (
    EnergyInvoiceRecord,
    FeePaymentRecord,
    GridMeterRecord,
    row_of,
)
from collector.store.tables import EnergyInvoice, GridMeterReading, MiningFeePayment

_READING = ("site_id", "period_start", "period_kind")
_INVOICE = ("site_id", "invoice_number")


class MiningFeeStore(StoreBase):
    """The grid operator's readings, the sites' energy invoices and the fee's transfers."""

    async def record_grid_meter(self, readings: Sequence[GridMeterRecord]) -> int:
        """Append a revision, observed now, of each reading that is new or differs from the
        one the store holds; one seen again unchanged appends nothing. Returns how many."""
        held = await self.grid_meter(
            {r.site_id for r in readings}, date.min, date.max, as_of=self.clock.now()
        )
        return await self._append_revisions(GridMeterReading, _READING, readings, held)

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

    async def record_energy_invoices(self, invoices: Sequence[EnergyInvoiceRecord]) -> int:
        """Append a revision, observed now, of each invoice (by site and number) that is new or
        differs (month, kWh or amount) from the one the store holds; returns how many."""
        held = await self.energy_invoices(
            {i.site_id for i in invoices}, date.min, date.max, as_of=self.clock.now()
        )
        return await self._append_revisions(EnergyInvoice, _INVOICE, invoices, held)

    async def energy_invoices(
        self, site_ids: Iterable[str], start: date, end: date, *, as_of: datetime
    ) -> list[EnergyInvoiceRecord]:
        """The latest revision, as known at ``as_of``, of each invoice of ``site_ids`` whose
        month starts in ``[start, end)``, by site, month and number."""
        sites = list(site_ids)
        if not sites:
            return []
        latest = _as_of(EnergyInvoice, _INVOICE, as_of)
        rows = await self._read(
            select(latest)
            .where(latest.c.site_id.in_(sites), latest.c.period >= start, latest.c.period < end)
            .order_by(latest.c.site_id, latest.c.period, latest.c.invoice_number)
        )
        return [
            EnergyInvoiceRecord(
                r.site_id,
                r.invoice_number,
                r.period,
                int(r.energy_wh),
                int(r.amount_tiyn),
                r.observed_at,
            )
            for r in rows
        ]
