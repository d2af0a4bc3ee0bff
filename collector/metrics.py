"""Prometheus exposition: one custom collector over the components' in-memory state.

Each component (telemetry, sources, accounts) implements :class:`MetricSource`: it yields
``prometheus_client`` metric families built from what it already holds in memory, doing no
I/O, so a scrape never waits on a pool, the chain or the database. The registry is the
application's own (never the global one). The collector adds::

    reservewatch_up 1
    reservewatch_build_info{version="0.1.0"} 1
    reservewatch_scrape_duration_seconds 0.0012   (the previous scrape's collect time)

Two sources may yield a family of the same name (the poller and telemetry both report
``reservewatch_source_up``); their samples are merged into one family, because the text
format allows one ``# HELP``/``# TYPE`` block per name (Prometheus and promtool refuse a second).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from collector import __version__


class MetricSource(Protocol):
    def metric_families(self) -> Iterable[Metric]:
        """Metric families from in-memory state; must not block or do I/O."""
        ...


class ReservewatchCollector(Collector):
    def __init__(self, sources: Sequence[MetricSource]) -> None:
        self._sources = list(sources)
        self._last_duration_s = 0.0

    def add(self, source: MetricSource) -> None:
        self._sources.append(source)

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        yield GaugeMetricFamily("reservewatch_up", "1 while the collector runs.", value=1)
        yield InfoMetricFamily(
            "reservewatch_build", "The collector's version.", value={"version": __version__}
        )
        yield from _merged(
            family for source in self._sources for family in source.metric_families()
        )
        yield GaugeMetricFamily(
            "reservewatch_scrape_duration_seconds",
            "Time the previous scrape took to collect every metric, in seconds.",
            value=self._last_duration_s,
        )
        self._last_duration_s = time.perf_counter() - started


def _merged(families: Iterable[Metric]) -> list[Metric]:
    """One family per name, in first-seen order; later families' samples join the first."""
    by_name: dict[str, Metric] = {}
    for family in families:
        known = by_name.get(family.name)
        if known is None:
            by_name[family.name] = family
            continue
        if known.type != family.type:
            raise ValueError(
                f"metric family {family.name} is yielded as both {known.type} and {family.type}"
            )
        joined = Metric(known.name, known.documentation, known.type, known.unit)
        joined.samples = [*known.samples, *family.samples]
        by_name[family.name] = joined
    return list(by_name.values())


def build_registry(
    sources: Sequence[MetricSource],
) -> tuple[CollectorRegistry, ReservewatchCollector]:
    registry = CollectorRegistry(auto_describe=False)
    collector = ReservewatchCollector(sources)
    registry.register(collector)
    return registry, collector
