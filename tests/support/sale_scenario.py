"""The mandatory sale's worked example (docs/reference/mandatory-sale.md) on the scenario's
store: op-demo mined 3,000,005 sat in October 2026; its terms require 50 % from 1 January 2026
and 75 % from 31 October, with 14 days to sell (so 1,750,004 sat); the exchange's statement
evidences 0.01 BTC on 30 October and 0.005 BTC on 10 November: short 250,004 sat, overdue
after 15 November."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import ExchangeSaleRecord

EXCHANGE = "Example AIFC Exchange Ltd"
TERMS: dict[str, Any] = {
    "schedule": [
        {"from": "2026-01-01", "percent": "50"},
        {"from": "2026-10-31", "percent": "75"},
    ],
    "deadline_days": 14,
    "exchanges": [EXCHANGE],
}
SALES = (
    ExchangeSaleRecord("op-demo", "EX-1", date(2026, 10, 30), EXCHANGE, 1_000_000, "680000.00"),
    ExchangeSaleRecord("op-demo", "EX-2", date(2026, 11, 10), EXCHANGE, 500_000, "341000.00"),
)
SALES_OBSERVED_AT = datetime(2026, 11, 10, 12, tzinfo=UTC)


async def store_sales(database_url: str, observed_at: datetime = SALES_OBSERVED_AT) -> None:
    """Store the exchange's statement of the two sales, as imported at ``observed_at``."""
    engine = open_engine(DatabaseConfig(url=database_url))
    async with Store(engine, FrozenClock(observed_at)) as store:
        await store.record_exchange_sales(SALES)
