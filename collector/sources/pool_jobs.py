"""Pool accounts as poll jobs: snapshot + earnings, stored idempotently, last good values shown.

:func:`build_pool_jobs` turns every pool account of every operation into a :class:`PoolJob` for
the :class:`~collector.sources.poller.Poller`. Each poll:

1. reads the account's snapshot and saves it (``Store.save_pool_status``);
2. reads daily credits and hash rates: on first contact (nothing stored for the account) or
   when ``since`` is given, back to ``since`` or ``backfill_days`` ago (a backfill from
   ``since`` skipping the days stored before the last ``revision_days``), split into ranges
   the pool accepts; afterwards the account's last ``revision_days`` days (3 by default), since
   pools revise recent days. Each range is asked a day wider at each end and only its own
   mining days are kept, so a pool that filters by settlement time, or whose end bound is
   exclusive where we thought it inclusive, cannot drop a day;
3. upserts them (``Store.upsert_earnings``, ``upsert_pool_hashrate_days``): re-polling never
   double counts. Credits keep their kind of income; rows of a kind the adapter does not know
   are counted (``reservewatch_pool_unknown_rows_total``) and logged once, never stored;
4. for each closed day in the window without a pool-published hash rate, averages the
   account's stored hash-rate samples over the day (time-weighted, with its coverage; see
   :mod:`remittance.hashrate`) and stores it with ``source="samples"``.

Each poll returns what it published, a :class:`PoolAccountPolled` the poller keeps. A failed
poll changes nothing shown: the metrics show each account's last status published (the
store's at start, :class:`~collector.sources.published.Published`), whose age is ``time() -
reservewatch_source_last_success_timestamp_seconds``; :mod:`collector.metrics.sources`
exposes::

    reservewatch_pool_hashrate_hashes_per_second{operation="o",pool="ocean/a",window="current"} 1e17
    reservewatch_pool_hashrate_hashes_per_second{operation="o",pool="ocean/a",window="24h"} 1e17
    reservewatch_pool_workers{operation="o",pool="ocean/a",state="online"} 3200.0
    reservewatch_pool_workers{operation="o",pool="ocean/a",state="offline"} 14.0
    reservewatch_pool_unknown_rows_total{operation="o",pool="f2pool/a"} 2.0
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

from collector.clock import Clock
from collector.config.base import resolve_secret
from collector.config.model import Config
from collector.config.sections import OperationConfig, PoolAccountConfig
from collector.errors import SourceError
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.poller import Poller
from collector.sources.pools import normalise as n
from collector.sources.pools.base import (
    Credit,
    DayHashrate,
    PoolAdapter,
    PoolCredentials,
    PoolDays,
    UnknownRow,
)
from collector.sources.pools.registry import ADAPTERS, DESCRIPTORS
from collector.store.queries import Store
from collector.store.records import EarningRecord, PoolHashrateDayRecord, PoolStatusRecord
from remittance.hashrate import daily_average

log = logging.getLogger(__name__)


RATE_LIMITS: Final[Mapping[str, tuple[float, float]]] = {
    kind: descriptor.rate_limit for kind, descriptor in DESCRIPTORS.items()
}  # kind: (requests, per seconds), per host; each adapter's descriptor says where it is from


@dataclass(frozen=True, slots=True)
class PoolAccountPolled:
    """What one poll of a pool account published: its status as observed (hash rates,
    workers, ``observed_at``), the days read (``start <= day < end``) and what was stored
    from them, how many rows of a kind its adapter does not know were new, and how many the
    job has counted since start (``reservewatch_pool_unknown_rows_total``).

    A poll that failed reading the days after it stored the status publishes the status
    with no days (``start == end``), so what is shown is the last status read."""

    status: PoolStatusRecord
    start: date
    end: date
    earnings: tuple[EarningRecord, ...]
    hashrate_days: tuple[PoolHashrateDayRecord, ...]
    unknown_rows: int
    unknown_rows_total: int


@dataclass
class PoolJob:
    """One pool account of one operation, as a :class:`~collector.sources.poller.PollJob`."""

    operation_id: str
    account: PoolAccountConfig
    adapter: PoolAdapter
    store: Store
    clock: Clock
    since: date | None = None
    _earnings_known: bool = field(default=False, init=False)
    _unknown_seen: set[tuple[date | None, str, int | None]] = field(default_factory=set, init=False)
    _unknown_total: int = field(default=0, init=False)  # rows counted since start
    _final_day: date | None = field(default=None, init=False)  # its sample average is final

    @property
    def source(self) -> str:
        return "pool"

    @property
    def target(self) -> str:
        return f"{self.operation_id}/{self.account.kind}/{self.account.account}"

    @property
    def interval_s(self) -> float:
        return self.account.poll_interval_s

    async def poll(self) -> PoolAccountPolled:
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
        try:
            return await self._poll_days(status)
        except SourceError as err:
            today = status.observed_at.date()
            err.with_published(
                PoolAccountPolled(status, today, today, (), (), 0, self._unknown_total)
            )
            raise

    async def _poll_days(self, status: PoolStatusRecord) -> PoolAccountPolled:
        """The days of a poll whose status is stored: read, stored, averaged."""
        ranges = await self.earnings_ranges()
        start = ranges[0][0]
        first_contact = not self._earnings_known
        days = await self.fetch_ranges(ranges)
        key = (self.operation_id, self.account.kind, self.account.account)
        earnings = tuple(
            EarningRecord(*key, c.day, c.amount_sat, income=str(c.income)) for c in days.credits
        )
        await self.store.upsert_earnings(list(earnings))
        hashrate_days = tuple(
            PoolHashrateDayRecord(*key, h.day, h.hashrate_hs) for h in days.hashrates
        )
        await self.store.upsert_pool_hashrate_days(list(hashrate_days))
        unknown_rows = self._count_unknown(days.unknown)
        now = self.clock.now()
        today = now.date()
        yesterday = today - timedelta(days=1)
        if first_contact or self._final_day != yesterday:
            await self.average_samples(start if first_contact else yesterday, today)
            # Once today's samples reach past the gap a sample may stand for, none can change
            # yesterday's average: it is not read again.
            if now >= n.day_start(today) + timedelta(seconds=self.sample_max_gap_s):
                self._final_day = yesterday
        self._earnings_known = True
        self.since = None
        return PoolAccountPolled(
            status, start, ranges[-1][1], earnings, hashrate_days, unknown_rows, self._unknown_total
        )

    def _count_unknown(self, rows: Iterable[UnknownRow]) -> int:
        """Count the rows not seen before (logging each new kind once); how many were new."""
        new = [row for row in rows if (row.day, row.what, row.amount_sat) not in self._unknown_seen]
        if not new:
            return 0
        known_kinds = {what for _, what, _ in self._unknown_seen}
        for row in new:
            self._unknown_seen.add((row.day, row.what, row.amount_sat))
            if row.what not in known_kinds:
                known_kinds.add(row.what)
                log.warning(
                    "%s: a row of unknown kind %r (%s, %s sat) is kept out of every figure",
                    self.target,
                    row.what,
                    row.day,
                    row.amount_sat,
                )
        self._unknown_total += len(new)
        return len(new)

    @property
    def sample_max_gap_s(self) -> float:
        """How much time before it one hash-rate sample stands for: three poll intervals."""
        return 3 * self.account.poll_interval_s

    async def average_samples(self, start: date, end: date) -> None:
        """For each day ``start <= day < end`` (closed days) without a pool-published hash
        rate, store the time-weighted average of the account's samples, with its coverage."""
        if start >= end:
            return
        kind, account = self.account.kind, self.account.account
        published = {
            d.day
            for d in await self.store.pool_hashrate_days(
                self.operation_id, pool_kind=kind, account=account, start=start
            )
            if d.source == "pool"
        }
        gap = timedelta(seconds=self.sample_max_gap_s)
        samples = [
            (s.observed_at, s.hashrate_hs)
            for s in await self.store.hashrate_samples(
                self.operation_id, kind, account, n.day_start(start) - gap, n.day_start(end) + gap
            )
        ]
        averaged: list[PoolHashrateDayRecord] = []
        for day in n.days(start, end):
            if day in published:
                continue
            begin, finish = n.day_start(day) - gap, n.day_start(day) + timedelta(days=1) + gap
            found = daily_average(
                [(t, v) for t, v in samples if begin <= t < finish], day, self.sample_max_gap_s
            )
            if found is not None:
                rate, coverage = found
                averaged.append(
                    PoolHashrateDayRecord(
                        self.operation_id, kind, account, day, rate, "samples", float(coverage)
                    )
                )
        await self.store.upsert_pool_hashrate_days(averaged)

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

    async def earnings_ranges(self) -> list[tuple[date, date]]:
        """The ranges of days to read now, oldest first: :meth:`earnings_window`, less, in a
        backfill (``since``), the days already stored before the last ``revision_days`` (a
        backfill stopped and started again reads only what it has not stored)."""
        start, end = await self.earnings_window()
        if self.since is None:
            return [(start, end)]
        revised_from = self.clock.now().date() - timedelta(days=self.account.revision_days)
        stored = {
            e.day
            for e in await self.store.earnings(self.operation_id, start, revised_from)
            if e.pool_kind == self.account.kind and e.account == self.account.account
        }
        ranges: list[tuple[date, date]] = []
        for day in n.days(start, end):
            if day in stored:
                continue
            if ranges and ranges[-1][1] == day:
                ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
            else:
                ranges.append((day, day + timedelta(days=1)))
        return ranges

    async def fetch_ranges(self, ranges: Iterable[tuple[date, date]]) -> PoolDays:
        """:meth:`fetch_earnings` of each range, as one."""
        found = [await self.fetch_earnings(start, end) for start, end in ranges]
        return PoolDays(
            tuple(c for days in found for c in days.credits),
            tuple(h for days in found for h in days.hashrates),
            tuple(u for days in found for u in days.unknown),
        )

    async def fetch_earnings(self, start: date, end: date) -> PoolDays:
        """Read ``start <= day < end`` in ranges the pool accepts (its descriptor's
        ``max_range_days``), each asked a day wider at each end; only each range's own mining
        days are kept."""
        step = timedelta(days=max(self.adapter.descriptor.max_range_days - 2, 1))
        margin = timedelta(days=1)
        credits: dict[tuple[date, str], Credit] = {}
        hashrates: dict[date, DayHashrate] = {}
        unknown: list[UnknownRow] = []
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(chunk_start + step, end)
            read = await self.adapter.earnings(chunk_start - margin, chunk_end + margin)
            kept = read.within(chunk_start, chunk_end)
            credits.update({(c.day, str(c.income)): c for c in kept.credits})
            hashrates.update({h.day: h for h in kept.hashrates})
            unknown.extend(kept.unknown)
            chunk_start = chunk_end
        return PoolDays(
            tuple(credits[key] for key in sorted(credits)),
            tuple(hashrates[day] for day in sorted(hashrates)),
            tuple(unknown),
        )


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
            host = urlsplit(account.base_url or adapter_type.descriptor.default_base_url).netloc
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
            jobs.append(PoolJob(operation.id, account, adapter, store, clock, since))
    return jobs


def restore_last_success(poller: Poller, statuses: Iterable[PoolStatusRecord]) -> None:
    """After a restart, date each pool target's last success from its stored status."""
    for status in statuses:
        target = f"{status.operation_id}/{status.pool_kind}/{status.account}"
        if target in poller.health():
            poller.seed_last_success(target, status.observed_at)
