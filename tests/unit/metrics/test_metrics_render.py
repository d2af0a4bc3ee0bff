"""Our fast exposition renderers write exactly what prometheus_client writes."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
    SummaryMetricFamily,
)
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar

from collector.metrics import render_openmetrics, render_text


class Families(Collector):
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def every_kind() -> list[Metric]:
    gauge = GaugeMetricFamily(
        "reservewatch_site_power_watts",
        'Power with "quotes", a back\\slash and a\nnewline.',
        labels=["site", "operation", "region"],
    )
    gauge.add_metric(["s1", "op-a", "north"], 4.82e7)
    gauge.add_metric(['we"ird\\site\nname', "op-ü", ""], -0.1)
    gauge.add_metric(["s3", "op-a", "north"], float("nan"))
    gauge.add_metric(["s4", "op-a", "north"], float("inf"), timestamp=1_700_000_000.5)
    gauge.add_metric(["s5", "op-a", "north"], float("-inf"))
    gauge.add_metric(["s6", "op-a", "north"], 1234567.0)
    gauge.add_metric(["s7", "op-a", "north"], 123456.0)
    gauge.add_metric(["s8", "op-a", "north"], 1e21)
    counter = CounterMetricFamily(
        "reservewatch_telemetry_messages", "Readings.", labels=["site"], created=1.5
    )
    counter.add_metric(["s1"], 42, created=1_700_000_000.0)
    counter.add_metric(["s2"], 0)
    unit = GaugeMetricFamily("reservewatch_temp_celsius", "T.", unit="celsius", value=-5.2)
    info = InfoMetricFamily("reservewatch_build", "Version.", value={"version": "0.1.0"})
    states = StateSetMetricFamily("reservewatch_mode", "Mode.", value={"a": True, "b": False})
    summary = SummaryMetricFamily(
        "reservewatch_pass_seconds", "Pass.", count_value=3, sum_value=1.5
    )
    histogram = HistogramMetricFamily(
        "reservewatch_lag_seconds", "Lag.", buckets=[("1.0", 2), ("+Inf", 3)], sum_value=4.5
    )
    return [gauge, counter, unit, info, states, summary, histogram]


@pytest.fixture
def registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Families(every_kind()))
    return registry


def test_render_text_writes_the_bytes_generate_latest_writes(registry: CollectorRegistry) -> None:
    assert render_text(registry.collect()) == generate_latest(registry)


def test_render_openmetrics_writes_the_bytes_prometheus_client_writes(
    registry: CollectorRegistry,
) -> None:
    assert render_openmetrics(registry.collect()) == openmetrics_latest(registry)  # type: ignore[no-untyped-call]


def test_render_openmetrics_leaves_exemplars_to_prometheus_client() -> None:
    counter = CounterMetricFamily("reservewatch_x", "X.", labels=["a"])
    counter.add_metric(["1"], 2, exemplar=Exemplar({"trace": "t"}, 1.0))
    assert render_openmetrics([counter]) is None


def test_render_openmetrics_leaves_utf8_names_to_prometheus_client() -> None:
    assert render_openmetrics([GaugeMetricFamily("reservewatch.dotted", "X.", value=1)]) is None
