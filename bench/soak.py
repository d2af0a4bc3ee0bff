"""A bounded soak: the real collector at load, faults injected at random, resources watched.

    .venv/bin/python -m bench.soak --soak-seconds 120          # the CI length
    RESERVEWATCH_SOAK_SECONDS=600 .venv/bin/python -m bench.soak   # the documented 10 minutes

Runs a real Mosquitto, the fake pools and Esplora (in this process) and ``reservewatch run`` on
SQLite; publishes ``--rate`` readings a second spread over three sites; every ~15 s injects one
fault at random (pool 500s, a slow pool, Esplora 500s, a Mosquitto restart). Every 2 s it
samples the collector's RSS, open file descriptors, live connections and threads. At the end it
checks that every reading sent was stored exactly once and no wrong earning was stored, fits a
least-squares slope to RSS and to the descriptors that are not live connections over the second
half (after warm-up), prints a JSON summary, and exits 1 when a count is off or a slope exceeds
its bound.

Why not every descriptor: an HTTP client keeps an idle connection to a server alive for a
while after a request (aiohttp's connector: 15 s), so a slow pool that makes two polls overlap
opens a second connection that stays ~15-20 s, longer than the 10 s windows whose floor the
slope is fitted to. Near the end of a 2-minute run one such connection fitted as 1.03
descriptors a minute (CI, 2026-12-05: 23 -> 26, no leak). A live connection (TCP, established,
with a peer) is bounded by the servers polled and ends when idle; a leaked one is what stays
behind once its peer has gone (CLOSE_WAIT after a broker restart, a half-closed socket) or a
file, and those are what the slope is fitted to. The live connections are reported apart
(``live_connections_max``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from tests.faults.world import SITES, FaultWorld
from tests.integration.mosquitto import Mosquitto

FAULTS = ("pool_500", "pool_slow", "esplora_500", "mosquitto_restart")


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per minute."""
    if len(points) < 2:
        return 0.0
    mean_t = sum(t for t, _ in points) / len(points)
    mean_v = sum(v for _, v in points) / len(points)
    var = sum((t - mean_t) ** 2 for t, _ in points)
    cov = sum((t - mean_t) * (v - mean_v) for t, v in points)
    return 60 * cov / var if var else 0.0


def live_connections(process: psutil.Process) -> int:
    """The process's TCP connections established with a peer: an HTTP client's kept-alive
    ones, the broker's; bounded by what is polled, closed when idle."""
    return sum(
        1
        for c in process.net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.raddr
    )


def floor_per_window(
    points: list[tuple[float, float]], window_s: float = 10
) -> list[tuple[float, float]]:
    """The lowest value in each ``window_s`` of (seconds, value) points: a leak raises the
    floor, while a connection that is open only while a poll or a reconnect is in flight
    (churn) does not — the slope of raw file-descriptor counts over a minute moves by one for
    a single socket open at the last sample."""
    floors: dict[int, tuple[float, float]] = {}
    for t, v in points:
        key = int(t // window_s)
        if key not in floors or v < floors[key][1]:
            floors[key] = (key * window_s, v)
    return [floors[k] for k in sorted(floors)]


def descriptor_slope(points: list[tuple[float, float, float]]) -> float:
    """Per minute, the slope of the descriptors that are not live connections, from
    ``(seconds, descriptors, live connections)`` samples: fitted to each 10 s window's floor
    (see the module docstring)."""
    return slope_per_minute(floor_per_window([(t, fds - live) for t, fds, live in points]))


async def _inject(world: FaultWorld, broker: Mosquitto, rng: random.Random) -> str:
    fault = rng.choice(FAULTS)
    if fault == "pool_500":
        world.pools.misbehave(rng.choice(["braiins", "foundry", "luxor"]), "server_error", times=3)
    elif fault == "pool_slow":
        world.pools.slow_s = 3.0
        world.pools.misbehave(rng.choice(["antpool", "ocean"]), "slow", times=2)
    elif fault == "esplora_500":
        world.chain.fail_next(500, count=5)
    else:
        await world.drop_publisher()
        broker.restart()
    return fault


async def soak(seconds: float, rate_per_s: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="reservewatch-soak-"))
    (root / "broker").mkdir()
    broker = Mosquitto(root / "broker")
    broker.start()
    world = FaultWorld(
        root, database_url=f"sqlite+aiosqlite:///{root}/reservewatch.db", mqtt_port=broker.port
    )
    await world.start_fakes()
    collector = world.collector()
    await collector.start()
    await collector.wait_for("/readyz", 200)
    process = psutil.Process(collector.pid)
    samples: list[tuple[float, float, float, float, float]] = []
    faults: list[str] = []
    started = time.monotonic()
    next_sample = next_fault = 0.0
    per_tick = max(1, rate_per_s // (10 * len(SITES)))
    try:
        while (elapsed := time.monotonic() - started) < seconds:
            # Each publish waits for every PUBACK, so a broker restart (between publishes)
            # finds every sent reading already queued for the collector's session.
            await world.publish(world.telemetry.next_batch(per_tick))
            if elapsed >= next_sample:
                samples.append(
                    (
                        elapsed,
                        process.memory_info().rss / 2**20,
                        process.num_fds(),
                        process.num_threads(),
                        live_connections(process),
                    )
                )
                next_sample += 2
            if elapsed >= next_fault and elapsed > 5:
                faults.append(await _inject(world, broker, rng))
                next_fault = elapsed + rng.uniform(10, 20)
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)
        families_ok = True
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            stored = await world.stored_samples()
            if all(stored.get(site, 0) >= world.telemetry.sent[site] for site in SITES):
                break
            await asyncio.sleep(0.5)
        stored = await world.stored_samples()
        earnings = await world.stored_earnings()
        wrong_earnings = sum(
            1
            for key, amounts in earnings.items()
            for day, amount in amounts.items()
            if world.earnings.get(key, {}).get(day) != amount
        )
        exit_code = await collector.stop()
    finally:
        await collector.stop()
        await world.close()
        broker.stop()
    half = [s for s in samples if s[0] >= seconds / 2]
    return {
        "seconds": round(seconds),
        "readings_sent": sum(world.telemetry.sent.values()),
        "readings_stored": sum(stored.values()),
        "readings_match": stored == world.telemetry.sent and families_ok,
        "wrong_earnings_stored": wrong_earnings,
        "faults_injected": faults,
        "rss_mib_start_end": [round(samples[0][1], 1), round(samples[-1][1], 1)],
        "rss_mib_per_min_second_half": round(slope_per_minute([(s[0], s[1]) for s in half]), 3),
        "fds_start_end": [samples[0][2], samples[-1][2]],
        "live_connections_max": max(s[4] for s in samples),
        "fds_per_min_second_half": round(descriptor_slope([(s[0], s[2], s[4]) for s in half]), 3),
        "threads_start_end": [samples[0][3], samples[-1][3]],
        "collector_exit_code": exit_code,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--soak-seconds",
        type=float,
        default=float(os.environ.get("RESERVEWATCH_SOAK_SECONDS", "120")),
    )
    parser.add_argument("--rate", type=int, default=300, help="readings per second in all")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--max-rss-mib-per-min", type=float, default=2.0)
    parser.add_argument("--max-fds-per-min", type=float, default=1.0)
    args = parser.parse_args()
    summary = asyncio.run(soak(args.soak_seconds, args.rate, args.seed))
    print(json.dumps(summary, indent=2))
    healthy = (
        summary["readings_match"]
        and summary["wrong_earnings_stored"] == 0
        and summary["collector_exit_code"] == 0
        and summary["rss_mib_per_min_second_half"] <= args.max_rss_mib_per_min
        and summary["fds_per_min_second_half"] <= args.max_fds_per_min
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
