"""Append-only: price quotes and official rates, proofs of control."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from collector.store.base import StoreBase, _table
from collector.store.records import (
    PriceQuoteRecord,
    row_of,
)
from collector.store.tables import (
    ControlProof,
    NetworkBlock,
    PriceQuote,
)
from remittance.proofs import RegisteredProof


class PriceProofStore(StoreBase):
    """Append-only: price quotes and official rates, proofs of control."""

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
        return await self._insert_new(PriceQuote, rows, keys)

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
