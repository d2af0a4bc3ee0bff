"""The service's message path without a broker: topics, acks after commit, metrics."""

from __future__ import annotations

import asyncio

import pytest

from collector.metrics import build_registry
from collector.store.queries import Store
from collector.telemetry.client import MqttMessage
from tests.support.telemetry import one_site_service


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
