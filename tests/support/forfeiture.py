"""The docs' worked forfeiture (docs/explanation/reserve.md) as stored data: case
``KZ-2026-0042`` received 0.7 BTC in a block of 10 February 2026, the collector stored it (and
a tip, a price and the terms) on 12 February; its states are the configuration's ``states``
(by default pending from 20 February, forfeited from 15 March, in Asia/Almaty)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from collector.accounts.terms import terms_documents
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import ChainTipRecord, PriceQuoteRecord, ReserveOutputRecord
from tests.support.scenario import write_config

CASE = "KZ-2026-0042"
CASE_ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
SEIZED_SAT = 70_000_000  # 0.7 BTC, in a block of 10 February 2026
OBSERVED_AT = datetime(2026, 2, 12, tzinfo=UTC)  # when the collector stored it all
FORFEITED_AT = datetime(2026, 3, 14, 19, tzinfo=UTC)  # 15 March 00:00 in Almaty (UTC+5)
AS_OF = datetime(2026, 4, 2, tzinfo=UTC)
STATES: list[dict[str, str]] = [
    {"state": "order_pending", "from": "2026-02-20"},
    {"state": "forfeited", "from": "2026-03-15", "order": "final order 2-1234/2026"},
]


def forfeiture_config(root: Path, states: list[dict[str, str]] = STATES) -> Path:
    """The scenario's config file, the case configured with ``states``."""
    case: dict[str, Any] = {
        "case": CASE,
        "addresses": [CASE_ADDRESS],
        "authority": "Anti-Corruption Agency",
        "order_ref": "seizure 1/2026",
        "states": states,
    }
    return write_config(root, reserve={"time_zone": "Asia/Almaty", "intake": [case]})


def store_the_case(path: Path) -> None:
    """Store what the collector saw by 12 February: the case's coin, a tip, prices, terms."""

    async def store_it() -> None:
        config = load_config(path)
        engine = open_engine(config.database)
        await upgrade(engine)
        async with Store(engine, FrozenClock(OBSERVED_AT)) as store:
            await store.upsert_reserve_outputs(
                [
                    ReserveOutputRecord("e" * 64, 0, CASE, CASE_ADDRESS, SEIZED_SAT, "confirmed",
                                        880_000, "55" * 32, datetime(2026, 2, 10, 12, tzinfo=UTC),
                                        role="intake"),
                ]
            )  # fmt: skip
            await store.save_chain_tip(ChainTipRecord("main", 880_300, "66" * 32, OBSERVED_AT))
            await store.record_prices(
                [
                    PriceQuoteRecord("BTC", "USD", "kraken", OBSERVED_AT, Decimal(85_000)),
                    PriceQuoteRecord("USD", "KZT", "nbk-csv", OBSERVED_AT, Decimal("505.00")),
                ]
            )
            await store.record_terms(terms_documents(config))

    asyncio.run(store_it())
