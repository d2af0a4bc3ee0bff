"""The digital-mining fee's worked example (docs/reference/mining-fee.md) as stored data.

Site ``demo-a`` of ``op-demo`` owes the fee from 1 January 2026; it buys grid power at an
average 18.50 KZT/kWh (1,850 tiyn). Until 14 February the confirmed schedule applies (below
24 KZT/kWh: 25 KZT/kWh); from 15 February a revision with the draft's bands (10-15 KZT/kWh →
7 KZT... here 18.50 KZT falls in the band from 10 KZT: 7 KZT/kWh). Its telemetry metered
120,000.251 kWh from 1 January to 14 February and 95,500.125 kWh from 15 February to 31 March
(Almaty days). Q1 2026's fee: 120,000.251 × 25 + 95,500.125 × 7 = 3,000,006.275 +
668,500.875 = 3,668,507.15 KZT (exactly: rounding each part would give 3,668,507.16). One
transfer of 3,000,000.00 KZT on 20 May; as of 1 June 2026 the rest, 668,507.15 KZT, is overdue
(the deadline was the end of 25 May in Almaty, 19:00 UTC).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import EarningRecord, FeePaymentRecord, RollupDelta
from tests.support.configs import editing
from tests.support.scenario import database_url as database_of
from tests.support.scenario import write_config

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
OBSERVED_AT = datetime(2026, 4, 1, 6, tzinfo=UTC)
DRAFT_BANDS = [
    {"price_from_tiyn": 0, "rate_tiyn": 2500},
    {"price_from_tiyn": 500, "rate_tiyn": 1000},
    {"price_from_tiyn": 1000, "rate_tiyn": 700},
    {"price_from_tiyn": 2000, "rate_tiyn": 300},
    {"price_from_tiyn": 2400, "rate_tiyn": 100},
]
MINING_FEE: dict[str, Any] = {
    "schedule": [
        {
            "from": "2023-01-01",
            "bands": [
                {"price_from_tiyn": 0, "rate_tiyn": 2500},
                {"price_from_tiyn": 2400, "rate_tiyn": 100},
            ],
        },
        {"from": "2026-02-15", "bands": DRAFT_BANDS},
    ]
}
SITE_FEE: dict[str, Any] = {
    "from": "2026-01-01",
    "supply": "grid",
    "prices": [{"from": "2026-01-01", "price_tiyn_per_kwh": "1850"}],
}
# Two minutes of telemetry, one in each part of the quarter (UTC minutes inside Almaty days).
FIRST_PART_MINUTE = datetime(2026, 1, 10, 12, tzinfo=UTC)
SECOND_PART_MINUTE = datetime(2026, 3, 10, 12, tzinfo=UTC)
FIRST_PART_WH = 120_000_251
SECOND_PART_WH = 95_500_125


def write_fee_config(root: Path) -> Path:
    """The scenario's config with the fee's schedule and ``demo-a``'s fee settings."""
    path = write_config(root, mining_fee=MINING_FEE, reserve={"time_zone": "Asia/Almaty"})
    with editing(path) as document:
        document["operations"][0]["sites"][0]["mining_fee"] = SITE_FEE
    return path


async def populate_fee(database_url: str) -> None:
    """Store the example's telemetry (observed 1 April) and its one transfer (observed 21 May)."""
    engine = open_engine(DatabaseConfig(url=database_url))
    await upgrade(engine)
    async with Store(engine, FrozenClock(OBSERVED_AT)) as store:
        await store.flush_telemetry(
            [
                RollupDelta("demo-a", "op-demo", minute, 1, 4e5, 4e5, wh, 0.0, 0, None)
                for minute, wh in (
                    (FIRST_PART_MINUTE, FIRST_PART_WH),
                    (SECOND_PART_MINUTE, SECOND_PART_WH),
                )
            ],
            [],
        )
        # One day's pool earnings, so the operation's remittance account covers March.
        await store.upsert_earnings(
            [EarningRecord("op-demo", "ocean", "pool-a", datetime(2026, 3, 2).date(), 1_000_000)]
        )
    async with Store(engine, FrozenClock(datetime(2026, 5, 21, tzinfo=UTC))) as store:
        await store.record_fee_payments(
            [FeePaymentRecord("op-demo", "KZ-PP-0001", datetime(2026, 5, 20).date(), 300_000_000)]
        )


def fee_world(root: Path) -> Path:
    """The example's config file under ``root``, its store populated (:func:`populate_fee`)."""
    path = write_fee_config(root)
    asyncio.run(populate_fee(database_of(path)))
    return path
