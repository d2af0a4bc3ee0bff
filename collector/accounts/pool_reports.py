"""The pools' monthly reports reconciled as of an instant, per operation, pool and month.

For each month a pool's report (``import pool-report``) covers, as the store held it at the
instant: the report's sum; the pool API's credit, the stored daily earnings (every income
kind: the pool distributes all it credited) of the operation's accounts of that pool kind on
the month's UTC days, each day as known then; and the chain's, the confirmed outputs paying
the report's wallets in the month's UTC days, **when every reported wallet is one
reservewatch watches for the operation** (a reserve address, current or retired). A wallet
reservewatch does not watch makes the chain leg not observable (``None``): the pool pays the
miner's own wallet, which nothing here reads, and an unread wallet has not received 0. The
rules are :mod:`remittance.pool_reports`'; the tolerance is ``pool_reports`` in the settings.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from collector.config.model import Config
from collector.store.queries import Store
from collector.store.records import PoolReportRowRecord, ReserveOutputRecord
from remittance.periods import PeriodKind, period_containing
from remittance.pool_reports import MonthReadings, Reconciliation, reconcile


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
    for (op_id, pool, _), report in reports.items():
        operation = config.operation(op_id)
        month = period_containing(PeriodKind.MONTHLY, report[0].period)
        earnings = await store.earnings(op_id, month.start, month.end, as_of=instant)
        api_sat = sum(e.amount_sat for e in earnings if e.pool_kind == pool)
        wallets = {row.wallet for row in report}
        chain_sat = None
        if wallets <= set(operation.watched_addresses):
            if op_id not in outputs:
                outputs[op_id] = await store.reserve_outputs(
                    op_id, ("confirmed",), ("remittance", "internal", "outflow"), as_of=instant
                )
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
