"""The demo's digital-mining fee: the latest quarter past its payment deadline, metered by the
grid operator's monthly readings before the telemetry history, paid in full by every operation
but karaganda-2, whose 30 % is overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from collector.accounts.mining_fee import mining_fees_as_of
from collector.clock import FrozenClock
from collector.config.model import Config
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from remittance.mining_fee import FeeQuarter
from simulator.fee import DEMO_ZONE, LATE_OPERATION, fee_quarter, fill_fee, site_fee_config
from simulator.month import month_config_document
from simulator.world import OPERATIONS

NOW = datetime(2026, 12, 5, 6, tzinfo=UTC)


def test_the_fee_quarter_is_the_latest_past_its_payment_deadline() -> None:
    assert fee_quarter(NOW, DEMO_ZONE) == FeeQuarter(2026, 3)  # Q3's deadline: 25 November
    assert fee_quarter(datetime(2026, 11, 25, 18, tzinfo=UTC), DEMO_ZONE) == FeeQuarter(2026, 2)
    assert fee_quarter(datetime(2027, 1, 10, tzinfo=UTC), DEMO_ZONE) == FeeQuarter(2026, 3)
    assert fee_quarter(datetime(2027, 3, 1, tzinfo=UTC), DEMO_ZONE) == FeeQuarter(2026, 4)


def _config(root: Path) -> Config:
    """The demo's operations and sites (simulator.month's document), each site owing the fee."""
    document = month_config_document(f"sqlite+aiosqlite:///{root}/demo.db")
    document["reserve"] = {"time_zone": "Asia/Almaty"}
    sites = {site.id: site for operation in OPERATIONS for site in operation.sites}
    for operation in document["operations"]:
        for site in operation["sites"]:
            site["mining_fee"] = site_fee_config(sites[site["id"]], NOW, DEMO_ZONE)
    return Config.model_validate(document)


async def test_one_operation_is_late_with_a_third_of_its_quarter_unpaid(tmp_path: Path) -> None:
    config = _config(tmp_path)
    engine = open_engine(config.database)
    await upgrade(engine)
    async with Store(engine, FrozenClock(NOW)) as store:
        await fill_fee(store, config, NOW, DEMO_ZONE)
        fees = await mining_fees_as_of(store, config, NOW)
    q3 = {
        op: next(s for s in fee.standings if s.fee.quarter == FeeQuarter(2026, 3))
        for op, fee in fees.items()
    }
    # krg-a: own generation, 50 MW × 93 % over Q3's 2,208 hours, at 10 KZT/kWh.
    assert q3[LATE_OPERATION].fee.energy_wh == 46_500_000 * 2208
    assert q3[LATE_OPERATION].fee.due_tiyn == 102_672_000 * 1000
    assert q3[LATE_OPERATION].overdue_tiyn == 102_672_000 * 1000 * 3 // 10
    assert q3[LATE_OPERATION].paid_tiyn == 102_672_000 * 1000 * 7 // 10
    assert {op for op, s in q3.items() if s.overdue_tiyn} == {LATE_OPERATION}
    assert all(s.paid_late_tiyn == 0 for s in q3.values())
    assert {p.paid_on for fee in fees.values() for p in fee.payments} == {date(2026, 11, 20)}
    # ekb-a pays about 12.40 KZT/kWh: the confirmed schedule's top rate; ekb-b over 24 KZT: 1 KZT.
    rates = {(p.site_id, p.rate_tiyn) for p in q3["ekibastuz-1"].fee.parts}
    assert rates == {("ekb-a", 2500), ("ekb-b", 100)}
