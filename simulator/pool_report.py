"""The demo's pool report to the tax authority, one that disagrees with the chain.

Every demo operation has a made-up IIN/BIN (:func:`demo_iin_bin`: twelve digits, no real
person's or company's). F2Pool's report on ``ekibastuz-1`` for the month before the demo's
``now`` says it distributed :data:`REPORTED_SAT` to the operation's payout wallet on the
month's last day, as ``import pool-report`` would store it. ``ekibastuz-1`` declares that
wallet (``payout_wallets``), so the chain leg is observable, and F2Pool paid it only
:data:`simulator.world.PAID_OUT_SAT` that day (2 BTC): ``reservewatch pool-reports`` finds the
report above the chain and the pool API's credit, the credit apart from the chain too, and
``PoolReportFinding`` fires. None of it is the reserve's.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Final

from collector.store.queries import Store
from collector.store.records import PoolReportRowRecord
from simulator.world import OPERATIONS, payout_address

REPORTING_POOL: Final = "f2pool"
REPORTED_OPERATION: Final = "ekibastuz-1"
REPORTED_SAT: Final = 250_000_000  # 2.5 BTC
LICENCE_DAY: Final = date(2024, 3, 1)


def demo_iin_bin(operation_id: str) -> str:
    """A made-up twelve-digit BIN for a demo operation (the digest of its id)."""
    return str(int(hashlib.sha256(operation_id.encode()).hexdigest(), 16))[:12].rjust(12, "0")


async def fill_pool_report(store: Store, now: datetime) -> None:
    """Store F2Pool's report on ``ekibastuz-1`` for the month before ``now``'s."""
    last_day = now.date().replace(day=1) - timedelta(days=1)
    [operation] = [op for op in OPERATIONS if op.id == REPORTED_OPERATION]
    row = PoolReportRowRecord(
        operation.id,
        REPORTING_POOL,
        last_day.replace(day=1),
        1,
        operation.name,
        operation.license,
        LICENCE_DAY,
        payout_address(operation.id),
        last_day,
        REPORTED_SAT,
    )
    await store.record_pool_reports([row])
