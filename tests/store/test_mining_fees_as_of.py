"""The fee's figures as of an instant from the store, on SQLite and PostgreSQL: the worked
example across a band change, the grid operator's readings where no telemetry is, a site with
neither counted as no meter, a site without a price named, and a later import not changing an
earlier instant's fee."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path

import pytest

from collector.accounts.mining_fee import mining_fees_as_of
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.store.queries import Store
from collector.store.records import FeePaymentRecord, GridMeterRecord, RollupDelta
from tests.support import fee_scenario as example
from tests.support.configs import editing


async def test_the_worked_example_across_a_band_change(store: Store, tmp_path: Path) -> None:
    config = load_config(example.write_fee_config(tmp_path))
    await example.populate_fee(str(store.engine.url.render_as_string(hide_password=False)))
    fees = (await mining_fees_as_of(store, config, example.AS_OF))["op-demo"]
    [q1, q2] = fees.standings
    assert [(p.start, p.end, p.energy_wh, p.rate_tiyn) for p in q1.fee.parts] == [
        (date(2026, 1, 1), date(2026, 2, 15), 120_000_251, 2500),
        (date(2026, 2, 15), date(2026, 4, 1), 95_500_125, 700),
    ]
    assert q1.fee.exact_millitiyn == Fraction(366_850_715_000)
    assert q1.fee.due_tiyn == 366_850_715
    assert q1.payment_deadline == datetime(2026, 5, 25, 19, tzinfo=UTC)
    assert (q1.paid_tiyn, q1.overdue_tiyn) == (300_000_000, 66_850_715)
    assert q2.fee.quarter.label == "2026-Q2"
    assert fees.overdue_tiyn == 66_850_715
    # As of 20 May the transfer was not yet known and nothing was overdue.
    before = (await mining_fees_as_of(store, config, datetime(2026, 5, 20, tzinfo=UTC)))["op-demo"]
    assert (before.paid_tiyn, before.overdue_tiyn) == (0, 0)


async def test_grid_readings_stand_in_for_telemetry_and_a_site_with_neither_has_no_meter(
    store: Store, tmp_path: Path
) -> None:
    path = example.write_fee_config(tmp_path)
    with editing(path) as document:
        site = document["operations"][0]["sites"][0]
        document["operations"][0]["sites"] = [
            {
                **site,
                "id": "meter-only",
                "mining_fee": {**site["mining_fee"], "from": "2026-01-01"},
            },
            {**site, "id": "unmetered", "power_quota_w": 1000},
            {**site, "id": "no-price", "mining_fee": {"from": "2026-01-01"}},
        ]
    config = load_config(path)
    # February's reading is shared between the parts before and after 15 February by days.
    await Store(store.engine, FrozenClock(datetime(2026, 4, 2, tzinfo=UTC))).record_grid_meter(
        [
            GridMeterRecord("meter-only", date(2026, 2, 1), "month", 28_000),
            GridMeterRecord("meter-only", date(2026, 1, 5), "day", 500),
            GridMeterRecord("no-price", date(2026, 1, 5), "day", 100),
        ]
    )
    as_of = datetime(2026, 4, 10, tzinfo=UTC)
    q1 = (await mining_fees_as_of(store, config, as_of))["op-demo"].standings[0].fee
    metered = [
        (p.start, p.energy_wh, p.energy_source) for p in q1.parts if p.site_id == "meter-only"
    ]
    assert metered == [
        (date(2026, 1, 1), Fraction(500 + 14_000), "grid_meter"),
        (date(2026, 2, 15), Fraction(14_000), "grid_meter"),
    ]
    unmetered = [p for p in q1.parts if p.site_id == "unmetered"]
    assert {(p.reason, p.rate_tiyn, p.energy_source) for p in unmetered} == {
        ("no_meter", 2500, "quota_estimate")
    }
    assert sum(p.energy_wh for p in unmetered) == 1000 * 24 * 90  # 1 kW over Q1's 90 days
    assert q1.missing == ("no-price",)  # metered on 5 January, but at no price configured
    problems = (await mining_fees_as_of(store, config, as_of))["op-demo"].problem_sites()
    # Q2 so far: no reading imported yet, so every site counts as having no meter.
    assert problems == {"price_missing": 0, "no_meter": 3}


async def test_a_stored_transfer_the_rules_refuse_leaves_that_operation_out_not_the_pass(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(example.write_fee_config(tmp_path))
    # Written past the importer (which refuses a transfer of 0): the rules refuse it too.
    at = Store(store.engine, FrozenClock(datetime(2026, 5, 2, tzinfo=UTC)))
    await at.record_fee_payments([FeePaymentRecord("op-demo", "ZERO", date(2026, 5, 1), 0)])
    fees = await mining_fees_as_of(store, config, example.AS_OF)
    assert (fees["op-demo"].refused, fees["op-demo"].standings) == ("invalid_input", ())
    assert "digital-mining fee not computed" in caplog.text


async def test_a_part_is_measured_month_by_month_when_telemetry_starts_inside_it(
    store: Store, tmp_path: Path
) -> None:
    """Telemetry from March only, the grid operator's readings for January and February: the
    band's second part (15 February - 31 March) adds February's share of the reading to
    March's telemetry, and the first part is the readings alone."""
    config = load_config(example.write_fee_config(tmp_path))
    at = Store(store.engine, FrozenClock(example.OBSERVED_AT))
    await at.flush_telemetry(
        [
            RollupDelta(
                "demo-a", "op-demo", example.SECOND_PART_MINUTE, 1, 4e5, 4e5, 900, 0.0, 0, None
            )
        ],
        [],
    )
    await at.record_grid_meter(
        [
            GridMeterRecord("demo-a", date(2026, 1, 1), "month", 3_100),
            GridMeterRecord("demo-a", date(2026, 2, 1), "month", 2_800),
        ]
    )
    fees = await mining_fees_as_of(store, config, example.AS_OF)
    q1 = fees["op-demo"].standings[0].fee
    assert [(p.start, p.energy_wh, p.energy_source) for p in q1.parts] == [
        (date(2026, 1, 1), 3_100 + 1_400, "grid_meter"),
        (date(2026, 2, 15), 1_400 + 900, "telemetry+grid_meter"),
    ]
