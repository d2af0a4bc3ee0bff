"""The sources' families, from what their jobs published (no I/O at scrape time): HTTP
requests, each target's health and poll durations (the poller's), the pools' last good
statuses, the network and the prices (:class:`~collector.sources.published.Published`) and
the reserve's value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from collector.metrics.contract import Metric, family, histogram
from collector.sources.http import RequestCounters
from collector.sources.poller import POLL_DURATION_BUCKETS_S, Poller
from collector.sources.prices import ReserveValue
from collector.sources.published import Published

VALUE_FAMILIES: Final = {
    "USD": "reservewatch_reserve_value_usd",
    "KZT": "reservewatch_reserve_value_kzt",
}


def request_families(counters: RequestCounters) -> Iterator[Metric]:
    requests = family("reservewatch_source_requests")
    for (source, result), total in sorted(counters.totals().items()):
        requests.add_metric([source, result], total)
    yield requests


def poller_families(poller: Poller) -> Iterator[Metric]:
    """Each target's health and last success, and each source kind's poll durations."""
    up = family("reservewatch_source_up")
    last = family("reservewatch_source_last_success_timestamp_seconds")
    for health in poller.health().values():
        up.add_metric([health.source, health.target], 1.0 if health.up else 0.0)
        if health.last_success is not None:
            last.add_metric([health.source, health.target], health.last_success.timestamp())
    yield up
    yield last
    durations = histogram("reservewatch_source_poll_duration_seconds")
    for source, counts in sorted(poller.durations().items()):
        buckets = [
            (str(bound), float(count))
            for bound, count in zip(POLL_DURATION_BUCKETS_S, counts.counts, strict=True)
        ]
        buckets.append(("+Inf", float(counts.total)))
        durations.add_metric([source], buckets, counts.sum_s)
    yield durations


def published_families(published: Published) -> Iterator[Metric]:
    """The pools' last statuses and unknown rows, then the network's last values (each absent,
    not 0, while unknown)."""
    pools = published.pools()
    hashrate = family("reservewatch_pool_hashrate_hashes_per_second")
    workers = family("reservewatch_pool_workers")
    for (operation, kind, account), status in sorted(pools.statuses.items()):
        pool = f"{kind}/{account}"
        hashrate.add_metric([operation, pool, "current"], status.hashrate_hs)
        hashrate.add_metric([operation, pool, "24h"], status.hashrate_24h_hs)
        workers.add_metric([operation, pool, "online"], status.workers_online)
        workers.add_metric([operation, pool, "offline"], status.workers_offline)
    yield hashrate
    yield workers
    unknown = family("reservewatch_pool_unknown_rows")
    for (operation, pool), rows in sorted(pools.unknown_rows.items()):
        unknown.add_metric([operation, pool], rows)
    yield unknown
    network = published.network()
    if network is None:
        return
    if network.hashrate_hs is not None:
        yield family("reservewatch_network_hashrate_hashes_per_second", network.hashrate_hs)
    if network.difficulty is not None:
        yield family("reservewatch_network_difficulty", network.difficulty)
    yield family("reservewatch_network_tip_height", network.tip_height)


def value_families(value: ReserveValue) -> Iterator[Metric]:
    """The latest dollar price per BTC, then the reserve's holdings valued in each currency
    that has a price (each absent, not 0, while unknown)."""
    prices = value.prices()
    usd = prices.latest("USD")
    if usd is not None:
        yield family("reservewatch_price_btc_usd", float(usd.per_btc))
    for currency, amount in value.values(prices).items():
        yield family(VALUE_FAMILIES[currency], float(amount))
