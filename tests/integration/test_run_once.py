"""`reservewatch run --once` fills the store from every pool kind and the chain, idempotently."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.config import load_config
from collector.store.database import open_engine
from collector.store.queries import Store
from simulator.world import OPERATIONS, SEIZED_CASE, VAULT
from tests.support.demo_world import DemoWorld, demo_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[DemoWorld]:
    # `run --once` is a process of its own, on the system clock: the world is built at today.
    async with demo_world(tmp_path, datetime.now(UTC)) as built:
        yield built


async def _run_once(config: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "collector.cli", "run", "--once", "--config", str(config)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.integration
@pytest.mark.slow
async def test_one_pass_fills_the_store_from_every_source_and_a_second_changes_nothing(
    world: DemoWorld,
) -> None:
    first = await _run_once(world.config_path, world.env)
    assert first.returncode == 0, first.stderr
    targets = dict(line.split(": ") for line in first.stdout.splitlines())
    pool_targets = [t for t in targets if "/" in t and not t.startswith("127.0.0.1")]
    assert len(pool_targets) == sum(len(op.pools) for op in OPERATIONS)
    assert all(result == "ok" for target, result in targets.items() if target in pool_targets)

    config = load_config(world.config_path)
    async with Store(open_engine(config.database)) as store:
        earnings = await store.earnings()
        kinds = {e.pool_kind for e in earnings}
        assert kinds == {"braiins", "f2pool", "antpool", "foundry", "luxor", "ocean"}
        assert len(await store.pool_statuses()) == len(pool_targets)
        assert await store.chain_tip("main") is not None
        outputs = await store.reserve_outputs()
        remitted = {o.operation_id for o in outputs if o.role == "reserve"}
        assert remitted == {op.id for op in OPERATIONS}
        # The demo's reserve story: the case's coins, the vault, the payment outside them.
        assert {(o.role, o.operation_id) for o in outputs if o.role != "reserve"} == {
            ("intake", SEIZED_CASE),
            ("custody", VAULT),
            ("outside", ""),
        }

        second = await _run_once(world.config_path, world.env)
        assert second.returncode == 0, second.stderr
        assert await store.earnings() == earnings
        assert await store.reserve_outputs() == outputs
