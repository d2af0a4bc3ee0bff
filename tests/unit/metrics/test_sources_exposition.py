"""``/metrics`` after a scripted run of the collector over the demo's world, pinned byte for
byte: before any poll (nothing known: the price and value absent, not 0), after a round of
polls (a pool row of an unknown kind counted), after a round where two pool accounts, the
network and the ticker fail (their last good values kept, another unknown row counted), and
after a restart over the same store, before any poll (the pools' last statuses and the
prices loaded from it; the unknown rows' counters start again at 0).

The pinned text is ``tests/fixtures/metrics/sources_exposition.txt``, captured before the
sources' families were read from what the jobs publish (issue 25); only the scrape's own
duration (wall time) and the fakes' ports are masked.
``RESERVEWATCH_PIN_EXPOSITION=write`` rewrites it.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from collector.app import Collector
from collector.config.load import load_config
from collector.metrics import ExpositionRenderer
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from simulator.fake_prices import FakeTicker
from simulator.fake_prices import serve as serve_ticker
from tests.support.demo_world import PINNED_INSTANTS, demo_world

pytestmark = [pytest.mark.slow]

PINNED = Path(__file__).parents[2] / "fixtures" / "metrics" / "sources_exposition.txt"
_SCRAPE_DURATION = re.compile(r"^(reservewatch_scrape_duration_seconds) .*$", re.MULTILINE)
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def _scrape(collector: Collector, step: str) -> str:
    text = ExpositionRenderer().text(collector.registry.collect()).decode()
    text = _PORT.sub("127.0.0.1:<port>", _SCRAPE_DURATION.sub(r"\1 <wall time>", text))
    return f"## {step}\n{text}"


async def _scripted_scrapes(root: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    now = PINNED_INSTANTS["first-of-month"]
    prices = FakeTicker(Decimal("97000"))
    runner, port = await serve_ticker(prices)
    try:
        async with demo_world(root, now) as world:
            for name, value in world.env.items():
                monkeypatch.setenv(name, value)
            document = yaml.safe_load(world.config_path.read_text())
            ticker = f"http://127.0.0.1:{port}/0/public/Ticker?pair=XBTUSD"
            document["prices"] = {"ticker_url": ticker, "poll_interval_s": 10}
            world.config_path.write_text(yaml.safe_dump(document))
            config = load_config(world.config_path)
            engine = open_engine(config.database)
            try:  # a rate known before start, no price yet: both values absent
                rate = PriceQuoteRecord("USD", "KZT", "nbk-csv", now - timedelta(hours=1), 500)
                await Store(engine, world.clock).record_prices([rate])
            finally:
                await engine.dispose()
            scrapes: list[str] = []
            async with Collector(config, world.clock, telemetry=False) as collector:
                scrapes.append(_scrape(collector, "started, nothing polled"))
                day = now.date() - timedelta(days=2)
                world.pools.add_other_row("f2pool", "pavlodar3", day, "bonus_x", 777)
                await collector.run_once()
                scrapes.append(_scrape(collector, "first round"))
                world.clock.advance(600)
                world.chain.mine(1)
                world.pools.add_other_row("f2pool", "pavlodar3", day, "bonus_y", 5)
                world.pools.misbehave("foundry", "server_error")
                world.chain.fail_next(500, path_contains="tip/height", count=10)
                prices.fail_next("server", count=3)
                await collector.run_once()
                scrapes.append(_scrape(collector, "second round: another row; failures"))
            world.pools.misbehave("foundry", None)
            world.clock.advance(600)
            async with Collector(config, world.clock, telemetry=False) as collector:
                scrapes.append(_scrape(collector, "restarted, nothing polled"))
            return "".join(scrapes)
    finally:
        await runner.cleanup()


async def test_the_exposition_after_scripted_polls_is_the_pinned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = await _scripted_scrapes(tmp_path, monkeypatch)
    if os.environ.get("RESERVEWATCH_PIN_EXPOSITION") == "write":
        PINNED.parent.mkdir(parents=True, exist_ok=True)
        PINNED.write_text(text)
    assert text == PINNED.read_text()
