"""Per-site families are reused between scrapes only while nothing changed."""

from __future__ import annotations

import pytest
from prometheus_client.exposition import generate_latest

from collector.metrics import ExpositionRenderer, build_registry
from collector.store.queries import Store
from collector.telemetry.client import MqttMessage
from collector.telemetry.service import TelemetryService
from tests.support.telemetry import one_site_service

TOPIC = "reservewatch/sites/s1/telemetry"


def power_line(exposition: bytes) -> bytes:
    return next(
        line
        for line in exposition.splitlines()
        if line.startswith(b"reservewatch_site_power_watts{")
    )


def without_timing(exposition: bytes) -> list[bytes]:
    """The lines of an exposition but the previous scrape's duration (it differs each time)."""
    return [
        line
        for line in exposition.splitlines()
        if not line.startswith(b"reservewatch_scrape_duration_seconds ")
    ]


@pytest.fixture
def telemetry(store: Store) -> TelemetryService:
    return one_site_service(store)


async def test_a_new_reading_shows_at_the_next_scrape_and_an_unchanged_book_renders_alike(
    telemetry: TelemetryService,
) -> None:
    registry, _ = build_registry([telemetry])
    renderer = ExpositionRenderer()
    telemetry.receive(
        MqttMessage(TOPIC, b'{"ts": "2026-11-24T02:00:00Z", "power_w": 25}', retain=False)
    )
    assert await telemetry.flush()
    first = renderer.text(registry.collect())
    assert power_line(first).endswith(b" 25.0")
    assert power_line(renderer.text(registry.collect())) == power_line(first)
    telemetry.receive(
        MqttMessage(TOPIC, b'{"ts": "2026-11-24T02:00:10Z", "power_w": 27}', retain=False)
    )
    assert power_line(renderer.text(registry.collect())).endswith(b" 27.0")
    assert power_line(renderer.openmetrics(registry.collect()) or b"").endswith(b" 27.0")


async def test_a_sites_message_count_moves_at_the_next_scrape_and_matches_prometheus_client(
    telemetry: TelemetryService,
) -> None:
    registry, _ = build_registry([telemetry])
    renderer = ExpositionRenderer()

    def count_line() -> bytes:
        exposition = renderer.text(registry.collect())
        assert without_timing(exposition) == without_timing(generate_latest(registry))
        return next(
            line
            for line in exposition.splitlines()
            if line.startswith(b"reservewatch_telemetry_messages_total{")
        )

    assert count_line() == b'reservewatch_telemetry_messages_total{site="s1"} 0.0'
    telemetry.receive(
        MqttMessage(TOPIC, b'{"ts": "2026-11-24T02:00:00Z", "power_w": 25}', retain=False)
    )
    assert count_line() == b'reservewatch_telemetry_messages_total{site="s1"} 1.0'
    assert count_line() == b'reservewatch_telemetry_messages_total{site="s1"} 1.0'
