"""The README's worked example (see conftest.py): every number a reader can check by hand."""

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
