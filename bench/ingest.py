"""Benchmark 1 — ingest: how many per-machine readings a second reach each subscriber.

One local Mosquitto (queues sized so nothing is dropped silently), one publisher process of our
own flooding it with realistic per-machine telemetry, and in turn, on the same stream:

  a. ``mosquitto_sub`` discarding what it receives — the broker's delivery ceiling;
  b. a gmqtt subscriber that only counts — the client library's ceiling;
  c. the peer ``mqtt-exporter`` (PyPI), in its own venv ``bench/.peer-venv`` (QoS 0 only:
     it subscribes at QoS 0; ``bench.peer``);
  d. the reservewatch collector doing all of its work (``bench.collector_proc``) on the first
     ``--protocol`` listed (default 5: the ``mqtt5`` codec transport);
  e. with ``--protocol 5,3.1.1``, the same collector on the second (3.1.1: gmqtt).

Rates are readings (= messages here) from the publisher's first byte to the subscriber's last
reading, median of ``--repeat`` runs; ratios are within this one run; CPU µs a reading is the
subscriber's own CPU time over the readings it received. A batched round (many
machines per message on ``{prefix}/sites/{site}/miners``) reports messages/s and readings/s,
and ``--scale-out`` runs the collector as two shards against one broker and PostgreSQL.

    .venv/bin/python -m bench.ingest                       # 100 sites × 1,000 machines
    .venv/bin/python -m bench.ingest --miners 10000        # the full 1,000,000 per round
    .venv/bin/python -m bench.ingest --scale-out --repeat 3
    .venv/bin/python -m bench.ingest --protocol 5,3.1.1 --repeat 3   # both transports
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    PREFIX,
    ROOT,
    BenchBroker,
    emit,
    load_average,
    machine,
    peak_rss_mb,
    python_child,
    read_json_line,
    table,
)
from bench.peer import run_peer
from collector.telemetry.sites import shard_of
from tests.support.processes import PostgresServer, find_postgres_bin, stop

MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
TRANSPORTS = {"5": "the mqtt5 codec transport", "3.1.1": "gmqtt"}


@dataclass
class Run:
    """One subscriber's result on one stream."""

    messages: int
    readings: int
    received: int
    seconds: float
    cpu_s: float
    max_rss_mb: float
    publisher_acks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def readings_per_s(self) -> float:
        return self.received / self.seconds if self.seconds > 0 else 0.0

    @property
    def messages_per_s(self) -> float:
        if not self.readings:
            return 0.0
        return self.readings_per_s * self.messages / self.readings

    @property
    def dropped(self) -> int:
        return self.readings - self.received

    @property
    def cpu_us_per_reading(self) -> float:
        """The subscriber's CPU time per reading received: the figure the load moves least."""
        return self.cpu_s / self.received * 1e6 if self.received else float("nan")


@dataclass(frozen=True)
class Stream:
    sites: int
    miners: int
    qos: int
    batch: int = 1
    shape: str = "miners"  # or "site": --miners readings per site on …/telemetry

    def publisher_args(self, port: int) -> list[str]:
        return [
            "--port",
            str(port),
            "--sites",
            str(self.sites),
            "--miners",
            str(self.miners),
            "--qos",
            str(self.qos),
            "--batch",
            str(self.batch),
            "--shape",
            self.shape,
        ]


def _publish(stream: Stream, port: int) -> dict[str, Any]:
    publisher = subprocess.Popen(
        python_child("bench.publisher", *stream.publisher_args(port)),
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        read_json_line(publisher, 600)  # packets built; sending starts now
        return read_json_line(publisher, 900)
    finally:
        stop(publisher)  # type: ignore[arg-type]


def _expected(stream: Stream) -> tuple[int, int]:
    messages = stream.sites * -(-stream.miners // stream.batch)
    return messages, stream.sites * stream.miners


def run_mosquitto_sub(stream: Stream, broker: BenchBroker, workdir: Path) -> Run:
    messages, readings = _expected(stream)
    sink = workdir / "mosquitto_sub.out"
    with sink.open("wb") as out:
        process = subprocess.Popen(
            [
                MOSQUITTO_SUB,
                "-p",
                str(broker.port),
                "-h",
                "127.0.0.1",
                "-t",
                f"{PREFIX}/sites/#",
                "-q",
                str(stream.qos),
                "-C",
                str(messages),
                "-W",
                "600",
            ],
            stdout=out,
        )
        time.sleep(0.5)  # mosquitto_sub says nothing when subscribed; it needs well under this
        published = _publish(stream, broker.port)
        # Wait for exit (all messages) or, when some were dropped, for the output to go idle.
        size, idle_since = -1, time.monotonic()
        usage: resource.struct_rusage | None = None
        peak_mb = 0.0
        while usage is None:
            pid, _status, rusage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                usage, end = rusage, time.time()
                process.returncode = 0
                break
            time.sleep(0.01)
            peak_mb = max(peak_mb, peak_rss_mb(process.pid))
            now_size = sink.stat().st_size
            if now_size != size:
                size, idle_since = now_size, time.monotonic()
            elif time.monotonic() - idle_since > 5:
                end = sink.stat().st_mtime
                os.kill(process.pid, signal.SIGTERM)
                _pid, _status, usage = os.wait4(process.pid, 0)
                process.returncode = -signal.SIGTERM
    received = sink.read_bytes().count(b"\n")
    if stream.batch > 1:
        received = received * stream.miners // -(-stream.miners // stream.batch)
    return Run(
        messages,
        readings,
        received,
        end - published["start"],
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_mb=peak_mb,
        publisher_acks=int(published.get("acks", 0)),
    )


def _run_python_subscriber(
    stream: Stream, broker: BenchBroker, argv: list[str], readings_per_message: int
) -> Run:
    messages, readings = _expected(stream)
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        read_json_line(process, 60)
        published = _publish(stream, broker.port)
        result = read_json_line(process, 900)
    finally:
        stop(process)  # type: ignore[arg-type]
    received = int(result["count"]) * readings_per_message
    return Run(
        messages,
        readings,
        received,
        float(result["last"]) - published["start"],
        cpu_s=float(result["cpu_s"]),
        max_rss_mb=float(result["max_rss_mb"]),
        publisher_acks=int(published.get("acks", 0)),
        extra={k: v for k, v in result.items() if k in ("rejected", "machines", "scrapes")},
    )


def run_counter(stream: Stream, broker: BenchBroker) -> Run:
    messages, _ = _expected(stream)
    argv = python_child(
        "bench.counter",
        "--port",
        str(broker.port),
        "--qos",
        str(stream.qos),
        "--expected",
        str(messages),
    )
    per_message = stream.miners // -(-stream.miners // stream.batch)
    return _run_python_subscriber(stream, broker, argv, per_message)


def collector_argv(
    stream: Stream, broker: BenchBroker, database_url: str, protocol: str, expected: int
) -> list[str]:
    return python_child(
        "bench.collector_proc",
        "--port",
        str(broker.port),
        "--sites",
        str(stream.sites),
        "--qos",
        str(stream.qos),
        "--expected",
        str(expected),
        "--database",
        database_url,
        "--protocol",
        protocol,
    )


def run_collector(
    stream: Stream, broker: BenchBroker, database_url: str, *, protocol: str = "5"
) -> Run:
    _, readings = _expected(stream)
    argv = collector_argv(stream, broker, database_url, protocol, readings)
    return _run_python_subscriber(stream, broker, argv, 1)


def run_exporter(stream: Stream, broker: BenchBroker) -> Run:
    """The peer, ``mqtt-exporter`` (``bench/peer.py``), on one stream."""
    messages, readings = _expected(stream)
    outcome = run_peer(broker, lambda: _publish(stream, broker.port))
    return Run(
        messages,
        readings,
        outcome.received,
        outcome.end - outcome.published["start"],
        cpu_s=outcome.cpu_s,
        max_rss_mb=outcome.max_rss_mb,
    )


@contextlib.contextmanager
def postgres(workdir: Path) -> Iterator[PostgresServer]:
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        raise SystemExit("--scale-out needs PostgreSQL (initdb, postgres) installed")
    workdir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    server = PostgresServer(workdir / "pg", bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_scale_out(
    stream: Stream, broker: BenchBroker, pg: PostgresServer, protocol: str
) -> dict[str, Run]:
    """One collector shard against two, on one broker and one PostgreSQL."""
    results: dict[str, Run] = {}
    url = pg.create_database(f"one_{time.time_ns()}")
    results["1 shard"] = run_collector(stream, broker, url, protocol=protocol)
    url = pg.create_database(f"two_{time.time_ns()}")
    _, readings = _expected(stream)
    owned = [
        sum(1 for index in range(stream.sites) if shard_of(f"site-{index:04d}", 2) == part)
        for part in (0, 1)
    ]
    processes = []
    for part in (0, 1):
        argv = [
            *collector_argv(stream, broker, url, protocol, owned[part] * stream.miners),
            "--shard",
            f"{part}/2",
        ]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        processes.append(process)
        # One at a time: both would otherwise create the schema at once.
        read_json_line(process, 60)
    try:
        published = _publish(stream, broker.port)
        outcomes = [read_json_line(process, 900) for process in processes]
    finally:
        for process in processes:
            stop(process)  # type: ignore[arg-type]
    results["2 shards"] = Run(
        stream.sites * stream.miners,
        readings,
        sum(int(o["count"]) for o in outcomes),
        max(float(o["last"]) for o in outcomes) - published["start"],
        cpu_s=sum(float(o["cpu_s"]) for o in outcomes),
        max_rss_mb=max(float(o["max_rss_mb"]) for o in outcomes),
        publisher_acks=int(published.get("acks", 0)),
    )
    return results


def best_of(runs: list[Run]) -> Run:
    """The run with the median rate (its CPU and RSS figures belong to that run)."""
    ordered = sorted(runs, key=lambda run: run.readings_per_s)
    return ordered[len(ordered) // 2]


COLLECTORS = ("d", "e")
"""The collector's letters, one per ``--protocol`` listed: d on the first, e on the second."""


def collector_cells(protocols: list[str]) -> list[tuple[str, str, str]]:
    """Each collector's letter, cell name and protocol: ``d reservewatch`` on the first listed,
    ``e reservewatch 3.1.1`` (say) on a second, so both transports meet one stream in one run."""
    return [
        (letter, f"{letter} reservewatch" + ("" if letter == "d" else f" {protocol}"), protocol)
        for letter, protocol in zip(COLLECTORS, protocols, strict=False)
    ]


def run_round(
    stream: Stream,
    broker: BenchBroker,
    workdir: Path,
    args: argparse.Namespace,
    *,
    label: str,
    counter: bool = True,
    peer: bool = False,
) -> dict[str, Run]:
    """Every subscriber in turn on ``stream``, ``--repeat`` times interleaved; the median each."""
    cells: dict[str, list[Run]] = {}
    for attempt in range(args.repeat):
        cells.setdefault("a mosquitto_sub", []).append(run_mosquitto_sub(stream, broker, workdir))
        if counter:
            cells.setdefault("b gmqtt count", []).append(run_counter(stream, broker))
        if peer:
            cells.setdefault("c mqtt-exporter", []).append(run_exporter(stream, broker))
        for _letter, name, protocol in collector_cells(args.protocols):
            url = f"sqlite+aiosqlite:///{workdir}/{label}-{protocol}-{attempt}.db"
            cells.setdefault(name, []).append(run_collector(stream, broker, url, protocol=protocol))
    return {f"{label} {name}": best_of(runs) for name, runs in cells.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Ingest benchmark", formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--miners", type=int, default=1000, help="machines per site")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the median counts")
    parser.add_argument("--batch", type=int, default=100, help="readings per batched message")
    parser.add_argument("--qos", default="0,1", help="QoS levels to run, e.g. 0,1")
    parser.add_argument(
        "--protocol",
        default="5",
        help="the collector's mqtt.protocol: 5 (the mqtt5 codec transport) or 3.1.1 (gmqtt); "
        "5,3.1.1 runs both on every stream (d and e)",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip mqtt-exporter")
    parser.add_argument("--scale-out", action="store_true", help="1 vs 2 shards on PostgreSQL")
    parser.add_argument(
        "--site-readings",
        type=int,
        default=1000,
        help="single-site readings per site for the QoS 0 site-level stream (0: skip it)",
    )
    args = parser.parse_args()
    args.protocols = args.protocol.split(",")
    if not 1 <= len(args.protocols) <= len(COLLECTORS) or not set(args.protocols) <= {"5", "3.1.1"}:
        parser.error("--protocol takes 5, 3.1.1, 5,3.1.1 or 3.1.1,5")
    levels = [int(q) for q in args.qos.split(",")]

    results: dict[str, Run] = {}
    with tempfile.TemporaryDirectory(prefix="rw-bench-") as tmp:
        workdir = Path(tmp)
        broker = BenchBroker(workdir / "broker")
        broker.start()
        try:
            for qos in levels:
                results |= run_round(
                    Stream(args.sites, args.miners, qos),
                    broker,
                    workdir,
                    args,
                    label=f"QoS {qos}",
                    peer=qos == 0 and not args.no_peer,
                )
            if 0 in levels and args.site_readings > 0:
                # The shape most sites send: one reading a second per site on …/telemetry.
                results |= run_round(
                    Stream(args.sites, args.site_readings, 0, shape="site"),
                    broker,
                    workdir,
                    args,
                    label="QoS 0 site-level",
                    peer=not args.no_peer,
                )
            if args.batch > 1:
                results |= run_round(
                    Stream(args.sites, args.miners, 1, args.batch),
                    broker,
                    workdir,
                    args,
                    label=f"QoS 1 batch×{args.batch}",
                    counter=False,
                )
            if args.scale_out:
                try:
                    with postgres(workdir) as pg:
                        stream = Stream(args.sites, args.miners, 1)
                        runs = run_scale_out(stream, broker, pg, args.protocols[0])
                        for name, run in runs.items():
                            results[f"QoS 1 PostgreSQL {name}"] = run
                except (subprocess.CalledProcessError, TimeoutError, RuntimeError) as err:
                    print(f"scale-out skipped: {err}")
        finally:
            broker.stop()
    report(args, results)


def _ratio(results: dict[str, Run], numerator: str, denominator: str) -> float | None:
    top, bottom = results.get(numerator), results.get(denominator)
    if top is None or bottom is None or not bottom.readings_per_s:
        return None
    return top.readings_per_s / bottom.readings_per_s


STREAMS = (
    ("qos0", "QoS 0"),
    ("qos0_site", "QoS 0 site-level"),
    ("qos1", "QoS 1"),
)


def ratios_of(args: argparse.Namespace, results: dict[str, Run]) -> dict[str, float | None]:
    """Each collector's rate over a, b and c's on the same stream in this run."""
    ratios: dict[str, float | None] = {}
    streams = [*STREAMS, ("qos1_batch", f"QoS 1 batch×{args.batch}")]
    for key, label in streams:
        for letter, name, _protocol in collector_cells(args.protocols):
            for peer in ("a mosquitto_sub", "b gmqtt count", "c mqtt-exporter"):
                ratio = _ratio(results, f"{label} {name}", f"{label} {peer}")
                if ratio is not None:
                    ratios[f"{key}_{letter}_over_{peer[0]}"] = ratio
    ratios["scale_out_2_over_1"] = _ratio(
        results, "QoS 1 PostgreSQL 2 shards", "QoS 1 PostgreSQL 1 shard"
    )
    return ratios


def report(args: argparse.Namespace, results: dict[str, Run]) -> None:
    print(
        f"\nIngest: {args.sites} sites × {args.miners} machines, ~137-byte readings; "
        f"site-level: {args.sites} sites × {args.site_readings} readings, ~170 bytes"
    )
    transports = "; ".join(
        f"{name}: mqtt.protocol {protocol} ({TRANSPORTS[protocol]})"
        for _letter, name, protocol in collector_cells(args.protocols)
    )
    print(f"{transports}\nmachine: {machine()}; {load_average()}; median of {args.repeat}\n")
    rows = [
        [
            name,
            f"{run.messages_per_s:,.0f}",
            f"{run.readings_per_s:,.0f}",
            f"{run.received:,}/{run.readings:,}",
            f"{run.dropped:,}",
            f"{run.cpu_us_per_reading:.1f}",
            f"{run.max_rss_mb:.0f}" if run.max_rss_mb >= 1 else "— (exited before sampled)",
        ]
        for name, run in results.items()
    ]
    print(
        table(
            [
                "stream · subscriber",
                "messages/s",
                "readings/s",
                "received",
                "dropped",
                "CPU µs / reading",
                "peak RSS MB",
            ],
            rows,
        )
    )
    ratios = ratios_of(args, results)
    print()
    print(
        table(
            ["ratio", "value"],
            [[name, "—" if value is None else f"{value:.2f}"] for name, value in ratios.items()],
        )
    )
    emit(
        "ingest",
        {
            "sites": args.sites,
            "miners_per_site": args.miners,
            "machine": machine(),
            "load_average": load_average(),
            "protocols": args.protocols,
            "ratios": ratios,
            "runs": {
                name: {
                    "messages_per_s": round(run.messages_per_s),
                    "readings_per_s": round(run.readings_per_s),
                    "received": run.received,
                    "expected": run.readings,
                    "dropped": run.dropped,
                    "cpu_us_per_reading": round(run.cpu_us_per_reading, 2),
                    "max_rss_mb": round(run.max_rss_mb, 1),
                    **run.extra,
                }
                for name, run in results.items()
            },
        },
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
