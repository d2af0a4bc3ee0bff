"""The live accounts pass: reads the store, asks ``remittance`` to compute, holds the results.

Every figure is recomputed from stored data on each pass (nothing accumulates in memory), so
what the metrics, the API and the statements show is reproducible from the store alone.
Its families: :mod:`collector.metrics.accounts`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Set
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from collector.accounts.assessments import Assessor
from collector.accounts.compute import (
    AccountsPass,
    issued_of,
    obligations_pass,
    restated_periods,
    settled_pass,
)
from collector.accounts.inputs import Inputs, read_inputs
from collector.accounts.mandatory_sale import mandatory_sales_as_of
from collector.accounts.mining_fee import mining_fees_as_of
from collector.accounts.pool_reports import pool_reconciliations_as_of
from collector.accounts.reserve import LiveReserve, chain_facts
from collector.accounts.snapshot import AccountsSnapshot
from collector.accounts.statement_inputs import (
    PeriodEnergy,
    StatementInputs,
    restatements_of,
)
from collector.clock import Clock
from collector.config.model import Config
from collector.errors import SecretError, StoreError
from collector.logs import FailureLog
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.errors import (
    RemittanceError,
)
from remittance.statement import Restatement

log = logging.getLogger(__name__)


@contextlib.contextmanager
def cyclic_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block; resume it as it was after.

    A pass allocates ~1 million small acyclic objects (rows, records, per-day figures), which
    makes the collector run a full collection over the whole heap again and again: 40 % of a
    pass at 100 operations × 2 years. Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # What the block made, and everything else alive (the snapshot it replaces is freed
        # by reference counting as usual), goes to the permanent generation: otherwise the
        # next young collections, then a full one, scan those ~1 million objects at whatever
        # request or reading comes next — 0.24, 0.28 and 0.49 s pauses of the event loop in
        # bench.api. A reference cycle already garbage then (an exception a pass caught and
        # its traceback) would never be collected, so every FULL_COLLECTION_EVERY blocks the
        # permanent generation is collected in full first: one such pause an hour at the
        # 30 s interval, instead of several a minute.
        global _blocks_since_full  # noqa: PLW0603 - the process's one garbage collector
        _blocks_since_full += 1
        if _blocks_since_full >= FULL_COLLECTION_EVERY:
            _blocks_since_full = 0
            gc.unfreeze()
            gc.collect()
        gc.freeze()
        if was_enabled:
            gc.enable()


FULL_COLLECTION_EVERY: Final = 120
_blocks_since_full = 0


TelemetryHashrates = Callable[[], Mapping[str, float | None]]
"""Site id → the hash rate its telemetry reports (H/s), from the telemetry service."""


class AccountsService:
    """Recomputes every account on a schedule and serves them to metrics and the API."""

    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        telemetry_hashrates: TelemetryHashrates | None = None,
        interval_s: float = 30.0,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._telemetry_hashrates = telemetry_hashrates
        self._interval_s = interval_s
        self._snapshot: AccountsSnapshot | None = None  # the last pass's, swapped in whole
        self._failures = FailureLog(log, "accounts recompute")
        self._passed = asyncio.Event()
        self._pass_wanted = asyncio.Event()
        self._held: set[str] = set()  # operations waiting for their sources' first polls
        self._energy = PeriodEnergy(timedelta(seconds=config.mqtt.max_age_s))
        self._assessor = Assessor()
        self._reserve = LiveReserve()

    @property
    def snapshot(self) -> AccountsSnapshot | None:
        """The last pass's snapshot (none before the first pass): every reader's one truth."""
        return self._snapshot

    @property
    def accounts(self) -> Mapping[str, OperationAccount]:
        return self._snapshot.accounts if self._snapshot is not None else {}

    def issued_dues(self, operation_id: str) -> dict[tuple[str, str], tuple[datetime, int]]:
        """The statements issued before the last pass read them (``Store.issued_dues``) of one
        operation: what a statement of the pass's accounts restates, without a read."""
        return self._snapshot.issued_dues(operation_id) if self._snapshot is not None else {}

    def statement_inputs(self, operation_id: str) -> StatementInputs | None:
        """What a statement of the operation's account in :attr:`accounts` states beyond it
        (its periods' energy, its restatements), read by the same pass: a statement from the
        snapshot reads nothing."""
        if self._snapshot is None:
            return None
        return self._snapshot.statement_inputs.get(operation_id)

    @property
    def inputs(self) -> Inputs | None:
        """What the last pass read from the store."""
        return self._snapshot.inputs if self._snapshot is not None else None

    async def recompute(self, as_of: datetime | None = None) -> Mapping[str, OperationAccount]:
        """Read the store and recompute every account; keeps the last good ones on failure."""
        instant = as_of or self._clock.now()
        previous = self._snapshot
        with cyclic_collection_paused():
            # One read of the chain's stored outputs serves the payments and the reserve.
            facts = await chain_facts(self._store, self._config)
            inputs = await read_inputs(self._store, self._config, stored=facts.outputs)
            # Seconds of pure computation at national scale: in a worker thread, so the event
            # loop keeps ingesting telemetry and answering scrapes meanwhile.
            due = await asyncio.to_thread(obligations_pass, self._config, inputs, instant)
            # An amount first known after its period's deadline is due from its assessment.
            assessed = await self._assessor.read(self._store, self._config, due.accounts, instant)
            result = await asyncio.to_thread(settled_pass, due, assessed)
            snapshot = await self._snapshot_of(previous, inputs, result, instant)
            if previous is None:
                # The first pass since start: every operation's figures at once, the reserve's
                # (a walk over every stored output: ~0.5 s at 100 operations x 2 years)
                # within the same pass, as of the same instant; nothing is waiting for the
                # pass (next_pass) until the reserve's are in.
                self._snapshot = snapshot
            # The reserve's figures: a walk over every stored output when the chain moved.
            reserve = await self._reserve.read(self._store, self._config, instant, facts)
        # One swap: every figure of a pass comes from the same read, as of the same instant.
        self._snapshot = replace(snapshot, reserve=reserve)
        self._passed.set()
        return self._snapshot.accounts

    async def _snapshot_of(
        self,
        previous: AccountsSnapshot | None,
        inputs: Inputs,
        result: AccountsPass,
        instant: datetime,
    ) -> AccountsSnapshot:
        """The pass's snapshot of ``result`` (the reserve's figures not yet in): an operation
        that failed keeps its last good account (``previous``'s), marked stale."""
        before: Mapping[str, OperationAccount] = previous.accounts if previous else {}
        was_stale: Mapping[str, str] = previous.stale if previous else {}
        # An operation that failed keeps its last good account, marked stale; the others
        # are current. One still held keeps the account it had (the store as the last run
        # left it), until its own sources have been polled since start.
        accounts = dict(result.accounts)
        for operation_id in self._held & before.keys():
            accounts[operation_id] = before[operation_id]
        fresh = {op: a for op, a in result.accounts.items() if accounts[op] is a}
        for operation_id, (reason, message) in result.failed.items():
            if was_stale.get(operation_id) != reason:
                log.warning(
                    "account not recomputed; its figures are stale",
                    extra={"operation": operation_id, "reason": reason, "error": message},
                )
            if operation_id in before:
                accounts[operation_id] = before[operation_id]
        for operation_id in was_stale.keys() - result.failed.keys():
            log.info("account recomputed again", extra={"operation": operation_id})
        mining_fees = await mining_fees_as_of(self._store, self._config, instant)
        pool_reports = await pool_reconciliations_as_of(self._store, self._config, instant)
        sales = await mandatory_sales_as_of(self._store, self._config, accounts, instant)
        issued = await self._store.issued_dues()
        restated = restated_periods(accounts, issued)
        statement_inputs = await self._read_statement_inputs(fresh, issued, restated)
        kept = previous.statement_inputs if previous else {}
        # One swap: an account and its statement inputs always come from the same pass.
        return AccountsSnapshot(
            as_of=instant,
            config=self._config,
            inputs=inputs,
            accounts=MappingProxyType(accounts),
            failed=MappingProxyType(dict(result.failed)),
            stale=MappingProxyType({op: reason for op, (reason, _) in result.failed.items()}),
            issued=MappingProxyType(issued),
            restated=MappingProxyType(restated),
            # A stale account keeps its own statement inputs.
            statement_inputs=MappingProxyType(
                {op: kept[op] for op in accounts if op in kept} | statement_inputs
            ),
            computed_at=self._clock.now(),
            mining_fees=MappingProxyType(mining_fees),
            pool_reports=MappingProxyType(pool_reports),
            mandatory_sales=MappingProxyType(sales),
        )

    async def _read_statement_inputs(
        self,
        accounts: Mapping[str, OperationAccount],
        issued: Mapping[tuple[str, str], tuple[datetime, int]],
        restated: Mapping[str, int],
    ) -> dict[str, StatementInputs]:
        """The statement inputs of the accounts this pass computed: every period's energy
        in one read, and the restatements of the operations with any."""
        operations = [op for op in self._config.operations if op.id in accounts]
        energy = await self._energy.read(
            self._store,
            [(op.id, [site.id for site in op.sites], accounts[op.id]) for op in operations],
        )
        read: dict[str, StatementInputs] = {}
        # Whose terms were recorded by the pass's instant (the accounts share it).
        instant = accounts[operations[0].id].as_of if operations else None
        recorded = (await self._store.terms_as_of(instant)).keys() if instant else frozenset()
        for operation in operations:
            account = accounts[operation.id]
            restatements: tuple[Restatement, ...] = ()
            if restated.get(operation.id):
                restatements = tuple(
                    await restatements_of(
                        self._store,
                        operation.id,
                        account,
                        account.as_of,
                        issued_of(issued, operation.id),
                    )
                )
            read[operation.id] = StatementInputs(
                account.as_of, energy[operation.id], restatements, operation.id in recorded
            )
        return read

    @property
    def stale(self) -> Mapping[str, str]:
        """Operations whose account the last pass could not recompute, with the reason."""
        return self._snapshot.stale if self._snapshot is not None else {}

    async def next_pass(self) -> AccountsSnapshot:
        """Wait for the next pass to finish; the snapshot it left (the mailer's cue: what
        it decides and sends is read from that one snapshot)."""
        self._passed.clear()
        await self._passed.wait()
        if self._snapshot is None:  # pragma: no cover - a pass swaps its snapshot in first
            raise RuntimeError("an accounts pass ended without a snapshot")
        return self._snapshot

    def hold(self, operation_ids: Iterable[str]) -> None:
        """After the next pass (the store as the last run left it: figures at once), keep
        these operations' accounts as that pass left them until :meth:`release`: a pass
        between one source's first poll and another's would publish figures from inputs
        of different ages (the pools' earnings in, the chain's payments not yet: a
        shortfall that is not there)."""
        self._held |= set(operation_ids)

    def release(self, operation_ids: Iterable[str]) -> None:
        """Publish these operations' accounts again from the next pass on (their sources
        have each been polled since start); that pass starts now."""
        released = self._held & set(operation_ids)
        if released:
            self._held -= released
            self.request_pass()

    @property
    def held(self) -> Set[str]:
        """Operations whose figures still wait for their sources' first polls since start."""
        return frozenset(self._held)

    def request_pass(self) -> None:
        """Start the next pass now rather than at the end of the interval (new inputs are in:
        the sources' first round after a start)."""
        self._pass_wanted.set()

    async def run(self) -> None:
        while True:
            self._pass_wanted.clear()
            try:
                await self.recompute()
            except (StoreError, RemittanceError, SecretError) as err:
                self._failures.failed(err)
            else:
                self._failures.succeeded()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._interval_s):
                    await self._pass_wanted.wait()

    # -- what the metrics show (collector.metrics.accounts) --------------------------------

    @property
    def config(self) -> Config:
        return self._config

    def telemetry_hashrates(self) -> dict[str, float]:
        """Telemetry's hash rate per operation now: the sum over its sites that report one."""
        if self._telemetry_hashrates is None:
            return {}
        site_hashrates = self._telemetry_hashrates()
        totals: dict[str, float] = {}
        for operation in self._config.operations:
            values = [site_hashrates.get(site.id) for site in operation.sites]
            known = [v for v in values if v is not None]
            if known:
                totals[operation.id] = sum(known)
        return totals
