"""The running collector keeps what each of its jobs published, with its age: every pool
account, the network and the reserve watcher over the demo's world, and the watcher says
whether a poll stored something new (what starts the custody alarm's pass)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from collector.app import Collector
from collector.config.load import load_config
from collector.sources.network import NetworkSeen
from collector.sources.pool_jobs import PoolAccountPolled
from collector.sources.reserve import ReserveWatched
from tests.support.demo_world import PINNED_INSTANTS, demo_world

pytestmark = [pytest.mark.integration, pytest.mark.slow]


async def test_each_job_s_snapshot_is_kept_with_its_age_and_a_quiet_poll_stores_nothing_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with demo_world(tmp_path, PINNED_INSTANTS["first-of-month"]) as world:
        for name, value in world.env.items():
            monkeypatch.setenv(name, value)
        config = load_config(world.config_path)
        async with Collector(config, world.clock, telemetry=False) as collector:
            poller = collector.poller
            [reserve] = [t for t in poller.health() if t.endswith("/reserve-addresses")]
            network = collector.network.target
            pools = set(poller.health()) - {reserve, network}
            assert poller.latest(reserve, ReserveWatched) is None  # nothing polled yet
            await collector.run_once()
            first = poller.latest(reserve, ReserveWatched)
            assert first is not None
            assert (first.at, first.value.stored_new) == (world.now, True)
            seen = poller.latest(network, NetworkSeen)
            assert seen is not None
            assert seen.value.tip_height == first.value.tip_height == world.chain.tip.height
            assert seen.value.latest_day_hashrate_hs
            for target in pools:
                polled = poller.latest(target, PoolAccountPolled)
                assert polled is not None
                assert polled.value.status.observed_at == world.now

            world.clock.advance(60)
            await collector.run_once()  # the chain has not moved: nothing new to store
            again = poller.latest(reserve, ReserveWatched)
            assert again is not None
            assert again.value.stored_new is False
            assert first.age(world.clock.now()) == timedelta(seconds=60)
            assert again.age(world.clock.now()) == timedelta(0)
