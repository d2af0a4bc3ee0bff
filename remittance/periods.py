"""Daily, weekly (ISO, Monday start) and monthly periods in UTC, their labels and deadlines.

A period is a half-open range of UTC days `[start, end)`: `end` is the first day after it, so
`end_at` is the first instant after the period. A deadline is `end_at + due_days`, an instant:
the last instant of being on time: a payment confirmed in a block whose time is at or before
the deadline is on time, and the deadline has *passed* at any instant `> deadline`.

>>> p = parse_period_label("2026-10")
>>> (p.start, p.end, p.label)
(datetime.date(2026, 10, 1), datetime.date(2026, 11, 1), '2026-10')
>>> deadline(p, due_days=10).isoformat()
'2026-11-11T00:00:00+00:00'
>>> period_containing(PeriodKind.WEEKLY, date(2026, 10, 21)).label
'2026-W43'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from remittance.errors import InvalidInputError, InvalidPeriodLabelError


class PeriodKind(StrEnum):
    """How obligations are grouped in time."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"  # reports only (the reserve's): obligations are never quarterly
    YEARLY = "yearly"  # reports only


_MONTH_LABEL = re.compile(r"(\d{4})-(\d{2})")
_WEEK_LABEL = re.compile(r"(\d{4})-W(\d{2})")
_DAY_LABEL = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_QUARTER_LABEL = re.compile(r"(\d{4})-Q([1-4])")
_YEAR_LABEL = re.compile(r"(\d{4})")


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """UTC days `[start, end)` of one daily, weekly or monthly period."""

    start: date
    end: date
    kind: PeriodKind

    @property
    def label(self) -> str:
        """`2026-10-05` (day), `2026-W43` (ISO week) or `2026-10` (month)."""
        if self.kind is PeriodKind.DAILY:
            return self.start.isoformat()
        if self.kind is PeriodKind.WEEKLY:
            iso = self.start.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        if self.kind is PeriodKind.QUARTERLY:
            return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.YEARLY:
            return f"{self.start.year:04d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def start_at(self) -> datetime:
        """The first instant of the period (UTC midnight of `start`)."""
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period (UTC midnight of `end`)."""
        return datetime.combine(self.end, time(0), tzinfo=UTC)

    def days(self) -> Iterator[date]:
        """Every UTC day of the period, in order."""
        day = self.start
        while day < self.end:
            yield day
            day += timedelta(days=1)

    def contains(self, day: date) -> bool:
        """True if `day` is one of the period's days."""
        return self.start <= day < self.end

    def following(self) -> Period:
        """The period of the same kind that starts where this one ends."""
        return period_containing(self.kind, self.end)


def period_containing(kind: PeriodKind, day: date) -> Period:
    """The period of `kind` that contains UTC day `day`."""
    if kind is PeriodKind.DAILY:
        return Period(day, day + timedelta(days=1), kind)
    if kind is PeriodKind.WEEKLY:
        monday = day - timedelta(days=day.weekday())
        return Period(monday, monday + timedelta(days=7), kind)
    if kind is PeriodKind.YEARLY:
        return Period(date(day.year, 1, 1), date(day.year + 1, 1, 1), kind)
    months = 3 if kind is PeriodKind.QUARTERLY else 1
    first = day.replace(day=1, month=(day.month - 1) // months * months + 1)
    after = first.month - 1 + months  # months after January of first.year
    return Period(first, date(first.year + after // 12, after % 12 + 1, 1), kind)


def periods_covering(kind: PeriodKind, first_day: date, last_day: date) -> tuple[Period, ...]:
    """The consecutive periods of `kind` from the one holding `first_day` to the one holding
    `last_day` (inclusive); empty if `last_day < first_day`."""
    if last_day < first_day:
        return ()
    periods = [period_containing(kind, first_day)]
    while not periods[-1].contains(last_day):
        periods.append(periods[-1].following())
    return tuple(periods)


def deadline(period: Period, due_days: int, zone: tzinfo = UTC) -> datetime:
    """The instant by which the period's obligation must be paid, in UTC: the end of day
    `due_days` after the period in `zone` (the regulator's time zone; UTC by default, where it
    is simply end + `due_days` days). Kazakhstan's `Asia/Almaty` (UTC+5) ends the day 5 hours
    before UTC does.

    A deadline never precedes its period's end: with `due_days` 0 in a zone east of UTC the
    local day ends before the period's last UTC mining day does (19:00 UTC in Almaty), so the
    deadline is clamped to the period's end (`end_at`), the first instant it could be paid in
    full."""
    if due_days < 0:
        msg = f"due_days must be >= 0, got {due_days}"
        raise InvalidInputError(msg)
    last_moment_day = period.end + timedelta(days=due_days)
    local_end = datetime.combine(last_moment_day, time(0), tzinfo=zone).astimezone(UTC)
    return max(local_end, period.end_at)


def parse_report_period(label: str) -> Period:
    """A report's period: `2026` (year), `2026-Q4` (quarter), or any label
    :func:`parse_period_label` reads.

    >>> parse_report_period("2026-Q4").start, parse_report_period("2026").end
    (datetime.date(2026, 10, 1), datetime.date(2027, 1, 1))
    """
    if match := _QUARTER_LABEL.fullmatch(label):
        year, quarter = (int(group) for group in match.groups())
        return period_containing(PeriodKind.QUARTERLY, date(year, quarter * 3 - 2, 1))
    if match := _YEAR_LABEL.fullmatch(label):
        if int(match.group(1)) < 1:
            raise InvalidPeriodLabelError(f"period label {label!r} names no real year")
        return period_containing(PeriodKind.YEARLY, date(int(match.group(1)), 1, 1))
    try:
        return parse_period_label(label)
    except InvalidPeriodLabelError as err:
        if "is not one of" not in str(err):
            raise
        msg = (
            f"period label {label!r} is not one of YYYY (year), YYYY-Qn (quarter), YYYY-MM "
            "(month), YYYY-Www (ISO week), YYYY-MM-DD (day)"
        )
        raise InvalidPeriodLabelError(msg) from None


def parse_period_label(label: str) -> Period:
    """Parse `2026-10` (month), `2026-W43` (ISO week) or `2026-10-05` (day)."""
    try:
        if match := _MONTH_LABEL.fullmatch(label):
            year, month = (int(group) for group in match.groups())
            return period_containing(PeriodKind.MONTHLY, date(year, month, 1))
        if match := _WEEK_LABEL.fullmatch(label):
            year, week = (int(group) for group in match.groups())
            monday = date.fromisocalendar(year, week, 1)
            return period_containing(PeriodKind.WEEKLY, monday)
        if match := _DAY_LABEL.fullmatch(label):
            year, month, day = (int(group) for group in match.groups())
            return period_containing(PeriodKind.DAILY, date(year, month, day))
    except ValueError as error:
        msg = f"period label {label!r} names no real period: {error}"
        raise InvalidPeriodLabelError(msg) from error
    msg = (
        f"period label {label!r} is not one of YYYY-MM (month), YYYY-Www (ISO week), "
        "YYYY-MM-DD (day)"
    )
    raise InvalidPeriodLabelError(msg)


def iso_instant(moment: datetime | None) -> str | None:
    """An instant as the documents' JSON writes it: ISO 8601, UTC as ``Z`` (``None`` stays).

    >>> iso_instant(datetime(2026, 3, 14, 19, tzinfo=UTC))
    '2026-03-14T19:00:00Z'
    """
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")
