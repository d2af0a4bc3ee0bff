"""Builders for the telemetry tests. Against a real broker (the ``broker`` fixture): a config of
four sites on it, site readings, a publisher, a service with short flushes and back-off, what
reached the store. Without one (messages fed by hand): a one-operation config and its service."""

# ruff: noqa: ASYNC110 - polling the store and the service is how these tests watch progress

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from collector.backoff import Backoff
from collector.clock import FrozenClock
from collector.config.model import Config
from collector.store.queries import Store
from collector.telemetry.client import GmqttClient, MqttSettings
from collector.telemetry.service import TelemetryService
from tests.support.configs import build_config, operation, site

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SITES = ("north-1", "north-2", "south-1", "south-2")


def make_config(port: int, **mqtt: Any) -> Config:
    """Operation op-a with the four ``SITES``, its telemetry on the broker at ``port``."""
    sites = [
        site(name, region=name.split("-")[0], power_quota_w=50_000_000, efficiency_j_per_th="21.5")
        for name in SITES
    ]
    return build_config(
        operation("op-a", sites=sites),
        mqtt={"url": f"mqtt://127.0.0.1:{port}", "client_id": "rw-test", **mqtt},
    )


def reading(index: int, power_w: int = 48_200_000) -> bytes:
    """A site-level reading ``10 × index`` seconds after ``START``, its meter 134 Wh a step on."""
    return orjson.dumps(
        {
            "ts": (START + timedelta(seconds=10 * index)).isoformat().replace("+00:00", "Z"),
            "power_w": power_w,
            "energy_wh": 1_000_000 + 134 * index,
            "hashrate_hs": 2.1e18,
            "miners_online": 9800,
            "miners_total": 10000,
            "inlet_temp_c": -5.2,
        }
    )


async def publisher(port: int, name: str = "pub") -> GmqttClient:
    """A connected client that only publishes (a site's gateway)."""
    client = GmqttClient(
        MqttSettings(host="127.0.0.1", port=port, client_id=name, persistent=False)
    )
    await client.connect()
    return client


class Running:
    """A service running in a task; ``stop`` cancels it the way the app's TaskGroup would."""

    def __init__(self, service: TelemetryService) -> None:
        self.service = service
        self.task = asyncio.create_task(service.run(), name="telemetry-under-test")

    @classmethod
    async def start(cls, service: TelemetryService) -> Running:
        """``service`` running and subscribed."""
        running = cls(service)
        await running.wait_ready()
        return running

    async def wait_ready(self, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not self.service.ready:
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def new_service(config: Config, store: Store, clock: FrozenClock) -> TelemetryService:
    return TelemetryService(
        config, store, clock, flush_interval_s=0.1, backoff=Backoff(base_s=0.05, cap_s=0.5)
    )


async def stored_samples(store: Store) -> dict[str, int]:
    rollups = await store.rollups(SITES, START - timedelta(days=1), START + timedelta(days=1))
    counts: dict[str, int] = {}
    for rollup in rollups:
        counts[rollup.site_id] = counts.get(rollup.site_id, 0) + rollup.samples
    return counts


async def wait_for_samples(store: Store, expected: dict[str, int], timeout_s: float = 15) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            while await stored_samples(store) != expected:
                await asyncio.sleep(0.1)
    assert await stored_samples(store) == expected


def one_operation(*sites: dict[str, Any], **mqtt: Any) -> Config:
    """A config of one operation, op-a, with ``sites`` (site s1 when none) and an ``mqtt``
    section of ``mqtt`` when given; what unit tests feed the service by hand."""
    sections = {"mqtt": mqtt} if mqtt else {}
    return build_config(operation("op-a", sites=list(sites) or [site()]), **sections)


ONE_SITE = one_operation()


def one_site_service(store: Store) -> TelemetryService:
    """A service for ``ONE_SITE`` (site s1) at 02:01 on 24 November 2026, without a broker."""
    return TelemetryService(ONE_SITE, store, FrozenClock(datetime(2026, 11, 24, 2, 1, tzinfo=UTC)))
