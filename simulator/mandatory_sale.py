"""The demo's mandatory sale: every operation's terms require 75 % of its mined coins sold on an
AIFC exchange (the share reported for 2025 on; unconfirmed in law, so the demo's configuration),
with 14 days after a month to sell it; the exchange's statement of the history's sales, as
``import exchange-sales`` stores it.

Each operation sells, on the 5th of the month after each closed month, that month's share of
what its pools credited (a little more, so a day the collector has not yet read leaves no
shortfall) — but
``almaty-4``, which sells 60 % of its share and no more: its month is short past the deadline,
and ``MandatorySaleOverdue`` fires.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from collector.store.queries import Store
from collector.store.records import ExchangeSaleRecord
from remittance.mandatory_sale import SaleStep, period_required_sat
from simulator.world import OPERATIONS, DemoHistory, history_months

DEMO_EXCHANGE: Final = "Demo AIFC Exchange Ltd"
SHORT_OPERATION: Final = "almaty-4"
SHORT_SHARE: Final = Decimal("0.6")
MARGIN: Final = Decimal("1.01")  # a compliant operation sells 1 % over its share
DEADLINE_DAYS: Final = 14
SOLD_DAYS_AFTER: Final = 5
SCHEDULE: Final = ({"from": "2024-01-01", "percent": "50"}, {"from": "2025-01-01", "percent": "75"})
RULES: Final = tuple(
    SaleStep(date.fromisoformat(s["from"]), Decimal(s["percent"])) for s in SCHEDULE
)


def mandatory_sale_config() -> dict[str, Any]:
    """An operation's ``mandatory_sale`` entry (the same for every demo operation)."""
    return {
        "schedule": list(SCHEDULE),
        "deadline_days": DEADLINE_DAYS,
        "exchanges": [DEMO_EXCHANGE],
    }


async def fill_sales(store: Store, history: DemoHistory, now: datetime) -> None:
    """The exchange's sales of every closed month of the history sold by ``now``."""
    sales = []
    for month in history_months(now):
        sold_on = month.end + timedelta(days=SOLD_DAYS_AFTER - 1)
        if sold_on > now.date():
            continue
        for operation in OPERATIONS:
            mined = {
                day: sum(
                    history.earnings.get((pool.kind, pool.account), {}).get(day, 0)
                    for pool in operation.pools
                )
                for day in month.days()
            }
            required = period_required_sat(mined.items(), RULES)
            share = SHORT_SHARE if operation.id == SHORT_OPERATION else MARGIN
            amount = int(required * share)
            if amount > 0:
                sales.append(
                    ExchangeSaleRecord(
                        operation.id,
                        f"AIFC-{month.label}-{operation.id}",
                        sold_on,
                        DEMO_EXCHANGE,
                        amount,
                    )
                )
    await store.record_exchange_sales(sales)
