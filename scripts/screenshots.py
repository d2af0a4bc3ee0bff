"""Renders the README's pictures into docs/img (run through ``scripts/screenshots``).

* ``grid-report.png``: ``report grid`` of October 2026 drawn from a throwaway SQLite store
  filled with a simulated month of the demo world (:mod:`simulator.month`): the live
  demo only holds minutes of telemetry, a grid report wants a month.
* ``statement.png``: page 1 of pavlodar-3's signed statement for the demo's previous month,
  from a short run of ``reservewatch demo`` then ``reservewatch statement --format pdf``,
  rasterised with ``pdftoppm`` (Debian poppler-utils).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from collector.documents.grid_report import render_grid_report  # noqa: E402
from collector.store.database import open_engine, upgrade  # noqa: E402
from collector.store.queries import Store  # noqa: E402
from remittance.periods import parse_period_label  # noqa: E402
from simulator.month import fill_month, month_config  # noqa: E402

GRID_PERIOD = "2026-10"
STATEMENT_OPERATION = "pavlodar-3"
DEMO_SECONDS = 180  # at most; the statement is taken once the backfill is complete
POLL_SECONDS = 5
STATEMENT_DPI = 90


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tool(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    found = str(beside_python) if beside_python.exists() else shutil.which(name)
    if found is None:
        sys.exit(f"screenshots: {name} is not installed")
    return found


async def grid_report_png(workdir: Path) -> bytes:
    config = month_config(f"sqlite+aiosqlite:///{workdir}/month.db")
    engine = open_engine(config.database)
    try:
        await upgrade(engine)
        store = Store(engine)
        await fill_month(store, parse_period_label(GRID_PERIOD))
        return await render_grid_report(config, store, GRID_PERIOD, ".png")
    finally:
        await engine.dispose()


def previous_month_label(now: datetime) -> str:
    last_of_previous = now.replace(day=1) - timedelta(days=1)
    return f"{last_of_previous.year:04d}-{last_of_previous.month:02d}"


def _statement(demo_dir: Path, fmt: str, out: Path) -> None:
    subprocess.run(
        [
            _tool("reservewatch"),
            "statement",
            "--config",
            str(demo_dir / "config.yaml"),
            "--operation",
            STATEMENT_OPERATION,
            "--period",
            previous_month_label(datetime.now(UTC)),
            "--format",
            fmt,
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )


def statement_png(demo: subprocess.Popen[bytes], demo_dir: Path, out: Path) -> None:
    """Once the demo's network backfill is complete (the statement has expected figures for
    every day), build the statement PDF and rasterise its page 1 to ``out``."""
    deadline = time.monotonic() + DEMO_SECONDS
    draft = demo_dir / "statement.json"
    while True:
        time.sleep(POLL_SECONDS)
        if demo.poll() is not None:
            sys.exit(f"screenshots: the demo stopped early; see {demo_dir}/demo.log")
        if not (demo_dir / "reservewatch.db").exists():
            continue
        try:
            _statement(demo_dir, "json", draft)
        except subprocess.CalledProcessError:
            continue  # the demo has not stored the operation's first figures yet
        if "no_network_data" not in draft.read_text():
            break
        if time.monotonic() > deadline:
            sys.exit("screenshots: the demo's network backfill did not complete in time")
    pdf = demo_dir / "statement.pdf"
    _statement(demo_dir, "pdf", pdf)
    prefix = demo_dir / "statement-page"
    subprocess.run(
        [
            _tool("pdftoppm"),
            "-png",
            "-r",
            str(STATEMENT_DPI),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    shutil.copyfile(prefix.with_suffix(".png"), out)


def main() -> int:
    parser = argparse.ArgumentParser(prog="scripts/screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "img")
    parser.add_argument("--skip-statement", action="store_true", help="only the grid report")
    arguments = parser.parse_args()
    out: Path = arguments.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="reservewatch-screenshots-") as folder:
        workdir = Path(folder)
        demo_dir = workdir / "demo"
        demo_dir.mkdir()
        demo = None
        if not arguments.skip_statement:
            with (demo_dir / "demo.log").open("wb") as log:
                demo = subprocess.Popen(
                    [
                        _tool("reservewatch"),
                        "demo",
                        "--listen",
                        f"127.0.0.1:{_free_port()}",
                        "--workdir",
                        str(demo_dir),
                        "--duration",
                        str(DEMO_SECONDS + 60),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        try:
            (out / "grid-report.png").write_bytes(asyncio.run(grid_report_png(workdir)))
            print(f"wrote {out / 'grid-report.png'}")
            if demo is not None:
                statement_png(demo, demo_dir, out / "statement.png")
                print(f"wrote {out / 'statement.png'}")
        finally:
            if demo is not None and demo.poll() is None:
                demo.terminate()
                demo.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
