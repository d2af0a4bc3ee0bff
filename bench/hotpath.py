"""Benchmark 7 — the telemetry hot path in process, each figure against a reference in the
same run.

1. **A site reading** (parse, validate, apply to the site book), µs a reading, against a
   machine reading (parse, validate, apply to the fleet) as `bench.publisher` sends each.
2. **A telemetry flush** (`Store.flush_telemetry`, SQLite) of 100 sites' states and
   `--minutes` rollups each, ms a flush, against the same rows written as one statement with
   the rows written into it (`INSERT … VALUES (…), (…) … ON CONFLICT`), which the store did
   before it passed them as parameters.

    .venv/bin/python -m bench.hotpath
    .venv/bin/python -m bench.hotpath --readings 2000 --flushes 1
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.dialects import sqlite

from bench.common import emit, fleet_config, machine, site_ids, table
from bench.publisher import miner_reading, site_reading
from collector.config.load import parse_config
from collector.config.model import Config
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import RollupDelta, SiteStateRecord, row_of
from collector.store.tables import TelemetryRollup
from collector.telemetry.miners import MinerFleet
from collector.telemetry.payloads import Limits, parse_miner_payload, parse_site_payload
from collector.telemetry.sites import SiteBook

SITES = 100


SITE_IDS = site_ids(SITES)


def _config() -> Config:
    return parse_config(fleet_config(SITES, operations=1))


def site_path_us(readings: int) -> tuple[float, float]:
    """µs a reading: the site path, then the machine path, on the same clock."""
    rng = random.Random(1)
    now = datetime.now(UTC)
    start = int(now.timestamp()) - readings // SITES - 60
    sites = [
        (SITE_IDS[n % SITES], site_reading(rng, start + n // SITES, 1_000 * (n // SITES)))
        for n in range(readings)
    ]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    machines = [(SITE_IDS[n % SITES], f"m{n}", miner_reading(rng, stamp)) for n in range(readings)]
    limits = Limits(now=now)
    book = SiteBook(_config())
    started = time.perf_counter()
    for site_id, payload in sites:
        for reading in parse_site_payload(payload, limits).readings:
            book.apply(site_id, reading, limits.now_s)
    site_s = time.perf_counter() - started
    fleet = MinerFleet(offline_after_s=300)
    started = time.perf_counter()
    for site_id, miner_id, payload in machines:
        for one in parse_miner_payload(payload, limits, miner_id)[0]:
            fleet.apply(site_id, one, limits.now_s)
    machine_s = time.perf_counter() - started
    return site_s / readings * 1e6, machine_s / readings * 1e6


def _rows(minutes: int, offset: int) -> tuple[list[RollupDelta], list[SiteStateRecord]]:
    first = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=offset)
    deltas = [
        RollupDelta(site, "op-000", first + timedelta(minutes=m), 60, 1.0, 1.0, 10, 1.0, 1, 5)
        for site in SITE_IDS
        for m in range(minutes)
    ]
    states = [SiteStateRecord(site, first, 1, 1, 1.0, 1.0, 1, 1) for site in SITE_IDS]
    return deltas, states


async def flush_ms(workdir: Path, minutes: int, flushes: int) -> tuple[float, float]:
    """ms a flush: the store's, then one statement with the rows written into it."""
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{workdir}/flush.db"))
    await upgrade(engine)
    store = Store(engine)
    table_ = TelemetryRollup.__table__
    ours: list[float] = []
    written_in: list[float] = []
    try:
        for number in range(flushes):
            deltas, states = _rows(minutes, 2 * number * minutes)
            started = time.perf_counter()
            await store.flush_telemetry(deltas, states)
            ours.append(time.perf_counter() - started)
            deltas, _ = _rows(minutes, (2 * number + 1) * minutes)
            rows = [row_of(d) for d in deltas]
            started = time.perf_counter()
            async with engine.begin() as connection:
                for chunk in range(0, len(rows), 500):
                    statement = sqlite.insert(table_).values(rows[chunk : chunk + 500])
                    await connection.execute(
                        statement.on_conflict_do_update(
                            index_elements=["site_id", "minute"],
                            set_={"samples": table_.c.samples + statement.excluded.samples},
                        )
                    )
            written_in.append(time.perf_counter() - started)
    finally:
        await store.close()
    return statistics.median(ours) * 1e3, statistics.median(written_in) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--minutes", type=int, default=17, help="rollups per site per flush")
    parser.add_argument("--flushes", type=int, default=3)
    args = parser.parse_args()
    site_us, machine_us = site_path_us(args.readings)
    with tempfile.TemporaryDirectory(prefix="rw-hotpath-") as tmp:
        ours_ms, written_in_ms = asyncio.run(flush_ms(Path(tmp), args.minutes, args.flushes))
    print(f"\nHot path, in process; machine: {machine()}\n")
    print(
        table(
            ["what", "ours", "reference (same run)", "ratio"],
            [
                [
                    f"site reading, µs ({args.readings:,})",
                    f"{site_us:.2f}",
                    f"{machine_us:.2f} (machine reading)",
                    f"{site_us / machine_us:.2f}",
                ],
                [
                    f"flush of {SITES * args.minutes:,} rollups + {SITES} states, ms",
                    f"{ours_ms:.1f}",
                    f"{written_in_ms:.1f} (rows written into the statement, rollups only)",
                    f"{ours_ms / written_in_ms:.2f}",
                ],
            ],
        )
    )
    emit(
        "hotpath",
        {
            "machine": machine(),
            "site_reading_us": site_us,
            "machine_reading_us": machine_us,
            "flush_ms": ours_ms,
            "flush_rows_written_in_ms": written_in_ms,
        },
    )


if __name__ == "__main__":
    main()
