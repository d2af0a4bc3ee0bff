"""Every pool kind yields mined, a daily hash rate and an expected figure, end to end.

One operation per pool kind, each with one of the demo's accounts, is polled by the real
collector on a frozen clock once an hour from 29 November 23:00 to 1 December 03:00 UTC
(F2Pool credits a day when it settles it, at 02:00 the next day). Braiins, F2Pool, Foundry
and Luxor publish the day's hash rate; AntPool and OCEAN do not, so the collector averages its
own hourly samples. Then the ``statement`` command prints each operation's November as of
then: 30 November has a mined amount, a hash rate saying where it came from, and an expected
figure.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.app import Collector
from collector.config.load import load_config
from collector.sources import pool_jobs
from tests.support.configs import editing
from tests.support.demo_world import demo_world, one_operation_per_kind
from tests.support.reserve_config import signing_key_file

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
END = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # F2Pool settles 30 November at 02:00
DAY = date(2026, 11, 30)
KINDS = ("braiins", "f2pool", "antpool", "foundry", "luxor", "ocean")
SAMPLED = {"ocean"}


async def test_every_pool_kind_gives_mined_a_daily_hash_rate_and_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for kind in pool_jobs.RATE_LIMITS:  # the pools' politeness limits, sped up for the test
        monkeypatch.setitem(pool_jobs.RATE_LIMITS, kind, (1000.0, 1.0))  # type: ignore[index]
    # The world as of END (the pools hold every credit of 30 November), its clock set back
    # to START: each poll sees what the pools show at that hour.
    async with demo_world(tmp_path, END) as world:
        world.clock.jump((START - END).total_seconds())
        key_file = signing_key_file(tmp_path)
        with editing(world.config_path) as document:
            one_operation_per_kind(document, KINDS, poll_interval_s=3600)  # polled hourly
            document["network"]["backfill_days"] = 3
            document["statement"] = {"signing_key_file": str(key_file)}
        for name, value in world.env.items():
            monkeypatch.setenv(name, value)
        async with Collector(load_config(world.config_path), world.clock, telemetry=False) as c:
            while world.clock.now() <= END:
                results = await c.run_once()
                assert all(result == "ok" for result in results.values()), results
                world.clock.jump(3600)
        statements = {
            kind: await _statement(world.config_path, f"on-{kind}", world.env) for kind in KINDS
        }
    for kind, statement in statements.items():
        [day] = [d for d in statement["days"] if d["day"] == DAY.isoformat()]
        assert day["mined_sat"] > 0, kind
        assert day["pool_hashrate_hs"] is not None, kind
        assert day["pool_hashrate_source"] == ("samples" if kind in SAMPLED else "pool"), kind
        if kind in SAMPLED:
            assert day["pool_hashrate_coverage"] == "1.0000", kind
        assert day["expected_sat"] > 0, kind
        assert day["missing_reason"] is None, kind
        # Within the pool's fee and the demo's noise (pavlodar-3's F2Pool account, by the
        # demo's story, reports 90 % of what it mined).
        assert 0.85 < day["mined_sat"] / day["expected_sat"] < 1.05, (kind, day)


async def _statement(config: Path, operation: str, env: dict[str, str]) -> dict[str, Any]:
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable, "-m", "collector.cli", "statement", "--config", str(config),
            "--operation", operation, "--period", "2026-11", "--as-of", END.isoformat(),
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)["statement"]  # inside its signature
    return result
