"""The pools' monthly reports reconciled as of an instant, per operation, pool and month.

For each month a pool's report (``import pool-report``) covers, as the store held it at the
instant: the report's sum; the pool API's credit, the stored daily earnings (every income
kind: the pool distributes all it credited) of the operation's accounts of that pool kind on
the month's UTC days, each day as known then; and the chain's, the confirmed outputs paying
the report's wallets in the month's UTC days, **when every reported wallet is one reservewatch
watches for the operation**: a reserve address (current or retired, or derived by its
descriptor as far as the watcher derived it) or an address of one of its ``payout_wallets``
(where its pools pay it: watched for this leg only, never the reserve's). A wallet reservewatch
does not watch makes the chain leg not observable (``None``): an unread wallet has not received
0. The rules are :mod:`remittance.pool_reports`'; the tolerance is ``pool_reports`` in the
settings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from collector.bitcoin.wallets import Role, WalletBook
from collector.config.model import Config
from collector.config.wallets import wallet_book
from collector.store.queries import Store
from collector.store.records import WATCHED_KINDS, PoolReportRowRecord, ReserveOutputRecord
from remittance.periods import PeriodKind, period_containing
from remittance.pool_reports import MonthReadings, Reconciliation, reconcile

WATCHING_ROLES: frozenset[Role] = frozenset(("reserve", "payout"))
"""The wallets of an operation whose receipts the chain leg reads."""


async def pool_reconciliations_as_of(
    store: Store, config: Config, instant: datetime, operation_id: str | None = None
) -> dict[str, tuple[Reconciliation, ...]]:
    """Each operation's reconciled months (by pool and month) as of ``instant``; an
    operation no report names is absent."""
    operations = [config.operation(operation_id)] if operation_id else list(config.operations)
    rows = await store.pool_reports([op.id for op in operations], as_of=instant)
    reports: dict[tuple[str, str, date], list[PoolReportRowRecord]] = defaultdict(list)
    for row in rows:
        reports[row.operation_id, row.pool, row.period].append(row)
    result: dict[str, list[Reconciliation]] = defaultdict(list)
    outputs: dict[str, list[ReserveOutputRecord]] = {}  # read once per operation
    book = wallet_book(config) if reports else None
    for (op_id, pool, _), report in reports.items():
        month = period_containing(PeriodKind.MONTHLY, report[0].period)
        earnings = await store.earnings(op_id, month.start, month.end, as_of=instant)
        api_sat = sum(e.amount_sat for e in earnings if e.pool_kind == pool)
        wallets = {row.wallet for row in report}
        if op_id not in outputs:  # the reserve's outputs and the payout wallets' alike
            outputs[op_id] = await store.reserve_outputs(
                op_id, ("confirmed",), WATCHED_KINDS, as_of=instant
            )
        chain_sat = None
        if book is not None and _watched(book, op_id, wallets, outputs[op_id]):
            chain_sat = sum(
                o.amount_sat
                for o in outputs[op_id]
                if o.address in wallets
                and o.block_time is not None
                and month.contains(o.block_time.astimezone(UTC).date())
            )
        readings = MonthReadings(sum(r.amount_sat for r in report), api_sat, chain_sat)
        findings = reconcile(readings, config.pool_reports.tolerance)
        result[op_id].append(Reconciliation(op_id, pool, month.start, readings, findings))
    return {op_id: tuple(months) for op_id, months in result.items()}


def _watched(
    book: WalletBook, operation_id: str, wallets: set[str], outputs: list[ReserveOutputRecord]
) -> bool:
    """Whether every one of ``wallets`` is a reserve or payout address of the operation that
    the watcher reads (descriptors derived as far as the outputs stored show it went)."""
    book.learn(o.address for o in outputs)
    owners = [book.owner(wallet) for wallet in wallets]
    return all(
        owner is not None and owner.holder == operation_id and owner.role in WATCHING_ROLES
        for owner in owners
    )
