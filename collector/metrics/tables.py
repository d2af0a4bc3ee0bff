"""The one table of what ``/metrics`` shows: for each kind of component, the families it
contributes (declared in :mod:`collector.metrics.contract`) and what builds them from the
component's state. A component holds state only; every family is built in this package.

:func:`collector.metrics.build_registry` looks each component up here (or takes a source of
this package, which declares its own ``NAMES``), and refuses at start a family two sources
declare — but those the contract lets several share (:data:`contract.SHARED`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from collector.accounts.rewrites import RewriteMetrics
from collector.accounts.service import AccountsService
from collector.metrics.accounts import AccountsMetrics, rewrite_families
from collector.metrics.contract import SPECS, Metric
from collector.metrics.sources import (
    poller_families,
    published_families,
    request_families,
    value_families,
)
from collector.metrics.telemetry import TelemetryMetrics
from collector.sources.http import RequestCounters
from collector.sources.poller import Poller
from collector.sources.prices import ReserveValue
from collector.sources.published import Published
from collector.telemetry.service import TelemetryService


class MetricSource(Protocol):
    """What a row builds: families from in-memory state, no blocking, no I/O."""

    def metric_families(self) -> Iterable[Metric]: ...


def _starting(*prefixes: str) -> tuple[str, ...]:
    return tuple(name for name in SPECS if name.startswith(prefixes))


@dataclass(frozen=True, slots=True)
class Row:
    """One kind of component: the families it contributes and what builds them (a function
    of the component, or a class made once per component that keeps its own caches)."""

    kind: type
    names: tuple[str, ...]
    build: Callable[[Any], MetricSource | Iterable[Metric]]
    stateful: bool = False


TABLE: Final = (
    Row(
        TelemetryService,
        (
            *_starting("reservewatch_site_", "reservewatch_region_", "reservewatch_telemetry_"),
            "reservewatch_source_up",
        ),
        TelemetryMetrics,
        stateful=True,
    ),
    Row(RequestCounters, ("reservewatch_source_requests",), request_families),
    Row(
        Poller,
        (
            "reservewatch_source_up",
            "reservewatch_source_last_success_timestamp_seconds",
            "reservewatch_source_poll_duration_seconds",
        ),
        poller_families,
    ),
    Row(
        Published,
        (
            "reservewatch_pool_hashrate_hashes_per_second",
            "reservewatch_pool_workers",
            "reservewatch_pool_unknown_rows",
            *_starting("reservewatch_network_"),
        ),
        published_families,
    ),
    Row(
        ReserveValue,
        ("reservewatch_price_btc_usd", *_starting("reservewatch_reserve_value_")),
        value_families,
    ),
    Row(
        AccountsService,
        (
            *_starting("reservewatch_operation_", "reservewatch_national_"),
            "reservewatch_journal_entries_refused",
            "reservewatch_accounts_last_success_timestamp_seconds",
        ),
        AccountsMetrics,
        stateful=True,
    ),
    Row(RewriteMetrics, ("reservewatch_config_rewrites_issued_periods",), rewrite_families),
)


@dataclass(frozen=True, slots=True)
class Declared:
    """A source as the registry collects it: the families it declares, and how to get them."""

    owner: str  # the component's kind, for messages
    names: tuple[str, ...]
    families: Callable[[], Iterable[Metric]]

    def metric_families(self) -> Iterable[Metric]:
        return self.families()


def tabled(component: object) -> Declared | None:
    """``component`` through its row of :data:`TABLE` (None: no row for its kind)."""
    for row in TABLE:
        if isinstance(component, row.kind):
            if row.stateful:
                source: Any = row.build(component)
                return Declared(type(component).__name__, row.names, source.metric_families)
            families = functools.partial(_families, row.build, component)
            return Declared(type(component).__name__, row.names, families)
    return None


def _families(build: Callable[[Any], Any], component: object) -> Iterable[Metric]:
    built: Iterable[Metric] = build(component)
    return built
