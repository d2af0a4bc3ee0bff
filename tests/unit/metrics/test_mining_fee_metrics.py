"""The fee's families in tenge per operation, from the last snapshot; absent before any pass."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from collector.accounts.mining_fee import OperationFees
from collector.metrics.mining_fee import MiningFeeMetrics
from remittance.mining_fee import FeePart, FeePayment, FeeQuarter, fee_standing, quarter_fee
from tests.conftest import Held, holding

Q1 = FeeQuarter(2026, 1)


def _fees() -> OperationFees:
    fee = quarter_fee(
        Q1,
        [
            FeePart("demo-a", Q1.start, date(2026, 2, 15), 120_000_251, 2500, "band"),
            FeePart("demo-b", Q1.start, Q1.end, 10, 2500, "no_meter", None, "quota_estimate"),
        ],
    )
    paid = (FeePayment(date(2026, 5, 20), 300_000_000, "KZ-PP-0001"),)
    standings, credit = fee_standing(
        [fee], paid, datetime(2026, 6, 1, tzinfo=UTC), ZoneInfo("Asia/Almaty")
    )
    return OperationFees("op-demo", standings, credit, paid)


def test_due_paid_and_overdue_are_exposed_in_tenge_with_problem_sites_by_reason() -> None:
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for built in MiningFeeMetrics(holding(mining_fees={"op-demo": _fees()})).metric_families()
        for sample in built.samples
    }
    op = (("operation", "op-demo"),)
    assert samples[("reservewatch_mining_fee_due_kzt", op)] == 3_000_006.53
    assert samples[("reservewatch_mining_fee_paid_kzt", op)] == 3_000_000.0
    assert samples[("reservewatch_mining_fee_overdue_kzt", op)] == 6.53
    assert samples[("reservewatch_mining_fee_problem_sites", (*op, ("reason", "no_meter")))] == 1
    price = (*op, ("reason", "price_missing"))
    assert samples[("reservewatch_mining_fee_problem_sites", price)] == 0


def test_nothing_is_exposed_before_the_first_pass() -> None:
    assert list(MiningFeeMetrics(Held()).metric_families()) == []


def test_an_operation_the_rules_refused_says_why_and_nothing_else() -> None:
    refused = OperationFees("op-bad", (), 0, (), "UTC", refused="invalid_input")
    samples = [
        (sample.name, sample.labels, sample.value)
        for built in MiningFeeMetrics(holding(mining_fees={"op-bad": refused})).metric_families()
        for sample in built.samples
    ]
    assert samples == [
        ("reservewatch_mining_fee_refused", {"operation": "op-bad", "reason": "invalid_input"}, 1)
    ]
