"""The three-way reconciliation of a pool's monthly report: a finding per pair of readings
beyond the tolerance, and an unobservable chain leg never a finding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from remittance.pool_reports import Finding, MonthReadings, Tolerance, reconcile

TOLERANCE = Tolerance(sat=1_000, ppm=1_000)


def test_the_tolerance_is_the_larger_of_the_fixed_satoshis_and_the_share() -> None:
    assert TOLERANCE.allowed_sat(500_000, 400_000) == 1_000  # 0.1 % of 500,000 is 500
    assert TOLERANCE.allowed_sat(250_000_000, 1) == 250_000
    assert Tolerance(sat=0, ppm=0).allowed_sat(10, 10) == 0


def test_readings_that_agree_within_the_tolerance_are_no_finding() -> None:
    assert reconcile(MonthReadings(100_000_000, 100_099_999, 100_000_000), TOLERANCE) == ()


def test_a_report_above_both_the_credit_and_the_chain_is_two_findings() -> None:
    findings = reconcile(MonthReadings(100_500_000, 100_000_000, 100_000_000), TOLERANCE)
    assert findings == (
        Finding("report_api", 100_500_000, 100_000_000, 100_500),
        Finding("report_chain", 100_500_000, 100_000_000, 100_500),
    )
    assert [f.difference_sat for f in findings] == [500_000, 500_000]


def test_a_payment_short_of_the_credit_and_the_report_names_the_chain_legs() -> None:
    findings = reconcile(MonthReadings(100_000_000, 100_000_000, 90_000_000), TOLERANCE)
    assert [(f.leg, f.difference_sat) for f in findings] == [
        ("report_chain", 10_000_000),
        ("api_chain", 10_000_000),
    ]


def test_an_unobservable_chain_is_never_a_finding_only_the_report_against_the_credit() -> None:
    assert reconcile(MonthReadings(100_000_000, 100_000_000, None), TOLERANCE) == ()
    assert [f.leg for f in reconcile(MonthReadings(1, 5_000, None), TOLERANCE)] == ["report_api"]


@given(
    st.integers(0, 2_100_000_000_000_000),
    st.integers(0, 2_100_000_000_000_000),
    st.integers(0, 10_000),
    st.integers(0, 1_000_000),
)
def test_a_finding_is_exactly_a_difference_beyond_what_is_allowed(
    report_sat: int, api_sat: int, tolerance_sat: int, tolerance_ppm: int
) -> None:
    tolerance = Tolerance(tolerance_sat, tolerance_ppm)
    findings = reconcile(MonthReadings(report_sat, api_sat, None), tolerance)
    beyond = abs(report_sat - api_sat) > tolerance.allowed_sat(report_sat, api_sat)
    assert bool(findings) is beyond
    assert reconcile(MonthReadings(api_sat, report_sat, None), tolerance) == tuple(
        Finding(f.leg, f.right_sat, f.left_sat, f.allowed_sat) for f in findings
    )
