"""The demo's mandatory sale: every operation sells its closed months' share (75 %) on the demo's
AIFC exchange five days after each month, 1 % over — but almaty-4, which sells 60 % of it:
short past the deadline, the only operation overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from collector.accounts.mandatory_sale import OperationSales
from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from remittance.mandatory_sale import ExchangeSale, SaleStep, sale_standing
from simulator.mandatory_sale import (
    DEADLINE_DAYS,
    RULES,
    SHORT_OPERATION,
    SHORT_SHARE,
    fill_sales,
    mandatory_sale_config,
)
from simulator.world import OPERATIONS, DemoHistory, history_months

NOW = datetime(2026, 12, 5, 6, tzinfo=UTC)
DAILY_SAT = 1_000_001  # every pool account credits this much every day


def _history() -> DemoHistory:
    history = DemoHistory()
    days = [d for month in history_months(NOW) for d in month.days() if d < NOW.date()]
    for operation in OPERATIONS:
        for pool in operation.pools:
            history.earnings[(pool.kind, pool.account)] = dict.fromkeys(days, DAILY_SAT)
    return history


def test_the_config_is_the_reported_schedule_as_terms() -> None:
    config = mandatory_sale_config()
    assert [step["percent"] for step in config["schedule"]] == ["50", "75"]
    assert RULES[-1] == SaleStep(date(2025, 1, 1), 75)
    assert config["deadline_days"] == DEADLINE_DAYS


async def test_one_operation_sells_short_and_only_it_is_overdue(tmp_path: Path) -> None:
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/demo.db"))
    await upgrade(engine)
    history = _history()
    async with Store(engine, FrozenClock(NOW)) as store:
        await fill_sales(store, history, NOW)
        stored = await store.exchange_sales(as_of=NOW)
    # October and November are closed, each sold on the 5th of the next month.
    assert {s.sold_on for s in stored} == {date(2026, 11, 5), date(2026, 12, 5)}
    standings = {}
    for operation in OPERATIONS:
        pools = len(operation.pools)
        periods = [
            (m.label, m.start, m.end, [(d, DAILY_SAT * pools) for d in m.days() if d < NOW.date()])
            for m in history_months(NOW)
        ]
        sales = [
            ExchangeSale(s.sold_on, s.exchange, s.sold_sat, s.reference)
            for s in stored
            if s.operation_id == operation.id
        ]
        standing = sale_standing(periods, RULES, sales, NOW, DEADLINE_DAYS)
        standings[operation.id] = OperationSales(operation.id, standing, tuple(sales))
    overdue = {op for op, s in standings.items() if s.overdue_sat}
    assert overdue == {SHORT_OPERATION}
    october = standings[SHORT_OPERATION].period("2026-10")
    assert october is not None
    # 31 days x 1,000,001 sat x pools at 75 %, 60 % of it sold.
    pools = len(next(o for o in OPERATIONS if o.id == SHORT_OPERATION).pools)
    required = (31 * DAILY_SAT * pools * 3 + 2) // 4
    assert october.required_sat == required
    assert october.sold_sat == int(required * SHORT_SHARE)
    assert october.deadline == datetime(2026, 11, 15, tzinfo=UTC)
    assert NOW - october.deadline > timedelta(days=20)
