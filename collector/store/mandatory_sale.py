"""The mandatory sale's evidence: sales of mined coins on AIFC exchanges (append-only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from collector.store.base import StoreBase
from collector.store.records import ExchangeSaleRecord, row_of
from collector.store.tables import ExchangeSaleRow


class MandatorySaleStore(StoreBase):
    """The exchange sales imported."""

    async def record_exchange_sales(self, sales: Sequence[ExchangeSaleRecord]) -> int:
        """Append the sales not yet stored (by operation and reference), observed now; returns
        how many were new. A reference already stored keeps what it first said
        (:meth:`exchange_sales` lets the importer refuse a different one first)."""
        now = self.clock.now()
        rows = [{**row_of(s), "observed_at": now} for s in sales]
        return await self._insert_new(ExchangeSaleRow, rows, ("operation_id", "reference"))

    async def exchange_sales(
        self, operation_ids: Iterable[str] | None = None, *, as_of: datetime | None = None
    ) -> list[ExchangeSaleRecord]:
        """The sales (of ``operation_ids``, if given) the store held at ``as_of``, by
        operation, day and reference."""
        rows = await self._of_operations(
            ExchangeSaleRow, operation_ids, as_of, "operation_id", "sold_on", "reference"
        )
        return [
            ExchangeSaleRecord(
                r.operation_id,
                r.reference,
                r.sold_on,
                r.exchange,
                int(r.sold_sat),
                r.proceeds,
                r.observed_at,
            )
            for r in rows
        ]
