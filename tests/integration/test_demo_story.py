"""The demo's story holds at every pinned instant, through the collector and the statement.

At each instant of :data:`tests.support.demo_world.PINNED_INSTANTS` the demo's world is built
as of that instant and polled once by the real collector on a frozen clock (pools, chain,
reserve); then, for the latest month whose deadline has passed (:func:`story_period`):

* every operation has remitted for it on its pay day (three in full, ``pavlodar-3`` 40 %),
  exactly what the collector computes as due from what it polled;
* only ``pavlodar-3`` has a shortfall, and it is overdue by more than the alerts' 7-day grace;
* the signed statement of that month, as of the instant, says the same.

The worlds are polled concurrently (the pools' rate limits make each pass ~15 s of waiting),
once for the module; each test reads one instant's outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from collector.accounts.snapshot import snapshot_as_of
from collector.app import Collector
from collector.config.load import load_config
from collector.documents.reserve_report import gather_report
from collector.documents.statements import render_statement
from remittance.account import OperationAccount
from remittance.money import round_half_up_sat
from remittance.reserve_report import build_report
from simulator.pool_report import (
    REPORTED_OPERATION,
    REPORTED_SAT,
    REPORTING_POOL,
    fill_pool_report,
)
from simulator.world import (
    FORFEITURE_ORDER,
    OPERATIONS,
    PAID_OUT_SAT,
    SEIZED_CASE,
    SEIZED_SAT,
    DemoHistory,
    history_start,
    pay_instant,
    story_period,
)
from tests.support.configs import editing
from tests.support.demo_world import PINNED_INSTANTS, demo_world
from tests.support.reserve_config import signing_key_file

UNDER_REMITTER = "pavlodar-3"
SHORT_SELLER = "almaty-4"
GRACE_S = 7 * 86_400  # deploy/prometheus/rules/remittance.yml: RemittanceOverdueBeyondGrace


@dataclass(frozen=True, slots=True)
class Story:
    """What one pinned instant's world told: poll results, accounts and statements."""

    now: datetime
    history: DemoHistory
    results: Mapping[str, str]
    accounts: Mapping[str, OperationAccount]
    statements: Mapping[str, dict[str, Any]]
    reserve: dict[str, Any]  # the story month's reserve report, as of the instant


async def _tell_all(root: Path) -> dict[str, Story]:
    async with contextlib.AsyncExitStack() as stack:
        collectors: dict[str, tuple[Any, Collector]] = {}
        for name, now in PINNED_INSTANTS.items():
            folder = root / name
            folder.mkdir()
            world = await stack.enter_async_context(demo_world(folder, now))
            with editing(world.config_path) as document:
                document["statement"] = {"signing_key_file": str(signing_key_file(folder))}
                # The story is in the pools and the reserve: a short network walk.
                document["network"]["backfill_days"] = 2
            saved = {k: os.environ.get(k) for k in world.env}
            os.environ.update(world.env)  # each world's pool tokens, read as its collector starts
            try:
                config = load_config(world.config_path)
                collector = await stack.enter_async_context(
                    Collector(config, world.clock, telemetry=False)
                )
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            # As the demo stores it with its history: F2Pool's report on ekibastuz-1.
            await fill_pool_report(collector.store, now)
            collectors[name] = (world, collector)
        passes = await asyncio.gather(*(c.run_once() for _, c in collectors.values()))
        stories: dict[str, Story] = {}
        for (name, (world, collector)), results in zip(collectors.items(), passes, strict=True):
            period = story_period(world.now)
            statements = {
                operation.id: json.loads(
                    await render_statement(
                        collector.config,
                        collector.store,
                        collector.config.operation(operation.id),
                        period.label,
                        "json",
                        world.now,
                    )
                )["statement"]
                for operation in OPERATIONS
            }
            snapshot = await snapshot_as_of(collector.store, collector.config, world.now)
            reserve = build_report(await gather_report(snapshot, collector.store, period))
            stories[name] = Story(
                world.now, world.history, results, collector.accounts.accounts, statements, reserve
            )
        return stories


@pytest.fixture(scope="module")
def stories(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Story]:
    return asyncio.run(_tell_all(tmp_path_factory.mktemp("stories")))


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("instant", PINNED_INSTANTS)
def test_every_operation_remits_and_the_under_remitter_is_short_and_overdue(
    stories: dict[str, Story], instant: str
) -> None:
    story = stories[instant]
    period = story_period(story.now)
    assert {target: r for target, r in story.results.items() if r != "ok"} == {}
    for operation in OPERATIONS:
        statement = story.statements[operation.id]
        summary = statement["summary"]
        assert statement["period"]["label"] == period.label
        assert summary["due_sat"] > 0, operation.id
        # The world paid what the collector computes as due, on the operation's pay day.
        paid = round_half_up_sat(summary["due_sat"] * operation.paid_fraction)
        assert (operation.id, paid, pay_instant(period, operation)) in story.history.payments
        ledger = story.accounts[operation.id].ledger
        if operation.id == UNDER_REMITTER:
            assert summary["shortfall_sat"] > 0
            assert ledger.shortfall_sat > 0
            assert ledger.overdue_seconds > GRACE_S
        else:
            assert summary["remitted_sat"] == summary["due_sat"], (operation.id, summary)
            assert summary["shortfall_sat"] == 0, operation.id
            assert ledger.shortfall_sat == 0, operation.id
            assert ledger.overdue_seconds == 0, operation.id
        # The mandatory sale: only almaty-4 sold short, and a month of it is past the deadline.
        sale = statement["mandatory_sale"]
        if operation.id == SHORT_SELLER:
            assert sale["overdue_sat"] > 0, sale
        else:
            assert sale["overdue_sat"] == 0, (operation.id, sale)


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("instant", PINNED_INSTANTS)
def test_the_seized_case_is_forfeited_in_the_middle_of_the_story_month(
    stories: dict[str, Story], instant: str
) -> None:
    """Held apart (its order pending) until the 15th of the story month, 00:00 in Almaty, the
    state's from then: the month's reserve report counts it at the end, not at the start."""
    story = stories[instant]
    period = story_period(story.now)
    forfeited_at = datetime.combine(
        period.start + timedelta(days=14), time(0), ZoneInfo("Asia/Almaty")
    ).astimezone(UTC)
    [case] = story.reserve["seized"]
    assert (case["case"], case["state"], case["order"]) == (
        SEIZED_CASE,
        "forfeited",
        FORFEITURE_ORDER,
    )
    assert case["since"] == forfeited_at.isoformat().replace("+00:00", "Z")
    start, end = story.reserve["holdings"]["start"], story.reserve["holdings"]["end"]
    assert SEIZED_CASE in {r["holder"] for r in end["by_source"] if r["source"] == "seized"}
    assert end["held_apart"]["total_sat"] == 0
    assert SEIZED_CASE not in {r["holder"] for r in start["by_source"]}
    # Its coins arrive on the history's third day: before the story month, pending already at
    # its start; or within it, when the story month is the history's first.
    apart = [(r["case"], r["state"], r["sat"]) for r in start["held_apart"]["by_case"]]
    if period.start_at > history_start(story.now):
        assert apart == [(SEIZED_CASE, "order_pending", SEIZED_SAT)]
    else:
        assert apart == []


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("instant", PINNED_INSTANTS)
def test_f2pools_report_on_ekibastuz_1_is_listed_as_a_finding(
    stories: dict[str, Story], instant: str
) -> None:
    """The demo's pool report (2.5 BTC for the month before now, to ekibastuz-1's declared
    payout wallet) is far from both the pool API's credit and the chain, which holds the
    2 BTC F2Pool paid that wallet on the month's last day: the reserve report lists it, and
    none of it is the reserve's."""
    story = stories[instant]
    listed = story.reserve["pool_report_findings"]
    [report_api] = [f for f in listed if f["leg"] == "report_api"]
    assert (report_api["operation"], report_api["pool"], report_api["left_sat"]) == (
        REPORTED_OPERATION,
        REPORTING_POOL,
        REPORTED_SAT,
    )
    [report_chain] = [f for f in listed if f["leg"] == "report_chain"]
    assert (report_chain["left_sat"], report_chain["right_sat"]) == (REPORTED_SAT, PAID_OUT_SAT)
    assert "api_chain" in {f["leg"] for f in listed}
