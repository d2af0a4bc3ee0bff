"""The official price's basis end to end: the real collector polls a fake CoinMarketCap (its
real format, its key in the environment) into the store beside a fake Esplora; the reserve
report values a Saturday's inflow at Friday's CoinMarketCap average in tenge, saying so; then
the Committee's own price, imported for that Friday, wins it from the import on, while the
report as of before the import reads as it did."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collector.app import Collector
from collector.bitcoin.descriptors import parse_descriptor
from collector.clock import FrozenClock
from collector.commands.rates_import import day_start
from collector.config.load import load_config
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from remittance.official_price import CMC_BASIS
from simulator.fake_chain import FakeChain
from simulator.fake_cmc import PATH, FakeCmc
from simulator.fake_cmc import serve as serve_cmc
from simulator.fake_esplora import serve as serve_esplora
from simulator.keys import wpkh_descriptor
from tests.support.cli import run_cli
from tests.support.poppler import pdf_words
from tests.support.reserve_config import write_descriptor_config

pytestmark = pytest.mark.integration

# Friday 20 November 2026, 08:00 UTC (13:00 in Almaty); the coins arrive on Saturday the 14th.
NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)
ALMATY = ZoneInfo("Asia/Almaty")
OPERATION = wpkh_descriptor(0)
FRIDAY, SATURDAY = date(2026, 11, 13), date(2026, 11, 14)
KEY_ENV = "RESERVEWATCH_TEST_CMC_KEY"


def _config(root: Path, database_url: str, esplora: str, cmc: str) -> Path:
    return write_descriptor_config(
        root,
        OPERATION,
        database=database_url,
        network={"esplora_url": esplora, "backfill_days": 1, "poll_interval_s": 5},
        reserve={"confirmations": 1, "time_zone": "Asia/Almaty"},
        official_price={"url": cmc, "api_key_env": KEY_ENV, "lookback_days": 14},
    )


async def test_the_collector_stores_cmc_s_average_and_the_report_says_whose_price_it_used(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, "integration-cmc-key")
    chain = FakeChain(start=NOW - timedelta(days=10))
    chain.mine_until(datetime.combine(SATURDAY, datetime.min.time(), UTC) + timedelta(hours=6))
    chain.pay(parse_descriptor(OPERATION, "main").address(0), 40_000_000, confirm=True)
    chain.mine_until(NOW)
    cmc = FakeCmc(api_key="integration-cmc-key", now=lambda: NOW)
    cmc.day_prices[FRIDAY] = Decimal("91234.56")
    esplora_runner, esplora_port = await serve_esplora(chain)
    cmc_runner, cmc_port = await serve_cmc(cmc)
    try:
        path = _config(
            tmp_path,
            database_url,
            f"http://127.0.0.1:{esplora_port}/api",
            f"http://127.0.0.1:{cmc_port}{PATH}",
        )
        config = load_config(path)
        engine = open_engine(config.database)
        await upgrade(engine)
        days = [NOW.date() - timedelta(days=back) for back in range(15)]
        rates = [
            PriceQuoteRecord("USD", "KZT", "nbk-csv", day_start(day, ALMATY), Decimal(500))
            for day in days
        ]
        await Store(engine, FrozenClock(NOW)).record_prices(rates)
        await engine.dispose()
        async with Collector(config, FrozenClock(NOW), telemetry=False) as collector:
            results = await collector.run_once()
            target = f"127.0.0.1:{cmc_port}/1"
            assert results[target] == "ok"
            up = collector.registry.get_sample_value(
                "reservewatch_source_up", {"source": "official_price", "target": target}
            )
            assert up == 1.0
            stored = [
                q
                for q in await collector.store.price_quotes("BTC", "USD")
                if q.source == "cmc-daily"
            ]
            # 6 to 19 November less the two weekends: 10 working days, each once
            assert len(stored) == 10
            assert {q.recorded_at for q in stored} == {NOW}
            await collector.run_once()
            assert len(cmc.asked) == 1  # nothing missing: nothing asked again
    finally:
        await cmc_runner.cleanup()
        await esplora_runner.cleanup()

    def report(as_of: datetime) -> dict[str, object]:
        out = tmp_path / "report.json"
        done = run_cli("report", "reserve", "--config", str(path), "--period", "2026-11",
                       "--out", str(out), "--as-of", as_of.isoformat())  # fmt: skip
        assert done.returncode == 0, done.stderr
        official: dict[str, object] = json.loads(out.read_text())["report"]["official_valuation"]
        return official

    [inflow] = report(NOW + timedelta(minutes=1))["inflows"]  # type: ignore[misc]
    # Saturday's coins at Friday's average: 91,234.56 USD x 500 KZT/USD = 45,617,280 KZT/BTC
    assert (inflow["day"], inflow["price_day"], inflow["source"]) == (
        SATURDAY.isoformat(), FRIDAY.isoformat(), "cmc-daily*nbk-csv",
    )  # fmt: skip
    assert (inflow["price_kzt"], inflow["value_kzt"]) == ("45617280.00", "18246912.00")
    assert inflow["basis"] == CMC_BASIS
    pdf = tmp_path / "report-ru.pdf"
    as_of = (NOW + timedelta(minutes=1)).isoformat()
    done = run_cli("report", "reserve", "--config", str(path), "--period", "2026-11", "--out",
                   str(pdf), "--as-of", as_of, "--lang", "ru")  # fmt: skip
    assert done.returncode == 0, done.stderr
    text, _ = pdf_words(pdf.read_bytes(), tmp_path)
    assert "цены: среднесуточная цена CoinMarketCap по курсу Национального банка" in text

    csv = tmp_path / "official.csv"
    csv.write_text(f"date,asset,price_kzt\n{FRIDAY:%d.%m.%Y},BTC,46000000\n")
    done = run_cli("import", "official-prices", "--config", str(path), str(csv))
    assert done.returncode == 0, done.stderr
    # As of 20 November the report reads as it did; as of the import, the Committee's wins.
    assert report(NOW + timedelta(minutes=1))["inflows"] == [inflow]
    [imported] = report(datetime.now(UTC))["inflows"]  # type: ignore[misc]
    assert (imported["price_day"], imported["source"], imported["value_kzt"]) == (
        FRIDAY.isoformat(), "kgd-official", "18400000.00",
    )  # fmt: skip
    assert "basis" not in imported
