"""`reservewatch run --once` fills the store from every pool kind and the chain, idempotently."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from collector.config import load_config
from collector.demo.broker import Broker
from collector.demo.fake_esplora import FakeChain, serve
from collector.demo.fake_pools import FakePoolServer
from collector.demo.runner import _set_up_pools, demo_config
from collector.demo.world import OPERATIONS, build_history, history_start
from collector.store.database import open_engine
from collector.store.queries import Store


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[Path, dict[str, str]]]:
    now = datetime.now(UTC)
    chain = FakeChain(start=history_start(now))
    history = build_history(now, chain)
    runner, port = await serve(chain)
    pools = FakePoolServer()
    await pools.start()
    env = _set_up_pools(pools, history)
    config = demo_config(
        workdir=tmp_path,
        listen="127.0.0.1:9",
        broker=Broker("mqtt://127.0.0.1:9", "5", "none"),
        esplora_url=f"http://127.0.0.1:{port}/api",
        pools=pools,
        regulator_token="unused",
    )
    config["statement"] = {}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    yield path, env
    await pools.close()
    await runner.cleanup()


async def _run_once(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import asyncio

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
    world: tuple[Path, dict[str, str]],
) -> None:
    config_path, env = world
    first = await _run_once(config_path, env)
    assert first.returncode == 0, first.stderr
    targets = dict(line.split(": ") for line in first.stdout.splitlines())
    pool_targets = [t for t in targets if "/" in t and not t.startswith("127.0.0.1")]
    assert len(pool_targets) == sum(len(op.pools) for op in OPERATIONS)
    assert all(result == "ok" for target, result in targets.items() if target in pool_targets)

    config = load_config(config_path)
    store = Store(open_engine(config.database))
    earnings = await store.earnings()
    kinds = {e.pool_kind for e in earnings}
    assert kinds == {"braiins", "f2pool", "antpool", "foundry", "luxor", "ocean"}
    assert len(await store.pool_statuses()) == len(pool_targets)
    assert await store.chain_tip("main") is not None
    outputs = await store.reserve_outputs()
    assert {o.operation_id for o in outputs} == {op.id for op in OPERATIONS}

    second = await _run_once(config_path, env)
    assert second.returncode == 0, second.stderr
    assert await store.earnings() == earnings
    assert await store.reserve_outputs() == outputs
    await store.close()
