"""The docs' worked example as stored data: a config file and a store that hold it.

Operation ``op-demo`` (rate 10 %, monthly, due 10 days after the month) earned 3,000,005 sat
over 29–31 October 2026 on two pool accounts; 200,000 sat reached its reserve address on
5 November. As of 12 November it owes 100,001 sat, one day overdue. ``op-other`` has nothing.
The store observed all of it at 06:00 UTC on 11 November (:data:`OBSERVED_AT`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml

from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import (
    ChainTipRecord,
    EarningRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    ReserveOutputRecord,
)
from tests.support.configs import (
    DEMO_ADDRESS,
    OTHER_ADDRESS,
    api_token,
    operation,
    pool,
    raw_config,
    site,
)
from tests.support.reserve_config import signing_key_file

AS_OF = datetime(2026, 11, 12, tzinfo=UTC)
OBSERVED_AT = datetime(2026, 11, 11, 6, tzinfo=UTC)  # when the collector stored all of it
TOKENS = {
    "op-demo": "operator-demo-token",
    "op-other": "operator-other-token",
    "regulator": "regulator-token",
}


Read = TypeVar("Read")


def read_store(config_path: Path, read: Callable[[Store], Awaitable[Read]]) -> Read:
    """What ``read`` reads from the store of the config file at ``config_path``."""

    async def run() -> Read:
        async with Store(open_engine(load_config(config_path).database)) as store:
            return await read(store)

    return asyncio.run(run())


DEMO_TAX_IDENTITY = {"iin_bin": "123456789012", "licence_date": "2026-01-15"}
"""op-demo's IIN/BIN and licence date, as the pools' reports name it."""


def write_config(
    root: Path,
    *,
    demo: dict[str, Any] | None = None,
    other: dict[str, Any] | None = None,
    **extra: Any,
) -> Path:
    """The scenario's config file (and a signing key, mode 600) under ``root``: ``demo`` and
    ``other`` add or replace fields of op-demo's and op-other's entries, ``extra`` whole
    sections (``database=url``, ``reserve={...}`` …)."""
    key_file = root / "statement-key.pem"
    if not key_file.exists():
        signing_key_file(root)
    tokens = [
        api_token("demo", TOKENS["op-demo"], "op-demo"),
        api_token("other", TOKENS["op-other"], "op-other"),
        api_token("regulator", TOKENS["regulator"], role="regulator"),
    ]
    monthly = {"period": "monthly", "due_days": 10}
    config = raw_config(
        operation(
            "op-demo",
            name="Demo Mining LLP",
            license="DM-2026-001",
            remittance={"rate": "0.10"} | monthly,
            pools=[pool("pool-a"), pool("pool-b")],
            sites=[site("demo-a", region="pavlodar", power_quota_w=500_000)],
        ),
        operation(
            "op-other",
            OTHER_ADDRESS,
            name="Other Mining JSC",
            license="DM-2026-002",
            remittance={"rate": "0.25"} | monthly,
        ),
        database=f"sqlite+aiosqlite:///{root}/reservewatch.db",
        http={"listen": "127.0.0.1:9108"},
        network={"esplora_url": "http://127.0.0.1:9/api"},
        statement={"signing_key_file": str(key_file)},
        api={"tokens": tokens},
    )
    config["operations"][0].update(demo or {})
    config["operations"][1].update(other or {})
    config.update(extra)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


async def populate(database_url: str, observed_at: datetime = OBSERVED_AT) -> None:
    """Store the worked example's earnings, network days, hash rates and payment, as observed
    at ``observed_at`` (the store's clock): a statement as of an earlier instant sees none."""
    engine = open_engine(DatabaseConfig(url=database_url))
    await upgrade(engine)
    async with Store(engine, FrozenClock(observed_at)) as store:
        days = [date(2026, 10, 29), date(2026, 10, 30), date(2026, 10, 31)]
        await store.upsert_earnings(
            [
                EarningRecord("op-demo", "ocean", "pool-a", days[0], 1_000_000),
                EarningRecord("op-demo", "ocean", "pool-a", days[1], 600_000),
                EarningRecord("op-demo", "ocean", "pool-b", days[1], 400_000),
                EarningRecord("op-demo", "ocean", "pool-a", days[2], 1_000_005),
            ]
        )
        # 20 PH/s in all: the operation's hash rate on a day is the sum over its pool accounts.
        await store.upsert_pool_hashrate_days(
            [PoolHashrateDayRecord("op-demo", "ocean", "pool-a", day, 1.2e16) for day in days]
            + [PoolHashrateDayRecord("op-demo", "ocean", "pool-b", day, 0.8e16) for day in days]
        )
        await store.upsert_network_days(
            [NetworkDayRecord(day, 144, 45_000_000_000, 9e20, None, True) for day in days]
        )
        await store.upsert_reserve_outputs(
            [
                ReserveOutputRecord(
                    "a" * 64,
                    0,
                    "op-demo",
                    DEMO_ADDRESS,
                    200_000,
                    "confirmed",
                    950_000,
                    "00" * 32,
                    datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
                )
            ]
        )
        await store.save_chain_tip(ChainTipRecord("main", 950_999, "11" * 32, observed_at))


def database_url(config_path: Path) -> str:
    return str(yaml.safe_load(config_path.read_text())["database"])


def latest_migration() -> str:
    """The store's newest migration (the one a fresh store is upgraded to)."""
    from alembic.script import ScriptDirectory

    from collector.store.database import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head
