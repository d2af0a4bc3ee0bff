"""What the sources' jobs published, as the metrics read it: each job's last snapshot, kept by
the poller (:meth:`~collector.sources.poller.Poller.latest`), over what the store held at
start. No job keeps figures on the side for the metrics; nothing here does I/O.

* each pool account's last status: the one its job last published
  (:class:`~collector.sources.pool_jobs.PoolAccountPolled`), else the store's at start (an
  account no longer configured keeps its stored one), and the rows of a kind its adapter
  does not know counted since start (0 for every account with a status);
* the network's tip, hash rate and difficulty its job last published
  (:class:`~collector.sources.network.NetworkSeen`; ``None`` before its first poll);
* what the reserve watcher last published (:class:`~collector.sources.reserve.ReserveWatched`:
  the tip it watched to, the addresses it watches, the unparseable outputs; ``None`` before
  its first poll);
* the latest prices and rates: the store's at start, with the price the ticker job last
  published (:class:`~remittance.valuation.Price`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collector.sources.network import NetworkSeen
from collector.sources.poller import Poller
from collector.sources.pool_jobs import PoolAccountPolled
from collector.sources.prices import LatestPrices
from collector.sources.reserve import ReserveWatched
from collector.store.records import PoolStatusRecord
from remittance.valuation import Price

PoolKey = tuple[str, str, str]
"""(operation, pool kind, account)."""


@dataclass(frozen=True, slots=True)
class PoolsSeen:
    """Each pool account's last status, and the rows of a kind its adapter does not know
    counted since start, by (operation, ``kind/account``)."""

    statuses: Mapping[PoolKey, PoolStatusRecord]
    unknown_rows: Mapping[tuple[str, str], int]


class Published:
    """The sources' last published snapshots over what the store held at start.

    Args:
        poller: keeps what each job published.
        pools: the pool jobs' targets.
        network: the network job's target (``None``: none polled).
        reserve: the reserve watcher's target (``None``: none polled).
        price: the ticker job's target (``None`` when prices are not configured).
        stored_statuses: each pool account's last status the store held at start.
        stored_prices: the latest prices and rates the store held at start.
    """

    def __init__(
        self,
        poller: Poller,
        *,
        pools: Iterable[str] = (),
        network: str | None = None,
        reserve: str | None = None,
        price: str | None = None,
        stored_statuses: Iterable[PoolStatusRecord] = (),
        stored_prices: LatestPrices = LatestPrices(),  # noqa: B008 - a frozen value
    ) -> None:
        self._poller = poller
        self._pools = tuple(pools)
        self._network = network
        self._reserve = reserve
        self._price = price
        stored: dict[PoolKey, PoolStatusRecord] = {}
        for status in stored_statuses:
            held = stored.get(key := _key(status))
            if held is None or status.observed_at >= held.observed_at:
                stored[key] = status
        self._stored_statuses = stored
        self._stored_prices = stored_prices

    def pools(self) -> PoolsSeen:
        """Each pool account's last status and unknown rows counted (see the module)."""
        statuses = dict(self._stored_statuses)
        unknown = {(s.operation_id, f"{s.pool_kind}/{s.account}"): 0 for s in statuses.values()}
        for target in self._pools:
            polled = self._poller.latest(target, PoolAccountPolled)
            if polled is None:
                continue
            status = polled.value.status
            held = statuses.get(key := _key(status))
            if held is None or status.observed_at >= held.observed_at:
                statuses[key] = status
            unknown[(status.operation_id, f"{status.pool_kind}/{status.account}")] = (
                polled.value.unknown_rows_total
            )
        return PoolsSeen(statuses, unknown)

    def network(self) -> NetworkSeen | None:
        """What the network job last published (``None`` before its first poll)."""
        if self._network is None:
            return None
        seen = self._poller.latest(self._network, NetworkSeen)
        return None if seen is None else seen.value

    def reserve(self) -> ReserveWatched | None:
        """What the reserve watcher last published (``None`` before its first poll)."""
        if self._reserve is None:
            return None
        seen = self._poller.latest(self._reserve, ReserveWatched)
        return None if seen is None else seen.value

    def latest_prices(self) -> LatestPrices:
        """The store's prices and rates at start, with the ticker's last published price."""
        if self._price is None:
            return self._stored_prices
        polled = self._poller.latest(self._price, Price)
        if polled is None:
            return self._stored_prices
        return self._stored_prices.with_price(polled.value)


def _key(status: PoolStatusRecord) -> PoolKey:
    return (status.operation_id, status.pool_kind, status.account)
