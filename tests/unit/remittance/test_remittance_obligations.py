from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from remittance import (
    Basis,
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    InvalidInputError,
    InvalidTermsError,
    MissingReason,
    NoRateInForceError,
    ObligationFlag,
    OperationAccount,
    PeriodKind,
    RateChange,
    RemittanceTerms,
    compute_account,
)

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def terms(
    *rates: tuple[date, str],
    period: PeriodKind = PeriodKind.MONTHLY,
    basis: Basis = Basis.REPORTED,
    tolerance: str = "0.05",
) -> RemittanceTerms:
    return RemittanceTerms(
        rates=tuple(RateChange(day, Decimal(rate)) for day, rate in rates),
        period=period,
        due_days=10,
        basis=basis,
        discrepancy_tolerance=Decimal(tolerance),
    )


TEN_PERCENT = terms((date(2026, 1, 1), "0.10"))


def earning(day: date, amount_sat: int, pool: str = "pool-a") -> DailyEarning:
    return DailyEarning("op-1", pool, day, amount_sat)


def account(
    account_terms: RemittanceTerms,
    earnings: Sequence[DailyEarning] = (),
    hashrates: Sequence[DailyPoolHashrate] = (),
    network: Sequence[DailyNetwork] = (),
    *,
    as_of: datetime = AS_OF,
    first_day: date | None = None,
) -> OperationAccount:
    return compute_account(
        "op-1", account_terms, earnings, hashrates, network, (), 6, as_of, first_day=first_day
    )


def test_mined_sums_every_pool_account_over_the_period_days() -> None:
    result = account(
        TEN_PERCENT,
        [
            earning(date(2026, 11, 1), 100, "pool-a"),
            earning(date(2026, 11, 1), 50, "pool-b"),
            earning(date(2026, 11, 30), 7, "pool-b"),
            DailyEarning("someone-else", "pool-a", date(2026, 11, 2), 1_000),
        ],
    )
    november = result.obligation_for("2026-11")
    assert november is not None
    assert november.mined_sat == 157


def test_due_is_rounded_half_up_once_per_period_not_per_day() -> None:
    # Three days of 1 sat at 50 %: 1.5 → 2 once per period (per day it would be 3 × 1 = 3).
    half = terms((date(2026, 1, 1), "0.5"))
    result = account(half, [earning(date(2026, 11, day), 1) for day in (1, 2, 3)])
    november = result.obligation_for("2026-11")
    assert november is not None
    assert november.due_sat == 2


def test_half_a_satoshi_due_rounds_up_to_one() -> None:
    result = account(TEN_PERCENT, [earning(date(2026, 11, 1), 5)])
    assert result.total_due_sat == 1


def test_rate_change_mid_month_applies_from_the_next_period() -> None:
    schedule = terms((date(2026, 1, 1), "0.10"), (date(2026, 11, 15), "0.50"))
    result = account(
        schedule,
        [earning(date(2026, 11, 20), 1_000), earning(date(2026, 12, 1), 1_000)],
        first_day=date(2026, 11, 1),
    )
    november, december = result.obligations
    assert (november.rate, november.due_sat) == (Decimal("0.10"), 100)
    assert (december.rate, december.due_sat) == (Decimal("0.50"), 500)


def test_period_before_the_schedule_starts_raises_no_rate_in_force() -> None:
    late_start = terms((date(2026, 11, 2), "0.10"))
    with pytest.raises(NoRateInForceError, match="2026-11-01"):
        account(late_start, [earning(date(2026, 11, 5), 1_000)])


def expected_inputs(
    days: Sequence[date],
) -> tuple[list[DailyPoolHashrate], list[DailyNetwork]]:
    # 1/1000 of the network, which earns 1,000,500 sat a day → 1,000.5 sat expected a day.
    return (
        [DailyPoolHashrate("op-1", day, 1e18) for day in days],
        [DailyNetwork(day, 144, 1_000_500, Decimal("1e21")) for day in days],
    )


def test_expected_is_share_times_daily_rewards_rounded_once_per_period() -> None:
    days = [date(2026, 11, 1), date(2026, 11, 2)]
    hashrates, network = expected_inputs(days)
    result = account(
        TEN_PERCENT, [earning(day, 1_000) for day in days], hashrates, network,
        first_day=days[0], as_of=datetime(2026, 11, 2, 12, tzinfo=UTC),
    )  # fmt: skip
    november = result.obligations[0]
    # 2 × 1,000.5 = 2,001 exactly; per-day rounding would give 2 × 1,001 = 2,002.
    assert november.expected_sat == 2_001
    assert november.missing_days == ()
    assert november.is_open


def test_days_without_network_data_or_hash_rate_are_listed_as_missing_and_add_zero() -> None:
    days = [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)]
    hashrates, network = expected_inputs(days)
    hashrates = [row for row in hashrates if row.day != days[1]]
    network = [row for row in network if row.day != days[2]]
    network[-1] = DailyNetwork(days[3], 0, 0, 0.0)
    result = account(
        TEN_PERCENT, (), hashrates, network, first_day=days[0],
        as_of=datetime(2026, 11, 4, 23, tzinfo=UTC),
    )  # fmt: skip
    november = result.obligations[0]
    assert [(missing.day, missing.reason) for missing in november.missing_days] == [
        (days[1], MissingReason.NO_POOL_HASHRATE),
        (days[2], MissingReason.NO_NETWORK_DATA),
        (days[3], MissingReason.NETWORK_HASHRATE_ZERO),
    ]
    assert november.expected_sat == 1_001  # only day 1: 1,000.5 → 1,001
    assert ObligationFlag.EXPECTED_INCOMPLETE in november.flags


def test_invalid_hash_rate_makes_a_day_missing_not_a_crash() -> None:
    day = date(2026, 11, 1)
    result = account(
        TEN_PERCENT,
        (),
        [DailyPoolHashrate("op-1", day, float("nan"))],
        [DailyNetwork(day, 144, 1_000, 1e21)],
        first_day=day,
        as_of=datetime(2026, 11, 1, 12, tzinfo=UTC),
    )
    assert result.obligations[0].missing_days[0].reason is MissingReason.INVALID_HASHRATE


@pytest.mark.parametrize(("reported_sat", "flagged"), [(950, False), (949, True), (2_000, False)])
def test_reported_below_expected_by_more_than_tolerance_is_flagged(
    reported_sat: int, flagged: bool
) -> None:
    day = date(2026, 11, 1)
    result = account(
        TEN_PERCENT,
        [earning(day, reported_sat)],
        [DailyPoolHashrate("op-1", day, Decimal(1))],
        [DailyNetwork(day, 144, 1_000, Decimal(1))],  # expected = 1,000 sat
        first_day=day,
        as_of=datetime(2026, 11, 1, 12, tzinfo=UTC),
    )
    november = result.obligations[0]
    assert (ObligationFlag.REPORTED_BELOW_EXPECTED in november.flags) is flagged


@pytest.mark.parametrize(
    ("basis", "basis_sat", "due_sat"),
    [(Basis.REPORTED, 900, 90), (Basis.EXPECTED, 1_000, 100), (Basis.GREATER, 1_000, 100)],
)
def test_basis_chooses_what_the_rate_applies_to(basis: Basis, basis_sat: int, due_sat: int) -> None:
    day = date(2026, 11, 1)
    result = account(
        terms((date(2026, 1, 1), "0.10"), basis=basis),
        [earning(day, 900)],
        [DailyPoolHashrate("op-1", day, Decimal(1))],
        [DailyNetwork(day, 144, 1_000, Decimal(1))],
        first_day=day,
        as_of=datetime(2026, 11, 1, 12, tzinfo=UTC),
    )
    november = result.obligations[0]
    assert (november.basis_sat, november.due_sat) == (basis_sat, due_sat)
    assert ObligationFlag.REPORTED_BELOW_EXPECTED in november.flags


def test_periods_run_from_first_data_day_to_the_period_of_as_of_which_is_open() -> None:
    result = account(
        terms((date(2026, 1, 1), "0.10"), period=PeriodKind.WEEKLY),
        [earning(date(2026, 11, 18), 10)],
        as_of=datetime(2026, 12, 1, tzinfo=UTC),
    )
    labels = [(item.period.label, item.is_open) for item in result.obligations]
    assert labels == [("2026-W47", False), ("2026-W48", False), ("2026-W49", True)]


def test_duplicate_earning_rows_are_rejected_with_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="given twice"):
        account(TEN_PERCENT, [earning(date(2026, 11, 1), 1), earning(date(2026, 11, 1), 1)])


def test_naive_as_of_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        account(TEN_PERCENT, as_of=datetime(2026, 12, 1))


@pytest.mark.parametrize(
    ("rates", "match"),
    [
        ((), "at least one"),
        (((date(2026, 1, 1), "1.5"),), "between 0 and 1"),
        (((date(2026, 2, 1), "0.1"), (date(2026, 1, 1), "0.2")), "after the previous"),
    ],
)
def test_bad_terms_name_the_field(rates: tuple[tuple[date, str], ...], match: str) -> None:
    with pytest.raises(InvalidTermsError, match=match):
        terms(*rates)
