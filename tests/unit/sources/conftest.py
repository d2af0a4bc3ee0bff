"""Shared builders of the sources' tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from collector.accounts.reserve import ReserveFigures, reserve_figures
from collector.config.model import Config
from collector.config.wallets import wallet_book
from collector.errors import SourceError
from collector.metrics.reserve import ReserveMetrics
from collector.sources.poller import PollJob
from collector.sources.reserve import ReserveWatched
from collector.store.queries import Store
from collector.store.records import ChainTipRecord
from remittance.reserve import Holdings
from tests.conftest import Held, holding

NOW = datetime(2026, 1, 1, tzinfo=UTC)  # the stored tip's observed_at; the store dates revisions


class Watched:
    """A reserve job as the collector runs it: each poll stores what the job saw, then the
    accounts' pass computes the reserve's figures from the store (``figures``, and the
    reserve's families in ``metrics``, from what the job last published: ``published``,
    kept as the poller keeps it)."""

    def __init__(self, job: PollJob[ReserveWatched], store: Store, config: Config) -> None:
        self.job, self._store, self._config = job, store, config
        self.published: ReserveWatched | None = None
        self.accounts = Held()  # the accounts' pass: its last snapshot holds the figures
        self.metrics = ReserveMetrics(
            lambda: self.published,
            self.accounts,
            operation_ids=(op.id for op in config.operations),
            holders=(wallet.holder for wallet in wallet_book(config).wallets),
        )

    async def poll(self) -> ReserveWatched:
        """Poll; store the tip the job watched to, as the network job beside it does; then
        the pass. Returns what the poll published."""
        try:
            watched = await self.job.poll()
        except SourceError as err:
            if isinstance(err.published, ReserveWatched):
                self.published = err.published
            raise
        self.published = watched
        tip = ChainTipRecord(self._config.network.chain, watched.tip_height, None, NOW)
        await self._store.save_chain_tip(tip)
        await self.recompute()
        return watched

    async def recompute(self) -> None:
        figures = await reserve_figures(self._store, self._config)
        self.accounts.snapshot = holding(reserve=figures).snapshot

    @property
    def figures(self) -> ReserveFigures | None:
        snapshot = self.accounts.snapshot
        return None if snapshot is None else snapshot.reserve

    @property
    def holdings(self) -> Holdings | None:
        return None if self.figures is None else self.figures.holdings

    @property
    def received_sat(self) -> dict[str, int]:
        return {} if self.figures is None else dict(self.figures.received_sat)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.job, name)
