"""Pool credits by kind of income, and where each day's hash rate came from.

Mined counts the kinds the terms count (mining rewards and fee rebates by default): referral
income is kept and shown, never mined. A day whose hash rate was averaged from too few samples
is missing from the expected figure, with its own reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from remittance import (
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    Income,
    MissingReason,
    OperationInfo,
    RemittanceTerms,
    Statement,
    build_statement,
    compute_account,
)
from remittance.hashrate import daily_average
from remittance.statement_csv import render_csv
from remittance.statement_json import (
    statement_from_dict,
    statement_from_json,
    statement_sha256,
    statement_to_dict,
    statement_to_json,
)
from tests.unit.remittance.conftest import WORKED_TERMS

DAY = date(2026, 10, 29)
AS_OF = datetime(2026, 11, 12, tzinfo=UTC)
NETWORK = [
    DailyNetwork(DAY + timedelta(days=d), 144, 45_000_000_000, Decimal("9e20")) for d in range(3)
]
CREDITS = [
    DailyEarning("op", "braiins/a", DAY, 1_000_000, Income.MINING),
    DailyEarning("op", "braiins/a", DAY, 20_000, Income.FEE_REBATE),
    DailyEarning("op", "braiins/a", DAY, 1_000, Income.REFERRAL),
]


def _statement(
    terms: RemittanceTerms = WORKED_TERMS, hashrates: list[DailyPoolHashrate] | None = None
) -> Statement:
    account = compute_account("op", terms, CREDITS, hashrates or [], NETWORK, [], 6, AS_OF)
    return build_statement(account, OperationInfo("op", "Op", "L-1"), "2026-10")


def test_mined_counts_mining_and_fee_rebates_and_shows_referral_apart() -> None:
    statement = _statement()
    assert statement.mined_sat == 1_020_000
    assert statement.due_sat == 102_000
    assert [(line.income, line.amount_sat, line.counted) for line in statement.income] == [
        ("fee_rebate", 20_000, True),
        ("mining", 1_000_000, True),
        ("referral", 1_000, False),
    ]
    [first, *_] = statement.days
    assert first.mined_sat == 1_020_000
    assert [(p.income, p.amount_sat, p.counted) for p in first.pools] == [
        ("fee_rebate", 20_000, True),
        ("mining", 1_000_000, True),
        ("referral", 1_000, False),
    ]


def test_terms_that_count_referral_income_count_it() -> None:
    terms = replace(WORKED_TERMS, counted_income=frozenset(Income))
    assert _statement(terms).mined_sat == 1_021_000


def test_income_kinds_and_hash_rate_sources_survive_json_and_show_in_csv() -> None:
    hashrates = [
        DailyPoolHashrate("op", DAY, Decimal("2e16"), source="samples", coverage=Decimal("0.95")),
        DailyPoolHashrate("op", DAY + timedelta(days=1), Decimal("2e16")),
    ]
    statement = _statement(hashrates=hashrates)
    again = statement_from_json(statement_to_json(statement))
    assert again == statement
    assert statement_sha256(again) == statement_sha256(statement)
    assert (statement.days[0].pool_hashrate_source, statement.days[0].pool_hashrate_coverage) == (
        "samples",
        Decimal("0.95"),
    )
    assert statement.days[1].pool_hashrate_source == "pool"
    csv_text = render_csv(statement).decode()
    assert "income_referral_sat,1000" in csv_text
    assert "counted_income,fee_rebate mining" in csv_text
    assert ",samples,0.95," in csv_text


def test_a_day_averaged_from_too_few_samples_is_missing_with_its_reason() -> None:
    hashrates = [
        DailyPoolHashrate(
            "op", DAY, Decimal("2e16"), source="samples", coverage=Decimal("0.3"), covered=False
        )
    ]
    statement = _statement(hashrates=hashrates)
    assert statement.days[0].missing_reason is MissingReason.LOW_HASHRATE_COVERAGE
    assert statement.days[0].expected_sat is None
    assert "expected_incomplete" in statement.flags


def test_a_day_before_a_pool_with_no_history_was_sampled_says_so_not_just_missing() -> None:
    # OCEAN publishes no daily hash rate: before the collector's first sample of the account,
    # no figure can exist. From that day on, a day without one is a gap in collection.
    sampled_from = DAY + timedelta(days=1)
    account = compute_account(
        "op", WORKED_TERMS, CREDITS, [], NETWORK, [], 6, AS_OF,
        no_pool_history_before=sampled_from,
    )  # fmt: skip
    statement = build_statement(account, OperationInfo("op", "Op", "L-1"), "2026-10")
    reasons = {d.day: d.missing_reason for d in statement.days if d.day <= DAY + timedelta(2)}
    assert reasons == {
        DAY: MissingReason.POOL_PUBLISHES_NO_HISTORY,
        DAY + timedelta(days=1): MissingReason.NO_POOL_HASHRATE,
        DAY + timedelta(days=2): MissingReason.NO_POOL_HASHRATE,
    }
    assert statement_from_json(statement_to_json(statement)).days[0].missing_reason == (
        MissingReason.POOL_PUBLISHES_NO_HISTORY
    )
    assert b"pool_publishes_no_history" in render_csv(statement)


def test_an_old_statement_without_kinds_reads_as_mining() -> None:
    data = statement_to_dict(_statement())
    data["summary"].pop("income")
    for day in data["days"]:
        day.pop("pool_hashrate_source")
        day.pop("pool_hashrate_coverage")
        for pool in day["pools"]:
            pool.pop("income")
            pool.pop("counted")
    old = statement_from_dict(data)
    assert old.income == ()
    assert {(p.income, p.counted) for d in old.days for p in d.pools} == {("mining", True)}


def test_samples_stand_for_the_time_before_them_and_never_beyond_the_gap() -> None:
    start = datetime(2026, 10, 29, tzinfo=UTC)
    hourly = [(start + timedelta(hours=h), float(h)) for h in range(1, 25)]
    rate, coverage = daily_average(hourly, DAY, 3600) or (0.0, Decimal(0))
    assert coverage == 1
    assert Fraction(rate) == Fraction(sum(range(1, 25)), 24)
    # Six silent hours (06:00–12:00) with a one-hour gap rule: a quarter of the day uncovered.
    gappy = [sample for sample in hourly if not 6 < sample[0].hour <= 12]
    assert daily_average(gappy, DAY, 3600) == (
        sum(h for h in range(1, 25) if not 6 < h % 24 <= 12) / 18,
        Decimal("0.7500"),
    )
    assert daily_average([], DAY, 3600) is None
