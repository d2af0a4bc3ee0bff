"""``reservewatch pool-reports``: the pools' monthly reports reconciled three ways as of an
instant (:mod:`collector.accounts.pool_reports`), one line per operation, pool and month and
one per finding::

    op-demo ocean 2026-10: report 3,100,005 sat, api 3,000,005 sat, chain not observable
      finding report_api: 3,100,005 vs 3,000,005 sat, 100,000 apart, 3,100 allowed

Exit 0 with no finding, 1 with any (a script notices), as the statement's figures would.
"""

from __future__ import annotations

import sys
from datetime import datetime

from collector.accounts.pool_reports import pool_reconciliations_as_of
from collector.accounts.terms import known_config, terms_documents
from collector.clock import SystemClock
from collector.config.model import Config
from collector.store.queries import open_store
from remittance.pool_reports import Reconciliation


def reconciliation_lines(reconciliation: Reconciliation) -> list[str]:
    """The month's line and one per finding."""
    readings = reconciliation.readings
    chain = (
        "chain not observable"
        if readings.chain_sat is None
        else f"chain {readings.chain_sat:,} sat"
    )
    lines = [
        f"{reconciliation.operation_id} {reconciliation.pool} {reconciliation.month:%Y-%m}: "
        f"report {readings.report_sat:,} sat, api {readings.api_sat:,} sat, {chain}"
    ]
    lines += [
        f"  finding {f.leg}: {f.left_sat:,} vs {f.right_sat:,} sat, "
        f"{abs(f.difference_sat):,} apart, {f.allowed_sat:,} allowed"
        for f in reconciliation.findings
    ]
    return lines


async def print_reconciliations(
    config: Config, as_of: datetime | None, operation_id: str | None
) -> int:
    """Print every reconciled month as of ``as_of`` (default now); see the module."""
    clock = SystemClock()
    if operation_id is not None and operation_id not in {op.id for op in config.operations}:
        print(f"reservewatch: unknown operation {operation_id!r}", file=sys.stderr)
        return 2
    async with open_store(config.database, clock) as store:
        await store.record_terms(terms_documents(config))  # before "now" is read
        instant = as_of or clock.now()
        # The terms known at the instant (the payout wallets declared by then), not the file's.
        known = await known_config(store, config, instant)
        reconciled = await pool_reconciliations_as_of(store, known, instant, operation_id)
    months = [month for op_id in sorted(reconciled) for month in reconciled[op_id]]
    for month in months:
        print("\n".join(reconciliation_lines(month)))
    findings = sum(len(month.findings) for month in months)
    print(f"{len(months)} months reconciled as of {instant.isoformat()}, {findings} findings")
    return 1 if findings else 0
