"""The mandatory sale's evidence in the store, on SQLite and PostgreSQL: an exchange sale is
kept as first imported, with the instant it was observed, and read as the store knew it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collector.clock import FrozenClock
from collector.store.queries import Store
from collector.store.records import ExchangeSaleRecord

FIRST_IMPORT = datetime(2026, 11, 2, 9, tzinfo=UTC)


async def test_a_sale_is_stored_once_by_its_reference_and_read_as_known(store: Store) -> None:
    sale = ExchangeSaleRecord("op-a", "EX-1", date(2026, 10, 30), "Example", 1_500_000, "1.5")
    assert await Store(store.engine, FrozenClock(FIRST_IMPORT)).record_exchange_sales([sale]) == 1
    later = Store(store.engine, FrozenClock(FIRST_IMPORT + timedelta(days=1)))
    assert await later.record_exchange_sales([sale]) == 0
    [stored] = await store.exchange_sales(["op-a"], as_of=FIRST_IMPORT)
    assert (stored.reference, stored.sold_sat, stored.proceeds, stored.observed_at) == (
        "EX-1",
        1_500_000,
        "1.5",
        FIRST_IMPORT,
    )
    assert await store.exchange_sales(as_of=FIRST_IMPORT - timedelta(seconds=1)) == []
    assert await store.exchange_sales(["op-b"]) == []
