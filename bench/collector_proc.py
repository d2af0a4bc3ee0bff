"""The reservewatch collector's telemetry path as a benchmark subject, in its own process.

Everything the collector does with a reading: the real ``TelemetryService`` behind the real
client of ``--protocol`` (``5``: the ``mqtt5`` codec transport, the configuration's default;
``3.1.1``: gmqtt) parses and validates each message, keeps every machine's latest state, folds
it per site, commits rollups and site states (SQLite or PostgreSQL) and only then acknowledges
at QoS 1; the Prometheus exposition is rendered every ``--scrape-every-s`` as a scrape would.

    python -m bench.collector_proc --port 1883 --sites 100 --qos 1 --expected 100000 \
        --database sqlite+aiosqlite:///tmp/b.db [--shard 0/2] [--protocol 3.1.1]

Prints ``{"ready": true}`` once subscribed, then a JSON line with the time the last reading
was committed, the readings accepted and rejected, CPU seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import time
from typing import Any

import uvloop
from prometheus_client import generate_latest

from bench.common import fleet_config, peak_rss_mb
from collector.clock import SystemClock
from collector.config.load import parse_config
from collector.config.sections import DatabaseConfig
from collector.metrics import build_registry
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.telemetry.service import TelemetryService


async def run(args: argparse.Namespace) -> dict[str, Any]:
    shard = tuple(int(part) for part in args.shard.split("/")) if args.shard else None
    config = parse_config(
        fleet_config(
            args.sites,
            port=args.port,
            qos=args.qos,
            protocol=args.protocol,
            client_id=f"bench-collector-{time.time_ns()}",
            shard=(shard[0], shard[1]) if shard else None,
        )
    )
    engine = open_engine(DatabaseConfig(url=args.database))
    await upgrade(engine)
    store = Store(engine)
    service = TelemetryService(
        config, store, SystemClock(), flush_interval_s=0.5, flush_max_readings=args.flush_max
    )
    registry, _ = build_registry([service])
    task = asyncio.create_task(service.run(), name="telemetry")
    while not service.ready:  # noqa: ASYNC110 - the service exposes readiness as a flag
        await asyncio.sleep(0.01)
    cpu_start = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"ready": True}), flush=True)
    scrapes = 0
    next_scrape = time.monotonic() + args.scrape_every_s
    seen = -1
    idle_since = time.monotonic()
    processed = 0
    while True:
        await asyncio.sleep(0.01)
        processed = sum(service.message_counts().values()) + sum(service.rejected_counts().values())
        if processed >= args.expected:
            break
        now = time.monotonic()
        if now >= next_scrape:
            generate_latest(registry)
            scrapes += 1
            next_scrape = now + args.scrape_every_s
        if processed != seen:
            seen, idle_since = processed, now
        elif processed and now - idle_since > args.idle_s:
            break  # the rest was dropped
    await service.flush()
    committed = time.time()
    generate_latest(registry)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await store.close()
    return {
        "last": committed,
        "count": sum(service.message_counts().values()),
        "rejected": sum(service.rejected_counts().values()),
        "machines": service.miners.machines(),
        "scrapes": scrapes + 1,
        "cpu_s": usage.ru_utime + usage.ru_stime - cpu_start.ru_utime - cpu_start.ru_stime,
        "max_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--qos", type=int, choices=(0, 1), default=1)
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--shard", default="")
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5")
    parser.add_argument("--flush-max", type=int, default=20_000)
    parser.add_argument("--scrape-every-s", type=float, default=5.0)
    parser.add_argument("--idle-s", type=float, default=5.0)
    args = parser.parse_args()
    print(json.dumps(uvloop.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
