"""Telemetry metric families, built at scrape time from the in-memory site book (no I/O).

Exposes, per site (labels ``operation, site, region``; hash rate ``operation, site``)::

    reservewatch_site_power_watts{operation="op",site="s1",region="r"} 4.82e+07
    reservewatch_site_power_quota_watts{...} 5e+07
    reservewatch_site_energy_joules_total{...} 4.4e+14
    reservewatch_site_hashrate_hashes_per_second{operation="op",site="s1"} 2.1e+18
    reservewatch_site_miners_online{...} 9800
    reservewatch_site_miners_total{...} 10000
    reservewatch_site_last_seen_timestamp_seconds{...} 1.7955e+09
    reservewatch_site_power_implied_hashrate_hashes_per_second{...} 2.2e+18
    reservewatch_site_curtailment_compliant{...} 1          (only while an order is active)
    reservewatch_site_inlet_temperature_celsius{...} -5.2
    reservewatch_region_curtailment_max_watts{region="r"} 2e+07 (only while an order is active)
    reservewatch_region_power_watts{region="r"} 4.82e+07
    reservewatch_region_power_quota_watts{region="r"} 5e+07
    reservewatch_telemetry_messages_total{site="s1"} 42
    reservewatch_telemetry_rejected_total{reason="not_json"} 3
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from collector.telemetry.sites import SiteBook

_SITE = ["operation", "site", "region"]


@dataclass(frozen=True, slots=True)
class SiteFamilies:
    """The per-site families and each region's summed power, as of one state of the book."""

    families: tuple[Metric, ...]
    region_power_w: Mapping[str, float]


def site_families(book: SiteBook, now: datetime) -> SiteFamilies:
    """The per-site families; they change only when the book's ``version`` or the set of
    active curtailment orders does, so the service keeps them between scrapes."""
    power = GaugeMetricFamily(
        "reservewatch_site_power_watts", "Latest power a site reported, in watts.", labels=_SITE
    )
    quota = GaugeMetricFamily(
        "reservewatch_site_power_quota_watts",
        "A site's licensed power quota, in watts.",
        labels=_SITE,
    )
    energy = CounterMetricFamily(
        "reservewatch_site_energy_joules",
        "Energy a site's meter recorded since first seen (meter resets bridged), in joules.",
        labels=_SITE,
    )
    hashrate = GaugeMetricFamily(
        "reservewatch_site_hashrate_hashes_per_second",
        "Latest hash rate a site reported, in hashes per second.",
        labels=["operation", "site"],
    )
    online = GaugeMetricFamily(
        "reservewatch_site_miners_online", "Miners a site reported online.", labels=_SITE
    )
    total = GaugeMetricFamily(
        "reservewatch_site_miners_total", "Miners installed at a site.", labels=_SITE
    )
    last_seen = GaugeMetricFamily(
        "reservewatch_site_last_seen_timestamp_seconds",
        "Timestamp of a site's latest accepted reading, in Unix seconds.",
        labels=_SITE,
    )
    implied = GaugeMetricFamily(
        "reservewatch_site_power_implied_hashrate_hashes_per_second",
        "Hash rate the site's power implies at its declared efficiency (W ÷ J/TH), in H/s.",
        labels=_SITE,
    )
    compliant = GaugeMetricFamily(
        "reservewatch_site_curtailment_compliant",
        "1 while a site draws at most its share of its region's curtailment limit, else 0.",
        labels=_SITE,
    )
    temperature = GaugeMetricFamily(
        "reservewatch_site_inlet_temperature_celsius",
        "Latest inlet air temperature a site reported, in degrees Celsius.",
        labels=_SITE,
    )
    region_power: dict[str, float] = {}
    for site_id, state in book.states():
        site = state.config
        labels = [state.operation_id, site_id, site.region]
        quota.add_metric(labels, float(site.power_quota_w))
        if site.miners_total is not None and state.miners_total is None:
            total.add_metric(labels, float(site.miners_total))
        if state.last_ts is None:
            continue
        power.add_metric(labels, state.power_w)
        region_power[site.region] = region_power.get(site.region, 0.0) + state.power_w
        energy.add_metric(labels, state.energy_total_wh * 3600.0)
        if state.hashrate_hs is not None:
            hashrate.add_metric([state.operation_id, site_id], state.hashrate_hs)
        if state.miners_online is not None:
            online.add_metric(labels, float(state.miners_online))
        if state.miners_total is not None:
            total.add_metric(labels, float(state.miners_total))
        last_seen.add_metric(labels, state.last_ts.timestamp())
        implied.add_metric(labels, state.power_w / float(site.efficiency_j_per_th) * 1e12)
        if state.inlet_temp_c is not None:
            temperature.add_metric(labels, state.inlet_temp_c)
        order = book.active_order(site.region, now)
        if order is not None:
            share_w = book.site_share_w(site_id, order)
            compliant.add_metric(labels, 1.0 if state.power_w <= share_w else 0.0)
    return SiteFamilies(
        (power, quota, energy, hashrate, online, total, last_seen, implied, compliant, temperature),
        region_power,
    )


def telemetry_families(
    book: SiteBook,
    now: datetime,
    messages: Mapping[str, int],
    rejected: Mapping[str, int],
    sites: SiteFamilies | None = None,
) -> Iterator[Metric]:
    """Every telemetry family; ``sites`` reuses per-site families built for this book state."""
    if sites is None:
        sites = site_families(book, now)
    yield from sites.families
    region_power = sites.region_power_w

    region_max = GaugeMetricFamily(
        "reservewatch_region_curtailment_max_watts",
        "The grid operator's active curtailment limit for a region, in watts.",
        labels=["region"],
    )
    region_power_family = GaugeMetricFamily(
        "reservewatch_region_power_watts",
        "Sum of the latest power of a region's sites (of this replica's shard), in watts.",
        labels=["region"],
    )
    region_quota = GaugeMetricFamily(
        "reservewatch_region_power_quota_watts",
        "Sum of the power quotas of a region's sites, in watts.",
        labels=["region"],
    )
    for region, quota_w in sorted(book.region_quota_w().items()):
        region_quota.add_metric([region], float(quota_w))
        region_power_family.add_metric([region], region_power.get(region, 0.0))
        order = book.active_order(region, now)
        if order is not None:
            region_max.add_metric([region], float(order.max_power_w))
    yield region_max
    yield region_power_family
    yield region_quota

    messages_family = CounterMetricFamily(
        "reservewatch_telemetry_messages",
        "Readings accepted per site.",
        labels=["site"],
    )
    for site_id, count in messages.items():
        messages_family.add_metric([site_id], float(count))
    yield messages_family
    rejected_family = CounterMetricFamily(
        "reservewatch_telemetry_rejected",
        "Telemetry messages or readings rejected, by reason.",
        labels=["reason"],
    )
    for reason, count in rejected.items():
        rejected_family.add_metric([reason], float(count))
    yield rejected_family
