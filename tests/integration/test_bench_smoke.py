"""Each benchmark runs end to end at a tiny size and prints its machine-readable line.

Proof that the benchmarks still run, not a measurement: no timing is asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, *args: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    lines = [line for line in completed.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    assert len(lines) == 1, completed.stdout[-2000:]
    result: dict[str, Any] = json.loads(lines[0].removeprefix("BENCH_RESULT "))
    return result


def test_ingest_benchmark_counts_every_reading_at_both_qos_levels_on_both_transports() -> None:
    result = run_bench(
        "bench.ingest",
        *("--sites", "2", "--miners", "50", "--batch", "10", "--no-peer", "--site-readings", "20"),
        *("--protocol", "5,3.1.1"),
    )
    runs = result["runs"]
    assert result["protocols"] == ["5", "3.1.1"]
    for collector in ("d reservewatch", "e reservewatch 3.1.1"):
        assert runs[f"QoS 1 {collector}"]["received"] == 100
        assert runs[f"QoS 0 site-level {collector}"]["received"] == 40
        assert runs[f"QoS 1 batch×10 {collector}"]["received"] == 100
        assert runs[f"QoS 0 {collector}"]["cpu_us_per_reading"] > 0
    assert all(run["dropped"] == 0 for run in runs.values())


def test_scrape_benchmark_reports_latency_and_size() -> None:
    result = run_bench(
        "bench.scrape", "--sites", "20", "--operations", "5", "--scrapes", "2", "--miners", "20"
    )
    assert result["results"][0]["series"] > 20
    assert (result["results"][0]["qos"], result["results"][0]["protocol"]) == (0, "5")


def test_recompute_benchmark_rebuilds_every_account() -> None:
    result = run_bench(
        "bench.recompute", "--operations", "2", "--days", "20", "--backends", "sqlite"
    )
    assert result["results"]["SQLite"]["rows"] > 0


def test_memory_benchmark_holds_every_machine() -> None:
    result = run_bench("bench.memory", "--sites", "2", "--miners", "100", "--batch", "50")
    assert result["machines"] == 200


def test_api_benchmark_answers_balances_and_statements_while_ingest_runs() -> None:
    result = run_bench(
        "bench.api",
        *("--operations", "2", "--days", "40", "--requests", "8"),
        *("--rate", "1000", "--miners", "10", "--rounds", "30", "--min-seconds", "0"),
    )
    assert result["all"]["count"] == 8
    assert result["idle all"]["count"] == 2


def test_startup_benchmark_sees_every_operations_figures_after_a_restart() -> None:
    result = run_bench(
        "bench.startup", "--operations", "2", "--days", "40", "--repeat", "1", "--no-demo"
    )
    assert len(result["restarts"]) == 1
    assert result["restarts"][0]["figures_s"] > 0


def test_hotpath_benchmark_times_both_paths_and_both_flushes() -> None:
    result = run_bench("bench.hotpath", "--readings", "2000", "--minutes", "2", "--flushes", "1")
    assert result["site_reading_us"] > 0
    assert result["machine_reading_us"] > 0
    assert result["flush_ms"] > 0
    assert result["flush_rows_written_in_ms"] > 0
