"""``kill -9`` of the collector in the middle of ingest and of a poll, then a restart.

What must hold: no reading counted twice or lost (the broker kept the unacknowledged ones for
the collector's persistent session), energy counters exactly what the meters say, every pool
earning stored exactly once with the pool's amount, and rollups that simply continue.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.faults.world import POOLS, SITES, FaultWorld, eventually

pytestmark = pytest.mark.faults


async def _all_readings_stored(world: FaultWorld) -> bool:
    stored = await world.stored_samples()
    return all(stored.get(site, 0) >= world.telemetry.sent[site] for site in SITES)


async def _all_earnings_stored(world: FaultWorld) -> bool:
    stored = await world.stored_earnings()
    return all(
        stored.get((p.kind, p.account)) == world.earnings[(p.kind, p.account)] for p in POOLS
    )


async def test_kill_9_mid_ingest_loses_and_duplicates_no_reading(pg_world: FaultWorld) -> None:
    world = pg_world
    collector = world.collector()
    await collector.start()
    await collector.wait_for("/readyz", 200)  # connected: its persistent session exists
    await world.publish(world.telemetry.next_batch(500))

    # Kill it while a large burst is being ingested, then publish more while it is dead.
    burst = asyncio.create_task(world.publish(world.telemetry.next_batch(3000)))
    await eventually(
        lambda: _some_stored(world, 500 * len(SITES) + 1), 20, "part of the burst stored"
    )
    await collector.kill()
    await burst
    partial = await world.stored_samples()
    await world.publish(world.telemetry.next_batch(500))

    await collector.start()
    recovery_s = await eventually(lambda: _all_readings_stored(world), 60, "every reading stored")
    await eventually(lambda: _all_earnings_stored(world), 30, "every earning stored")
    await collector.stop()

    stored = await world.stored_samples()
    assert stored == world.telemetry.sent, f"partial before restart: {partial}"
    energy = await world.stored_energy_wh()
    assert energy == {site: world.telemetry.expected_energy_wh(site) for site in SITES}
    assert await world.stored_earnings() == world.earnings
    in_flight = sum(world.telemetry.sent.values()) - sum(partial.values())
    assert in_flight > 0, "the kill came after the burst was stored; nothing was in flight"
    print(
        f"kill -9 mid-ingest: {in_flight} readings in flight or queued, all stored once, "
        f"{recovery_s:.1f} s after restart"
    )


async def _some_stored(world: FaultWorld, at_least: int) -> bool:
    return sum((await world.stored_samples()).values()) >= at_least


async def test_kill_9_mid_poll_stores_each_earning_once(world: FaultWorld) -> None:
    world.pools.slow_s = 2.0
    for pool in POOLS:
        world.pools.misbehave(pool.kind, "slow")
    collector = world.collector()
    await collector.start()
    await collector.wait_healthy()

    async def polls_in_flight() -> bool:
        return len(world.pools.requests) >= 4

    await eventually(polls_in_flight, 20, "pool requests in flight")
    await collector.kill()
    for pool in POOLS:
        world.pools.misbehave(pool.kind, None)

    await collector.start()
    recovery_s = await eventually(lambda: _all_earnings_stored(world), 40, "every earning stored")
    await collector.stop()
    assert await world.stored_earnings() == world.earnings
    rows = await world.query(
        "SELECT COUNT(*), COUNT(DISTINCT operation_id || pool_kind || account || day) "
        "FROM pool_earnings WHERE income = 'mining'"
    )
    assert rows[0][0] == rows[0][1] == len(POOLS) * 5
    print(f"kill -9 mid-poll: every earning stored once, {recovery_s:.1f} s after restart")
