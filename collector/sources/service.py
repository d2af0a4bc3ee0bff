"""Pool accounts as poll jobs: snapshot + earnings, stored idempotently, last good values shown.

:func:`build_pool_jobs` turns every pool account of every operation into a :class:`PoolJob` for
the :class:`~collector.sources.poller.Poller`. Each poll:

1. reads the account's snapshot and saves it (``Store.save_pool_status``) and shows it;
2. reads daily earnings: on first contact (nothing stored for the account) or when ``since`` is
   given, back to ``since`` or ``backfill_days`` ago, split into ranges the pool accepts;
   afterwards the account's last ``revision_days`` days (3 by default), since pools revise
   recent days;
3. upserts them (``Store.upsert_earnings``, ``upsert_pool_hashrate_days``): re-polling never
   double counts.

A failed poll changes nothing shown: :class:`PoolMetrics` keeps the last good values (loaded
from the store at start), and their age is ``time() -
reservewatch_source_last_success_timestamp_seconds``. :class:`PoolMetrics` exposes::

    reservewatch_pool_hashrate_hashes_per_second{operation="o",pool="ocean/a",window="current"} 1e17
    reservewatch_pool_hashrate_hashes_per_second{operation="o",pool="ocean/a",window="24h"} 1e17
    reservewatch_pool_workers{operation="o",pool="ocean/a",state="online"} 3200.0
    reservewatch_pool_workers{operation="o",pool="ocean/a",state="offline"} 14.0
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final
from urllib.parse import urlsplit

import aiohttp
from aiolimiter import AsyncLimiter
from prometheus_client.core import GaugeMetricFamily, Metric

from collector.clock import Clock
from collector.config import Config, OperationConfig, PoolAccountConfig, resolve_secret
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.poller import Poller
from collector.sources.pools import ADAPTERS, DailyEarning, PoolAdapter, PoolCredentials
from collector.store.queries import Store
from collector.store.records import EarningRecord, PoolHashrateDayRecord, PoolStatusRecord

log = logging.getLogger(__name__)


RATE_LIMITS: Final[Mapping[str, tuple[float, float]]] = {
    # kind: (requests, per seconds), per host. Braiins: "about one request per five seconds";
    # AntPool: "at most 600 per 10 minutes" (we keep a margin); others publish none, and their
    # own clients wait about a second between calls.
    "braiins": (1, 5),
    "antpool": (500, 600),
    "f2pool": (1, 1),
    "foundry": (2, 1),
    "luxor": (1, 1),
    "ocean": (1, 1),
    "generic": (1, 1),
}


class PoolMetrics:
    """Last good status per pool account, shown at scrape time; loaded from the store at start."""

    def __init__(self) -> None:
        self._statuses: dict[tuple[str, str, str], PoolStatusRecord] = {}

    async def load(self, store: Store) -> None:
        for status in await store.pool_statuses():
            self.update(status)

    def update(self, status: PoolStatusRecord) -> None:
        key = (status.operation_id, status.pool_kind, status.account)
        known = self._statuses.get(key)
        if known is None or status.observed_at >= known.observed_at:
            self._statuses[key] = status

    def statuses(self) -> list[PoolStatusRecord]:
        return list(self._statuses.values())

    def metric_families(self) -> Iterable[Metric]:
        hashrate = GaugeMetricFamily(
            "reservewatch_pool_hashrate_hashes_per_second",
            "Hash rate the pool credits the account, in H/s (last good value).",
            labels=["operation", "pool", "window"],
        )
        workers = GaugeMetricFamily(
            "reservewatch_pool_workers",
            "Workers the pool sees for the account, by state (last good value).",
            labels=["operation", "pool", "state"],
        )
        for (operation, kind, account), status in sorted(self._statuses.items()):
            pool = f"{kind}/{account}"
            hashrate.add_metric([operation, pool, "current"], status.hashrate_hs)
            hashrate.add_metric([operation, pool, "24h"], status.hashrate_24h_hs)
            workers.add_metric([operation, pool, "online"], status.workers_online)
            workers.add_metric([operation, pool, "offline"], status.workers_offline)
        yield hashrate
        yield workers


@dataclass
class PoolJob:
    """One pool account of one operation, as a :class:`~collector.sources.poller.PollJob`."""

    operation_id: str
    account: PoolAccountConfig
    adapter: PoolAdapter
    store: Store
    metrics: PoolMetrics
    clock: Clock
    since: date | None = None
    _earnings_known: bool = field(default=False, init=False)

    @property
    def source(self) -> str:
        return "pool"

    @property
    def target(self) -> str:
        return f"{self.operation_id}/{self.account.kind}/{self.account.account}"

    @property
    def interval_s(self) -> float:
        return self.account.poll_interval_s

    async def poll(self) -> None:
        snapshot = await self.adapter.snapshot()
        status = PoolStatusRecord(
            operation_id=self.operation_id,
            pool_kind=self.account.kind,
            account=self.account.account,
            hashrate_hs=snapshot.hashrate_hs,
            hashrate_24h_hs=snapshot.hashrate_24h_hs,
            workers_online=snapshot.workers_online,
            workers_offline=snapshot.workers_offline,
            observed_at=self.clock.now(),
        )
        await self.store.save_pool_status(status)
        self.metrics.update(status)
        start, end = await self.earnings_window()
        earnings = await self.fetch_earnings(start, end)
        await self.store.upsert_earnings(
            [
                EarningRecord(
                    self.operation_id, self.account.kind, self.account.account, e.day, e.amount_sat
                )
                for e in earnings
            ]
        )
        await self.store.upsert_pool_hashrate_days(
            [
                PoolHashrateDayRecord(
                    self.operation_id, self.account.kind, self.account.account, e.day, e.hashrate_hs
                )
                for e in earnings
                if e.hashrate_hs is not None
            ]
        )
        self._earnings_known = True
        self.since = None

    async def earnings_window(self) -> tuple[date, date]:
        """The days to read now: ``start <= day < end``."""
        today = self.clock.now().date()
        end = today + timedelta(days=1)
        if self.since is not None:
            return self.since, end
        if not self._earnings_known:
            stored = await self.store.earnings(self.operation_id)
            self._earnings_known = any(
                e.pool_kind == self.account.kind and e.account == self.account.account
                for e in stored
            )
        if not self._earnings_known:
            log.info(
                "%s: first contact, backfilling %d days", self.target, self.account.backfill_days
            )
            return today - timedelta(days=self.account.backfill_days), end
        return today - timedelta(days=self.account.revision_days), end

    async def fetch_earnings(self, start: date, end: date) -> list[DailyEarning]:
        """Read ``start <= day < end`` in ranges of at most the adapter's ``max_range_days``."""
        step = timedelta(days=self.adapter.max_range_days)
        found: dict[date, DailyEarning] = {}
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(chunk_start + step, end)
            for earning in await self.adapter.earnings(chunk_start, chunk_end):
                found[earning.day] = earning
            chunk_start = chunk_end
        return [found[day] for day in sorted(found)]


def _credentials(operation: OperationConfig, account: PoolAccountConfig) -> PoolCredentials:
    what = f"operation {operation.id} pool {account.target}"
    return PoolCredentials(
        token=resolve_secret(account.token_env, account.token_file, f"{what} token"),
        secret=resolve_secret(account.secret_env, account.secret_file, f"{what} secret"),
    )


def build_pool_jobs(
    config: Config,
    store: Store,
    session: aiohttp.ClientSession,
    counters: RequestCounters,
    clock: Clock,
    *,
    since: date | None = None,
    metrics: PoolMetrics,
    rate_limits: Mapping[str, tuple[float, float]] = RATE_LIMITS,
    timeout_s: float = 20,
) -> list[PoolJob]:
    """One job per pool account; one :class:`HttpSource` (and rate limit) per kind and host.

    Raises :class:`~collector.errors.SecretError` when a referenced token is missing.
    """
    sources: dict[tuple[str, str], HttpSource] = {}
    jobs: list[PoolJob] = []
    for operation in config.operations:
        for account in operation.pools:
            adapter_type = ADAPTERS[account.kind]
            host = urlsplit(account.base_url or adapter_type.default_base_url).netloc
            key = (account.kind, host)
            if key not in sources:
                max_rate, period_s = rate_limits[account.kind]
                sources[key] = HttpSource(
                    session,
                    source="pool",
                    counters=counters,
                    rate=AsyncLimiter(max_rate, period_s),
                    max_concurrency=2,
                    timeout_s=timeout_s,
                )
            adapter = adapter_type(account, sources[key], _credentials(operation, account), clock)
            jobs.append(PoolJob(operation.id, account, adapter, store, metrics, clock, since))
    return jobs


def restore_last_success(poller: Poller, metrics: PoolMetrics) -> None:
    """After a restart, date each pool target's last success from its stored status."""
    for status in metrics.statuses():
        target = f"{status.operation_id}/{status.pool_kind}/{status.account}"
        if target in poller.health():
            poller.seed_last_success(target, status.observed_at)
