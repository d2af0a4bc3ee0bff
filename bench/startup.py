"""Benchmark 6 — start-up: how soon the figures are there after a start.

1. **Restart on a filled store.** A store holding 100 operations × 2 years
   (``bench.recompute``'s history, ``bench.api``'s store; not timed), ``reservewatch run``
   started on it once and stopped when every operation's figures are out (the store as a
   running collector leaves it: its kept assessments among the rest; that first start is
   shown too), then started again as an operator restarts it (a real Mosquitto; the pools
   and the chain pointed at a closed local port, so nothing outside is asked and their polls
   fail fast). Timed from the
   process's start: the first answer of ``/healthz``, and the first ``/metrics`` holding every
   operation's remittance figures (``reservewatch_operation_remittance_due_btc_total`` and
   ``…_remitted_btc_total`` for each one). Target ≤ 5 s.
2. **The demo.** ``reservewatch demo`` started in a fresh folder; timed from the process's start:
   its banner, its first summary with an operation's figures (each operation's figures move
   once its own sources have been polled), and the first with every operation's. Target ≤ 15 s.

    .venv/bin/python -m bench.startup                         # 100 operations × 730 days
    .venv/bin/python -m bench.startup --operations 5 --days 60 --repeat 1
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.api import api_config, filled_store
from bench.common import ROOT, BenchBroker, emit, machine, table
from simulator.world import OPERATIONS
from tests.support.processes import free_port, stop

RESTART_TARGET_S = 5.0
DEMO_TARGET_S = 15.0
_FIGURES = (
    "reservewatch_operation_remittance_due_btc_total",
    "reservewatch_operation_remitted_btc_total",
)


def _get(port: int, path: str) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    except OSError:
        return None
    finally:
        connection.close()
    return body.decode() if response.status == 200 else None


def _operations_with_figures(exposition: str) -> set[str]:
    """The operations whose due and remitted figures the exposition holds."""
    seen: dict[str, set[str]] = {}
    for line in exposition.splitlines():
        for name in _FIGURES:
            if line.startswith(name + "{"):
                operation = line.split('operation="', 1)[1].split('"', 1)[0]
                seen.setdefault(operation, set()).add(name)
    return {operation for operation, names in seen.items() if len(names) == len(_FIGURES)}


def restart(args: argparse.Namespace, workdir: Path, number: int) -> dict[str, float]:
    run_dir = workdir / f"restart-{number}"
    run_dir.mkdir()
    database_url, _, _ = filled_store(
        run_dir / "store.db", args.operations, args.days, Path(args.store) if args.store else None
    )
    broker = BenchBroker(run_dir / "broker")
    broker.start()
    http_port = free_port()
    raw = api_config(
        args.operations,
        database_url,
        broker_port=broker.port,
        http_port=http_port,
        key_file=run_dir / "no-key.pem",
    )
    del raw["statement"]
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: polls fail at once
    raw["network"] = {"esplora_url": f"{closed}/api"}
    for operation in raw["operations"]:
        operation["pools"][0]["base_url"] = closed
    config_file = run_dir / "config.yaml"  # JSON is YAML
    config_file.write_text(json.dumps(raw), encoding="utf-8")
    wanted = {operation["id"] for operation in raw["operations"]}
    try:
        # The store as a running collector leaves it (its kept assessments among the rest),
        # then the restart that is timed.
        first = _start(config_file, http_port, wanted)
        again = _start(config_file, http_port, wanted)
    finally:
        broker.stop()
    return {"first_start_s": first["figures_s"], **again}


def _start(config_file: Path, http_port: int, wanted: set[str]) -> dict[str, float]:
    """Start ``reservewatch run``; the seconds to its first ``/healthz`` and to every
    operation's figures in ``/metrics``; stop it."""
    started = time.perf_counter()
    collector = subprocess.Popen(
        [sys.executable, "-m", "collector.cli", "run", "--config", str(config_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    healthz_s = figures_s = float("nan")
    try:
        deadline = started + 120
        while time.perf_counter() < deadline and collector.poll() is None:
            if healthz_s != healthz_s and _get(http_port, "/healthz") is not None:  # noqa: PLR0124 - NaN: not yet
                healthz_s = time.perf_counter() - started
            exposition = _get(http_port, "/metrics")
            if exposition is not None and _operations_with_figures(exposition) >= wanted:
                figures_s = time.perf_counter() - started
                break
            time.sleep(0.05)
    finally:
        stop(collector)
    if figures_s != figures_s:  # noqa: PLR0124 - NaN: never seen
        raise RuntimeError("the figures of every operation never appeared in /metrics")
    return {"healthz_s": healthz_s, "figures_s": figures_s}


def _with_figures(lines: list[str]) -> set[str]:
    """The operations the demo's summaries so far have shown figures for (not "waiting for
    the first pass", not "backfilling its pools")."""
    ids = {op.id for op in OPERATIONS}
    headers = [number for number, line in enumerate(lines) if "mined BTC" in line]
    if not headers:
        return set()  # the banner names operations too: only summary rows count
    return {
        line.split(" ", 1)[0]
        for line in lines[headers[0] :]
        if line.split(" ", 1)[0] in ids and "waiting" not in line and "backfilling" not in line
    }


def demo(workdir: Path, number: int) -> dict[str, float]:
    folder = workdir / f"demo-{number}"
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            *("-m", "collector.cli", "demo", "--duration", "90"),
            *("--workdir", str(folder), "--listen", f"127.0.0.1:{free_port()}"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    marks: dict[str, float] = {}
    lines: list[str] = []

    def read() -> None:
        stdout = process.stdout
        if stdout is None:
            return
        for line in stdout:
            now = time.perf_counter() - started
            lines.append(line)
            if line.startswith("reservewatch demo") and "banner_s" not in marks:
                marks["banner_s"] = now
            if "first pass:" in line and "backfilling_s" not in marks:
                marks["backfilling_s"] = now
            shown = _with_figures(lines)
            if shown and "first_figures_s" not in marks:
                marks["first_figures_s"] = now
            if len(shown) >= len(OPERATIONS):
                marks["summary_s"] = now
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=120)
    stop(process)  # type: ignore[arg-type]
    if "summary_s" not in marks:
        raise RuntimeError("the demo printed no summary with figures:\n" + "".join(lines[-20:]))
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description="Start-up benchmark")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--store", help="SQLite file keeping the filled store (copied per run)")
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args()
    restarts: list[dict[str, float]] = []
    demos: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="rw-startup-") as tmp:
        for number in range(args.repeat):
            restarts.append(restart(args, Path(tmp), number))
            if not args.no_demo:
                demos.append(demo(Path(tmp), number))
    print(
        f"\nStart-up: restart on {args.operations} operations × {args.days} days, and the demo; "
        f"each run shown, median last; machine: {machine()}\n"
    )
    rows: list[list[object]] = [
        [
            f"restart {number + 1}",
            f"{run['healthz_s']:.2f}",
            f"{run['figures_s']:.2f} (first start on the filled store {run['first_start_s']:.2f})",
            f"≤ {RESTART_TARGET_S:.0f} s",
        ]
        for number, run in enumerate(restarts)
    ]
    rows.append(
        [
            "restart median",
            f"{statistics.median(r['healthz_s'] for r in restarts):.2f}",
            f"{statistics.median(r['figures_s'] for r in restarts):.2f}",
            f"≤ {RESTART_TARGET_S:.0f} s",
        ]
    )
    for row in rows:
        row.insert(2, "")
    rows.extend(
        [
            f"demo {number + 1}",
            f"{run.get('banner_s', float('nan')):.2f} (banner)",
            f"{run.get('first_figures_s', float('nan')):.2f}",
            f"{run['summary_s']:.2f}",
            f"≤ {DEMO_TARGET_S:.0f} s",
        ]
        for number, run in enumerate(demos)
    )
    if demos:
        rows.append(
            [
                "demo median",
                "",
                f"{statistics.median(d.get('first_figures_s', float('nan')) for d in demos):.2f}",
                f"{statistics.median(d['summary_s'] for d in demos):.2f}",
                f"≤ {DEMO_TARGET_S:.0f} s",
            ]
        )
    headers = [
        "start",
        "first /healthz s",
        "first summary with figures s",
        "every operation's figures s",
        "target",
    ]
    print(table(headers, rows))
    result: dict[str, Any] = {"machine": machine(), "restarts": restarts, "demos": demos}
    emit("startup", result)


if __name__ == "__main__":
    main()
