"""The regulator's journal as the money rules apply it (remittance/journal.py): a refund takes
the credit first and then the newest settled dues, a reassignment moves a payment, a write-off
lowers a due never below 0, an entry counts only once recorded and in effect."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from remittance import InvalidInputError, ReserveOutput, compute_account
from remittance.journal import (
    JournalEntry,
    JournalKind,
    entry_line,
    journal_effects,
    parse_outpoint,
    refund_outpoints,
)
from remittance.ledger import Due, settle_fifo
from remittance.reserve import Coin, holdings
from tests.unit.remittance.conftest import (
    WORKED_AS_OF,
    WORKED_EARNINGS,
    WORKED_HASHRATES,
    WORKED_NETWORK,
    WORKED_PAYMENT,
    WORKED_TERMS,
)

RECORDED = datetime(2026, 11, 20, tzinfo=UTC)
LATER = datetime(2026, 11, 30, tzinfo=UTC)
TXID = "e" * 64


def entry(kind: JournalKind, **fields: object) -> JournalEntry:
    base: dict[str, object] = {
        "operation": "op-a",
        "effective_at": RECORDED,
        "recorded_at": RECORDED,
        "reason": "overpayment returned",
        "reference": "letter 17",
    }
    return JournalEntry(kind=kind, **{**base, **fields})  # type: ignore[arg-type]


def payment(txid: str, amount_sat: int, height: int, address: str = "bc1qa") -> ReserveOutput:
    return ReserveOutput(txid, 0, address, amount_sat, height, datetime(2026, 11, 5, tzinfo=UTC), 6)


OCTOBER = Due("2026-10", 100_000_000, datetime(2026, 11, 10, tzinfo=UTC))
NOVEMBER = Due("2026-11", 50, datetime(2026, 12, 10, tzinfo=UTC))


def test_a_refund_of_an_overpayment_takes_the_credit_back() -> None:
    # op-a pays 3 BTC against 1 BTC due; the reserve refunds 1.9999 BTC.
    assert settle_fifo([OCTOBER], [payment("a", 300_000_000, 1)], LATER).credit_sat == 2 * 10**8
    ledger = settle_fifo([OCTOBER], [payment("a", 300_000_000, 1)], LATER, refunded_sat=199_990_000)
    assert ledger.credit_sat == 10_000
    assert ledger.balance_sat == -10_000
    assert ledger.settlements[0].unpaid_sat == 0


def test_a_refund_beyond_the_credit_unpays_the_newest_settled_due_first() -> None:
    ledger = settle_fifo(
        [OCTOBER, NOVEMBER], [payment("a", 100_000_060, 1)], LATER, refunded_sat=30
    )
    october, november = ledger.settlements
    assert (ledger.credit_sat, november.unpaid_sat, october.unpaid_sat) == (0, 20, 0)
    assert ledger.balance_sat == 20 == sum(s.unpaid_sat for s in ledger.settlements)
    assert november.paid_in_full_at is None


def test_a_refund_above_what_was_remitted_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="exceed"):
        settle_fifo([OCTOBER], [payment("a", 10, 1)], LATER, refunded_sat=11)


def test_a_write_off_lowers_the_due_never_below_zero() -> None:
    effects = journal_effects(
        [entry(JournalKind.WRITE_OFF, operation="op-demo", period="2026-10", amount_sat=10**9)],
        {},
        WORKED_AS_OF.replace(day=25),
    )
    account = compute_account(
        "op-demo", WORKED_TERMS, WORKED_EARNINGS, WORKED_HASHRATES, WORKED_NETWORK,
        [WORKED_PAYMENT], 6, WORKED_AS_OF.replace(day=25), journal=effects["op-demo"],
    )  # fmt: skip
    assert account.obligations[0].due_sat == 300_001  # the rules' figure stands
    settlement = account.ledger.settlements[0]
    assert (settlement.due_sat, settlement.shortfall_sat) == (0, 0)
    assert account.ledger.credit_sat == 200_000


def test_a_reassigned_payment_counts_for_the_other_operation_only() -> None:
    wrong = payment(TXID, 50_000, 2, address="bc1qa")
    moved = entry(
        JournalKind.REASSIGNMENT, outpoint=(TXID, 0), to_operation="op-b", reason="wrong address"
    )
    effects = journal_effects([moved], {"op-a": [wrong]}, LATER)
    assert effects["op-a"].moved_out == {(TXID, 0)}
    assert effects["op-b"].moved_in == (wrong,)
    # Moved back: the output follows its last reassignment.
    back = replace(moved, operation="op-b", to_operation="op-a", recorded_at=LATER)
    effects = journal_effects([moved, back], {"op-a": [wrong]}, LATER)
    assert not effects["op-a"].moved_out and not effects["op-b"].moved_in


def test_an_entry_counts_only_once_recorded_and_in_effect() -> None:
    refund = entry(JournalKind.REFUND, amount_sat=5, effective_at=LATER)
    before = RECORDED.replace(day=19)
    assert journal_effects([refund], {}, before) == {}
    assert journal_effects([refund], {}, RECORDED) == {}  # recorded, not yet in effect
    assert journal_effects([refund], {}, LATER)["op-a"].refunded_sat == 5


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"kind": JournalKind.REFUND, "amount_sat": 0}, "amount_sat"),
        ({"kind": JournalKind.REFUND, "amount_sat": 5, "reason": " "}, "reason"),
        ({"kind": JournalKind.REASSIGNMENT, "to_operation": "op-a"}, "output"),
        ({"kind": JournalKind.WRITE_OFF, "amount_sat": 5, "period": "Oct"}, "period"),
        ({"kind": JournalKind.REFUND, "amount_sat": 5, "period": "2026-10"}, "no period"),
    ],
)
def test_an_entry_that_breaks_its_kinds_rules_is_refused(
    fields: dict[str, object], says: str
) -> None:
    kind = fields.pop("kind")
    with pytest.raises(InvalidInputError, match=says):
        entry(kind, **fields)  # type: ignore[arg-type]


def test_an_entry_reads_back_from_its_canonical_json() -> None:
    refund = entry(JournalKind.REFUND, amount_sat=199_990_000, outpoint=(TXID, 1))
    assert JournalEntry.from_json(refund.canonical_bytes()) == refund
    assert b'": ' not in refund.canonical_bytes() and b'", "' not in refund.canonical_bytes()
    assert entry_line(refund).startswith("2026-11-20T00:00:00+00:00 refund op-a 1.99990000 BTC")
    with pytest.raises(InvalidInputError, match="not an output"):
        parse_outpoint("abc:0")


def test_a_refund_in_the_journal_is_an_approved_outflow_not_an_unapproved_one() -> None:
    coins = [
        Coin("a" * 64, 0, 300_000_000, "reserve", "op-a", "bc1qa", "confirmed", 1),
        Coin(TXID, 0, 100_000_000 - 10_000, "reserve", "op-a", "bc1qa", "confirmed", 2),
        Coin(TXID, 1, 199_990_000, "outside", "", "bc1qop", "confirmed", 2),
    ]
    spends = [(TXID, "a" * 64, 0)]
    unapproved = holdings(coins, spends).movements[0]
    assert (unapproved.reasons, unapproved.unapproved_sat) == (("outside",), 199_990_000)
    refund = entry(JournalKind.REFUND, amount_sat=199_990_000, outpoint=(TXID, 1))
    approved = holdings(coins, spends, refunds=refund_outpoints([refund], LATER))
    movement = approved.movements[0]
    assert (movement.reasons, movement.unapproved_sat, movement.refunded_sat) == (
        (),
        0,
        199_990_000,
    )
    assert movement.destination == "refund"
    assert approved.total_sat == 100_000_000 - 10_000  # the refund and the fee left
    assert approved.left_by_source == {("mined", "op-a"): 199_990_000 + 20_000}  # and the fee
