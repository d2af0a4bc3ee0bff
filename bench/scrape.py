"""Benchmark 2 — scrape: ``/metrics`` latency and size while ingest runs.

For each fleet size the whole collector app serves ``/metrics`` (``bench.serve_proc``) with
every site reporting; a publisher process floods the broker with per-machine readings for
those sites meanwhile, and ``--scrapes`` sequential GETs are timed (first byte sent to last
byte read) from this process.

    .venv/bin/python -m bench.scrape                      # 1,000 and 10,000 sites, 100 operations
    .venv/bin/python -m bench.scrape --sites 1000 --scrapes 50
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


def _scrape(port: int) -> tuple[float, int, int]:
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as response:
        body = response.read()
    elapsed = time.perf_counter() - started
    series = sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))
    return elapsed, len(body), series


def measure(
    sites: int, operations: int, scrapes: int, miners: int, workdir: Path
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
                "1",
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
        for _ in range(scrapes):
            elapsed, size, series = _scrape(http_port)
            timings.append(elapsed)
            time.sleep(0.1)
            loop_waits.append(_healthz(http_port))
            time.sleep(0.1)
        flooding = flood.poll() is None
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
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="rw-scrape-") as tmp:
        for sites in (int(n) for n in args.sites.split(",")):
            results.append(measure(sites, args.operations, args.scrapes, args.miners, Path(tmp)))
    print(f"\nScrape: /metrics while ingest runs; machine: {machine()}\n")
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
                ]
                for r in results
            ],
        )
    )
    emit("scrape", {"machine": machine(), "results": results})


if __name__ == "__main__":
    main()
