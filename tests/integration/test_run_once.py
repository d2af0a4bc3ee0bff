"""`reservewatch run --once` fills the store from every pool kind and the chain, idempotently."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from collector.accounts.snapshot import snapshot_as_of
from collector.config.load import load_config
from collector.sources.network_days import day_start
from collector.store.database import open_engine
from collector.store.queries import Store
from remittance.obligations import MissingReason
from simulator.world import (
    OPERATIONS,
    SEIZED_CASE,
    VAULT,
    history_months,
    history_start,
)
from tests.support.configs import editing
from tests.support.demo_world import DemoWorld, demo_world, one_operation_per_kind


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[DemoWorld]:
    # `run --once` is a process of its own, on the system clock: the world is built at today.
    async with demo_world(tmp_path, datetime.now(UTC)) as built:
        yield built


async def _run_once(
    config: Path, env: Mapping[str, str], *options: str
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "collector.cli", "run", "--once", "--config", str(config), *options],
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


def _progress(stderr: str, since: date) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"backfill from {since}:")]


@pytest.mark.integration
@pytest.mark.slow
async def test_a_backfill_since_a_day_stores_every_days_network_figures_and_shows_progress(
    tmp_path: Path,
) -> None:
    # 90 days or more back, and the history's first month in full: the backfilled month.
    now = datetime.now(UTC)
    since = min((now - timedelta(days=90)).date(), history_start(now).date())
    month = history_months(now)[0]
    chain_start = day_start(since) - timedelta(days=2)
    async with demo_world(tmp_path, now, chain_start=chain_start) as world:
        with editing(world.config_path) as document:
            one_operation_per_kind(document)
        first = await _run_once(world.config_path, world.env, "--since", since.isoformat())
        assert first.returncode == 0, first.stderr
        days = (now.date() - since).days
        progress = _progress(first.stderr, since)
        # Not a terminal: a plain line at the start, every 10 s and at the end.
        assert progress[0].startswith(f"backfill from {since}: network 0/{days} days, 0 requests")
        assert progress[-1].startswith(f"backfill from {since}: done: network {days}/{days} days")
        assert "limit 200/s" in progress[-1]
        assert progress[-1].endswith("; chain 1/1, pool 6/6")

        config = load_config(world.config_path)
        async with Store(open_engine(config.database)) as store:
            stored = {d.day: d for d in await store.network_days(start=since)}
            closed = [since + timedelta(days=n) for n in range(days)]
            assert [d for d in closed if not (d in stored and stored[d].complete)] == []
            # As of after the run (it is a process of its own, on the system clock).
            snapshot = await snapshot_as_of(store, config, datetime.now(UTC))
            for operation in config.operations:
                obligation = snapshot.accounts[operation.id].obligation_for(month.label)
                assert obligation is not None, operation.id
                reasons = {missing.reason for missing in obligation.missing_days}
                if operation.id == "on-ocean":
                    # OCEAN publishes no daily hash rate (no public client reads a history of
                    # one): its past days have none to read, and the statement says so.
                    assert reasons == {MissingReason.POOL_PUBLISHES_NO_HISTORY}
                    continue
                assert reasons == set(), operation.id
                assert obligation.expected_sat > 0, operation.id

            # Started again, it fetches nothing it stored: the tip and the page joining it.
            again = await _run_once(world.config_path, world.env, "--since", since.isoformat())
            assert again.returncode == 0, again.stderr
            [line] = _progress(again.stderr, since)[-1:]
            requests = int(line.split(" days, ")[1].split(" requests")[0])
            assert requests <= 4, line


@pytest.mark.integration
@pytest.mark.slow
async def test_a_backfill_that_cannot_fill_every_day_exits_1_saying_what_is_missing(
    world: DemoWorld,
) -> None:
    # The world's chain starts with its history: there are no blocks for five days before.
    start = history_start(world.now).date()
    since = start - timedelta(days=5)
    done = await _run_once(world.config_path, world.env, "--since", since.isoformat())
    assert done.returncode == 1, done.stderr
    assert _progress(done.stderr, since)[-1].startswith(f"backfill from {since}: stopped:")
    last = done.stderr.splitlines()[-1]
    # The day the chain starts has no parent stored, so it is not known complete either.
    assert last == (
        f"backfill from {since} incomplete: network days {since}..{start} (6 days) missing "
        f"({_esplora_target(world.config_path)}: its chain has no complete day there)"
    ), last


def _esplora_target(config: Path) -> str:
    url = load_config(config).network.esplora_url or ""
    return url.split("://", 1)[-1].split("/", 1)[0]
