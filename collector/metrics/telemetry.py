"""Telemetry's families, built at scrape time from the service's in-memory site book (no I/O).

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

from collector.metrics.contract import Metric, Sample, family
from collector.telemetry.payloads import CurtailmentOrder
from collector.telemetry.service import TelemetryService
from collector.telemetry.sites import LiveSite, SiteBook

_SITE = ("operation", "site", "region")


@dataclass(frozen=True, slots=True)
class SiteFamilies:
    """The per-site families and each region's summed power, as of one state of the book."""

    families: tuple[Metric, ...]
    region_power_w: Mapping[str, float]


_SITE_FAMILIES: tuple[str, ...] = (  # in column order; types, HELP and labels: the contract
    "reservewatch_site_power_watts",
    "reservewatch_site_power_quota_watts",
    "reservewatch_site_energy_joules",
    "reservewatch_site_hashrate_hashes_per_second",
    "reservewatch_site_miners_online",
    "reservewatch_site_miners_total",
    "reservewatch_site_last_seen_timestamp_seconds",
    "reservewatch_site_power_implied_hashrate_hashes_per_second",
    "reservewatch_site_curtailment_compliant",
    "reservewatch_site_inlet_temperature_celsius",
)
_POWER, _QUOTA, _ENERGY, _HASHRATE, _ONLINE, _TOTAL, _LAST_SEEN, _IMPLIED = range(8)
_COMPLIANT, _TEMPERATURE = 8, 9


@dataclass(frozen=True, slots=True)
class _SiteSamples:
    """One site's samples for each per-site family, as of one state and active order."""

    state: LiveSite
    version: int
    order: CurtailmentOrder | None
    samples: tuple[tuple[Sample, ...], ...]


def _site_samples(
    book: SiteBook, site_id: str, state: LiveSite, order: CurtailmentOrder | None
) -> _SiteSamples:
    site = state.config
    labels = {"operation": state.operation_id, "site": site_id, "region": site.region}
    names = list(_SITE_FAMILIES)
    names[_ENERGY] += "_total"
    rows: list[list[Sample]] = [[] for _ in _SITE_FAMILIES]

    def add(family: int, value: float, sample_labels: dict[str, str] = labels) -> None:
        rows[family].append(Sample(names[family], sample_labels, value, None))

    add(_QUOTA, float(site.power_quota_w))
    if site.miners_total is not None and state.miners_total is None:
        add(_TOTAL, float(site.miners_total))
    if state.last_ts_s is not None:
        add(_POWER, state.power_w)
        add(_ENERGY, state.energy_total_wh * 3600.0)
        if state.hashrate_hs is not None:
            add(
                _HASHRATE,
                state.hashrate_hs,
                {"operation": state.operation_id, "site": site_id},
            )
        if state.miners_online is not None:
            add(_ONLINE, float(state.miners_online))
        if state.miners_total is not None:
            add(_TOTAL, float(state.miners_total))
        add(_LAST_SEEN, state.last_ts_s)
        add(_IMPLIED, state.power_w / float(site.efficiency_j_per_th) * 1e12)
        if state.inlet_temp_c is not None:
            add(_TEMPERATURE, state.inlet_temp_c)
        if order is not None:
            share_w = book.site_share_w(site_id, order)
            add(_COMPLIANT, 1.0 if state.power_w <= share_w else 0.0)
    return _SiteSamples(state, state.version, order, tuple(tuple(row) for row in rows))


class SiteExposition:
    """Builds the per-site families, re-making only the samples of sites that changed.

    A site's samples are kept while its ``LiveSite.version`` and its region's active order
    stay the same, and the same `Sample` objects are yielded again, so the renderer reuses
    their text (see collector.metrics.ExpositionRenderer): under a flood that touches a few
    sites, a scrape renders only those sites' lines.
    """

    def __init__(self) -> None:
        self._sites: dict[str, _SiteSamples] = {}
        self._message_samples: dict[str, tuple[int, Sample]] = {}

    def messages_family(self, messages: Mapping[str, int]) -> Metric:
        """``reservewatch_telemetry_messages_total`` per site, a sample made again only when
        its site's count moved (a flood touches a few sites)."""
        built = family("reservewatch_telemetry_messages")
        name = built.name + "_total"
        known = self._message_samples
        kept: dict[str, tuple[int, Sample]] = {}
        for site_id, count in messages.items():
            entry = known.get(site_id)
            if entry is None or entry[0] != count:
                entry = (count, Sample(name, {"site": site_id}, float(count), None))
            kept[site_id] = entry
            built.samples.append(entry[1])
        self._message_samples = kept
        return built

    def families(self, book: SiteBook, now: datetime) -> SiteFamilies:
        columns: list[list[Sample]] = [[] for _ in _SITE_FAMILIES]
        region_power: dict[str, float] = {}
        cache = self._sites
        kept: dict[str, _SiteSamples] = {}
        for site_id, state in book.states():
            region = state.config.region
            order = book.active_order(region, now)
            entry = cache.get(site_id)
            if (
                entry is None
                or entry.state is not state
                or entry.version != state.version
                or entry.order is not order
            ):
                entry = _site_samples(book, site_id, state, order)
            kept[site_id] = entry
            for column, mine in zip(columns, entry.samples, strict=True):
                if mine:
                    column.extend(mine)
            if state.last_ts_s is not None:
                region_power[region] = region_power.get(region, 0.0) + state.power_w
        self._sites = kept
        families: list[Metric] = []
        for name, samples in zip(_SITE_FAMILIES, columns, strict=True):
            built = family(name)
            built.samples = samples
            families.append(built)
        return SiteFamilies(tuple(families), region_power)


def site_families(book: SiteBook, now: datetime) -> SiteFamilies:
    """The per-site families, nothing cached (see `SiteExposition` for the cached builder)."""
    return SiteExposition().families(book, now)


def telemetry_families(
    book: SiteBook,
    now: datetime,
    messages: Mapping[str, int],
    rejected: Mapping[str, int],
    *,
    sites: SiteFamilies | None = None,
    exposition: SiteExposition | None = None,
) -> Iterator[Metric]:
    """Every telemetry family; ``sites`` reuses per-site families built for this book state,
    ``exposition`` the message counts' samples that did not move."""
    if exposition is None:
        exposition = SiteExposition()
    if sites is None:
        sites = exposition.families(book, now)
    yield from sites.families
    region_power = sites.region_power_w

    region_max = family("reservewatch_region_curtailment_max_watts")
    region_power_family = family("reservewatch_region_power_watts")
    region_quota = family("reservewatch_region_power_quota_watts")
    for region, quota_w in sorted(book.region_quota_w().items()):
        region_quota.add_metric([region], float(quota_w))
        region_power_family.add_metric([region], region_power.get(region, 0.0))
        order = book.active_order(region, now)
        if order is not None:
            region_max.add_metric([region], float(order.max_power_w))
    yield region_max
    yield region_power_family
    yield region_quota

    yield exposition.messages_family(messages)
    rejected_family = family("reservewatch_telemetry_rejected")
    for reason, count in rejected.items():
        rejected_family.add_metric([reason], float(count))
    yield rejected_family


class TelemetryMetrics:
    """Every telemetry family of one service, and the MQTT connection's
    ``reservewatch_source_up`` sample. Per-site families are rebuilt only when a state or the
    active orders changed, and then only the changed sites' samples are made again; the
    renderer reuses the text of the families and samples it has seen (see
    collector.metrics.ExpositionRenderer)."""

    def __init__(self, service: TelemetryService) -> None:
        self._service = service
        self._site_families: tuple[tuple[int, frozenset[str]], SiteFamilies] | None = None
        self._site_exposition = SiteExposition()

    def metric_families(self) -> Iterator[Metric]:
        service = self._service
        now = service.now()
        book = service.book
        key = (book.version, frozenset(r for r in book.orders() if book.active_order(r, now)))
        if self._site_families is None or self._site_families[0] != key:
            self._site_families = (key, self._site_exposition.families(book, now))
        sites = self._site_families[1]
        yield from telemetry_families(
            book,
            now,
            service.messages,
            service.rejected,
            sites=sites,
            exposition=self._site_exposition,
        )
        up = family("reservewatch_source_up")
        up.add_metric(["mqtt", "broker"], 1.0 if service.connected else 0.0)
        yield up
