"""The pools' reports' findings per operation, pool and leg, from the last snapshot: every
leg of every reported pool exposed (0 too), absent before any pass, no identifier in a label."""

from __future__ import annotations

from datetime import date

from collector.metrics.pool_reports import PoolReportMetrics
from remittance.pool_reports import MonthReadings, Reconciliation, Tolerance, reconcile
from tests.conftest import Held, holding


def _month(month: date, readings: MonthReadings) -> Reconciliation:
    return Reconciliation("op-demo", "ocean", month, readings, reconcile(readings, Tolerance()))


def test_each_leg_counts_the_months_beyond_the_tolerance() -> None:
    october = _month(date(2026, 10, 1), MonthReadings(3_100_005, 3_000_005, None))
    november = _month(date(2026, 11, 1), MonthReadings(200_000, 0, 200_000))
    samples = {
        (sample.labels["pool"], sample.labels["leg"]): sample.value
        for built in PoolReportMetrics(
            holding(pool_reports={"op-demo": (october, november)})
        ).metric_families()
        for sample in built.samples
        if sample.labels["operation"] == "op-demo"
    }
    assert samples == {
        ("ocean", "report_api"): 2,
        ("ocean", "report_chain"): 0,
        ("ocean", "api_chain"): 1,
    }


def test_nothing_is_exposed_before_the_first_pass() -> None:
    assert list(PoolReportMetrics(Held()).metric_families()) == []
