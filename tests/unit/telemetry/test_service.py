"""The service's message path without a broker: topics, acks after commit, metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from collector.clock import FrozenClock
from collector.metrics import build_registry
from collector.store.queries import Store
from collector.telemetry.client import MqttMessage
from collector.telemetry.service import TelemetryService
from tests.support.telemetry import ONE_SITE, one_site_service


async def test_invalid_utf8_and_foreign_topics_are_rejected_as_bad_topic(store: Store) -> None:
    telemetry = one_site_service(store)
    await telemetry.handle(MqttMessage(b"reservewatch/sites/\xff/telemetry", b"{}", retain=False))
    await telemetry.handle(MqttMessage("elsewhere/sites/s1/telemetry", b"{}", retain=False))
    await telemetry.handle(MqttMessage("reservewatch/sites/s1/other", b"{}", retain=False))
    assert telemetry.rejected_counts()["bad_topic"] == 3


async def test_a_curtailment_for_a_region_without_sites_has_its_own_reason(
    store: Store,
) -> None:
    telemetry = one_site_service(store)
    order = b'{"ts": "2026-11-24T02:00:00Z", "max_power_w": 10}'
    await telemetry.handle(MqttMessage("reservewatch/grid/nowhere/curtailment", order, retain=True))
    counts = telemetry.rejected_counts()
    assert counts["unknown_region"] == 1
    assert counts.get("unknown_site", 0) == 0


async def test_handler_returns_only_after_the_reading_is_committed(store: Store) -> None:
    telemetry = one_site_service(store)
    handled = asyncio.create_task(
        telemetry.handle(
            MqttMessage(
                "reservewatch/sites/s1/telemetry",
                b'{"ts": "2026-11-24T02:00:00Z", "power_w": 25}',
                retain=False,
            )
        )
    )
    await asyncio.sleep(0.05)
    assert not handled.done()  # not acknowledged before the flush
    assert await telemetry.flush()
    await asyncio.wait_for(handled, 1)
    assert [s.site_id for s in await store.site_states()] == ["s1"]
    registry, _ = build_registry([telemetry])
    labels = {"operation": "op-a", "site": "s1", "region": "r"}
    assert registry.get_sample_value("reservewatch_site_power_watts", labels) == 25
    assert registry.get_sample_value(
        "reservewatch_site_power_implied_hashrate_hashes_per_second", labels
    ) == pytest.approx(25 / 20 * 1e12)
    assert (
        registry.get_sample_value("reservewatch_source_up", {"source": "mqtt", "target": "broker"})
        == 0
    )


async def test_state_is_restored_so_a_redelivered_reading_counts_once(store: Store) -> None:
    message = MqttMessage(
        "reservewatch/sites/s1/telemetry",
        b'{"ts": "2026-11-24T02:00:00Z", "power_w": 25}',
        retain=False,
    )
    first = one_site_service(store)
    task = asyncio.create_task(first.handle(message))
    await asyncio.sleep(0)  # let the handler apply the reading
    await first.flush()
    await task
    second = one_site_service(store)
    await second.restore()  # what run() does first
    await second.handle(message)
    assert second.rejected_counts()["duplicate"] == 1


async def deliver(telemetry: TelemetryService, topic: str, payload: bytes) -> None:
    """One message through the service and its flush, as the broker loop would."""
    handled = asyncio.create_task(telemetry.handle(MqttMessage(topic, payload, retain=False)))
    await asyncio.sleep(0)
    await telemetry.flush()
    await handled


def stamped(clock: FrozenClock, back_s: int, **fields: object) -> bytes:
    ts = (clock.now() - timedelta(seconds=back_s)).isoformat().replace("+00:00", "Z")
    return orjson.dumps({"ts": ts, **fields})


async def test_a_stray_burst_of_machine_readings_never_zeroes_a_site_level_site(
    store: Store,
) -> None:
    """A site reporting on its own keeps its power once a burst of per-machine readings went
    silent: the sweeps that count silent machines offline move only a site they report for."""
    clock = FrozenClock(datetime(2026, 11, 24, 2, 1, tzinfo=UTC))
    telemetry = TelemetryService(ONE_SITE, store, clock)
    site = "reservewatch/sites/s1/telemetry"
    await deliver(telemetry, site, stamped(clock, 30, power_w=25))
    for machine in ("m-1", "m-2", "m-3"):
        await deliver(
            telemetry,
            f"reservewatch/sites/s1/miners/{machine}",
            stamped(clock, 20, power_w=1, hashrate_hs=1e12),
        )
    seen: list[float] = []
    for _minute in range(15):  # the machines go silent (offline after 600 s); the site reports
        clock.advance(60)
        await deliver(telemetry, site, stamped(clock, 1, power_w=25))
        for _sweep in range(12):  # a flush every 5 s: every one sweeps the machines
            clock.advance(5)
            await telemetry.flush()
            seen.append(telemetry.site_snapshot()["s1"].power_w)
    assert set(seen) == {25.0}


async def test_a_per_machine_site_still_drops_to_zero_when_its_machines_go_silent(
    store: Store,
) -> None:
    clock = FrozenClock(datetime(2026, 11, 24, 2, 1, tzinfo=UTC))
    telemetry = TelemetryService(ONE_SITE, store, clock)
    await deliver(
        telemetry, "reservewatch/sites/s1/miners/m-1", stamped(clock, 1, power_w=7, hashrate_hs=1)
    )
    assert telemetry.site_snapshot()["s1"].power_w == 7
    clock.advance(700)
    await telemetry.flush()
    assert telemetry.site_snapshot()["s1"].power_w == 0
