"""Telemetry against a real Mosquitto: every reading arrives exactly once, bad input is counted."""

# ruff: noqa: ASYNC110 - polling the store and the service is how these tests watch progress

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson
import pytest
from prometheus_client import generate_latest

from collector.clock import FrozenClock
from collector.metrics import build_registry
from collector.store.queries import Store
from collector.telemetry.sites import shard_of
from tests.integration.mosquitto import Mosquitto
from tests.support.telemetry import (
    SITES,
    START,
    Running,
    make_config,
    new_service,
    publisher,
    reading,
    wait_for_samples,
)

pytestmark = pytest.mark.integration


async def test_readings_reach_rollups_metrics_and_snapshot(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    clock = FrozenClock(START + timedelta(minutes=10))
    service = new_service(make_config(broker.port), sqlite_store, clock)
    running = await Running.start(service)
    pub = await publisher(broker.port)
    for index in range(30):
        for site_id in SITES:
            pub.publish(f"reservewatch/sites/{site_id}/telemetry", reading(index), qos=1)
    await pub.drain()
    await wait_for_samples(sqlite_store, dict.fromkeys(SITES, 30))
    await pub.disconnect()
    await running.stop()

    snapshot = service.site_snapshot()
    assert snapshot["north-1"].power_w == 48_200_000
    assert snapshot["north-1"].energy_total_wh == 134 * 29
    energy = await sqlite_store.energy_wh(
        ["north-1"],
        START,
        START + timedelta(hours=1),
        as_of=sqlite_store.clock.now() + timedelta(minutes=1),
    )
    assert energy == 134 * 29
    registry, _ = build_registry([service])
    labels = {"operation": "op-a", "site": "north-1", "region": "north"}
    assert registry.get_sample_value("reservewatch_site_power_watts", labels) == 48_200_000
    assert registry.get_sample_value(
        "reservewatch_site_energy_joules_total", labels
    ) == pytest.approx(134 * 29 * 3600)
    assert (
        registry.get_sample_value("reservewatch_telemetry_messages_total", {"site": "north-1"})
        == 30
    )
    assert registry.get_sample_value("reservewatch_region_power_watts", {"region": "north"}) == (
        2 * 48_200_000
    )
    assert registry.get_sample_value("reservewatch_site_curtailment_compliant", labels) is None
    assert b"reservewatch_region_power_quota_watts" in generate_latest(registry)


BAD_INPUTS: list[tuple[str, bytes, str]] = [
    ("sites/north-1/telemetry", b"not json", "not_json"),
    ("sites/north-1/telemetry", b"[1, 2]", "not_object"),
    ("sites/north-1/telemetry", b'"text"', "not_object"),
    ("sites/north-1/telemetry", b'{"power_w": 1}', "missing_field"),
    ("sites/north-1/telemetry", b'{"ts": "2026-11-24T02:00:00Z"}', "missing_field"),
    ("sites/north-1/telemetry", b'{"ts": "2026-11-24T02:00:00Z", "power_w": "1"}', "wrong_type"),
    ("sites/north-1/telemetry", b'{"ts": "2026-11-24T02:00:00Z", "power_w": NaN}', "non_finite"),
    ("sites/north-1/telemetry", b'{"ts": 1, "power_w": Infinity}', "non_finite"),
    ("sites/north-1/telemetry", b'{"ts": "2026-11-24T02:00:00Z", "power_w": -5}', "negative_value"),
    ("sites/north-1/telemetry", b'{"ts": "2026-11-24T02:00:00Z", "power_w": 2e10}', "absurd_value"),
    (
        "sites/north-1/telemetry",
        b'{"ts": "2026-11-24T02:00:00Z", "power_w": 1, "hashrate_hs": 5e21}',
        "absurd_value",
    ),
    ("sites/north-1/telemetry", b'{"ts": "yesterday", "power_w": 1}', "bad_timestamp"),
    (
        "sites/north-1/telemetry",
        b'{"ts": "2026-11-24T03:00:00Z", "power_w": 1}',
        "future_timestamp",
    ),
    ("sites/north-1/telemetry", b'{"ts": "2026-01-01T00:00:00Z", "power_w": 1}', "stale_timestamp"),
    (
        "sites/north-1/telemetry",
        b'{"ts": 1, "power_w": 1, "x": "' + b"a" * 70_000 + b'"}',
        "too_large",
    ),
    ("sites/north-1/telemetry", b"[" * 50 + b"]" * 50, "too_deep"),
    ("sites/nowhere-9/telemetry", reading(1), "unknown_site"),
]


async def test_bad_input_is_counted_by_reason_and_valid_readings_survive(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    clock = FrozenClock(START + timedelta(minutes=10))
    service = new_service(make_config(broker.port), sqlite_store, clock)
    running = await Running.start(service)
    pub = await publisher(broker.port)
    pub.publish("reservewatch/sites/north-1/telemetry", reading(2), qos=1)
    for topic, payload, _reason in BAD_INPUTS:
        pub.publish(f"reservewatch/{topic}", payload, qos=1)
    # Duplicates, late readings and a meter glitch, after a good one.
    pub.publish("reservewatch/sites/north-1/telemetry", reading(2), qos=1)
    pub.publish("reservewatch/sites/north-1/telemetry", reading(1), qos=1)
    glitch = orjson.loads(reading(3))
    glitch["energy_wh"] = 1_000_000 + 134 * 2 - 10
    pub.publish("reservewatch/sites/north-1/telemetry", orjson.dumps(glitch), qos=1)
    # A batch: two good readings and one bad, counted one by one.
    batch = [orjson.loads(reading(4)), {"ts": "bad", "power_w": 1}, orjson.loads(reading(5))]
    pub.publish("reservewatch/sites/north-1/telemetry", orjson.dumps(batch), qos=1)
    await pub.drain()
    await wait_for_samples(sqlite_store, {"north-1": 3})
    await pub.disconnect()
    await running.stop()

    expected: dict[str, int] = {}
    for _topic, _payload, reason in BAD_INPUTS:
        expected[reason] = expected.get(reason, 0) + 1
    expected["duplicate"] = 1
    expected["out_of_order"] = 1
    expected["energy_backwards"] = 1
    expected["bad_timestamp"] += 1
    expected["not_object"] += 1  # [1, 2] is a batch of two readings that are not objects
    counts = {k: v for k, v in service.rejected_counts().items() if v}
    assert counts == expected
    registry, _ = build_registry([service])
    assert (
        registry.get_sample_value("reservewatch_telemetry_rejected_total", {"reason": "not_json"})
        == 1
    )
    assert service.message_counts()["north-1"] == 3


async def test_collector_restarts_and_broker_restart_lose_and_double_nothing(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    clock = FrozenClock(START + timedelta(hours=2))
    config = make_config(broker.port)
    running = await Running.start(new_service(config, sqlite_store, clock))
    pub = await publisher(broker.port)
    published = 0

    async def publish_some(count: int) -> None:
        nonlocal published
        for _ in range(count):
            for site_id in SITES:
                pub.publish(f"reservewatch/sites/{site_id}/telemetry", reading(published), qos=1)
            published += 1
            await asyncio.sleep(0.002)

    # The publisher keeps going while the collector is stopped and started twice.
    await publish_some(100)
    await running.stop()
    await publish_some(100)
    running = Running(new_service(config, sqlite_store, clock))
    await publish_some(50)
    await running.stop()
    running = Running(new_service(config, sqlite_store, clock))
    await publish_some(50)
    await pub.drain()
    await pub.disconnect()
    await wait_for_samples(sqlite_store, dict.fromkeys(SITES, published))

    # The broker restarts: the collector reconnects; its session (and what was queued for it
    # while it was away) survives in Mosquitto's persistence file.
    await running.stop()
    pub = await publisher(broker.port, "pub2")
    await publish_some(40)
    await pub.drain()
    await pub.disconnect()
    broker.restart()
    running = await Running.start(new_service(config, sqlite_store, clock))
    broker.restart()
    pub = await publisher(broker.port, "pub3")
    await publish_some(40)
    await pub.drain()
    await pub.disconnect()
    await wait_for_samples(sqlite_store, dict.fromkeys(SITES, published))
    assert running.service.ready
    registry, _ = build_registry([running.service])
    assert (
        registry.get_sample_value("reservewatch_source_up", {"source": "mqtt", "target": "broker"})
        == 1
    )
    await running.stop()
    assert published == 380


async def test_two_shards_split_sites_and_process_each_reading_once(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    clock = FrozenClock(START + timedelta(minutes=10))
    replicas = [
        Running(
            new_service(
                make_config(broker.port, shard={"index": i, "count": 2}), sqlite_store, clock
            )
        )
        for i in range(2)
    ]
    for replica in replicas:
        await replica.wait_ready()
    owned = [set(replica.service.book.site_ids) for replica in replicas]
    assert owned[0] | owned[1] == set(SITES)
    assert not owned[0] & owned[1]
    assert all(owned), "each replica should own a site with these ids"
    pub = await publisher(broker.port)
    for index in range(20):
        for site_id in SITES:
            pub.publish(f"reservewatch/sites/{site_id}/telemetry", reading(index), qos=1)
    await pub.drain()
    await pub.disconnect()
    await wait_for_samples(sqlite_store, dict.fromkeys(SITES, 20))
    for replica in replicas:
        await replica.stop()
    for index, replica in enumerate(replicas):
        counts = replica.service.message_counts()
        assert {site for site, count in counts.items() if count} == owned[index]
        assert all(counts[site] == 20 for site in owned[index])
        assert all(shard_of(site, 2) == index for site in owned[index])


async def test_curtailment_order_sets_limit_and_compliance_until_lifted(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    clock = FrozenClock(START + timedelta(minutes=10))
    service = new_service(make_config(broker.port), sqlite_store, clock)
    running = await Running.start(service)
    pub = await publisher(broker.port)
    pub.publish("reservewatch/sites/north-1/telemetry", reading(1, power_w=30_000_000), qos=1)
    pub.publish("reservewatch/sites/north-2/telemetry", reading(1, power_w=10_000_000), qos=1)
    order = {
        "ts": "2026-11-24T02:05:00Z",
        "max_power_w": 40_000_000,
        "until": "2026-11-24T06:00:00Z",
    }
    pub.publish("reservewatch/grid/north/curtailment", orjson.dumps(order), qos=1, retain=True)
    await pub.drain()
    await wait_for_samples(sqlite_store, {"north-1": 1, "north-2": 1})
    async with asyncio.timeout(5):
        while not service.book.orders():
            await asyncio.sleep(0.02)
    registry, _ = build_registry([service])
    north = {"region": "north"}
    assert registry.get_sample_value("reservewatch_region_curtailment_max_watts", north) == 4e7
    site = {"operation": "op-a", "region": "north"}
    # Each north site's share is 40 MW × 50 MW ÷ 100 MW = 20 MW.
    assert (
        registry.get_sample_value(
            "reservewatch_site_curtailment_compliant", {**site, "site": "north-1"}
        )
        == 0
    )
    assert (
        registry.get_sample_value(
            "reservewatch_site_curtailment_compliant", {**site, "site": "north-2"}
        )
        == 1
    )
    pub.publish("reservewatch/grid/north/curtailment", b"", qos=1, retain=True)
    await pub.drain()
    async with asyncio.timeout(5):
        while not any(r.lifted_at for r in await sqlite_store.curtailments()):
            await asyncio.sleep(0.02)
    await pub.disconnect()
    await running.stop()
    assert registry.get_sample_value("reservewatch_region_curtailment_max_watts", north) is None
    history = await sqlite_store.curtailments()
    assert [(r.region, r.max_power_w, r.lifted_at is not None) for r in history] == [
        ("north", 40_000_000, True)
    ]


async def test_demo_sites_publish_readings_the_collector_accepts(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    from simulator.sites import SimulatedSites

    clock = FrozenClock(START)
    service = new_service(make_config(broker.port), sqlite_store, clock)
    running = await Running.start(service)
    pub = await publisher(broker.port)
    sites = SimulatedSites(make_config(broker.port), clock, pub)
    for _ in range(6):
        assert sites.publish_once() == len(SITES)
        clock.advance(10)
    await pub.drain()
    await wait_for_samples(sqlite_store, dict.fromkeys(SITES, 6))
    await pub.disconnect()
    await running.stop()
    assert not any(service.rejected_counts().values())
    snapshot = service.site_snapshot()["south-1"]
    assert 40e6 < snapshot.power_w < 50e6
    assert snapshot.hashrate_hs is not None
    assert 1.5e18 < snapshot.hashrate_hs < 2.5e18
    assert snapshot.energy_total_wh > 0
