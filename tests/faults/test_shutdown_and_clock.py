"""SIGTERM under full ingest load, and a wall clock that jumps forwards and backwards."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from datetime import datetime, timedelta

import pytest

from collector.app import Collector
from collector.config.load import load_config
from tests.faults.world import SECRETS, SITES, FaultWorld, eventually

pytestmark = pytest.mark.faults


async def _all_readings_stored(world: FaultWorld) -> bool:
    stored = await world.stored_samples()
    return all(stored.get(site, 0) >= world.telemetry.sent[site] for site in SITES)


async def test_sigterm_under_load_exits_0_within_10_s_and_flushes_once(world: FaultWorld) -> None:
    collector = world.collector()
    await collector.start()
    await collector.wait_for("/readyz", 200)

    async def flood() -> None:
        while True:  # about 6,000 readings a second through the broker
            await world.publish(world.telemetry.next_batch(200))
            await asyncio.sleep(0.05)

    load = asyncio.create_task(flood())
    await asyncio.sleep(3)
    signalled = time.monotonic()
    collector.signal(signal.SIGTERM)
    code = await collector.wait(15)
    exit_s = time.monotonic() - signalled
    load.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await load
    assert code == 0
    assert exit_s < 10
    assert "collector stopped cleanly" in collector.logs()
    stored = await world.stored_samples()
    assert all(stored.get(site, 0) <= world.telemetry.sent[site] for site in SITES)

    await collector.start()  # what was not acknowledged comes again, and counts once
    # Ready first: the first process may have stored every reading before it left, and a
    # SIGTERM sent while Python is still importing (no handler yet) ends it with -15.
    await collector.wait_for("/readyz", 200)
    await eventually(lambda: _all_readings_stored(world), 60, "every reading stored")
    assert await collector.stop() == 0
    assert await world.stored_samples() == world.telemetry.sent
    energy = await world.stored_energy_wh()
    assert energy == {site: world.telemetry.expected_energy_wh(site) for site in SITES}
    print(
        f"SIGTERM under {sum(world.telemetry.sent.values())} readings of load: exit 0 in "
        f"{exit_s:.2f} s; after restart every reading stored once"
    )


class JumpingClock:
    """The system clock with a wall-time offset a test can change; monotonic time is real."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now().astimezone() + self.offset

    def monotonic(self) -> float:
        return time.monotonic()


async def test_wall_clock_jumps_neither_stall_nor_corrupt(
    world: FaultWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    clock = JumpingClock()
    config = load_config(world.write_config())
    async with Collector(config, clock) as collector:
        task = asyncio.create_task(collector.run(), name="collector-under-test")
        try:

            async def subscribed() -> bool:
                return collector.telemetry is not None and collector.telemetry.ready

            await eventually(subscribed, 20, "the collector subscribed")
            for jump in (timedelta(hours=2), timedelta(hours=-4), timedelta(hours=2)):
                requests_before = len(world.pools.requests)
                clock.offset += jump
                await world.publish(world.telemetry.next_batch(100))
                await eventually(lambda: _all_readings_stored(world), 20, f"readings after {jump}")

                async def polling_goes_on(before: int = requests_before) -> bool:
                    return len(world.pools.requests) > before + 3

                await eventually(polling_goes_on, 20, f"pools polled after a {jump} jump")
                assert not task.done()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert await world.stored_samples() == world.telemetry.sent
    energy = await world.stored_energy_wh()
    assert energy == {site: world.telemetry.expected_energy_wh(site) for site in SITES}

    stored = await world.stored_earnings()
    for key, amounts in stored.items():  # nothing wrong stored
        for day, amount in amounts.items():
            assert world.earnings[key][day] == amount, (key, day)
    assert stored, "no pool earnings stored at all"
    print("wall clock jumped +2 h, -4 h, +2 h: ingest and polling went on, no wrong figure")
