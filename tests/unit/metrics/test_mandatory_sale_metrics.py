"""The mandatory sale's families in BTC per operation, from the last snapshot (the worked
example's October 2026: 0.01750004 required, 0.015 sold, 0.00250004 short and overdue);
absent before any pass; a refused operation says why and nothing else."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from collector.accounts.mandatory_sale import OperationSales
from collector.metrics.mandatory_sale import MandatorySaleMetrics
from remittance.mandatory_sale import ExchangeSale, SaleStep, sale_standing
from tests.conftest import Held, holding

SCHEDULE = (SaleStep(date(2026, 1, 1), Decimal(50)), SaleStep(date(2026, 10, 31), Decimal(75)))


def _sales() -> OperationSales:
    days = [(date(2026, 10, 29), 1_000_000), (date(2026, 10, 30), 1_000_000)]
    days.append((date(2026, 10, 31), 1_000_005))
    period = ("2026-10", date(2026, 10, 1), date(2026, 11, 1), days)
    sales = (ExchangeSale(date(2026, 10, 30), "Example", 1_500_000, "EX-1"),)
    standing = sale_standing([period], SCHEDULE, sales, datetime(2026, 11, 20, tzinfo=UTC), 14)
    return OperationSales("op-demo", standing, sales, 14)


def _samples(sales: OperationSales) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for built in MandatorySaleMetrics(
            holding(mandatory_sales={sales.operation_id: sales})
        ).metric_families()
        for sample in built.samples
    }


def test_required_sold_shortfall_and_overdue_are_exposed_in_btc() -> None:
    samples = _samples(_sales())
    op = (("operation", "op-demo"),)
    assert samples[("reservewatch_mandatory_sale_required_btc", op)] == 0.01750004
    assert samples[("reservewatch_mandatory_sale_sold_btc", op)] == 0.015
    assert samples[("reservewatch_mandatory_sale_shortfall_btc", op)] == 0.00250004
    assert samples[("reservewatch_mandatory_sale_overdue_btc", op)] == 0.00250004
    assert samples[("reservewatch_mandatory_sale_refused", (*op, ("reason", "none")))] == 0


def test_a_shortfall_within_the_deadline_is_not_overdue() -> None:
    sales = _sales()
    [october] = sales.periods
    assert october.deadline == datetime(2026, 11, 15, tzinfo=UTC)
    early = sale_standing(
        [("2026-10", october.start, october.end, [(date(2026, 10, 31), 1_000_005)])],
        SCHEDULE,
        sales.sales,
        october.deadline - timedelta(seconds=1),
        14,
    )
    samples = _samples(OperationSales("op-demo", early, sales.sales, 14))
    assert samples[("reservewatch_mandatory_sale_overdue_btc", (("operation", "op-demo"),))] == 0


def test_nothing_is_exposed_before_the_first_pass() -> None:
    assert list(MandatorySaleMetrics(Held()).metric_families()) == []


def test_an_operation_the_rules_refused_says_why_and_nothing_else() -> None:
    refused = OperationSales("op-bad", (), (), refused="invalid_terms")
    samples = [
        (sample.name, sample.labels, sample.value)
        for built in MandatorySaleMetrics(
            holding(mandatory_sales={"op-bad": refused})
        ).metric_families()
        for sample in built.samples
    ]
    assert samples == [
        (
            "reservewatch_mandatory_sale_refused",
            {"operation": "op-bad", "reason": "invalid_terms"},
            1,
        )
    ]
