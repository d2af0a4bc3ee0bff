from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remittance import InvalidInputError, ReserveOutput
from remittance.ledger import (
    Assessment,
    Due,
    Tranche,
    assessed_tranches,
    counted_outputs,
    settle_fifo,
)

SEPTEMBER = Due("2026-09", 100, datetime(2026, 10, 11, tzinfo=UTC))
OCTOBER = Due("2026-10", 100, datetime(2026, 11, 11, tzinfo=UTC))
NOVEMBER = Due("2026-11", 100, datetime(2026, 12, 11, tzinfo=UTC))


def output(
    txid: str,
    amount_sat: int,
    when: datetime | None,
    *,
    confirmations: int = 6,
    vout: int = 0,
    address: str = "bc1qreserve0",
    height: int | None = None,
) -> ReserveOutput:
    """An output; its block's height follows its time (one block per 10 minutes) unless given."""
    return ReserveOutput(
        txid=txid,
        vout=vout,
        address=address,
        amount_sat=amount_sat,
        block_height=height if when is None or height else int(when.timestamp()) // 600,
        block_time=when,
        confirmations=confirmations,
    )


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, tzinfo=UTC)


def test_payments_settle_the_oldest_open_obligation_first_across_periods() -> None:
    payments = [output("b", 150, at(11, 5)), output("c", 30, at(11, 20))]
    ledger = settle_fifo([SEPTEMBER, OCTOBER], payments, as_of=at(11, 30))
    september, october = ledger.settlements
    assert [(a.txid, a.applied_sat) for a in september.allocations] == [("b", 100)]
    assert [(a.txid, a.applied_sat) for a in october.allocations] == [("b", 50), ("c", 30)]
    assert (september.unpaid_sat, october.unpaid_sat) == (0, 20)
    assert september.paid_in_full_at == at(11, 5)
    assert ledger.shortfall_sat == 20  # October's deadline (11 Nov) has passed
    assert ledger.balance_sat == 20


def test_overpayment_is_credit_carried_to_later_obligations() -> None:
    early = [output("a", 250, at(10, 1))]
    before_november = settle_fifo([SEPTEMBER], early, as_of=at(10, 2))
    assert before_november.credit_sat == 150
    assert before_november.balance_sat == -150
    later = settle_fifo([SEPTEMBER, OCTOBER, NOVEMBER], early, as_of=at(12, 20))
    assert [item.unpaid_sat for item in later.settlements] == [0, 0, 50]
    assert later.credit_sat == 0
    assert later.shortfall_sat == 50
    assert later.overdue_seconds == 9 * 86_400


def test_overdue_seconds_count_from_the_oldest_unpaid_passed_deadline() -> None:
    ledger = settle_fifo([SEPTEMBER, OCTOBER], [], as_of=at(11, 11) + timedelta(hours=1))
    assert ledger.shortfall_sat == 200
    assert ledger.overdue_seconds == 31 * 86_400 + 3_600


def test_nothing_overdue_before_the_deadline_instant() -> None:
    ledger = settle_fifo([SEPTEMBER], [], as_of=SEPTEMBER.deadline - timedelta(seconds=1))
    assert (ledger.shortfall_sat, ledger.overdue_seconds) == (0, 0)


def test_the_deadline_is_the_last_instant_of_being_on_time_on_both_sides() -> None:
    # At exactly the deadline nothing is past due (it had been: shortfall 100, overdue 0) and
    # a payment in a block timed exactly then is on time; one second later both are late.
    deadline = SEPTEMBER.deadline
    at_deadline = settle_fifo([SEPTEMBER], [], as_of=deadline)
    assert (at_deadline.shortfall_sat, at_deadline.overdue_seconds) == (0, 0)
    assert not at_deadline.settlements[0].deadline_passed
    after = settle_fifo([SEPTEMBER], [], as_of=deadline + timedelta(seconds=1))
    assert (after.shortfall_sat, after.overdue_seconds) == (100, 1)
    just_after = settle_fifo([SEPTEMBER], [], as_of=deadline + timedelta(microseconds=1))
    assert (just_after.shortfall_sat, just_after.overdue_seconds) == (100, 1)

    paid_then = settle_fifo([SEPTEMBER], [output("a", 100, deadline)], as_of=deadline)
    assert [a.late_seconds for a in paid_then.settlements[0].allocations] == [0]
    assert paid_then.late_allocations == 0
    late = deadline + timedelta(seconds=1)
    paid_later = settle_fifo([SEPTEMBER], [output("b", 100, late)], as_of=late)
    assert [a.late_seconds for a in paid_later.settlements[0].allocations] == [1]
    assert paid_later.late_allocations == 1
    half = deadline + timedelta(milliseconds=500)
    paid_half = settle_fifo([SEPTEMBER], [output("c", 100, half)], as_of=half)
    assert paid_half.late_allocations == 1  # late, however little: never rounded to on time


def test_payments_after_as_of_do_not_count() -> None:
    ledger = settle_fifo([SEPTEMBER], [output("a", 100, at(10, 20))], as_of=at(10, 15))
    assert ledger.total_remitted_sat == 0
    assert ledger.shortfall_sat == 100


def test_output_removed_by_reorg_no_longer_counts() -> None:
    before = counted_outputs([output("a", 100, at(10, 1)), output("b", 50, at(10, 2))], 6)
    after = counted_outputs([output("b", 50, at(10, 2))], 6)  # "a" was re-orged out
    assert settle_fifo([SEPTEMBER], before, at(10, 20)).shortfall_sat == 0
    assert settle_fifo([SEPTEMBER], after, at(10, 20)).shortfall_sat == 50


def test_output_listed_under_two_addresses_counts_once() -> None:
    listed_twice = [
        output("a", 100, at(10, 1), address="bc1qreserve0"),
        output("a", 100, at(10, 1), address="bc1qreserve1", confirmations=7),
    ]
    counted = counted_outputs(listed_twice, 6)
    assert [(item.txid, item.vout, item.confirmations) for item in counted] == [("a", 0, 7)]


def test_two_outputs_of_one_transaction_both_count() -> None:
    counted = counted_outputs(
        [output("a", 100, at(10, 1), vout=0), output("a", 40, at(10, 1), vout=3)], 6
    )
    assert sum(item.amount_sat for item in counted) == 140


@pytest.mark.parametrize(("confirmations", "counts"), [(5, False), (6, True), (100, True)])
def test_outputs_need_the_required_confirmations(confirmations: int, counts: bool) -> None:
    counted = counted_outputs([output("a", 100, at(10, 1), confirmations=confirmations)], 6)
    assert bool(counted) is counts


def test_mempool_outputs_do_not_count() -> None:
    assert counted_outputs([output("a", 100, None, confirmations=0)], 1) == ()


def test_outputs_to_other_addresses_are_ignored_when_addresses_are_given() -> None:
    counted = counted_outputs(
        [output("a", 100, at(10, 1), address="bc1qelsewhere")],
        6,
        reserve_addresses=frozenset({"bc1qreserve0"}),
    )
    assert counted == ()


def test_payments_are_ordered_by_block_height_then_txid_then_vout() -> None:
    counted = counted_outputs(
        [
            output("b", 1, at(10, 1), vout=1),
            output("b", 1, at(10, 1), vout=0),
            output("a", 1, at(10, 2)),
            output("c", 1, at(9, 30)),
        ],
        1,
    )
    assert [(item.txid, item.vout) for item in counted] == [("c", 0), ("b", 0), ("b", 1), ("a", 0)]


def test_chain_order_wins_over_a_miner_set_block_time_that_runs_backwards() -> None:
    # Block 900,001's miner set its time an hour before block 900,000's: it is still later.
    first = output("z-first", 100, at(10, 5) + timedelta(hours=1), height=900_000)
    second = output("a-second", 50, at(10, 5), height=900_001)
    ledger = settle_fifo([SEPTEMBER, OCTOBER], counted_outputs([second, first], 1), at(12, 1))
    september = ledger.settlement_for("2026-09")
    assert september is not None
    assert [a.txid for a in september.allocations] == ["z-first"]


def test_a_payment_after_the_deadline_is_late_even_once_the_balance_is_zero() -> None:
    on_time = output("a", 60, at(10, 10))
    late = output("b", 40, at(10, 14))  # September's deadline was 11 October, 00:00
    ledger = settle_fifo([SEPTEMBER], counted_outputs([on_time, late], 1), at(12, 1))
    [september] = ledger.settlements
    assert (september.unpaid_sat, ledger.shortfall_sat) == (0, 0)
    assert [a.late_seconds for a in september.allocations] == [0, 3 * 86_400]
    assert ledger.late_allocations == 1


def test_one_outpoint_with_two_amounts_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="two amounts"):
        counted_outputs([output("a", 100, at(10, 1)), output("a", 99, at(10, 1))], 6)


def test_naive_block_time_is_rejected() -> None:
    naive = datetime(2026, 10, 1)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        counted_outputs([output("a", 100, naive)], 6)


def test_an_amount_assessed_after_the_deadline_has_its_own_deadline() -> None:
    """Issue 26, item 4: 100 due by 11 October, known then; 20 more first known on 20
    October are due by 30 October (assessment + 10 due days), not overdue at once."""
    deadline = SEPTEMBER.deadline
    revised = at(10, 20)
    tranches = assessed_tranches(
        120, deadline, 10, [Assessment(deadline, 100), Assessment(revised, 120)], at(10, 21)
    )
    assert tranches == (
        Tranche(100, deadline),
        Tranche(20, revised + timedelta(days=10), revised),
    )
    due = Due("2026-09", 120, deadline, tranches)
    paid = [output("a", 100, at(10, 5), height=100)]
    landed = settle_fifo([due], paid, as_of=revised + timedelta(seconds=1))
    assert (landed.shortfall_sat, landed.overdue_seconds) == (0, 0)
    late = settle_fifo([due], paid, as_of=revised + timedelta(days=10, seconds=5))
    assert (late.shortfall_sat, late.overdue_seconds) == (20, 5)
    settled = settle_fifo(
        [due], [*paid, output("b", 20, revised + timedelta(hours=10), height=200)], at(11, 1)
    )
    assert [a.late_seconds for a in settled.settlements[0].allocations] == [0, 0]
    # A fall takes from the latest tranche first; a rise again is a new assessment.
    fell = assessed_tranches(
        90, deadline, 10, [Assessment(deadline, 100), Assessment(revised, 120)], at(10, 21)
    )
    assert fell == (Tranche(90, deadline),)
