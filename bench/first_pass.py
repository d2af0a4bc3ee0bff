"""Benchmark — a restart's first accounts pass, in process: when the accounts are out and
when the whole snapshot (the reserve's figures too) is in.

A new :class:`~collector.accounts.service.AccountsService` over a copy of a filled store
(``bench.startup``'s, kept by its ``--store FILE``) after one untimed pass has kept its
assessments, as a restart's first pass finds it; each pass on a new service.
``--no-assessments`` patches the Assessor to find none: the pass as it was before the
assessments (issue 26), to tell their cost from the rest's.

    .venv/bin/python -m bench.first_pass --store FILE
    .venv/bin/python -m bench.first_pass --store FILE --no-assessments
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import emit, machine, table
from bench.recompute import raw_config
from collector.accounts import service
from collector.accounts.assessments import Assessor
from collector.accounts.reserve import LiveReserve
from collector.clock import SystemClock
from collector.config.load import parse_config
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store


async def _no_assessments(*_: Any, **__: Any) -> dict[str, Any]:
    return {}


async def measure(store_file: Path, operations: int, repeat: int) -> list[dict[str, float]]:
    """Each pass's seconds to the accounts (at the reserve's read) and to the whole."""
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="rw-first-pass-") as tmp:
        copy = Path(tmp) / "store.db"
        shutil.copy(store_file, copy)
        config = parse_config(raw_config(operations, f"sqlite+aiosqlite:///{copy}"))
        engine = open_engine(config.database)
        await upgrade(engine)
        store = Store(engine, SystemClock())
        read_reserve = LiveReserve.read
        try:
            # As a first start leaves the store (its assessments kept for this code), untimed.
            await service.AccountsService(config, store, SystemClock()).recompute()
            for _ in range(repeat):
                accounts = service.AccountsService(config, store, SystemClock())
                started = time.perf_counter()
                marks: dict[str, float] = {}

                async def timed(
                    self: Any, *args: Any, marks: dict[str, float] = marks, started: float = started
                ) -> Any:
                    marks["accounts_s"] = time.perf_counter() - started
                    return await read_reserve(self, *args)

                LiveReserve.read = timed  # type: ignore[method-assign, assignment]
                await accounts.recompute()
                runs.append({**marks, "whole_s": time.perf_counter() - started})
        finally:
            LiveReserve.read = read_reserve  # type: ignore[method-assign]
            await engine.dispose()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description="A restart's first accounts pass, in process")
    parser.add_argument("--store", required=True, help="a filled SQLite store (bench.startup's)")
    parser.add_argument("--operations", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-assessments", action="store_true")
    args = parser.parse_args()
    if args.no_assessments:
        Assessor.read = _no_assessments  # type: ignore[method-assign]
    runs = asyncio.run(measure(Path(args.store), args.operations, args.repeat))
    print(f"\nFirst accounts pass in process; machine: {machine()}\n")
    rows: list[list[object]] = [
        [f"pass {n + 1}", f"{r['accounts_s']:.2f}", f"{r['whole_s']:.2f}"]
        for n, r in enumerate(runs)
    ]
    rows.append(
        [
            "median",
            f"{statistics.median(r['accounts_s'] for r in runs):.2f}",
            f"{statistics.median(r['whole_s'] for r in runs):.2f}",
        ]
    )
    print(table(["pass", "accounts out s", "whole snapshot s"], rows))
    emit("first_pass", {"machine": machine(), "assessments": not args.no_assessments, "runs": runs})


if __name__ == "__main__":
    main()
