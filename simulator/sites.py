"""Simulated mining sites that publish realistic telemetry over MQTT, for the demo.

Each configured site gets one gateway publishing every ``interval_s`` (10 s by default) to
``{prefix}/sites/{site_id}/telemetry``: power near the site's quota (tens of MW), hash rate
from power and the site's efficiency (S19/S21-class fleets, 15–30 J/TH), a cumulative
energy meter, miners online out of the fleet, and a cold inlet temperature. Readings are
deterministic for a given ``seed``.

    publisher = GmqttClient(MqttSettings(host="127.0.0.1", port=1883, client_id="demo-sites"))
    await publisher.connect()
    await SimulatedSites(config, clock, publisher).run()
"""

from __future__ import annotations

import asyncio
import math
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import orjson

from collector.backoff import Backoff
from collector.clock import Clock, SystemClock
from collector.config.model import Config
from collector.config.sections import MqttConfig, SiteConfig
from collector.telemetry.client import GmqttClient, MqttClient, MqttError, MqttSettings

TH = 1e12


@dataclass
class _Gateway:
    site: SiteConfig
    topic: str
    miners_total: int
    phase: float
    meter_wh: float
    last: datetime | None = None


class SimulatedSites:
    """One gateway per configured site, publishing until cancelled."""

    def __init__(
        self,
        config: Config,
        clock: Clock,
        publisher: MqttClient,
        *,
        interval_s: float = 10.0,
        seed: int = 7,
    ) -> None:
        self._clock = clock
        self._publisher = publisher
        self._interval_s = interval_s
        self._rng = random.Random(seed)  # noqa: S311 - simulation, not cryptography
        prefix = config.mqtt.topic_prefix.rstrip("/")
        self._gateways = [
            _Gateway(
                site=site,
                topic=f"{prefix}/sites/{site.id}/telemetry",
                miners_total=site.miners_total or max(1, site.power_quota_w // 3_300),
                phase=self._rng.uniform(0, 2 * math.pi),
                meter_wh=self._rng.uniform(1e9, 1e11),
            )
            for operation in config.operations
            for site in operation.sites
        ]

    def reading(self, gateway: _Gateway, now: datetime) -> dict[str, object]:
        """The next reading of one gateway at ``now`` (advances its meter)."""
        site = gateway.site
        hours = now.timestamp() / 3600
        # Daily swing of ±4 % around 93 % of quota, plus noise: close to, rarely over, quota.
        load = 0.93 + 0.04 * math.sin(2 * math.pi * hours / 24 + gateway.phase)
        load += self._rng.gauss(0, 0.01)
        power_w = max(0.0, site.power_quota_w * load)
        if gateway.last is not None:
            gateway.meter_wh += power_w * (now - gateway.last).total_seconds() / 3600
        gateway.last = now
        efficiency = float(site.efficiency_j_per_th)
        hashrate_hs = power_w / efficiency * TH * self._rng.uniform(0.97, 1.01)
        online = min(gateway.miners_total, round(gateway.miners_total * min(1.0, load + 0.05)))
        return {
            "ts": now.isoformat().replace("+00:00", "Z"),
            "power_w": round(power_w),
            "energy_wh": int(gateway.meter_wh),
            "hashrate_hs": hashrate_hs,
            "miners_online": online,
            "miners_total": gateway.miners_total,
            "inlet_temp_c": round(-8 + 6 * math.sin(2 * math.pi * hours / 24), 1),
        }

    def publish_once(self) -> int:
        """Publish one reading per site now; returns how many were published."""
        now = self._clock.now().replace(microsecond=0)
        for gateway in self._gateways:
            payload = orjson.dumps(self.reading(gateway, now))
            self._publisher.publish(gateway.topic, payload, qos=1)
        return len(self._gateways)

    async def run(self) -> None:
        """Publish every ``interval_s`` until cancelled."""
        while True:
            self.publish_once()
            await asyncio.sleep(self._interval_s)


async def run_sites(
    config: Config,
    url: str,
    protocol: Literal["3.1.1", "5"] = "5",
    *,
    interval_s: float = 10.0,
    clock: Clock | None = None,
) -> None:
    """Publish the configured sites' telemetry to the broker at ``url`` until cancelled.

    Reconnects with back-off when the broker goes away; readings of a gateway that cannot
    reach the broker are dropped, as a real gateway's would be once its buffer is full.
    """
    mqtt = MqttConfig(url=url, protocol=protocol, topic_prefix=config.mqtt.topic_prefix)
    settings = MqttSettings(
        host=mqtt.host,
        port=mqtt.port,
        client_id="reservewatch-demo-sites",
        protocol=protocol,
        persistent=False,
    )
    backoff = Backoff(base_s=0.5, cap_s=10.0)
    the_clock = clock or SystemClock()
    while True:
        publisher = GmqttClient(settings)
        try:
            await publisher.connect()
        except MqttError:
            await asyncio.sleep(backoff.next_delay_s())
            continue
        backoff.reset()
        sites = SimulatedSites(config, the_clock, publisher, interval_s=interval_s)
        publishing = asyncio.create_task(sites.run(), name="demo-sites-publish")
        lost = asyncio.create_task(publisher.disconnected(), name="demo-sites-lost")
        try:
            await asyncio.wait({publishing, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (publishing, lost):
                task.cancel()
            await asyncio.gather(publishing, lost, return_exceptions=True)
            await publisher.disconnect()
        if publishing.done() and not publishing.cancelled():
            publishing.result()  # re-raises what stopped the publisher
