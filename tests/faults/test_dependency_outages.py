"""Mosquitto restarted, PostgreSQL stopped for a while: the collector keeps serving its last
good metrics, says it is not ready while the store is down, and catches up afterwards without
losing a QoS 1 reading.

The PostgreSQL outage lasts ``RESERVEWATCH_FAULT_OUTAGE_S`` seconds (default 15, so CI stays
fast; the issue's minute is ``RESERVEWATCH_FAULT_OUTAGE_S=60``).
"""

from __future__ import annotations

import asyncio
import os

import pytest

from tests.faults.world import SITES, FaultWorld, eventually, sample
from tests.integration.mosquitto import Mosquitto
from tests.support.processes import PostgresServer

pytestmark = pytest.mark.faults

OUTAGE_S = float(os.environ.get("RESERVEWATCH_FAULT_OUTAGE_S", "15"))


async def _all_readings_stored(world: FaultWorld) -> bool:
    stored = await world.stored_samples()
    return all(stored.get(site, 0) >= world.telemetry.sent[site] for site in SITES)


async def test_postgres_outage_not_ready_then_catches_up(
    pg_world: FaultWorld, postgres: PostgresServer
) -> None:
    world = pg_world
    collector = world.collector()
    await collector.start()
    await collector.wait_for("/readyz", 200)
    await world.publish(world.telemetry.next_batch(200))
    await eventually(lambda: _all_readings_stored(world), 20, "first readings stored")
    before = await collector.scrape()

    postgres.halt()
    not_ready_s = await collector.wait_for("/readyz", 503, timeout_s=20)
    loop = asyncio.get_running_loop()
    outage_started = loop.time()
    while loop.time() - outage_started < OUTAGE_S:
        await world.publish(world.telemetry.next_batch(20))
        during = await collector.scrape()  # still answers, with the last good figures
        for site in SITES:
            power = sample(during, "reservewatch_site_power_watts", site=site)
            assert power == sample(before, "reservewatch_site_power_watts", site=site)
        assert sample(during, "reservewatch_operation_mined_btc_total", operation="op-a") == (
            sample(before, "reservewatch_operation_mined_btc_total", operation="op-a")
        )
        await asyncio.sleep(1)
    status, body = await collector.get("/readyz")
    assert status == 503
    assert "store" in body

    postgres.start_again()
    ready_s = await collector.wait_for("/readyz", 200, timeout_s=60)
    caught_up_s = await eventually(
        lambda: _all_readings_stored(world), 60, "readings sent during the outage stored"
    )
    assert await collector.stop() == 0
    assert await world.stored_samples() == world.telemetry.sent
    energy = await world.stored_energy_wh()
    assert energy == {site: world.telemetry.expected_energy_wh(site) for site in SITES}
    print(
        f"PostgreSQL down {OUTAGE_S:.0f} s: not ready after {not_ready_s:.1f} s, ready again "
        f"{ready_s:.1f} s after it came back, every reading stored "
        f"{caught_up_s:.1f} s after that; 0 lost, 0 duplicated"
    )


async def test_mosquitto_restart_loses_no_queued_reading(
    world: FaultWorld, broker: Mosquitto
) -> None:
    collector = world.collector()
    await collector.start()
    await collector.wait_for("/readyz", 200)
    await world.publish(world.telemetry.next_batch(300))
    await eventually(lambda: _all_readings_stored(world), 20, "first readings stored")

    await world.drop_publisher()
    broker.restart()  # SIGTERM: Mosquitto saves the collector's session, then starts again
    # Published before the collector is back: the broker queues them for its session.
    await world.publish(world.telemetry.next_batch(300))
    reconnect_s = await collector.wait_for("/readyz", 200, timeout_s=60)
    caught_up_s = await eventually(lambda: _all_readings_stored(world), 30, "every reading")

    async def reconnected() -> bool:
        return collector.logs().count("mqtt connected") >= 2

    await eventually(reconnected, 30, "the collector reconnected to the restarted broker")
    families = await collector.scrape()
    assert sample(families, "reservewatch_source_up", source="mqtt") == 1.0
    assert await collector.stop() == 0
    assert await world.stored_samples() == world.telemetry.sent
    print(
        f"Mosquitto restart: collector reconnected within {reconnect_s:.1f} s, queued readings "
        f"stored {caught_up_s:.1f} s later; 0 lost, 0 duplicated"
    )
