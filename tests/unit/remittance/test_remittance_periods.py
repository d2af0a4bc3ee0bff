from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from remittance.errors import InvalidPeriodLabelError
from remittance.periods import (
    PeriodKind,
    deadline,
    parse_period_label,
    parse_report_period,
    period_containing,
    periods_covering,
)


@pytest.mark.parametrize(
    ("label", "kind", "start", "end"),
    [
        ("2026-10", PeriodKind.MONTHLY, date(2026, 10, 1), date(2026, 11, 1)),
        ("2026-12", PeriodKind.MONTHLY, date(2026, 12, 1), date(2027, 1, 1)),
        ("2026-W43", PeriodKind.WEEKLY, date(2026, 10, 19), date(2026, 10, 26)),
        ("2026-W53", PeriodKind.WEEKLY, date(2026, 12, 28), date(2027, 1, 4)),
        ("2026-10-05", PeriodKind.DAILY, date(2026, 10, 5), date(2026, 10, 6)),
    ],
)
def test_labels_parse_and_format_back(label: str, kind: PeriodKind, start: date, end: date) -> None:
    period = parse_period_label(label)
    assert (period.kind, period.start, period.end) == (kind, start, end)
    assert period.label == label


def test_iso_week_of_early_january_belongs_to_previous_year() -> None:
    assert period_containing(PeriodKind.WEEKLY, date(2027, 1, 3)).label == "2026-W53"
    assert period_containing(PeriodKind.WEEKLY, date(2027, 1, 4)).label == "2027-W01"


@pytest.mark.parametrize("label", ["2026-13", "2026-W54", "2026-02-30", "Oct 2026", "2026-1", ""])
def test_bad_labels_raise_our_error(label: str) -> None:
    with pytest.raises(InvalidPeriodLabelError):
        parse_period_label(label)


def test_deadline_is_exclusive_period_end_plus_due_days_in_utc() -> None:
    october = parse_period_label("2026-10")
    assert deadline(october, 10) == datetime(2026, 11, 11, tzinfo=UTC)
    assert deadline(october, 0) == october.end_at == datetime(2026, 11, 1, tzinfo=UTC)


def test_periods_covering_spans_partial_first_and_last_periods() -> None:
    labels = [
        period.label
        for period in periods_covering(PeriodKind.MONTHLY, date(2026, 11, 30), date(2027, 2, 1))
    ]
    assert labels == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert periods_covering(PeriodKind.DAILY, date(2026, 1, 2), date(2026, 1, 1)) == ()


def test_period_days_are_the_utc_days_in_the_half_open_range() -> None:
    week = parse_period_label("2026-W43")
    assert next(week.days()) == date(2026, 10, 19)
    assert len(list(week.days())) == 7
    assert not week.contains(date(2026, 10, 26))


def test_a_deadline_in_almaty_ends_the_day_five_hours_before_utc() -> None:
    from zoneinfo import ZoneInfo

    october = parse_period_label("2026-10")
    assert deadline(october, 10) == datetime(2026, 11, 11, tzinfo=UTC)
    # The end of 10 November in Almaty (UTC+5) is 19:00 UTC on the 10th.
    assert deadline(october, 10, ZoneInfo("Asia/Almaty")) == datetime(2026, 11, 10, 19, tzinfo=UTC)
    # A zone with daylight saving keeps the local midnight: New York, EST before 14 March …
    february = parse_period_label("2027-02")
    new_york = ZoneInfo("America/New_York")
    assert deadline(february, 10, new_york) == datetime(2027, 3, 11, 5, tzinfo=UTC)
    # … and EDT (UTC−4) after it.
    assert deadline(february, 20, new_york) == datetime(2027, 3, 21, 4, tzinfo=UTC)


@pytest.mark.parametrize("kind", [PeriodKind.DAILY, PeriodKind.WEEKLY, PeriodKind.MONTHLY])
def test_a_deadline_never_precedes_its_periods_end(kind: PeriodKind) -> None:
    from zoneinfo import ZoneInfo

    period = period_containing(kind, date(2026, 10, 31))
    # The end of the last day in Almaty is 19:00 UTC, 5 h before the last UTC mining day ends.
    assert deadline(period, 0, ZoneInfo("Asia/Almaty")) == period.end_at
    assert deadline(period, 1, ZoneInfo("Asia/Almaty")) == period.end_at + timedelta(hours=19)
    for zone in ("Pacific/Kiritimati", "Asia/Almaty", "UTC", "America/New_York"):
        for due_days in (0, 1, 10):
            assert deadline(period, due_days, ZoneInfo(zone)) >= period.end_at


@pytest.mark.parametrize(
    "label", ["2026-10\n", "2026-W43\n", "2026-10-05\n", "2026-Q4\n", "2026\n", "\n2026-10"]
)
def test_a_label_with_a_newline_is_no_period(label: str) -> None:
    with pytest.raises(InvalidPeriodLabelError):
        parse_report_period(label)


def test_the_apis_period_check_refuses_a_trailing_newline() -> None:
    from collector.http.server import period_problem

    assert period_problem("2026-10") is None
    assert period_problem("2026-10\n") is not None
