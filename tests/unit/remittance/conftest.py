"""The docs' worked example, shared by the statement and signing tests.

Operation `op-demo`: rate 10 %, monthly, due 10 days after the month, basis reported.
It started on 29 October 2026: three days of earnings (3,000,005 sat); its expected figure
is 1,000,000 sat a day (20 PH/s of a 900 EH/s network earning 45,000,000,000 sat a day).
One partial payment of 200,000 sat arrives on 5 November. As of 12 November 00:00 UTC the
deadline (11 November) has passed by one day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from remittance import (
    Basis,
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    OperationAccount,
    OperationInfo,
    PeriodKind,
    RateChange,
    RemittanceTerms,
    ReserveOutput,
    Statement,
    build_statement,
    compute_account,
)

WORKED_AS_OF = datetime(2026, 11, 12, tzinfo=UTC)
WORKED_OPERATION = OperationInfo("op-demo", "Demo Mining LLP", "DM-2026-001")
WORKED_TERMS = RemittanceTerms(
    rates=(RateChange(date(2026, 1, 1), Decimal("0.10")),),
    period=PeriodKind.MONTHLY,
    due_days=10,
    basis=Basis.REPORTED,
    discrepancy_tolerance=Decimal("0.05"),
)
WORKED_DAYS = (date(2026, 10, 29), date(2026, 10, 30), date(2026, 10, 31))
WORKED_EARNINGS = (
    DailyEarning("op-demo", "pool-a", date(2026, 10, 29), 1_000_000),
    DailyEarning("op-demo", "pool-a", date(2026, 10, 30), 600_000),
    DailyEarning("op-demo", "pool-b", date(2026, 10, 30), 400_000),
    DailyEarning("op-demo", "pool-a", date(2026, 10, 31), 1_000_005),
)
WORKED_HASHRATES = tuple(DailyPoolHashrate("op-demo", day, Decimal("2e16")) for day in WORKED_DAYS)
WORKED_NETWORK = tuple(
    DailyNetwork(day, blocks=144, rewards_sat=45_000_000_000, hashrate_hs=Decimal("9e20"))
    for day in WORKED_DAYS
)
WORKED_PAYMENT = ReserveOutput(
    txid="a" * 64,
    vout=0,
    address="bc1qreserve0",
    amount_sat=200_000,
    block_height=950_000,
    block_time=datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
    confirmations=1_000,
)
WORKED_ENERGY_WH = 28_800_000  # 400 kW (20 PH/s at 20 J/TH) for 72 h


def worked_example_account() -> OperationAccount:
    """The worked example's account as of 12 November 2026."""
    return compute_account(
        "op-demo",
        WORKED_TERMS,
        WORKED_EARNINGS,
        WORKED_HASHRATES,
        WORKED_NETWORK,
        (WORKED_PAYMENT,),
        6,
        WORKED_AS_OF,
    )


def worked_example_statement() -> Statement:
    """The worked example's October 2026 statement."""
    return build_statement(
        worked_example_account(),
        WORKED_OPERATION,
        "2026-10",
        energy_wh_in_period=WORKED_ENERGY_WH,
    )


@pytest.fixture
def worked_statement() -> Statement:
    return worked_example_statement()


@pytest.fixture
def worked_account() -> OperationAccount:
    return worked_example_account()


@pytest.fixture
def worked_operation() -> OperationInfo:
    return WORKED_OPERATION
