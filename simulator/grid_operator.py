"""The demo's grid operator: one retained curtailment order, so the curtailment views have data.

Southern Kazakhstan's grid runs short on winter evenings; the simulated operator caps the
``almaty`` region at 98 % of its sites' summed quota for six hours. The demo's gateways draw
about 93 % of quota (± a daily swing), so the region's sites normally comply and
``reservewatch_site_curtailment_compliant`` reads 1 — a realistic steady state, with the
rare noisy reading above its share counted as non-compliant, as a real meter's would be.

The order is published **retained** on ``{prefix}/grid/{region}/curtailment`` in the format
``collector/telemetry/README.md`` documents, so a collector that subscribes later still gets it::

    topic, payload = curtailment_order(config, clock.now())
    await publish_curtailment_order(config, broker.url, broker.protocol, clock)
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Literal

import orjson

from collector.backoff import Backoff
from collector.clock import Clock
from collector.config.model import Config
from collector.config.sections import MqttConfig
from collector.telemetry.client import GmqttClient, MqttError, MqttSettings

CURTAILED_REGION = "almaty"
CAP_SHARE_OF_QUOTA = 0.98
ORDER_DURATION = timedelta(hours=6)


def _utc_text(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def curtailment_order(
    config: Config, now: datetime, region: str = CURTAILED_REGION
) -> tuple[str, bytes]:
    """``(topic, payload)`` of the order capping ``region`` from ``now`` for six hours.

    The cap is 98 % of the summed ``power_quota_w`` of the region's configured sites.
    """
    quota_w = sum(
        site.power_quota_w
        for operation in config.operations
        for site in operation.sites
        if site.region == region
    )
    if quota_w == 0:
        msg = f"no configured site is in region {region!r}; a curtailment order needs one"
        raise ValueError(msg)
    prefix = config.mqtt.topic_prefix.rstrip("/")
    payload = {
        "ts": _utc_text(now),
        "max_power_w": round(quota_w * CAP_SHARE_OF_QUOTA),
        "until": _utc_text(now + ORDER_DURATION),
    }
    return f"{prefix}/grid/{region}/curtailment", orjson.dumps(payload)


async def publish_curtailment_order(
    config: Config, url: str, protocol: Literal["3.1.1", "5"], clock: Clock
) -> None:
    """Publish the demo's order once, retained, retrying with back-off until the broker takes it."""
    mqtt = MqttConfig(url=url, protocol=protocol, topic_prefix=config.mqtt.topic_prefix)
    settings = MqttSettings(
        host=mqtt.host,
        port=mqtt.port,
        client_id="reservewatch-demo-grid-operator",
        protocol=protocol,
        persistent=False,
    )
    backoff = Backoff(base_s=0.5, cap_s=10.0)
    while True:
        publisher = GmqttClient(settings)
        try:
            await publisher.connect()
        except MqttError:
            await asyncio.sleep(backoff.next_delay_s())
            continue
        try:
            topic, payload = curtailment_order(config, clock.now())
            publisher.publish(topic, payload, qos=1, retain=True)
            await publisher.drain()
        finally:
            await publisher.disconnect()
        return
