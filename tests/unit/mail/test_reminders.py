"""Which reminders are due at an instant: pinned at reminder days, the day before, deadlines
on the 1st of a month, at a year end and after a leap day, in the regulator's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collector.mail.reminders import reminder_instant, reminders_due
from remittance.ledger import Settlement

ALMATY = "Asia/Almaty"  # UTC+5 all year


def settlement(label: str, deadline: datetime, unpaid_sat: int = 100_001) -> Settlement:
    return Settlement(label, 300_001, deadline, (), 300_001 - unpaid_sat, unpaid_sat, None, False)


def local_midnight(year: int, month: int, day: int, zone: str = ALMATY) -> datetime:
    return datetime(year, month, day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


@pytest.mark.parametrize(
    ("deadline", "days_before", "reminder"),
    [
        (local_midnight(2026, 12, 1), 3, local_midnight(2026, 11, 28)),  # 1st of a month
        (local_midnight(2027, 1, 1), 2, local_midnight(2026, 12, 30)),  # year end
        (local_midnight(2028, 3, 1), 1, local_midnight(2028, 2, 29)),  # after a leap day
        (local_midnight(2027, 3, 1), 1, local_midnight(2027, 2, 28)),  # no leap day
    ],
)
def test_the_reminder_is_on_the_regulators_calendar(
    deadline: datetime, days_before: int, reminder: datetime
) -> None:
    assert reminder_instant(deadline, days_before, ALMATY) == reminder
    due = settlement("2026-11", deadline)
    assert reminders_due([due], days_before, ALMATY, reminder - timedelta(seconds=1), ()) == []
    assert reminders_due([due], days_before, ALMATY, reminder, ()) == [due]
    assert reminders_due([due], days_before, ALMATY, deadline - timedelta(seconds=1), ()) == [due]
    assert reminders_due([due], days_before, ALMATY, deadline, ()) == []


def test_the_day_before_the_reminder_day_nothing_is_due() -> None:
    deadline = local_midnight(2027, 1, 1)
    day_before = local_midnight(2026, 12, 28)
    assert reminders_due([settlement("2026-12", deadline)], 3, ALMATY, day_before, ()) == []


def test_a_deadline_reminded_of_once_is_not_due_again() -> None:
    deadline = local_midnight(2026, 12, 1)
    due = settlement("2026-11", deadline)
    now = local_midnight(2026, 11, 29)
    assert reminders_due([due], 3, ALMATY, now, {("2026-11", deadline)}) == []
    moved = settlement("2026-11", local_midnight(2026, 12, 2))  # a new deadline: a new reminder
    assert reminders_due([moved], 3, ALMATY, now, {("2026-11", deadline)}) == [moved]


def test_nothing_open_is_never_reminded() -> None:
    deadline = local_midnight(2026, 12, 1)
    paid = settlement("2026-11", deadline, unpaid_sat=0)
    assert reminders_due([paid], 3, ALMATY, local_midnight(2026, 11, 29), ()) == []
