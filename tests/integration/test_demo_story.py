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
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from collector.app import Collector
from collector.config.load import load_config
from collector.documents.statements import render_statement
from remittance.account import OperationAccount
from remittance.money import round_half_up_sat
from remittance.signing import new_private_key, private_key_pem
from simulator.world import OPERATIONS, DemoHistory, pay_instant, story_period
from tests.support.demo_world import PINNED_INSTANTS, demo_world

UNDER_REMITTER = "pavlodar-3"
GRACE_S = 7 * 86_400  # deploy/prometheus/rules/remittance.yml: RemittanceOverdueBeyondGrace


@dataclass(frozen=True, slots=True)
class Story:
    """What one pinned instant's world told: poll results, accounts and statements."""

    now: datetime
    history: DemoHistory
    results: Mapping[str, str]
    accounts: Mapping[str, OperationAccount]
    statements: Mapping[str, dict[str, Any]]


async def _tell_all(root: Path) -> dict[str, Story]:
    async with contextlib.AsyncExitStack() as stack:
        collectors: dict[str, tuple[Any, Collector]] = {}
        for name, now in PINNED_INSTANTS.items():
            folder = root / name
            folder.mkdir()
            key_file = folder / "statement-key.pem"
            key_file.write_bytes(private_key_pem(new_private_key()))
            key_file.chmod(0o600)
            world = await stack.enter_async_context(demo_world(folder, now))
            saved = {k: os.environ.get(k) for k in world.env}
            os.environ.update(world.env)  # each world's pool tokens, read as its collector starts
            try:
                config = load_config(world.config_path)
                config = config.model_copy(
                    update={
                        "statement": config.statement.model_copy(
                            update={"signing_key_file": key_file}
                        ),
                        # The story is in the pools and the reserve: a short network walk.
                        "network": config.network.model_copy(update={"backfill_days": 2}),
                    }
                )
                collector = await stack.enter_async_context(
                    Collector(config, world.clock, telemetry=False)
                )
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
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
            stories[name] = Story(
                world.now, world.history, results, collector.accounts.accounts, statements
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
