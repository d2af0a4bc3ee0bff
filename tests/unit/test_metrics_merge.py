"""The collector's exposition holds one family per name, even when two sources yield it."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families

from collector.metrics import build_registry


class _Source:
    def __init__(self, target: str, up: float) -> None:
        self._target = target
        self._up = up

    def metric_families(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("reservewatch_source_up", "1 while up.", labels=["target"])
        family.add_metric([self._target], self._up)
        yield family


def test_families_of_one_name_from_two_sources_are_exposed_once() -> None:
    registry, _ = build_registry([_Source("broker", 1.0), _Source("pool", 0.0)])
    text = generate_latest(registry).decode()
    assert text.count("# TYPE reservewatch_source_up gauge") == 1
    families = [
        f for f in text_string_to_metric_families(text) if f.name == "reservewatch_source_up"
    ]
    assert len(families) == 1
    assert {s.labels["target"]: s.value for s in families[0].samples} == {
        "broker": 1.0,
        "pool": 0.0,
    }


def test_repeated_scrapes_do_not_grow_the_merged_family() -> None:
    registry, _ = build_registry([_Source("broker", 1.0), _Source("pool", 0.0)])
    first = generate_latest(registry)
    assert (
        generate_latest(registry).count(b"reservewatch_source_up{")
        == first.count(b"reservewatch_source_up{")
        == 2
    )
