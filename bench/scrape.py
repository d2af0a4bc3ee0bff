"""Benchmark 2 — scrape: ``/metrics`` latency and size while ingest runs.

For each fleet size the whole collector app serves ``/metrics`` (``bench.serve_proc``, its
telemetry on ``--protocol``: 5, the ``mqtt5`` codec transport, or 3.1.1, gmqtt) with every
site reporting; a publisher process floods the broker with per-machine readings for those
sites at ``--qos`` (0 by default: the broker then sends as fast as the collector reads) meanwhile,
and ``--scrapes`` sequential GETs are timed (first byte sent to last byte read) from this
process. Ingest counts as running throughout when the publisher was still sending at the last
scrape or the collector's message count still grew between the last two scrapes.

    .venv/bin/python -m bench.scrape                      # 1,000 and 10,000 sites, 100 operations
    .venv/bin/python -m bench.scrape --sites 1000 --scrapes 50
    .venv/bin/python -m bench.scrape --sites 1000 --qos 1 --protocol 3.1.1
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from bench.common import (
    ROOT,
    BenchBroker,
    emit,
    load_average,
    machine,
    median,
    python_child,
    read_json_line,
    table,
)
from tests.support.processes import free_port, stop


def _healthz(port: int) -> float:
    """The time a ``/healthz`` answer takes: the event loop's latency, no rendering."""
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=60) as response:
        response.read()
    return time.perf_counter() - started


MESSAGES = b"reservewatch_telemetry_messages_total{"


def _scrape(port: int) -> tuple[float, int, int, float]:
    """One GET of ``/metrics``: its time, size, series and the messages the collector counted."""
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as response:
        body = response.read()
    elapsed = time.perf_counter() - started
    lines = [line for line in body.splitlines() if line and not line.startswith(b"#")]
    messages = sum(float(line.rsplit(b" ", 1)[1]) for line in lines if line.startswith(MESSAGES))
    return elapsed, len(body), len(lines), messages


def measure(
    sites: int,
    operations: int,
    scrapes: int,
    miners: int,
    workdir: Path,
    *,
    qos: int,
    protocol: str,
) -> dict[str, float]:
    broker = BenchBroker(workdir / f"broker-{sites}")
    broker.start()
    http_port = free_port()
    server = subprocess.Popen(
        python_child(
            "bench.serve_proc",
            "--port",
            str(broker.port),
            "--sites",
            str(sites),
            "--operations",
            str(operations),
            "--http-port",
            str(http_port),
            "--database",
            f"sqlite+aiosqlite:///{workdir}/scrape-{sites}.db",
            "--qos",
            str(qos),
            "--protocol",
            protocol,
        ),
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    publishers: list[subprocess.Popen[str]] = []
    try:
        read_json_line(server, 120)
        # Every site reports (batched, so filling 10,000 sites takes a moment), then a
        # continuous per-machine flood runs while we scrape.
        fill = subprocess.Popen(
            python_child(
                "bench.publisher",
                "--port",
                str(broker.port),
                "--sites",
                str(sites),
                "--miners",
                "10",
                "--batch",
                "10",
                "--qos",
                "1",
            ),
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        read_json_line(fill, 300)
        read_json_line(fill, 300)
        stop(fill)  # type: ignore[arg-type]
        time.sleep(1.5)  # one flush folds the machines into their sites
        flood = subprocess.Popen(
            python_child(
                "bench.publisher",
                "--port",
                str(broker.port),
                "--sites",
                str(min(sites, 100)),
                "--miners",
                str(miners),
                "--rounds",
                "5",
                "--qos",
                str(qos),
            ),
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        publishers.append(flood)
        read_json_line(flood, 300)  # built; flooding now
        time.sleep(0.5)
        timings: list[float] = []
        loop_waits: list[float] = []
        size = series = 0
        counted: list[float] = []
        for _ in range(scrapes):
            elapsed, size, series, messages = _scrape(http_port)
            timings.append(elapsed)
            counted.append(messages)
            time.sleep(0.1)
            loop_waits.append(_healthz(http_port))
            time.sleep(0.1)
        flooding = flood.poll() is None or (len(counted) > 1 and counted[-1] > counted[-2])
    finally:
        for process in publishers:
            stop(process)  # type: ignore[arg-type]
        stop(server)  # type: ignore[arg-type]
        broker.stop()
    timings.sort()
    loop_waits.sort()
    return {
        "sites": sites,
        "operations": operations,
        "qos": qos,
        "protocol": protocol,
        "median_ms": median(timings) * 1000,
        "p90_ms": timings[int(0.9 * (len(timings) - 1))] * 1000,
        "max_ms": timings[-1] * 1000,
        "healthz_median_ms": median(loop_waits) * 1000,
        "healthz_p90_ms": loop_waits[int(0.9 * (len(loop_waits) - 1))] * 1000,
        "bytes": size,
        "series": series,
        "ingest_running_throughout": flooding,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Scrape benchmark")
    parser.add_argument("--sites", default="1000,10000", help="fleet sizes, comma-separated")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--miners", type=int, default=2000, help="machines per site in the flood")
    parser.add_argument("--qos", type=int, choices=(0, 1), default=0, help="the flood's QoS")
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="rw-scrape-") as tmp:
        for sites in (int(n) for n in args.sites.split(",")):
            results.append(
                measure(
                    sites,
                    args.operations,
                    args.scrapes,
                    args.miners,
                    Path(tmp),
                    qos=args.qos,
                    protocol=args.protocol,
                )
            )
    print(
        f"\nScrape: /metrics while a QoS {args.qos} flood runs, telemetry on mqtt.protocol "
        f"{args.protocol}; machine: {machine()}; {load_average()}\n"
    )
    print(
        table(
            [
                "sites",
                "operations",
                "median ms",
                "p90 ms",
                "max ms",
                "/healthz median · p90 ms",
                "bytes",
                "series",
                "target",
                "ingest throughout",
            ],
            [
                [
                    f"{r['sites']:,}",
                    r["operations"],
                    f"{r['median_ms']:.1f}",
                    f"{r['p90_ms']:.1f}",
                    f"{r['max_ms']:.1f}",
                    f"{r['healthz_median_ms']:.1f} · {r['healthz_p90_ms']:.1f}",
                    f"{r['bytes']:,}",
                    f"{r['series']:,}",
                    "< 100 ms" if r["sites"] <= 1000 else "< 1 s",
                    "yes" if r["ingest_running_throughout"] else "no",
                ]
                for r in results
            ],
        )
    )
    emit("scrape", {"machine": machine(), "load_average": load_average(), "results": results})


if __name__ == "__main__":
    main()
