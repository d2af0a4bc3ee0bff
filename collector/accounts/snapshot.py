"""One truth as of an instant: the accounts' snapshot, and the one function that builds it.

An :class:`AccountsSnapshot` is frozen: every figure of every operation as of one instant,
with the configuration (terms and settings) and the inputs it was computed from. The live pass
(:mod:`collector.accounts.service`) makes one every interval and swaps it in whole; the
metrics, the API, the portal and the mailer read the one they are handed. Documents as of an
instant (statements, the reserve report, the public page) read the one :func:`snapshot_as_of`
builds from what the store knew then — inputs, terms and settings alike — so the same command
as of the same instant states the same figures whatever changed since.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

from collector.accounts.assessments import Assessor
from collector.accounts.compute import IssuedDues, issued_of, obligations_pass, settled_pass
from collector.accounts.inputs import Inputs, read_inputs
from collector.accounts.mandatory_sale import OperationSales, mandatory_sales_as_of
from collector.accounts.mining_fee import OperationFees, mining_fees_as_of
from collector.accounts.pool_reports import pool_reconciliations_as_of
from collector.accounts.reserve import ReserveFigures, reserve_figures, stored_outputs
from collector.accounts.statement_inputs import StatementInputs
from collector.accounts.terms import known_config
from collector.config.model import Config
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.pool_reports import Reconciliation


@dataclass(frozen=True, slots=True, weakref_slot=True)
class AccountsSnapshot:
    """Every operation's account as of :attr:`as_of`, and everything it was computed from.

    ``stale``: operations whose account could not be computed, with the reason (one of
    :data:`collector.accounts.compute.STALE_REASONS`); the live pass keeps their last good
    account in ``accounts``, a snapshot as of an instant has none for them (``failed`` says
    why). ``statement_inputs``, ``issued`` and ``restated`` are read by the live pass only.
    """

    as_of: datetime
    config: Config
    inputs: Inputs
    accounts: Mapping[str, OperationAccount]
    failed: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    stale: Mapping[str, str] = field(default_factory=dict)
    issued: IssuedDues = field(default_factory=dict)
    restated: Mapping[str, int] = field(default_factory=dict)
    statement_inputs: Mapping[str, StatementInputs] = field(default_factory=dict)
    computed_at: datetime | None = None
    # The reserve's figures (holdings, received, proofs); none while no tip is known, and in
    # the accounts a start's first pass publishes before them.
    reserve: ReserveFigures | None = None
    # The digital-mining fee of each operation with a site owing it.
    mining_fees: Mapping[str, OperationFees] = field(default_factory=dict)
    # The pools' monthly reports reconciled, of each operation a report names.
    pool_reports: Mapping[str, tuple[Reconciliation, ...]] = field(default_factory=dict)
    # The mandatory sale of each operation whose terms set one.
    mandatory_sales: Mapping[str, OperationSales] = field(default_factory=dict)

    def issued_dues(self, operation_id: str) -> dict[tuple[str, str], tuple[datetime, int]]:
        """The statements issued before the snapshot read them, of one operation."""
        return issued_of(self.issued, operation_id)


class SnapshotHolder(Protocol):
    """What holds the live pass's last snapshot (:class:`~collector.accounts.service.
    AccountsService`): the metrics read it at scrape time and each picks its own figures."""

    @property
    def snapshot(self) -> AccountsSnapshot | None:
        """The last pass's snapshot; none before the first pass."""
        ...


async def snapshot_as_of(
    store: Store, config: Config, instant: datetime, operation_id: str | None = None
) -> AccountsSnapshot:
    """The accounts as of ``instant`` from what the store knew then: each input's latest
    revision observed by then, and the operations' terms and the settings recorded by then
    (the file's where none were). With ``operation_id``, that operation's account only (its
    inputs only are read, the others are never computed)."""
    config = await known_config(store, config, instant)
    if operation_id is not None:
        config = config.model_copy(update={"operations": (config.operation(operation_id),)})
    # The reserve's figures are the whole reserve's: not read for one operation's statement.
    # For the whole reserve, one read of the stored outputs serves its figures and the payments.
    outputs = None if operation_id else await stored_outputs(store, as_of=instant)
    inputs = await read_inputs(store, config, instant, operation_id, stored=outputs)
    # Seconds of pure computation at national scale: in a worker thread, off the event loop.
    due = await asyncio.to_thread(obligations_pass, config, inputs, instant)
    # An amount first known after its period's deadline is due from its assessment.
    assessed = await Assessor().read(store, config, due.accounts, instant, operation_id)
    result = await asyncio.to_thread(settled_pass, due, assessed)
    accounts = result.accounts
    reserve = (
        None
        if operation_id
        else await reserve_figures(store, config, as_of=instant, outputs=outputs)
    )
    mining_fees = await mining_fees_as_of(store, config, instant, operation_id)
    pool_reports = await pool_reconciliations_as_of(store, config, instant, operation_id)
    sales = await mandatory_sales_as_of(store, config, accounts, instant, operation_id)
    return AccountsSnapshot(
        as_of=instant,
        config=config,
        inputs=inputs,
        accounts=MappingProxyType(accounts),
        failed=MappingProxyType(result.failed),
        stale=MappingProxyType({op: reason for op, (reason, _) in result.failed.items()}),
        reserve=reserve,
        mining_fees=MappingProxyType(mining_fees),
        pool_reports=MappingProxyType(pool_reports),
        mandatory_sales=MappingProxyType(sales),
    )
