"""Per-machine telemetry: latest per machine, offline after silence, batches, bounded labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from prometheus_client import generate_latest

from collector.clock import FrozenClock
from collector.config.model import Config
from collector.metrics import build_registry
from collector.store.queries import Store
from collector.telemetry.client import MqttMessage
from collector.telemetry.miners import MinerFleet
from collector.telemetry.payloads import (
    Limits,
    MinerReading,
    Rejected,
    parse_miner_payload,
    valid_miner_id,
)
from collector.telemetry.service import TelemetryService
from tests.support.configs import site
from tests.support.telemetry import one_operation

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
NOW_S = NOW.timestamp()


def make_config(offline_after_s: int = 600) -> Config:
    return one_operation(site(power_quota_w=50_000_000), miner_offline_after_s=offline_after_s)


def miner(
    ts: datetime, power_w: float = 3500, hashrate_hs: float = 2e14, status: str = "online"
) -> dict[str, object]:
    return {
        "ts": ts.isoformat().replace("+00:00", "Z"),
        "power_w": power_w,
        "hashrate_hs": hashrate_hs,
        "status": status,
    }


def message(topic_tail: str, body: object) -> MqttMessage:
    return MqttMessage(f"reservewatch/sites/{topic_tail}", orjson.dumps(body), retain=False)


def reading(miner_id: str, ts_s: float, power_w: float = 3500.0) -> MinerReading:
    return MinerReading(miner_id, ts_s, power_w, 2e14, True)


def test_fleet_sums_the_latest_reading_of_every_machine() -> None:
    fleet = MinerFleet(offline_after_s=600)
    fleet.apply("s1", reading("a", NOW_S - 20, power_w=3000))
    fleet.apply("s1", reading("a", NOW_S - 10, power_w=3300))
    fleet.apply("s1", reading("b", NOW_S - 10, power_w=3400))
    sums = fleet.site_sums("s1", NOW_S)
    assert sums is not None
    assert sums.power_w == 6700
    assert sums.hashrate_hs == 4e14
    assert (sums.miners_online, sums.miners_total) == (2, 2)
    assert sums.latest_ts_s == NOW_S - 10


def test_a_machine_silent_longer_than_the_offline_age_adds_nothing() -> None:
    fleet = MinerFleet(offline_after_s=600)
    fleet.apply("s1", reading("quiet", NOW_S - 601))
    fleet.apply("s1", reading("busy", NOW_S - 5))
    sums = fleet.site_sums("s1", NOW_S)
    assert sums is not None
    assert sums.power_w == 3500
    assert (sums.miners_online, sums.miners_fresh, sums.miners_total) == (1, 1, 2)


def test_machine_duplicates_and_older_readings_are_rejected() -> None:
    fleet = MinerFleet(offline_after_s=600)
    fleet.apply("s1", reading("a", NOW_S - 10))
    with pytest.raises(Rejected) as duplicate:
        fleet.apply("s1", reading("a", NOW_S - 10))
    with pytest.raises(Rejected) as older:
        fleet.apply("s1", reading("a", NOW_S - 20))
    assert (duplicate.value.reason, older.value.reason) == ("duplicate", "out_of_order")


def test_more_machines_than_the_site_limit_are_rejected() -> None:
    fleet = MinerFleet(offline_after_s=600, max_miners_per_site=2)
    fleet.apply("s1", reading("a", NOW_S))
    fleet.apply("s1", reading("b", NOW_S))
    with pytest.raises(Rejected) as third:
        fleet.apply("s1", reading("c", NOW_S))
    assert third.value.reason == "too_many_miners"
    fleet.apply("s1", reading("a", NOW_S + 1))  # known machines keep reporting


def test_bulk_payload_keeps_good_readings_and_rejects_bad_ones() -> None:
    body = [
        {**miner(NOW), "miner_id": "m-1"},
        {**miner(NOW), "miner_id": "m/2"},
        {**miner(NOW, status="melting"), "miner_id": "m-3"},
        {**miner(NOW, power_w=-1), "miner_id": "m-4"},
        miner(NOW),
    ]
    readings, rejects = parse_miner_payload(orjson.dumps(body), Limits(now=NOW))
    assert [r.miner_id for r in readings] == ["m-1"]
    assert [r.reason for r in rejects] == [
        "bad_miner_id",
        "unknown_status",
        "negative_value",
        "missing_field",
    ]


def test_machine_status_other_than_online_is_not_online() -> None:
    readings, _ = parse_miner_payload(
        orjson.dumps([miner(NOW, status="idle"), miner(NOW)]), Limits(now=NOW), "m-1"
    )
    assert [r.online for r in readings] == [False, True]


def test_machine_ids_are_short_topic_safe_names() -> None:
    assert valid_miner_id("rack-07.slot:12_a")
    assert not valid_miner_id("")
    assert not valid_miner_id("x" * 65)
    assert not valid_miner_id("a+b")


async def test_per_machine_messages_become_the_site_reading_and_its_rollup(store: Store) -> None:
    clock = FrozenClock(NOW)
    telemetry = TelemetryService(make_config(), store, clock)
    for index in range(3):
        ack = telemetry.receive(message(f"s1/miners/m-{index}", miner(NOW - timedelta(seconds=5))))
        assert ack is not None
    telemetry.receive(message("s1/miners", [{**miner(NOW), "miner_id": "m-9"}]))
    assert await telemetry.flush()
    snapshot = telemetry.site_snapshot()["s1"]
    assert snapshot.power_w == 4 * 3500
    assert snapshot.hashrate_hs == 8e14
    assert snapshot.last_ts == NOW
    assert telemetry.message_counts()["s1"] == 4
    rollups = await store.rollups(("s1",), NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert sum(rollup.samples for rollup in rollups) == 1
    assert telemetry.miners.machines() == 4


async def test_machines_go_offline_at_the_next_sweep_without_new_readings(store: Store) -> None:
    clock = FrozenClock(NOW)
    telemetry = TelemetryService(make_config(offline_after_s=60), store, clock, miner_sweep_s=5)
    telemetry.receive(message("s1/miners/m-1", miner(NOW)))
    telemetry.receive(message("s1/miners/m-2", miner(NOW, status="offline", hashrate_hs=0)))
    await telemetry.flush()
    states = dict(telemetry.book.states())
    assert (states["s1"].miners_online, states["s1"].miners_total) == (1, 2)
    clock.advance(61)
    await telemetry.flush()
    states = dict(telemetry.book.states())
    assert states["s1"].power_w == 0
    assert (states["s1"].miners_online, states["s1"].miners_total) == (0, 2)
    persisted = {state.site_id: state for state in await store.site_states()}
    assert persisted["s1"].miners_online == 0


async def test_no_machine_id_ever_becomes_a_metric_label(store: Store) -> None:
    clock = FrozenClock(NOW)
    telemetry = TelemetryService(make_config(), store, clock)
    for index in range(50):
        telemetry.receive(message(f"s1/miners/rig-{index}", miner(NOW)))
    await telemetry.flush()
    registry, _ = build_registry([telemetry])
    exposition = generate_latest(registry).decode()
    assert "rig-" not in exposition
    assert 'reservewatch_site_miners_online{operation="op-a",region="r",site="s1"} 50.0' in (
        exposition
    )


async def test_bad_per_machine_messages_are_counted_by_reason(store: Store) -> None:
    telemetry = TelemetryService(make_config(), store, FrozenClock(NOW))
    assert telemetry.receive(message("s1/miners/bad+id", miner(NOW))) is None
    assert telemetry.receive(message("s1/miners/m-1", "nope")) is None
    assert telemetry.receive(message("s1/miners/m-1", {"power_w": 1})) is None
    assert telemetry.receive(message("nowhere/miners/m-1", miner(NOW))) is None
    assert telemetry.receive(message("s1/miners/m-1/extra", miner(NOW))) is None
    telemetry.receive(message("s1/miners/m-1", miner(NOW)))
    assert telemetry.receive(message("s1/miners/m-1", miner(NOW))) is None
    counts = {reason: n for reason, n in telemetry.rejected_counts().items() if n}
    assert counts == {
        "bad_miner_id": 1,
        "not_object": 1,
        "missing_field": 1,
        "unknown_site": 1,
        "bad_topic": 1,
        "duplicate": 1,
    }


def test_topics_cover_site_and_machine_channels(store: Store) -> None:
    telemetry = TelemetryService(make_config(), store, FrozenClock(NOW))
    assert telemetry.topics() == [
        "reservewatch/sites/+/telemetry",
        "reservewatch/sites/+/miners",
        "reservewatch/sites/+/miners/+",
        "reservewatch/grid/+/curtailment",
    ]


def test_one_machine_reading_stamped_ahead_cannot_freeze_the_machine() -> None:
    fleet = MinerFleet(offline_after_s=600)
    fleet.apply("s1", reading("a", NOW_S + 240, power_w=9999), NOW_S)  # 4 minutes ahead
    fleet.apply("s1", reading("a", NOW_S + 10, power_w=3300), NOW_S + 10)  # the real next one
    sums = fleet.site_sums("s1", NOW_S + 10)
    assert sums is not None
    assert sums.power_w == 3300
