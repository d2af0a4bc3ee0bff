from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
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
    ObligationFlag,
    OperationAccount,
    PeriodKind,
    RateChange,
    RemittanceTerms,
    compute_account,
)
from remittance.obligations import TermsChange

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


def test_a_rate_change_inside_a_period_applies_from_its_day() -> None:
    schedule = terms((date(2026, 1, 1), "0.10"), (date(2026, 11, 15), "0.50"))
    result = account(
        schedule,
        [
            earning(date(2026, 11, 10), 1_000),
            earning(date(2026, 11, 20), 1_000),
            earning(date(2026, 12, 1), 1_000),
        ],
        first_day=date(2026, 11, 1),
    )
    november, december = result.obligations
    # 10 % of the 10th's 1,000 + 50 % of the 20th's 1,000, rounded once.
    assert (november.rate, november.due_sat) == (Decimal("0.10"), 600)
    assert ObligationFlag.RATE_CHANGED in november.flags
    assert (december.rate, december.due_sat) == (Decimal("0.50"), 500)
    assert ObligationFlag.RATE_CHANGED not in december.flags


def test_a_rate_change_on_expected_basis_sums_each_days_exact_expected() -> None:
    days = [date(2026, 11, 1), date(2026, 11, 2)]
    hashrates, network = expected_inputs(days)  # 1,000.5 sat expected a day
    schedule = terms((date(2026, 1, 1), "0.10"), (date(2026, 11, 2), "0.20"), basis=Basis.EXPECTED)
    november = account(schedule, [], hashrates, network).obligations[0]
    # 0.10 × 1,000.5 + 0.20 × 1,000.5 = 300.15 → 300
    assert november.due_sat == 300


def test_days_before_the_schedule_are_unrated_not_an_error_of_the_account() -> None:
    late_start = terms((date(2026, 11, 2), "0.10"))
    result = account(
        late_start, [earning(date(2026, 11, 1), 1_000), earning(date(2026, 11, 5), 1_000)]
    )
    november = result.obligation_for("2026-11")
    assert november is not None
    assert november.mined_sat == 2_000
    assert november.due_sat == 100  # the 5th only: the 1st had no rate in force
    assert november.unrated_days == (date(2026, 11, 1),)
    assert ObligationFlag.NO_RATE_IN_FORCE in november.flags


def test_a_clawback_is_kept_and_flagged_and_due_never_goes_below_zero() -> None:
    result = account(
        TEN_PERCENT,
        [
            earning(date(2026, 10, 1), 1_000),
            earning(date(2026, 10, 2), -300),
            earning(date(2026, 11, 1), 100),
            earning(date(2026, 11, 2), -500),
        ],
    )
    october, november, _december = result.obligations
    assert (october.mined_sat, october.due_sat) == (700, 70)
    assert ObligationFlag.CLAWBACK in october.flags
    assert (november.mined_sat, november.due_sat) == (-400, 0)
    assert ObligationFlag.CLAWBACK in november.flags


def test_a_day_whose_network_figures_are_not_final_makes_expected_provisional() -> None:
    days = [date(2026, 11, 1), date(2026, 11, 2)]
    hashrates, network = expected_inputs(days)
    network[1] = DailyNetwork(days[1], 70, 500_000, Decimal("1e21"), complete=False)
    november = account(
        terms((date(2026, 1, 1), "0.10"), basis=Basis.EXPECTED), [], hashrates, network
    ).obligations[0]
    assert november.provisional_days == (date(2026, 11, 2),)
    assert ObligationFlag.EXPECTED_PROVISIONAL in november.flags


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


def test_earnings_summing_past_the_supply_of_bitcoin_are_refused() -> None:
    # Two days of 10,500,000 BTC each (each within the supply) had been accepted: 21,000,000 BTC
    # mined in all is the most there can ever be; one satoshi more is refused.
    supply_sat = 21_000_000 * 100_000_000
    half = supply_sat // 2
    at_supply = [earning(date(2026, 11, 1), half), earning(date(2026, 11, 2), half)]
    assert account(TEN_PERCENT, at_supply).total_mined_sat == supply_sat
    past = [*at_supply, earning(date(2026, 11, 3), 1, pool="pool-b")]
    with pytest.raises(InvalidInputError, match="sum past 21,000,000 BTC"):
        account(TEN_PERCENT, past)
    clawback = [earning(date(2026, 11, 1), -supply_sat - 1)]
    with pytest.raises(InvalidInputError, match="sum past 21,000,000 BTC"):
        account(TEN_PERCENT, clawback)
    # Another operation's rows are not this one's: they never count toward its sum.
    others = [DailyEarning("op-2", "pool-z", date(2026, 11, 3), supply_sat), *at_supply]
    assert account(TEN_PERCENT, others).total_mined_sat == supply_sat


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


def test_an_as_of_with_an_offset_counts_the_same_utc_days_as_its_utc_spelling() -> None:
    # 01:00 on the 12th in Almaty (UTC+5) is still the 11th in UTC: the 12th is not yet mined.
    earnings = [earning(date(2026, 11, 11), 1_000), earning(date(2026, 11, 12), 1_000)]
    utc = account(TEN_PERCENT, earnings, as_of=datetime(2026, 11, 11, 20, tzinfo=UTC))
    almaty = account(
        TEN_PERCENT,
        earnings,
        as_of=datetime.fromisoformat("2026-11-12T01:00:00+05:00"),
    )
    assert utc.total_mined_sat == almaty.total_mined_sat == 1_000
    assert utc.obligations == almaty.obligations


def test_a_basis_and_due_days_change_applies_to_periods_starting_on_or_after_it() -> None:
    days = [date(2026, 10, 1), date(2026, 11, 1)]
    hashrates, network = expected_inputs(days)  # 1,000.5 sat expected a day
    changed = RemittanceTerms(
        rates=(RateChange(date(2026, 1, 1), Decimal("0.10")),),
        due_days=10,
        changes=(TermsChange(date(2026, 11, 1), basis=Basis.EXPECTED, due_days=20),),
    )
    result = account(changed, [earning(day, 500) for day in days], hashrates, network)
    october, november = result.obligations[:2]
    assert (october.basis, october.due_sat) == (Basis.REPORTED, 50)
    assert october.deadline == datetime(2026, 11, 11, tzinfo=UTC)
    assert (november.basis, november.due_sat) == (Basis.EXPECTED, 100)
    assert november.deadline == datetime(2026, 12, 21, tzinfo=UTC)


def share_inputs(
    figures: dict[date, int],
) -> tuple[list[DailyPoolHashrate], list[DailyNetwork]]:
    # The operation holds 1/1000 of the network; a day's rewards make its expected figure.
    return (
        [DailyPoolHashrate("op-1", day, 1e18) for day in figures],
        [DailyNetwork(day, 144, sat * 1_000, Decimal("1e21")) for day, sat in figures.items()],
    )


def test_greater_basis_is_chosen_on_the_rated_days_not_on_totals_with_unrated_days() -> None:
    # 1–15 October unrated (the schedule starts on the 16th): mined 10,000,000 a day, expected
    # 1,000,000; 16–31 October: mined 1,000,000, expected 2,000,000. Totals favour mined
    # (166,000,000 vs 47,000,000) but on the days that owe anything expected is larger.
    october = [date(2026, 10, day) for day in range(1, 32)]
    mined = {day: 10_000_000 if day.day <= 15 else 1_000_000 for day in october}
    hashrates, network = share_inputs(
        {day: 1_000_000 if day.day <= 15 else 2_000_000 for day in october}
    )
    schedule = terms((date(2026, 10, 16), "0.10"), basis=Basis.GREATER)
    result = account(schedule, [earning(d, a) for d, a in mined.items()], hashrates, network)
    obligation = result.obligations[0]
    assert obligation.unrated_days == tuple(october[:15])
    # 10 % × 16 × 2,000,000 (was 10 % × 16 × 1,000,000 = 1,600,000).
    assert obligation.due_sat == 3_200_000
    assert obligation.basis_sat == obligation.expected_sat == 47_000_000


def test_greater_basis_across_a_rate_change_takes_the_measure_that_owes_more() -> None:
    # 10 % for 1–15 October (mined 2,000,000, expected 1,000,000 a day), 50 % from the 16th
    # (mined 1,000,000, expected 1,500,000). Totals favour mined (46,000,000 vs 39,000,000),
    # which owes 3,000,000 + 8,000,000; expected owes 1,500,000 + 12,000,000.
    october = [date(2026, 10, day) for day in range(1, 32)]
    mined = {day: 2_000_000 if day.day <= 15 else 1_000_000 for day in october}
    hashrates, network = share_inputs(
        {day: 1_000_000 if day.day <= 15 else 1_500_000 for day in october}
    )
    schedule = terms((date(2026, 1, 1), "0.10"), (date(2026, 10, 16), "0.50"), basis=Basis.GREATER)
    result = account(schedule, [earning(d, a) for d, a in mined.items()], hashrates, network)
    obligation = result.obligations[0]
    assert ObligationFlag.RATE_CHANGED in obligation.flags
    assert obligation.due_sat == 13_500_000  # was 11,000,000
    assert obligation.basis_sat == obligation.expected_sat == 39_000_000
    # Never more than either measure alone: the day-by-day larger would owe 14,500,000.
    reported = account(
        replace(schedule, basis=Basis.REPORTED),
        [earning(d, a) for d, a in mined.items()], hashrates, network,
    ).obligations[0]  # fmt: skip
    assert reported.due_sat == 11_000_000


def test_a_clawback_that_makes_a_period_negative_is_carried_forward() -> None:
    result = account(
        TEN_PERCENT,
        [
            earning(date(2026, 9, 1), 10_000_000),
            earning(date(2026, 10, 1), 1_000_000),
            earning(date(2026, 10, 2), -5_000_000),  # the pool takes back September's coins
            earning(date(2026, 11, 1), 300_000),
            earning(date(2026, 12, 1), 5_000_000),
        ],
        as_of=datetime(2027, 1, 1, tzinfo=UTC),
    )
    september, october, november, december, _january = result.obligations
    assert september.due_sat == 1_000_000
    assert (october.mined_sat, october.due_sat, october.carried_out_sat) == (-4_000_000, 0, 400_000)
    # November owes 30,000 and takes 30,000 of the 400,000 carried (was 30,000 due).
    assert (november.due_sat, november.carried_in_sat, november.carried_out_sat) == (
        0,
        400_000,
        370_000,
    )
    assert ObligationFlag.CLAWBACK_CARRIED in november.flags
    # December owes 500,000 less the 370,000 still carried (was 500,000).
    assert (december.due_sat, december.carried_in_sat, december.carried_out_sat) == (
        130_000,
        370_000,
        0,
    )
    assert result.total_due_sat == 1_000_000 + 130_000
