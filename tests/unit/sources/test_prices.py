"""The price job against a fake Kraken ticker speaking Kraken's format (refusals included),
the prices it stores append-only, and the reserve's value gauges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import generate_latest

from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig, PricesConfig
from collector.errors import SourceBadResponse
from collector.metrics import build_registry
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.poller import Poller
from collector.sources.prices import (
    LatestPrices,
    PriceJob,
    ReserveValue,
    load_latest_prices,
    parse_kraken_ticker,
)
from collector.sources.published import Published
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from remittance.valuation import Price
from simulator.fake_prices import FakeTicker, serve

NEW_YEAR = datetime(2027, 1, 1, tzinfo=UTC)


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Rig:
    ticker: FakeTicker
    store: Store
    clock: FrozenClock
    http: HttpSource
    counters: RequestCounters
    base: str

    def job(self, pair: str = "XBTUSD") -> PriceJob:
        config = PricesConfig(ticker_url=f"{self.base}/0/public/Ticker?pair={pair}")
        return PriceJob(config, self.http, self.store, self.clock)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    clock = FrozenClock(NEW_YEAR)
    ticker = FakeTicker(Decimal("97010.1"))
    runner, port = await serve(ticker)
    counters = RequestCounters()
    async with Store(engine, clock) as store, aiohttp.ClientSession() as session:
        http = HttpSource(session, source="price", counters=counters, sleep=_no_sleep, retries=1)
        yield Rig(ticker, store, clock, http, counters, f"http://127.0.0.1:{port}")
    await runner.cleanup()


async def test_each_poll_appends_the_last_trade_price_with_the_instant_observed(rig: Rig) -> None:
    job = rig.job()
    await job.poll()
    rig.ticker.usd_per_btc = Decimal("98000.5")
    rig.clock.advance(300)
    quoted = await job.poll()
    assert quoted == Price(NEW_YEAR + timedelta(minutes=5), "USD", Decimal("98000.5"), "kraken")
    stored = await rig.store.price_quotes("BTC", "USD")
    assert [(q.instant, q.rate, q.source) for q in stored] == [
        (NEW_YEAR, Decimal("97010.10000"), "kraken"),
        (NEW_YEAR + timedelta(minutes=5), Decimal("98000.50000"), "kraken"),
    ]
    assert rig.counters.value("price", "ok") == 2
    assert job.target.endswith("/XBTUSD")


async def test_an_unknown_pair_is_kraken_s_error_form_counted_and_stores_nothing(
    rig: Rig,
) -> None:
    with pytest.raises(SourceBadResponse, match=r"EQuery:Unknown asset pair"):
        await rig.job("XBTXYZ").poll()
    assert rig.counters.value("price", "bad_response") == 1
    assert await rig.store.price_quotes("BTC", "USD") == []


@pytest.mark.parametrize(
    ("fault", "result"), [("unavailable", "bad_response"), ("html", "bad_response")]
)
async def test_an_error_with_http_200_or_a_page_is_a_bad_response(
    rig: Rig, fault: str, result: str
) -> None:
    rig.ticker.fail_next(fault)  # type: ignore[arg-type]
    with pytest.raises(SourceBadResponse):
        await rig.job().poll()
    assert rig.counters.value("price", result) == 1


async def test_a_gateway_error_is_retried(rig: Rig) -> None:
    rig.ticker.fail_next("server")
    await rig.job().poll()
    assert rig.counters.value("price", "server_error") == 1
    assert rig.counters.value("price", "ok") == 1


async def test_the_poller_reports_the_job_down_then_up(rig: Rig) -> None:
    job = rig.job()
    poller = Poller([job], rig.clock)
    rig.ticker.fail_next("unavailable")
    assert await poller.run_once() == {job.target: "bad_response"}
    assert await poller.run_once() == {job.target: "ok"}
    assert poller.health()[job.target].up


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"result": {}},
        {"error": [], "result": {}},
        {"error": [], "result": {"XXBTZUSD": {}, "XETHZUSD": {}}},
        {"error": [], "result": {"XXBTZUSD": {"c": []}}},
        {"error": [], "result": {"XXBTZUSD": {"c": [97000.5, "1"]}}},  # a number, not text
        {"error": [], "result": {"XXBTZUSD": {"c": ["-1", "1"]}}},
        {"error": [], "result": {"XXBTZUSD": {"c": ["0", "1"]}}},
        {"error": [], "result": {"XXBTZUSD": {"c": ["1e400", "1"]}}},
        {"error": ["EGeneral:Invalid arguments"], "result": {"XXBTZUSD": {"c": ["1", "1"]}}},
    ],
)
def test_answers_of_another_shape_are_refused(doc: object) -> None:
    with pytest.raises(SourceBadResponse):
        parse_kraken_ticker(doc)


def test_a_warning_leaves_the_result_usable() -> None:
    doc = {"error": ["WGeneral:Deprecated"], "result": {"XXBTZUSD": {"c": ["97000.1", "1"]}}}
    assert parse_kraken_ticker(doc) == Decimal("97000.1")


def test_a_ticker_url_must_ask_for_one_pair() -> None:
    with pytest.raises(ValueError, match="one pair"):
        PriceJob(
            PricesConfig(ticker_url="http://x/0/public/Ticker?pair=XBTUSD,ETHUSD"),
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            FrozenClock(NEW_YEAR),
        )


def _exposed(source: object) -> str:
    registry, _ = build_registry([source])
    return generate_latest(registry).decode()


async def test_the_value_is_absent_without_holdings_or_a_price_never_zero(rig: Rig) -> None:
    job = rig.job()
    poller = Poller([job], rig.clock)
    holdings: list[int | None] = [None]
    value = ReserveValue(lambda: holdings[0], Published(poller, price=job.target).latest_prices)
    assert "reservewatch_reserve_value" not in _exposed(value)
    holdings[0] = 150_000_000
    text = _exposed(value)
    assert "reservewatch_reserve_value" not in text  # no price yet
    assert "reservewatch_price_btc_usd" not in text
    await poller.run_once()  # what the ticker job publishes is what is shown
    text = _exposed(value)
    assert "reservewatch_reserve_value_usd 145515.15" in text
    assert "reservewatch_reserve_value_kzt" not in text  # no official rate yet
    assert "reservewatch_price_btc_usd 97010.1" in text


async def test_the_tenge_value_uses_the_official_rate_loaded_from_the_store(rig: Rig) -> None:
    await rig.job().poll()
    rate = PriceQuoteRecord(
        "USD", "KZT", "nbk-csv", NEW_YEAR - timedelta(hours=5), Decimal("470.81")
    )
    assert await rig.store.record_prices([rate]) == 1
    latest = await load_latest_prices(rig.store, rig.clock.now())
    value = ReserveValue(lambda: 100_000_000, lambda: latest)
    assert value.values(latest) == {
        "USD": Decimal("97010.10"),
        "KZT": Decimal("45673325.18"),  # 97010.1 × 470.81 = 45673325.181
    }
    assert "reservewatch_reserve_value_kzt 4.567332518e+07" in _exposed(value)


def test_a_published_price_older_than_the_one_known_changes_nothing() -> None:
    newer = Price(NEW_YEAR, "USD", Decimal(98000), "kraken")
    known = LatestPrices().with_price(newer)
    assert known.with_price(Price(NEW_YEAR - timedelta(1), "USD", Decimal(1), "kraken")) is known
    later = known.with_price(Price(NEW_YEAR, "USD", Decimal(99000), "kraken"))
    assert later.latest("USD") == Price(NEW_YEAR, "USD", Decimal(99000), "kraken")
    assert known.latest("USD") == newer  # a value: with_price made another


async def test_each_inflow_is_valued_at_the_price_at_its_block_time(rig: Rig) -> None:
    from collector.sources.prices import load_valuation_inputs
    from remittance.valuation import value_at

    december = NEW_YEAR - timedelta(days=31)
    await rig.store.record_prices(
        [
            PriceQuoteRecord("BTC", "USD", "kraken", december - timedelta(hours=1), Decimal(90000)),
            PriceQuoteRecord("BTC", "USD", "kraken", december + timedelta(days=10), Decimal(95000)),
            PriceQuoteRecord("USD", "KZT", "nbk-csv", december - timedelta(days=1), Decimal(470)),
        ]
    )
    prices, rates = await load_valuation_inputs(rig.store, december, NEW_YEAR)
    block_times = [december + timedelta(days=1), december + timedelta(days=20)]
    assert [value_at(100_000_000, prices, "USD", t) for t in block_times] == [
        Decimal("90000.00"),
        Decimal("95000.00"),
    ]
    assert value_at(100_000_000, prices, "KZT", block_times[0], rates=rates) == Decimal(
        "42300000.00"
    )


async def test_the_application_builds_the_job_only_when_prices_are_configured(rig: Rig) -> None:
    from collector.config.load import parse_config
    from collector.sources.prices import build_price_jobs

    await rig.job().poll()  # a price already stored: loaded at start
    async with aiohttp.ClientSession() as session:
        without, stored = await build_price_jobs(
            parse_config({}), rig.store, session, rig.counters, rig.clock
        )
        assert without == []
        published = Published(Poller(without, rig.clock), stored_prices=stored)
        value = ReserveValue(lambda: 1, published.latest_prices)
        assert "reservewatch_reserve_value_usd 0.0" in _exposed(value)  # 1 sat: 0.00 USD
        url = f"{rig.base}/0/public/Ticker?pair=XBTUSD"
        jobs, stored = await build_price_jobs(
            parse_config({"prices": {"ticker_url": url}}),
            rig.store,
            session,
            rig.counters,
            rig.clock,
        )
        [job] = jobs
        poller = Poller(jobs, rig.clock)
        published = Published(poller, price=job.target, stored_prices=stored)
        value = ReserveValue(lambda: 100_000_000, published.latest_prices)
        rig.ticker.usd_per_btc = Decimal(99000)
        await poller.run_once()
        assert "reservewatch_reserve_value_usd 99000.0" in _exposed(value)
        assert "reservewatch_price_btc_usd 99000.0" in _exposed(value)
