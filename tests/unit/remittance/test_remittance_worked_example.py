"""The docs' worked example (see conftest.py): every number a reader can check by hand."""

from __future__ import annotations

from datetime import UTC, datetime

from remittance import OperationAccount, Statement


def test_worked_example_october_obligation(worked_account: OperationAccount) -> None:
    october = worked_account.obligation_for("2026-10")
    assert october is not None
    assert october.mined_sat == 3_000_005  # 1,000,000 + (600,000 + 400,000) + 1,000,005
    assert october.expected_sat == 3_000_000  # 3 × 2e16 / 9e20 × 45,000,000,000
    assert october.due_sat == 300_001  # 10 % × 3,000,005 = 300,000.5 → 300,001 (half up)
    assert october.deadline == datetime(2026, 11, 11, tzinfo=UTC)
    assert october.flags == ()
    assert not october.is_open


def test_worked_example_ledger_after_one_partial_payment(
    worked_account: OperationAccount,
) -> None:
    ledger = worked_account.ledger
    assert ledger.total_remitted_sat == 200_000
    assert ledger.balance_sat == 100_001
    assert ledger.shortfall_sat == 100_001
    assert ledger.overdue_seconds == 86_400  # one day past 2026-11-11T00:00Z
    assert ledger.credit_sat == 0
    november = worked_account.obligation_for("2026-11")
    assert november is not None
    assert november.is_open
    assert november.due_sat == 0


def test_worked_example_statement(worked_statement: Statement) -> None:
    assert (
        worked_statement.opening_balance_sat,
        worked_statement.due_sat,
        worked_statement.remitted_sat,
        worked_statement.closing_balance_sat,
        worked_statement.shortfall_sat,
    ) == (0, 300_001, 200_000, 100_001, 100_001)
    assert worked_statement.flags == ("shortfall",)
    assert [t.amount_sat for t in worked_statement.transfers] == [200_000]


def test_worked_example_statement_on_both_sides_of_the_deadline_instant() -> None:
    from datetime import timedelta

    from remittance import build_statement, compute_account
    from tests.unit.remittance.conftest import (
        WORKED_EARNINGS,
        WORKED_HASHRATES,
        WORKED_NETWORK,
        WORKED_OPERATION,
        WORKED_PAYMENT,
        WORKED_TERMS,
    )

    deadline = datetime(2026, 11, 11, tzinfo=UTC)

    def statement_at(as_of: datetime) -> Statement:
        account = compute_account(
            "op-demo", WORKED_TERMS, WORKED_EARNINGS, WORKED_HASHRATES, WORKED_NETWORK,
            (WORKED_PAYMENT,), 6, as_of,
        )  # fmt: skip
        return build_statement(account, WORKED_OPERATION, "2026-10")

    at_deadline = statement_at(deadline)  # the last instant the 100,001 still left is on time
    assert (at_deadline.shortfall_sat, at_deadline.overdue_seconds) == (0, 0)
    assert "shortfall" not in at_deadline.flags
    after = statement_at(deadline + timedelta(seconds=1))
    assert (after.shortfall_sat, after.overdue_seconds) == (100_001, 1)
    assert "shortfall" in after.flags


def test_due_days_0_in_almaty_neither_shortfalls_an_open_period_nor_makes_its_payment_late() -> (
    None
):
    import dataclasses
    from zoneinfo import ZoneInfo

    from remittance import build_statement, compute_account
    from tests.unit.remittance.conftest import (
        WORKED_EARNINGS,
        WORKED_HASHRATES,
        WORKED_NETWORK,
        WORKED_OPERATION,
        WORKED_PAYMENT,
        WORKED_TERMS,
    )

    terms = dataclasses.replace(WORKED_TERMS, due_days=0, deadline_zone=ZoneInfo("Asia/Almaty"))
    evening = datetime(2026, 10, 31, 21, tzinfo=UTC)  # October's last UTC day, still open
    payment = dataclasses.replace(WORKED_PAYMENT, block_time=evening)
    account = compute_account(
        "op-demo", terms, WORKED_EARNINGS, WORKED_HASHRATES, WORKED_NETWORK, (payment,), 6,
        evening,
    )  # fmt: skip
    october = account.obligation_for("2026-10")
    assert october is not None
    assert october.deadline == datetime(2026, 11, 1, tzinfo=UTC)  # not 2026-10-31T19:00Z
    # It had been: shortfall 100,001 with the period open, the payment late 7,200 s.
    assert (account.ledger.shortfall_sat, account.ledger.overdue_seconds) == (0, 0)
    assert account.ledger.late_allocations == 0
    statement = build_statement(account, WORKED_OPERATION, "2026-10")
    assert statement.shortfall_sat == 0
    assert [t.late_seconds for t in statement.transfers] == [0]
