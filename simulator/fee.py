"""The demo's digital-mining fee: each site's supply and price, the grid operator's monthly
readings before the telemetry history, and the fee's bank transfers — one operation late.

The fee's quarter is the latest whose payment deadline has passed (:func:`fee_quarter`); every
site owes the fee from its first day. The demo's telemetry starts at
:func:`simulator.world.history_start`; the months before it are the grid operator's readings
(``import meter``'s facts), each a site's quota × its load × the month's hours. Each site's
price is restated monthly (the month's invoices), which also splits the quarter at months, so
a month is metered by one source. Every operation pays its quarter's fee in full on the 20th of
the second month after it, but ``karaganda-2``, which pays 70 % and no more: its 30 % is
overdue, and ``MiningFeeOverdue`` fires.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from collector.accounts.mining_fee import mining_fees_as_of
from collector.config.model import Config
from collector.store.queries import Store
from collector.store.records import FeePaymentRecord, GridMeterRecord
from remittance.mining_fee import FeeQuarter, payment_deadline
from simulator.world import OPERATIONS, DemoSite, history_start

DEMO_ZONE: Final = ZoneInfo("Asia/Almaty")  # the demo's reserve.time_zone
LATE_OPERATION: Final = "karaganda-2"
LATE_SHARE: Final = Decimal("0.7")
PAID_DAYS_EARLY: Final = 6  # paid on the 20th of the second month after the quarter
# Each site's supply and average price per kWh (tiyn) before the month's swing: a grid site
# paying under 24 KZT owes the top rate of the confirmed schedule, one paying more owes 1 KZT.
SUPPLY: Final[dict[str, tuple[str, int | None]]] = {
    "ekb-a": ("grid", 1240),
    "ekb-b": ("grid", 2480),
    "krg-a": ("own", None),
    "pvl-a": ("grid", 2650),
    "alm-a": ("own_renewable", None),
}


def fee_quarter(now: datetime, zone: ZoneInfo) -> FeeQuarter:
    """The latest quarter whose payment deadline has passed at ``now``."""
    quarter = FeeQuarter.containing(now.astimezone(zone).date())
    while payment_deadline(quarter, zone) >= now:
        quarter = (
            FeeQuarter(quarter.year - 1, 4)
            if quarter.number == 1
            else FeeQuarter(quarter.year, quarter.number - 1)
        )
    return quarter


def _months(first: date, last: date) -> list[date]:
    """The first days of the months from ``first``'s to ``last``'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=31)).replace(day=1)
    return months


def site_fee_config(site: DemoSite, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """A site's ``mining_fee`` entry: from the fee quarter's first day, a price each month."""
    start = fee_quarter(now, zone).start
    supply, base = SUPPLY[site.id]
    entry: dict[str, Any] = {"from": start.isoformat(), "supply": supply}
    if base is not None:
        entry["prices"] = [
            {"from": month.isoformat(), "price_tiyn_per_kwh": str(base + 10 * (index % 3))}
            for index, month in enumerate(_months(start, now.astimezone(zone).date()))
        ]
    return entry


async def fill_fee(store: Store, config: Config, now: datetime, zone: ZoneInfo) -> None:
    """The grid operator's readings of the months before the telemetry history, then the fee's
    transfers of the fee quarter (the collector's own figure of it, paid in full but by the
    late operation)."""
    quarter = fee_quarter(now, zone)
    first_telemetry = history_start(now).astimezone(zone).date().replace(day=1)
    readings = []
    for month in _months(quarter.start, first_telemetry - timedelta(days=1)):
        hours = ((month + timedelta(days=31)).replace(day=1) - month).days * 24
        readings += [
            GridMeterRecord(site.id, month, "month", round(site.power_w * hours))
            for operation in OPERATIONS
            for site in operation.sites
        ]
    await store.record_grid_meter(readings)
    # As the store knows it once the readings are in (its clock has moved on since ``now``).
    fees = await mining_fees_as_of(store, config, store.clock.now())
    # The end of the 25th is the next day's midnight: paid five days before the last day.
    paid_on = payment_deadline(quarter, zone).astimezone(zone).date() - timedelta(
        days=PAID_DAYS_EARLY
    )
    payments = []
    for operation_id, fee in sorted(fees.items()):
        [standing] = [s for s in fee.standings if s.fee.quarter == quarter]
        share = LATE_SHARE if operation_id == LATE_OPERATION else Decimal(1)
        amount = int(standing.fee.due_tiyn * share)
        if amount > 0:
            payments.append(
                FeePaymentRecord(
                    operation_id, f"KZ-FEE-{quarter.label}-{operation_id}", paid_on, amount
                )
            )
    await store.record_fee_payments(payments)
