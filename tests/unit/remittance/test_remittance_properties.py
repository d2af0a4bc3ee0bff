"""Property tests of the money rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from remittance import (
    DailyEarning,
    PeriodKind,
    RateChange,
    RemittanceTerms,
    ReserveOutput,
    compute_account,
)
from remittance.ledger import Due, settle_fifo

START = datetime(2026, 1, 1, tzinfo=UTC)
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)

dues_strategy = st.lists(st.integers(min_value=0, max_value=10**9), max_size=8).map(
    lambda amounts: [
        Due(f"p{index}", amount, START + timedelta(days=30 * (index + 1)))
        for index, amount in enumerate(amounts)
    ]
)
payments_strategy = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10**9), st.integers(0, 200 * 86_400)),
    max_size=12,
).map(
    lambda rows: [
        ReserveOutput(
            txid=f"{index:064x}",
            vout=0,
            address="bc1qreserve0",
            amount_sat=amount,
            block_height=900_000 + index,
            block_time=START + timedelta(seconds=offset),
            confirmations=6,
        )
        for index, (amount, offset) in enumerate(rows)
    ]
)


@given(dues_strategy, payments_strategy)
def test_fifo_settlement_neither_creates_nor_loses_a_satoshi(
    dues: list[Due], payments: list[ReserveOutput]
) -> None:
    ledger = settle_fifo(dues, payments, AS_OF)
    settled_sat = sum(item.settled_sat for item in ledger.settlements)
    allocated_sat = sum(a.applied_sat for item in ledger.settlements for a in item.allocations)
    assert settled_sat == allocated_sat
    assert settled_sat + ledger.credit_sat == ledger.total_remitted_sat
    assert ledger.balance_sat == ledger.total_due_sat - ledger.total_remitted_sat
    unpaid_sat = sum(item.unpaid_sat for item in ledger.settlements)
    assert ledger.balance_sat == unpaid_sat - ledger.credit_sat
    assert all(0 <= item.unpaid_sat <= item.due_sat for item in ledger.settlements)


@given(dues_strategy, payments_strategy, st.integers(min_value=0, max_value=1000))
def test_a_refund_neither_creates_nor_loses_a_satoshi(
    dues: list[Due], payments: list[ReserveOutput], per_mille: int
) -> None:
    remitted_sat = settle_fifo(dues, payments, AS_OF).total_remitted_sat
    refunded_sat = remitted_sat * per_mille // 1000
    ledger = settle_fifo(dues, payments, AS_OF, refunded_sat=refunded_sat)
    settled_sat = sum(item.settled_sat for item in ledger.settlements)
    assert settled_sat + ledger.credit_sat + refunded_sat == remitted_sat
    assert ledger.balance_sat == ledger.total_due_sat - remitted_sat + refunded_sat
    unpaid_sat = sum(item.unpaid_sat for item in ledger.settlements)
    assert ledger.balance_sat == unpaid_sat - ledger.credit_sat
    assert all(0 <= item.unpaid_sat <= item.due_sat for item in ledger.settlements)


@given(dues_strategy, payments_strategy, st.integers(min_value=1, max_value=5))
def test_splitting_payments_into_parts_settles_the_same_amounts(
    dues: list[Due], payments: list[ReserveOutput], parts: int
) -> None:
    split = [
        ReserveOutput(
            txid=payment.txid,
            vout=part,
            address=payment.address,
            amount_sat=payment.amount_sat // parts
            + (1 if part < payment.amount_sat % parts else 0),
            block_height=payment.block_height,
            block_time=payment.block_time,
            confirmations=payment.confirmations,
        )
        for payment in payments
        for part in range(parts)
    ]
    whole = settle_fifo(dues, payments, AS_OF)
    pieces = settle_fifo(dues, split, AS_OF)
    assert [s.unpaid_sat for s in whole.settlements] == [s.unpaid_sat for s in pieces.settlements]
    assert (whole.credit_sat, whole.balance_sat, whole.shortfall_sat) == (
        pieces.credit_sat,
        pieces.balance_sat,
        pieces.shortfall_sat,
    )


earnings_strategy = st.lists(
    st.tuples(st.integers(0, 150), st.integers(0, 10**8)), min_size=1, max_size=40
)


@given(
    earnings_strategy,
    st.sampled_from(["0.01", "0.10", "0.333", "0.5", "1"]),
    payments_strategy,
)
def test_due_depends_only_on_the_period_totals_not_on_pool_split_order_or_payments(
    rows: list[tuple[int, int]],
    rate: str,
    payments: list[ReserveOutput],
) -> None:
    terms = RemittanceTerms(
        rates=(RateChange(date(2025, 1, 1), Decimal(rate)),), period=PeriodKind.MONTHLY
    )
    totals: dict[date, int] = {}
    for offset, amount in rows:
        day = date(2026, 1, 1) + timedelta(days=offset)
        totals[day] = totals.get(day, 0) + amount
    one_pool = [DailyEarning("op", "pool-a", day, amount) for day, amount in totals.items()]
    # The same daily totals split over three pool accounts, in another order.
    three_pools = [
        DailyEarning("op", pool, day, share)
        for day, amount in totals.items()
        for pool, share in zip(
            ("pool-a", "pool-b", "pool-c"),
            (amount // 3, amount // 3, amount - 2 * (amount // 3)),
            strict=True,
        )
    ]
    shuffled = list(reversed(three_pools))
    first = date(2026, 1, 1)
    plain = compute_account("op", terms, one_pool, (), (), (), 6, AS_OF, first)
    split = compute_account("op", terms, shuffled, (), (), payments, 6, AS_OF, first)
    assert [o.due_sat for o in plain.obligations] == [o.due_sat for o in split.obligations]
    for obligation in plain.obligations:
        exact = Decimal(rate) * obligation.mined_sat
        assert abs(obligation.due_sat - exact) <= Decimal("0.5")
    assert split.ledger.balance_sat == split.total_due_sat - split.total_remitted_sat
