"""The reads and idempotent writes the collector needs, over an async engine.

Each write is one transaction. Upserts are keyed by what identifies a fact, so a repeated poll,
a backfill or a restart never counts anything twice; only telemetry rollups *add* (their deltas
are written in the same transaction as the site state that says which readings they hold).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from collector.clock import Clock
from collector.config.sections import DatabaseConfig
from collector.store.cases import CaseStateStore
from collector.store.chain import ChainStore
from collector.store.database import open_engine, upgrade
from collector.store.documents import DocumentStore
from collector.store.journal import JournalStore
from collector.store.mandatory_sale import MandatorySaleStore
from collector.store.mining_fee import MiningFeeStore
from collector.store.pool_reports import PoolReportStore
from collector.store.pools import PoolStore
from collector.store.prices import PriceProofStore
from collector.store.telemetry import TelemetryStore


class Store(
    TelemetryStore,
    PoolStore,
    ChainStore,
    DocumentStore,
    PriceProofStore,
    MiningFeeStore,
    MandatorySaleStore,
    JournalStore,
    PoolReportStore,
    CaseStateStore,
):
    """The collector's store: one façade over each family of tables (a module each). Build
    with an engine; call :meth:`close` when done."""


@contextlib.asynccontextmanager
async def open_store(database: DatabaseConfig, clock: Clock | None = None) -> AsyncIterator[Store]:
    """The store of ``database``, migrated to the latest schema first; closed on exit. The
    one way a command opens the store."""
    engine = open_engine(database)
    try:
        await upgrade(engine)
        yield Store(engine, clock)
    finally:
        await engine.dispose()
