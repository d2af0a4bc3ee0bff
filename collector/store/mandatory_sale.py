"""The mandatory sale's evidence: sales of mined coins on AIFC exchanges (append-only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from collector.store.base import StoreBase, _table
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
        t = _table(ExchangeSaleRow)
        statement = select(t)
        if operation_ids is not None:
            statement = statement.where(t.c.operation_id.in_(list(operation_ids)))
        if as_of is not None:
            statement = statement.where(t.c.observed_at <= as_of)
        rows = await self._read(statement.order_by(t.c.operation_id, t.c.sold_on, t.c.reference))
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
