"""Benchmark 5 — API: balance and statement (JSON) answers while ingest runs.

A store holding 100 operations × 2 years (``bench.recompute``'s history, not timed); the real
collector app serving it (``bench.serve_proc``: HttpServer, telemetry connected to a real
Mosquitto, the accounts computed once — the snapshot every answer is read from); a publisher
process pacing per-machine readings at QoS 1 through the broker (``--rate``, 50,000 a second);
and this process, a second one, sending ``--requests`` sequential requests over one kept-alive
connection: balances and JSON statements of random operations and months, alternately with the
regulator's bearer token and the operation's own. Each request is timed from its first byte
sent to its last byte read.

    .venv/bin/python -m bench.api                         # 100 operations × 730 days, 50k/s
    .venv/bin/python -m bench.api --operations 5 --days 60 --requests 20 --rate 2000
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import random
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    PREFIX,
    ROOT,
    BenchBroker,
    emit,
    machine,
    python_child,
    read_json_line,
    site_ids,
    table,
)
from bench.recompute import FIRST_DAY, build_config, populate, raw_config
from collector.config.sections import DatabaseConfig
from collector.documents.statements import write_signing_key
from collector.http.server import token_digest
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from tests.support.processes import free_port, stop

REGULATOR_TOKEN = "bench-regulator-token"  # noqa: S105 - a benchmark's own throwaway token
TARGET_P99_MS = 50.0


def operator_token(operation_id: str) -> str:
    return f"bench-operator-{operation_id}"


def api_config(
    operations: int, database_url: str, *, broker_port: int, http_port: int, key_file: Path
) -> dict[str, Any]:
    """``bench.recompute``'s operations, each with one site the publisher feeds, served over
    HTTP with a regulator token and one token per operation."""
    raw = raw_config(operations, database_url)
    for operation, site_id in zip(raw["operations"], site_ids(operations), strict=True):
        operation["sites"][0]["id"] = site_id
    raw["mqtt"] = {
        "url": f"mqtt://127.0.0.1:{broker_port}",
        "topic_prefix": PREFIX,
        "client_id": "bench-api",
    }
    raw["http"] = {"listen": f"127.0.0.1:{http_port}"}
    raw["statement"] = {"signing_key_file": str(key_file)}
    raw["api"] = {
        "tokens": [
            {"name": "regulator", "sha256": token_digest(REGULATOR_TOKEN), "role": "regulator"},
            *(
                {
                    "name": operation["id"],
                    "sha256": token_digest(operator_token(operation["id"])),
                    "operations": [operation["id"]],
                }
                for operation in raw["operations"]
            ),
        ]
    }
    return raw


async def fill_store(operations: int, days: int, database_url: str) -> int:
    config = build_config(operations, database_url)
    engine = open_engine(DatabaseConfig(url=database_url))
    await upgrade(engine)
    store = Store(engine)
    try:
        return await populate(store, config, days)
    finally:
        await store.close()


def months(days: int) -> list[str]:
    """The months the stored history covers whole (``2024-11`` …)."""
    end = FIRST_DAY + timedelta(days=days)  # the first day not stored
    labels: list[str] = []
    month = FIRST_DAY.replace(day=1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        if following > end:
            return labels or [f"{FIRST_DAY:%Y-%m}"]
        labels.append(f"{month:%Y-%m}")
        month = following


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def readings_accepted(port: int) -> float:
    """The collector's own count of readings accepted so far (every site's)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/metrics")
        body = connection.getresponse().read().decode()
    finally:
        connection.close()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("reservewatch_telemetry_messages_total{")
    )


def send_requests(  # noqa: PLR0917 - the request mix's coordinates
    port: int,
    operations: int,
    periods: list[str],
    count: int,
    seed: int = 7,
    min_seconds: float = 0.0,
    per_second: float = 100.0,
) -> dict[str, list[float]]:
    """``count`` requests, half balances and half JSON statements (more, in the same mix,
    until ``min_seconds`` have passed), one every ``1 / per_second`` s at most (a client
    asking at a steady pace; one that asks as fast as answers come would take the core
    ingest needs); seconds per kind."""
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    timings: dict[str, list[float]] = {"balance": [], "statement": []}
    until = time.perf_counter() + min_seconds
    next_at = time.perf_counter()
    try:
        number = -1
        while (number := number + 1) < count or time.perf_counter() < until:
            next_at += 1 / per_second
            if (ahead := next_at - time.perf_counter()) > 0:
                time.sleep(ahead)
            operation_id = f"op-{rng.randrange(operations):03d}"
            kind = "balance" if number % 2 == 0 else "statement"
            token = REGULATOR_TOKEN if number % 4 < 2 else operator_token(operation_id)
            path = f"/api/v1/operations/{operation_id}/balance"
            if kind == "statement":
                path = f"/api/v1/operations/{operation_id}/statements/{rng.choice(periods)}.json"
            started = time.perf_counter()
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            body = response.read()
            timings[kind].append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
            json.loads(body)
    finally:
        connection.close()
    return timings


def filled_store(
    path: Path, operations: int, days: int, kept: Path | None = None
) -> tuple[str, int | None, float]:
    """The SQLite URL of a store at ``path`` holding the history; its rows and the seconds
    filling took. With ``kept`` (``--store``), a copy of that file, filled first if absent
    (so runs of one size fill once, and each run starts from the same store)."""
    filled = kept or path
    started = time.perf_counter()
    rows = None
    if not filled.exists():
        rows = asyncio.run(fill_store(operations, days, f"sqlite+aiosqlite:///{filled}"))
    if kept is not None:
        shutil.copyfile(kept, path)
    return f"sqlite+aiosqlite:///{path}", rows, time.perf_counter() - started


def measure(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    database_url, rows, fill_s = filled_store(
        workdir / "api.db", args.operations, args.days, Path(args.store) if args.store else None
    )
    key_file = workdir / "statement-key.pem"
    write_signing_key(key_file)
    broker = BenchBroker(workdir / "broker")
    broker.start()
    http_port = free_port()
    config_file = workdir / "config.json"
    config_file.write_text(
        json.dumps(
            api_config(
                args.operations,
                database_url,
                broker_port=broker.port,
                http_port=http_port,
                key_file=key_file,
            )
        ),
        encoding="utf-8",
    )
    server = subprocess.Popen(
        python_child("bench.serve_proc", "--config-json", str(config_file)),
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    publisher: subprocess.Popen[str] | None = None
    try:
        read_json_line(server, 300)
        # The reference, in the same run: the same kind of requests with no ingest running.
        idle = send_requests(
            http_port, args.operations, months(args.days), max(2, args.requests // 4), seed=3
        )
        publisher = subprocess.Popen(
            python_child(
                "bench.publisher",
                "--port",
                str(broker.port),
                "--sites",
                str(args.operations),
                "--miners",
                str(args.miners),
                "--rounds",
                str(args.rounds),
                "--qos",
                "1",
                "--rate",
                str(args.rate),
            ),
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        read_json_line(publisher, 600)  # built; publishing now
        time.sleep(1.0)  # ingest reaches its pace
        accepted_before = readings_accepted(http_port)
        published_from = time.time()
        timings = send_requests(
            http_port,
            args.operations,
            months(args.days),
            args.requests,
            min_seconds=args.min_seconds,
            per_second=args.requests_per_second,
        )
        requests_until = time.time()
        ingest_rate = (readings_accepted(http_port) - accepted_before) / (
            time.time() - published_from
        )
        ingest_running = publisher.poll() is None
        if ingest_running:
            stop(publisher)  # type: ignore[arg-type]
            published = None
        else:
            published = read_json_line(publisher, 10)
    finally:
        if publisher is not None:
            stop(publisher)  # type: ignore[arg-type]
        stop(server)  # type: ignore[arg-type]
        broker.stop()
    every = sorted(timings["balance"] + timings["statement"])
    idle_every = sorted(idle["balance"] + idle["statement"])
    result: dict[str, Any] = {
        "operations": args.operations,
        "days": args.days,
        "rows": rows,
        "fill_s": fill_s,
        "requests": len(every),
        "ingest_rate_target": args.rate,
        "ingest_rate": ingest_rate,
        "ingest_running_throughout": ingest_running,
        "requests_s": requests_until - published_from,
        "ingest_finished_early": published,
    }
    for kind, unsorted in (
        ("all", every),
        *timings.items(),
        ("idle all", idle_every),
        *((f"idle {name}", values) for name, values in idle.items()),
    ):
        values = sorted(unsorted)
        result[kind] = {
            "count": len(values),
            "p50_ms": percentile(values, 0.5) * 1000,
            "p90_ms": percentile(values, 0.9) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
            "max_ms": values[-1] * 1000,
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="API benchmark")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50_000, help="readings a second")
    parser.add_argument("--miners", type=int, default=100, help="machines per site and round")
    parser.add_argument(
        "--requests-per-second",
        type=float,
        default=100.0,
        help="the most requests a second the client sends (one connection, in sequence)",
    )
    parser.add_argument(
        "--min-seconds",
        type=float,
        default=10.0,
        help="keep sending requests under ingest for at least this long (the rate is "
        "measured over it)",
    )
    parser.add_argument("--rounds", type=int, default=200, help="rounds the publisher sends")
    parser.add_argument("--store", help="SQLite file keeping the filled store (copied per run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rw-api-") as tmp:
        result = measure(args, Path(tmp))
    print(
        f"\nAPI: {args.operations} operations × {args.days} days, {result['requests']} "
        f"requests (at most {args.requests_per_second:,.0f} a second) while ingest is paced at "
        f"{args.rate:,.0f} readings/s (QoS 1), "
        f"{result['idle all']['count']} before it starts (idle); "
        f"machine: {machine()}\n"
    )
    print(
        table(
            ["requests", "count", "p50 ms", "p90 ms", "p99 ms", "max ms", "target"],
            [
                [
                    kind,
                    result[kind]["count"],
                    f"{result[kind]['p50_ms']:.1f}",
                    f"{result[kind]['p90_ms']:.1f}",
                    f"{result[kind]['p99_ms']:.1f}",
                    f"{result[kind]['max_ms']:.1f}",
                    f"p99 < {TARGET_P99_MS:.0f} ms",
                ]
                for kind in (
                    "all",
                    "balance",
                    "statement",
                    "idle all",
                    "idle balance",
                    "idle statement",
                )
            ],
        )
    )
    ratio = result["all"]["p99_ms"] / result["idle all"]["p99_ms"]
    result["p99_under_ingest_over_idle"] = ratio
    print(
        f"\np99 under ingest ÷ p99 idle (same run): {ratio:.1f}; "
        f"ingest: {result['ingest_rate']:,.0f} readings/s accepted by the collector while "
        f"the requests ran ({result['requests_s']:.1f} s); running throughout: "
        f"{result['ingest_running_throughout']}"
    )
    emit("api", {"machine": machine(), **result})


if __name__ == "__main__":
    main()
