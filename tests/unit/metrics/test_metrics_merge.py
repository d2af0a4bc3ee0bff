"""The registry: one family per name, each from one source — but those the contract lets
several share (``contract.SHARED``: the poller's targets and telemetry's broker in
``reservewatch_source_up``), whose samples join; a family two sources declare, or one a
source yields without declaring, is refused (at start, as client_python's registry does)."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from collector.metrics import build_registry
from collector.metrics.contract import Metric, family


class _Source:
    NAMES = ("reservewatch_source_up",)

    def __init__(self, target: str, up: float, name: str = "reservewatch_source_up") -> None:
        self._target = target
        self._up = up
        self._name = name

    def metric_families(self) -> Iterable[Metric]:
        built = family(self._name)
        built.add_metric(["pool", self._target], self._up)
        yield built


class _Store:
    NAMES = ("reservewatch_store_up",)

    def metric_families(self) -> Iterable[Metric]:
        yield family("reservewatch_store_up", 1)


def test_a_shared_family_from_two_sources_is_exposed_once() -> None:
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


def test_a_family_two_sources_declare_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="reservewatch_store_up is declared by _Store and by"):
        build_registry([_Store(), _Store()])


def test_a_family_no_contract_declares_is_refused_at_start() -> None:
    class Stray(_Store):
        NAMES = ("reservewatch_stray",)

    with pytest.raises(ValueError, match="reservewatch_stray, which the metrics contract"):
        build_registry([Stray()])


def test_a_family_its_source_does_not_declare_is_refused_when_yielded() -> None:
    registry, _ = build_registry([_Source("pool", 1.0, name="reservewatch_store_up")])
    with pytest.raises(ValueError, match="yields reservewatch_store_up, which it does not"):
        generate_latest(registry)


def test_a_component_without_a_row_is_refused() -> None:
    with pytest.raises(TypeError, match=r"no row in collector\.metrics\.tables\.TABLE"):
        build_registry([object()])
