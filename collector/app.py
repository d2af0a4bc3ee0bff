"""Builds the collector's parts and owns their lifetime: one TaskGroup, named tasks.

    store ──┬── TelemetryService   MQTT → site state → 1-minute rollups
            ├── Poller             pool accounts, network, reserve addresses (on their schedules)
            ├── AccountsService    store → remittance rules → accounts (every 30 s)
            └── HttpServer         /metrics (one collector over everyone's memory), /readyz, API

``async with Collector(config) as collector: await collector.run()`` runs until cancelled;
cancellation (SIGINT/SIGTERM) flushes telemetry, closes the HTTP server and the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterable
from datetime import date
from types import TracebackType
from typing import Self

import aiohttp

from collector.accounts.rewrites import RewriteMetrics, issued_rewrites
from collector.accounts.service import AccountsService
from collector.accounts.terms import terms_documents
from collector.clock import Clock, SystemClock
from collector.config.model import Config
from collector.config.wallets import wallet_book
from collector.errors import StoreError
from collector.http.api import AccountsApi
from collector.http.portal import Portal
from collector.http.server import HttpServer
from collector.mail.mailer import Mailer
from collector.metrics import build_registry
from collector.metrics.contract import Metric
from collector.metrics.mandatory_sale import MandatorySaleMetrics
from collector.metrics.mining_fee import MiningFeeMetrics
from collector.metrics.pool_reports import PoolReportMetrics
from collector.metrics.reserve import ReserveMetrics
from collector.metrics.service import store_families
from collector.sources.backfill import Backfill, BackfillResult, ProgressLine
from collector.sources.http import RequestCounters
from collector.sources.network import BlockFollower, NetworkSeen
from collector.sources.poller import Poller, PollJob
from collector.sources.reserve import ReserveWatched
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store

log = logging.getLogger(__name__)

USER_AGENT = "reservewatch/0.1 (+regulator monitoring)"


class StoreHealth:
    """``reservewatch_store_up``: whether the database answered the last readiness probe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.up = True

    async def check(self) -> tuple[bool, str]:
        self.up = await self._store.ping()
        return self.up, "ok" if self.up else "the database does not answer"

    async def run(self, interval_s: float = 10.0) -> None:
        while True:
            await self.check()
            await asyncio.sleep(interval_s)

    NAMES = ("reservewatch_store_up",)

    def metric_families(self) -> Iterable[Metric]:
        return store_families(self.up)


class Collector:
    """The running service. ``since`` backfills pool earnings and network data from that day."""

    def __init__(
        self,
        config: Config,
        clock: Clock | None = None,
        *,
        since: date | None = None,
        telemetry: bool = True,
    ) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self._since = since
        self._with_telemetry = telemetry
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> Self:
        from collector.sources.backends import build_chain_jobs  # noqa: PLC0415
        from collector.sources.official_price import build_official_price_jobs  # noqa: PLC0415
        from collector.sources.pool_jobs import (  # noqa: PLC0415
            build_pool_jobs,
            restore_last_success,
        )
        from collector.sources.prices import ReserveValue, build_price_jobs  # noqa: PLC0415
        from collector.sources.published import Published  # noqa: PLC0415
        from collector.telemetry.service import TelemetryService  # noqa: PLC0415

        config, clock = self.config, self.clock
        engine = open_engine(config.database)
        self._stack.push_async_callback(engine.dispose)
        await upgrade(engine)
        self.store = Store(engine, clock)
        self.rewrites = RewriteMetrics(config)
        await self._check_rewrites()
        await self.store.record_terms(terms_documents(config))
        self.session = await self._stack.enter_async_context(
            aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}, raise_for_status=False)
        )
        self.counters = RequestCounters()
        stored_statuses = await self.store.pool_statuses()
        pool_jobs = build_pool_jobs(
            config, self.store, self.session, self.counters, clock, since=self._since
        )
        chain_jobs = build_chain_jobs(
            config,
            self.store,
            self.session,
            self.counters,
            clock,
            requests_per_second=config.network.requests_per_second,
            since=self._since,
        )
        [self.network] = [job for job in chain_jobs if isinstance(job, BlockFollower)]

        def held_sat() -> int | None:
            snapshot = self.accounts.snapshot
            figures = None if snapshot is None else snapshot.reserve
            if figures is None or self.poller.latest(self._reserve_target, ReserveWatched) is None:
                return None  # until the watcher has polled since start, as its gauges
            return figures.holdings.total_sat

        ticker_jobs, stored_prices = await build_price_jobs(
            config, self.store, self.session, self.counters, clock
        )
        price_jobs: list[PollJob[object]] = [
            *ticker_jobs,
            *build_official_price_jobs(config, self.store, self.session, self.counters, clock),
        ]
        self.poller = Poller([*chain_jobs, *pool_jobs, *price_jobs], clock)
        self._reserve_target = chain_jobs[1].target  # the reserve watcher's
        # Which operation each job feeds (None: every operation).
        self._feeds: dict[str, str | None] = {job.target: None for job in chain_jobs}
        self._feeds |= {job.target: None for job in price_jobs}
        self._feeds |= {job.target: job.operation_id for job in pool_jobs}
        restore_last_success(self.poller, stored_statuses)
        published = Published(
            self.poller,
            pools=(job.target for job in pool_jobs),
            network=self.network.target,
            reserve=self._reserve_target,
            price=ticker_jobs[0].target if ticker_jobs else None,
            stored_statuses=stored_statuses,
            stored_prices=stored_prices,
        )
        self.telemetry = (
            TelemetryService(config, self.store, clock) if self._with_telemetry else None
        )
        self.accounts = AccountsService(
            config,
            self.store,
            clock,
            telemetry_hashrates=self._site_hashrates if self.telemetry else None,
        )
        self.store_health = StoreHealth(self.store)
        reports = AccountsApi(config, self.store, self.accounts)
        sources: list[object] = [
            self.store_health,
            self.counters,
            self.poller,
            published,
            ReserveMetrics(
                published.reserve,
                self.accounts,
                operation_ids=(op.id for op in config.operations),
                holders=(wallet.holder for wallet in wallet_book(config).wallets),
            ),
            MiningFeeMetrics(self.accounts),
            PoolReportMetrics(self.accounts),
            MandatorySaleMetrics(self.accounts),
            ReserveValue(held_sat, published.latest_prices),
            self.accounts,
            reports,
            self.rewrites,
        ]
        if self.telemetry is not None:
            sources.insert(0, self.telemetry)
        self.registry, metrics = build_registry(sources)
        readiness = {"store": self.store_health.check}
        if self.telemetry is not None:
            readiness["mqtt"] = self._mqtt_ready
        self.http = HttpServer(
            config.http,
            config.api.tokens,
            self.registry,
            clock,
            reports=reports,
            readiness=readiness,
            portal=Portal(config, reports, clock),
        )
        metrics.add(self.http)
        return self

    async def _pass_after_reserve_polls(self) -> None:
        """The custody alarm's latency: the reserve's figures are computed in the accounts'
        pass, so a poll of the reserve watcher that stored something new (what it returned
        says so) starts one at once."""
        target = self._reserve_target
        seen = self.poller.latest(target, ReserveWatched)
        while True:
            await self.poller.polled({target})
            latest = self.poller.latest(target, ReserveWatched)
            # A poll that stored nothing new changes no figure; one that published nothing
            # (failed before storing) leaves the last snapshot, already acted on.
            if latest is not seen and latest is not None and latest.value.stored_new:
                self.accounts.request_pass()
            seen = latest

    def _site_hashrates(self) -> dict[str, float | None]:
        if self.telemetry is None:
            return {}
        return self.telemetry.book.hashrates()

    async def _mqtt_ready(self) -> tuple[bool, str]:
        ready = self.telemetry is not None and self.telemetry.ready
        return ready, "connected" if ready else "not connected to the MQTT broker"

    async def _check_rewrites(self) -> None:
        """Warn, one line per period, of each issued closed period the file's terms would
        change (``reservewatch_config_rewrites_issued_periods``); never stops the start."""
        try:
            self.rewrites.rewrites = await issued_rewrites(
                self.store, self.config, self.clock.now()
            )
        except Exception:
            log.exception("could not check the configuration against issued statements")
            return
        for rewrite in self.rewrites.rewrites:
            log.warning(rewrite.line())

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    async def _feed_network_hashrate(self, interval_s: float = 30.0) -> None:
        """Tell telemetry the network's hash rate (the newest stored day's, as the network
        job last published it; until it has, as the accounts last read it from the store, so
        a network source down at start leaves the check its last known figure): no site may
        report more than the network."""
        while True:
            seen = self.poller.latest(self.network.target, NetworkSeen)
            inputs = self.accounts.inputs
            hashrate_hs = (
                seen.value.latest_day_hashrate_hs
                if seen is not None
                else None
                if inputs is None
                else inputs.network_hashrate_hs
            )
            if self.telemetry is not None and hashrate_hs:
                self.telemetry.set_network_hashrate(hashrate_hs)
            await asyncio.sleep(interval_s)

    async def _release_as_sources_come_in(self) -> None:
        """The accounts' first pass reads the store as the last run left it (figures at
        once). After it, each operation's figures move again as soon as its own sources
        have each been polled once since start (its pool accounts, and the chain, network
        and prices every operation reads), in a pass of their own, not an interval later
        and not only once the slowest pool of another operation is done."""
        operations = {op.id for op in self.config.operations}
        polled: set[str] = set()
        while operations:
            polled = await self.poller.first_polled(polled)
            ready = {
                op
                for op in operations
                if all(
                    target in polled
                    for target, fed in self._feeds.items()
                    if fed is None or fed == op
                )
            }
            self.accounts.release(ready)
            operations -= ready

    async def run(self) -> None:
        """Serve until cancelled."""
        await self.http.start()
        log.info("collector started", extra={"listen": self.config.http.listen})
        self.accounts.hold(op.id for op in self.config.operations)
        try:
            async with asyncio.TaskGroup() as group:
                if self.telemetry is not None:
                    group.create_task(self.telemetry.run(), name="telemetry")
                group.create_task(self.poller.run(), name="poller")
                group.create_task(self.accounts.run(), name="accounts")
                group.create_task(self._pass_after_reserve_polls(), name="reserve-polls")
                group.create_task(self._release_as_sources_come_in(), name="first-polls")
                if self.config.statement.email is not None:
                    mailer = Mailer(self.config, self.store, self.clock)
                    group.create_task(mailer.run(self.accounts.next_pass), name="mailer")
                group.create_task(self.store_health.run(), name="store-health")
                group.create_task(self._feed_network_hashrate(), name="network-hashrate")
        finally:
            await self.http.stop()

    async def run_once(self) -> dict[str, str]:
        """One pass over every source, then recompute every account."""
        results = await self.poller.run_once()
        await self.accounts.recompute()
        return results

    async def backfill(self, progress: ProgressLine) -> BackfillResult:
        """Fill every source from ``since`` (the network a bounded poll at a time, until its
        window is walked), showing progress; then recompute every account."""
        if self._since is None:
            raise ValueError("a backfill needs since")
        result = await Backfill(
            self.poller,
            self.network,
            self.counters,
            self.clock,
            since=self._since,
            requests_per_second=self.config.network.requests_per_second,
            progress=progress,
        ).run()
        await self.accounts.recompute()
        return result


async def _serve(config: Config, *, once: bool, since: date | None) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    stopping = False

    def stop(signum: int) -> None:
        nonlocal stopping
        if not stopping and task is not None:
            stopping = True
            log.info("stopping", extra={"signal": signal.Signals(signum).name})
            task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
    try:
        async with Collector(config, since=since, telemetry=not once) as collector:
            if once and since is not None:
                progress = ProgressLine(sys.stderr, collector.clock, tty=sys.stderr.isatty())
                backfill = await collector.backfill(progress)
                for target, result in sorted(backfill.results.items()):
                    print(f"{target}: {result}")
                if backfill.missing is not None:
                    print(backfill.missing, file=sys.stderr)
                    return 1
                return 0
            if once:
                results = await collector.run_once()
                failed = {target: result for target, result in results.items() if result != "ok"}
                for target, result in sorted(results.items()):
                    print(f"{target}: {result}")
                return 1 if failed and len(failed) == len(results) else 0
            await collector.run()
    except asyncio.CancelledError:
        if not stopping:
            raise
        log.info("collector stopped cleanly")
    return 0


def install_event_loop_policy() -> None:
    """uvloop where available: measured faster on the telemetry path (see README)."""
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


THREAD_SWITCH_INTERVAL_S = 0.0005


def install_thread_switch_interval() -> None:
    """Let a thread waiting for the GIL have it after 0.5 ms, not Python's default 5 ms.

    The database driver (aiosqlite) and statement signing run in threads, each step handing
    the GIL over from an event loop kept busy by ingest; at 5 ms a wait, a request's few
    database round trips added tens of milliseconds (``bench.api``).
    """
    sys.setswitchinterval(THREAD_SWITCH_INTERVAL_S)


def run_collector(config: Config, *, once: bool = False, since: date | None = None) -> int:
    """Serve ``config``. A configured statement key that group or others may read (or that
    does not load) is refused here, at start, rather than at the first statement."""
    from collector.config.keys import load_signing_key  # noqa: PLC0415

    if config.statement.signing_key_file is not None:
        load_signing_key(config.statement.signing_key_file)  # raises SecretError
    install_event_loop_policy()
    install_thread_switch_interval()
    try:
        return asyncio.run(_serve(config, once=once, since=since))
    except StoreError as err:
        log.error("store unavailable", extra={"error": str(err)})
        return 1
