"""Benchmark 4 — memory: collector RSS with 1,000,000 machines' latest state held.

Builds the telemetry service for ``--sites`` sites, feeds every machine one reading through
the real message path (bulk messages of ``--batch`` machines, as a site gateway would publish),
folds and commits them (SQLite), and reports this process's RSS before and after, with the
bytes each machine costs. Run it as its own process so nothing else shares the heap.

    .venv/bin/python -m bench.memory                      # 100 sites × 10,000 machines
    .venv/bin/python -m bench.memory --sites 10 --miners 1000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from datetime import UTC, datetime

import orjson
import psutil

from bench.common import PREFIX, emit, fleet_config, machine, site_ids, table
from collector.clock import SystemClock
from collector.config.load import parse_config
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.telemetry.client import MqttMessage
from collector.telemetry.service import TelemetryService


def _rss_mb() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


async def measure(sites: int, miners: int, batch: int, database_url: str) -> dict[str, float]:
    config = parse_config(fleet_config(sites))
    engine = open_engine(DatabaseConfig(url=database_url))
    await upgrade(engine)
    store = Store(engine)
    service = TelemetryService(config, store, SystemClock(), flush_max_readings=10**9)
    ts = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    for site_id in site_ids(sites):
        topic = f"{PREFIX}/sites/{site_id}/miners"
        for first in range(0, miners, batch):
            payload = orjson.dumps(
                [
                    {
                        "miner_id": f"m-{number:06d}",
                        "ts": ts,
                        "hashrate_hs": 2.0e14,
                        "power_w": 3500.0,
                        "status": "online",
                    }
                    for number in range(first, min(first + batch, miners))
                ]
            )
            service.receive(MqttMessage(topic, payload, retain=False))
        await service.flush()
    feed_s = time.perf_counter() - started
    gc.collect()
    after = _rss_mb()
    held = service.miners.machines()
    await store.close()
    if held != sites * miners:
        raise RuntimeError(f"held {held} machines, expected {sites * miners}")
    return {
        "machines": held,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "bytes_per_machine": (after - before) * 2**20 / held,
        "column_mb": service.miners.column_bytes() / 2**20,
        "feed_s": feed_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Memory benchmark")
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--miners", type=int, default=10_000, help="machines per site")
    parser.add_argument("--batch", type=int, default=200, help="machines per bulk message")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rw-memory-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/memory.db"
        result = asyncio.run(measure(args.sites, args.miners, args.batch, url))
    print(f"\nMemory: {args.sites} sites × {args.miners} machines; machine: {machine()}\n")
    print(
        table(
            [
                "machines",
                "RSS before MB",
                "RSS after MB",
                "bytes / machine",
                "numeric columns MB",
                "target",
            ],
            [
                [
                    f"{result['machines']:,.0f}",
                    f"{result['rss_before_mb']:.0f}",
                    f"{result['rss_after_mb']:.0f}",
                    f"{result['bytes_per_machine']:.0f}",
                    f"{result['column_mb']:.1f}",
                    "< 300 MB",
                ]
            ],
        )
    )
    emit("memory", {"sites": args.sites, "miners_per_site": args.miners, **result})


if __name__ == "__main__":
    main()
