"""Per-machine telemetry through a real Mosquitto: folded per site, acknowledged after commit."""

# ruff: noqa: ASYNC110 - polling the service is how these tests watch progress

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import orjson
import pytest

from collector.clock import FrozenClock
from collector.store.queries import Store
from collector.telemetry.client import GmqttClient, MqttSettings
from tests.integration.mosquitto import Mosquitto
from tests.support.telemetry import Running, make_config, new_service

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def machine_reading(power_w: float, status: str = "online") -> bytes:
    return orjson.dumps(
        {"ts": "2026-11-24T01:59:30Z", "power_w": power_w, "hashrate_hs": 2e14, "status": status}
    )


async def test_machines_published_at_qos1_are_summed_per_site_and_acknowledged(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    service = new_service(make_config(broker.port), sqlite_store, FrozenClock(NOW))
    running = await Running.start(service)
    publisher = GmqttClient(
        MqttSettings(host="127.0.0.1", port=broker.port, client_id="gw", persistent=False)
    )
    await publisher.connect()
    for number in range(300):
        publisher.publish(
            f"reservewatch/sites/north-1/miners/rig-{number:03d}", machine_reading(3000.0), qos=1
        )
    bulk = [{"miner_id": f"rig-{n}", **orjson.loads(machine_reading(0, "idle"))} for n in range(5)]
    publisher.publish("reservewatch/sites/south-1/miners", orjson.dumps(bulk), qos=1)
    async with asyncio.timeout(10):
        await publisher.drain()  # every PUBACK came back: each after its flush committed
        while service.miners.machines() < 305 or "south-1" not in service.site_snapshot():
            await asyncio.sleep(0.05)
    await publisher.disconnect()
    await running.stop()
    states = dict(service.book.states())
    assert states["north-1"].power_w == 300 * 3000.0
    assert (states["north-1"].miners_online, states["north-1"].miners_total) == (300, 300)
    assert (states["south-1"].miners_online, states["south-1"].miners_total) == (0, 5)
    persisted = {state.site_id: state for state in await sqlite_store.site_states()}
    assert persisted["north-1"].miners_total == 300
