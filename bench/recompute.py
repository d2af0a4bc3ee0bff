"""Benchmark 3 — remittance recompute: every obligation, the ledger and the metrics, from the store.

100 operations × 2 years of daily pool earnings, daily pool hash rates, daily network days and
daily transfers to each operation's reserve address are stored (not timed), then 10 % of the
earning days are revised once (a later observation: a new revision) and the reserve moves its
own coins once a week (internal outputs, never remittances). Timed, on SQLite and (when
installed) on a PostgreSQL started for the run:

* ``AccountsService.recompute()`` — read the store, compute every period's obligation, settle
  the ledger — and a render of the accounts' Prometheus exposition (the live pass);
* the same inputs read *as of* an instant before the revisions (each fact's latest revision by
  then) and computed, for every operation;
* one operation's statement as of the run's end (``build_statement_from_store``: its inputs
  as known then, its terms, restatements), as ``reservewatch statement`` makes it.

It also reports the store's bytes per operation-year with the revisions kept.

    .venv/bin/python -m bench.recompute                   # 100 operations × 730 days
    .venv/bin/python -m bench.recompute --operations 10 --days 30 --backends sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import generate_latest
from sqlalchemy import text

from bench.common import emit, machine, reserve_address, table
from collector.accounts.compute import compute_pass
from collector.accounts.inputs import read_inputs
from collector.accounts.service import AccountsService
from collector.clock import FrozenClock
from collector.config.load import parse_config
from collector.config.model import Config
from collector.config.sections import DatabaseConfig
from collector.documents.statements import build_statement_from_store
from collector.metrics import build_registry
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import (
    ChainTipRecord,
    EarningRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    ReserveOutputRecord,
)
from tests.support.processes import PostgresServer, find_postgres_bin

FIRST_DAY = date(2024, 11, 1)


def observed(days: int) -> datetime:
    """When the collector stored the history: an hour after its last day."""
    return datetime.combine(FIRST_DAY + timedelta(days=days), datetime.min.time(), UTC) + (
        timedelta(hours=1)
    )


def revised(days: int) -> datetime:
    """When the pools revised 10 % of the days: three days later."""
    return observed(days) + timedelta(days=3)


STATEMENT_PERIOD = "2024-11"  # the month one statement is timed for (as of the run's end)


def build_config(operations: int, database_url: str) -> Config:
    return parse_config(raw_config(operations, database_url))


def raw_config(operations: int, database_url: str) -> dict[str, Any]:
    """The benchmark's configuration as a document: ``operations`` operations, one ocean
    account and one site each (``site-000``…)."""
    return {
        "database": database_url,
        "network": {"esplora_url": "http://127.0.0.1:9/api"},
        "operations": [
            {
                "id": f"op-{number:03d}",
                "name": f"Operation {number}",
                "license": f"L-{number}",
                "remittance": {"rate": "0.1", "period": "monthly", "due_days": 10},
                "reserve_addresses": [reserve_address(f"op-{number:03d}")],
                "pools": [{"kind": "ocean", "account": f"acct-{number:03d}"}],
                "sites": [
                    {
                        "id": f"site-{number:03d}",
                        "region": f"region-{number % 7}",
                        "power_quota_w": 50_000_000,
                        "efficiency_j_per_th": 17.5,
                    }
                ],
            }
            for number in range(operations)
        ],
    }


async def populate(store: Store, config: Config, days: int) -> int:
    """Daily earnings, hash rates, network days and transfers, observed at :func:`observed`;
    then 10 % of the earning days revised and weekly internal moves, observed at
    :func:`revised`. Returns the rows written."""
    store.clock = FrozenClock(observed(days))
    day_list = [FIRST_DAY + timedelta(days=n) for n in range(days)]
    await store.upsert_network_days(
        [NetworkDayRecord(day, 144, 450_000_000_000, 7e20, 1.1e14, True) for day in day_list]
    )
    rows = days
    height = 870_000
    for index, operation in enumerate(config.operations):
        account = operation.pools[0].account
        earnings = [
            EarningRecord(operation.id, "ocean", account, day, 5_000_000 + 1_000 * index + n)
            for n, day in enumerate(day_list)
        ]
        hashrates = [
            PoolHashrateDayRecord(operation.id, "ocean", account, day, 1.4e16 + 1e12 * index)
            for day in day_list
        ]
        outputs = [
            ReserveOutputRecord(
                hashlib.sha256(f"{operation.id}/{day}".encode()).hexdigest(),
                0,
                operation.id,
                operation.reserve_addresses[0],
                490_000 + n % 20_000,
                "confirmed",
                height + n,
                "00" * 32,
                datetime(day.year, day.month, day.day, 12, tzinfo=UTC) + timedelta(days=1),
            )
            for n, day in enumerate(day_list)
        ]
        await store.upsert_earnings(earnings)
        await store.upsert_pool_hashrate_days(hashrates)
        await store.upsert_reserve_outputs(outputs)
        rows += len(earnings) + len(hashrates) + len(outputs)
    await store.save_chain_tip(
        ChainTipRecord("main", height + days + 10, "11" * 32, observed(days))
    )
    store.clock = FrozenClock(revised(days))
    for index, operation in enumerate(config.operations):
        account = operation.pools[0].account
        revisions = [
            EarningRecord(operation.id, "ocean", account, day, 5_000_000 + 1_000 * index + n + 7)
            for n, day in enumerate(day_list)
            if n % 10 == index % 10  # 10 % of the days, spread over the periods
        ]
        moves = [
            ReserveOutputRecord(
                hashlib.sha256(f"{operation.id}/move/{day}".encode()).hexdigest(),
                1,
                operation.id,
                operation.reserve_addresses[0],
                3_000_000,
                "confirmed",
                height + n,
                "00" * 32,
                datetime(day.year, day.month, day.day, 18, tzinfo=UTC),
                kind="internal",
            )
            for n, day in enumerate(day_list)
            if n % 7 == 0
        ]
        await store.upsert_earnings(revisions)
        await store.upsert_reserve_outputs(moves)
        rows += len(revisions) + len(moves)
    await store.save_chain_tip(ChainTipRecord("main", height + days + 20, "12" * 32, revised(days)))
    if store.engine.dialect.name == "postgresql":
        # The planner's statistics of tables just filled: without them an as-of read plans
        # a nested loop over every revision (83,500² rows: it ran 16 minutes before it was
        # stopped) when the first pass comes before autovacuum's analyse.
        async with store.engine.begin() as connection:
            await connection.execute(text("ANALYZE"))
    return rows


async def store_bytes(store: Store, database_url: str) -> int | None:
    """The database's size on disk (SQLite file or PostgreSQL database), after a checkpoint."""
    async with store.engine.connect() as connection:
        if database_url.startswith("sqlite"):
            await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            path = Path(database_url.split("///", 1)[1])
            return path.stat().st_size  # noqa: ASYNC240 - one stat after the work is done
        result = await connection.execute(text("SELECT pg_database_size(current_database())"))
        return int(result.scalar_one())


async def measure(database_url: str, operations: int, days: int, repeat: int) -> dict[str, Any]:
    config = build_config(operations, database_url)
    engine = open_engine(DatabaseConfig(url=database_url))
    await upgrade(engine)
    store = Store(engine)
    try:
        started = time.perf_counter()
        rows = await populate(store, config, days)
        populate_s = time.perf_counter() - started
        as_of = revised(days) + timedelta(hours=1)  # after every observation
        accounts = AccountsService(config, store, FrozenClock(as_of))
        registry, _ = build_registry([accounts])
        recompute_s: list[float] = []
        render_s: list[float] = []
        as_of_s: list[float] = []
        statement_s: list[float] = []
        size = 0
        for _ in range(repeat):
            started = time.perf_counter()
            computed = await accounts.recompute()
            middle = time.perf_counter()
            size = len(generate_latest(registry))
            ended = time.perf_counter()
            recompute_s.append(middle - started)
            render_s.append(ended - middle)
            started = time.perf_counter()
            known_then = await read_inputs(store, config, observed(days))
            result = compute_pass(config, known_then, as_of)
            as_of_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            operation = config.operations[0]
            await build_statement_from_store(config, store, operation, STATEMENT_PERIOD, as_of)
            statement_s.append(time.perf_counter() - started)
        if len(computed) != operations or len(result.accounts) != operations:
            raise RuntimeError(f"computed {len(computed)} accounts, expected {operations}")
        on_disk = await store_bytes(store, database_url)
    finally:
        await store.close()
    operation_years = operations * days / 365
    return {
        "bytes_per_operation_year": None if on_disk is None else on_disk / operation_years,
        "as_of_s": statistics.median(as_of_s),
        "statement_s": statistics.median(statement_s),
        "rows": rows,
        "populate_s": populate_s,
        "recompute_s": statistics.median(recompute_s),
        "render_ms": statistics.median(render_s) * 1000,
        "total_s": statistics.median(a + b for a, b in zip(recompute_s, render_s, strict=True)),
        "metrics_bytes": size,
    }


@contextlib.contextmanager
def postgres_url(workdir: Path) -> Iterator[str | None]:
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        yield None
        return
    workdir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    server = PostgresServer(workdir / "pg", bin_dir)
    server.start()
    try:
        yield server.create_database("recompute")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Remittance recompute benchmark")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = args.backends.split(",")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="rw-recompute-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in backends:
            url = f"sqlite+aiosqlite:///{workdir}/recompute.db"
            results["SQLite"] = asyncio.run(measure(url, args.operations, args.days, args.repeat))
        if "postgresql" in backends:
            with postgres_url(workdir) as pg_url:
                if pg_url is None:
                    print("PostgreSQL not installed: skipped")
                else:
                    results["PostgreSQL"] = asyncio.run(
                        measure(pg_url, args.operations, args.days, args.repeat)
                    )
    print(
        f"\nRecompute: {args.operations} operations × {args.days} days; median of "
        f"{args.repeat}; machine: {machine()}\n"
    )
    print(
        table(
            [
                "store",
                "rows",
                "recompute s",
                "metrics render ms",
                "total s",
                "as-of pass s",
                "one statement s",
                "KiB per operation-year",
                "target",
            ],
            [
                [
                    name,
                    f"{r['rows']:,}",
                    f"{r['recompute_s']:.2f}",
                    f"{r['render_ms']:.1f}",
                    f"{r['total_s']:.2f}",
                    f"{r['as_of_s']:.2f}",
                    f"{r['statement_s']:.2f}",
                    f"{r['bytes_per_operation_year'] / 1024:,.0f}",
                    "≤ 5 s",
                ]
                for name, r in results.items()
            ],
        )
    )
    emit(
        "recompute",
        {
            "operations": args.operations,
            "days": args.days,
            "machine": machine(),
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
