"""Statement inputs as the accounts' pass reads them: every period's energy in one read, a
period past telemetry's reach kept, the open one counted up to the pass's instant only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from collector.accounts.statement_inputs import PeriodEnergy, energy_wh
from collector.clock import FrozenClock
from collector.store.queries import Store
from collector.store.records import RollupDelta
from remittance import (
    Basis,
    DailyEarning,
    PeriodKind,
    RateChange,
    RemittanceTerms,
    compute_account,
)
from remittance.account import OperationAccount
from remittance.periods import parse_period_label

AS_OF = datetime(2026, 11, 12, 6, 0, tzinfo=UTC)
MAX_AGE = timedelta(days=7)  # telemetry's mqtt.max_age_s


@pytest.fixture
def store(store: Store) -> Store:
    """The shared store, its telemetry observed on 1 November (before every pass here)."""
    store.clock = FrozenClock(datetime(2026, 11, 1, tzinfo=UTC))
    return store


def _account(as_of: datetime = AS_OF) -> OperationAccount:
    terms = RemittanceTerms(
        rates=(RateChange(date(2026, 1, 1), Decimal("0.10")),),
        period=PeriodKind.MONTHLY,
        due_days=10,
        basis=Basis.REPORTED,
        discrepancy_tolerance=Decimal("0.05"),
    )
    earnings = [DailyEarning("op", "pool-a", date(2026, 10, 30), 1_000_000)]
    return compute_account("op", terms, earnings, [], [], [], 6, as_of)


def _delta(site: str, minute: datetime, energy_wh: int) -> RollupDelta:
    return RollupDelta(site, "op", minute, 1, 1.0, 1.0, energy_wh, 0.0, 0, 1)


async def test_every_periods_energy_comes_from_one_read_and_stops_at_the_instant(
    store: Store,
) -> None:
    await store.flush_telemetry(
        [
            _delta("a", datetime(2026, 10, 31, 23, 59, tzinfo=UTC), 100),
            _delta("b", datetime(2026, 10, 1, tzinfo=UTC), 10),
            _delta("a", datetime(2026, 11, 12, 5, 59, tzinfo=UTC), 7),
            _delta("a", AS_OF, 1_000),  # the pass's own minute and after: not yet counted
            _delta("a", datetime(2026, 11, 20, tzinfo=UTC), 1_000),
        ],
        [],
    )
    account = _account()
    assert [o.period.label for o in account.obligations] == ["2026-10", "2026-11"]
    energy = PeriodEnergy(MAX_AGE)
    read = await energy.read(store, [("op", ["a", "b"], account), ("none", [], account)])
    assert read == {
        "op": {"2026-10": 110, "2026-11": 7},
        "none": {"2026-10": None, "2026-11": None},
    }
    # The same figures a statement read alone gives (the CLI, as of the same instant).
    november = parse_period_label("2026-11")
    assert await energy_wh(store, ["a", "b"], november, AS_OF) == 7
    assert await energy_wh(store, ["c"], november, AS_OF) is None


async def test_a_period_past_telemetrys_reach_is_kept_and_the_open_one_read_again(
    store: Store,
) -> None:
    energy = PeriodEnergy(MAX_AGE)
    await store.flush_telemetry([_delta("a", datetime(2026, 10, 5, tzinfo=UTC), 50)], [])
    first = await energy.read(store, [("op", ["a"], _account())])
    assert first["op"] == {"2026-10": 50, "2026-11": None}
    # October ended 11 days before the pass: no reading for it is accepted any more, so the
    # pass keeps its figure (a row written behind telemetry's back does not move it) …
    await store.flush_telemetry(
        [
            _delta("a", datetime(2026, 10, 6, tzinfo=UTC), 1),
            _delta("a", datetime(2026, 11, 12, 7, 0, tzinfo=UTC), 9),
        ],
        [],
    )
    later = _account(AS_OF + timedelta(hours=2))
    second = await energy.read(store, [("op", ["a"], later)])
    # … while November, still open, is read again up to the later pass's instant.
    assert second["op"] == {"2026-10": 50, "2026-11": 9}


async def test_a_period_still_within_telemetrys_reach_is_read_again(store: Store) -> None:
    energy = PeriodEnergy(MAX_AGE)
    as_of = datetime(2026, 11, 3, tzinfo=UTC)  # October ended 2 days ago: late readings count
    await store.flush_telemetry([_delta("a", datetime(2026, 10, 5, tzinfo=UTC), 50)], [])
    assert (await energy.read(store, [("op", ["a"], _account(as_of))]))["op"]["2026-10"] == 50
    await store.flush_telemetry([_delta("a", datetime(2026, 10, 31, 23, 0, tzinfo=UTC), 5)], [])
    again = await energy.read(store, [("op", ["a"], _account(as_of + timedelta(minutes=1)))])
    assert again["op"]["2026-10"] == 55


async def test_energy_as_of_an_instant_counts_only_what_was_observed_by_then(
    store: Store,
) -> None:
    """Issue 26, item 9: minutes before the instant that arrive after it are not counted,
    by the pass as by a statement read alone."""
    minute = datetime(2026, 11, 10, tzinfo=UTC)
    store.clock = FrozenClock(datetime(2026, 11, 10, 0, 0, 20, tzinfo=UTC))
    await store.flush_telemetry([_delta("a", minute, 9_600)], [])
    store.clock = FrozenClock(AS_OF + timedelta(hours=1))  # late: after the pass's instant
    await store.flush_telemetry([_delta("a", minute, 400), _delta("b", minute, 5)], [])
    november = parse_period_label("2026-11")
    assert await energy_wh(store, ["a", "b"], november, AS_OF) == 9_600
    read = await PeriodEnergy(MAX_AGE).read(store, [("op", ["a", "b"], _account())])
    assert read["op"]["2026-11"] == 9_600
    later = _account(AS_OF + timedelta(hours=1))
    assert await energy_wh(store, ["a", "b"], november, later.as_of) == 10_005
    # Observed at 00:00:20, counted from 00:01: as of 00:00:59 not yet, as of 00:01 yes.
    assert await energy_wh(store, ["a"], november, minute + timedelta(seconds=59)) is None
    assert await energy_wh(store, ["a"], november, minute + timedelta(minutes=1)) == 9_600
