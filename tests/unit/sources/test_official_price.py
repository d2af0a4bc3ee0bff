"""CoinMarketCap's daily average as the official price's basis: the answer read field by field,
the job asking only for the working days the store lacks and storing each price with the
instant observed, the Committee's imported price winning its day, and the working-day rule
at pinned instants (a Friday, a Saturday, a holiday, 1 January, a leap day)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from pydantic import SecretStr

from collector.clock import FrozenClock
from collector.commands.rates_import import day_start
from collector.config.model import Config
from collector.config.official_price import OfficialPriceConfig
from collector.config.sections import DatabaseConfig
from collector.errors import SecretError, SourceBadResponse, SourceUnauthorized
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.official_price import (
    CmcDailyJob,
    build_official_price_jobs,
    due_days,
    load_official_prices,
    parse_cmc_quotes,
)
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from remittance.official_price import CMC_BASIS, SOURCE, WorkingCalendar, official_value
from simulator.fake_cmc import FakeCmc, serve

ALMATY = ZoneInfo("Asia/Almaty")
NOW = datetime(2027, 1, 6, 8, tzinfo=UTC)
KEY = "test-cmc-key-0123456789"
# Holidays shaped like Kazakhstan's: New Year, 8 March (a Monday in 2027), Nauryz 2028.
CALENDAR = WorkingCalendar(
    holidays=frozenset(
        {date(2027, 1, 1), date(2027, 1, 2), date(2027, 3, 8), date(2028, 1, 1), date(2028, 1, 2)}
    )
)
# An answer shaped as CoinMarketCap documents Quotes Historical v2 (id=1, interval=24h from
# 23:59 UTC); numbers as its JSON carries them.
ANSWER = """{"status": {"timestamp": "2027-01-06T08:00:01.123Z", "error_code": 0,
  "error_message": null, "elapsed": 12, "credit_count": 1, "notice": null},
 "data": {"1": {"id": 1, "name": "Bitcoin", "symbol": "BTC", "is_active": 1, "is_fiat": 0,
  "quotes": [
   {"timestamp": "2027-01-04T23:59:00.000Z", "quote": {"USD": {"price": 97012.3456789012,
    "volume_24h": 31234567890.12, "market_cap": 1921234567890.1, "circulating_supply": 19800000,
    "total_supply": 19800000, "timestamp": "2027-01-04T23:59:00.000Z"}}},
   {"timestamp": "2027-01-05T23:59:00.000Z", "quote": {"USD": {"price": 98100,
    "volume_24h": 30000000000, "market_cap": 1942380000000, "circulating_supply": 19800000,
    "total_supply": 19800000, "timestamp": "2027-01-05T23:59:00.000Z"}}}]}}}"""


def _parsed(text: str) -> object:
    return json.loads(text, parse_float=Decimal)


def test_the_answer_gives_each_utc_day_its_last_quote_exactly() -> None:
    assert parse_cmc_quotes(_parsed(ANSWER), 1) == {
        date(2027, 1, 4): Decimal("97012.3456789012"),
        date(2027, 1, 5): Decimal(98100),
    }


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (
            '{"status": {"error_code": 1006, "error_message": "Your plan does not support it"}}',
            "error_code 1006",
        ),
        ('{"status": {"error_code": 0}, "data": {"2": {"id": 2, "quotes": []}}}', "id 1"),
        ('{"data": {}}', "envelope"),
        (ANSWER.replace('"price": 98100', '"price": -1'), "positive"),
        (ANSWER.replace('"price": 98100', '"price": true'), "number"),
        (ANSWER.replace('"price": 98100', '"price": "98100"'), "number"),
        (ANSWER.replace("2027-01-05T23:59:00.000Z", "2027-02-30T23:59:00.000Z"), "no date"),
        (ANSWER.replace('"timestamp": "2027-01-05T23:59:00.000Z", "quote"', '"quote"'), "ISO"),
    ],
)
def test_a_refusal_or_a_bad_answer_is_a_bad_response_never_a_crash(answer: str, says: str) -> None:
    with pytest.raises(SourceBadResponse, match=says):
        parse_cmc_quotes(_parsed(answer), 1)


def test_only_working_days_whose_utc_day_has_ended_are_due() -> None:
    # Monday 4 January 2027, 03:00 UTC: Sunday's day ended, but 1-2 January are holidays and
    # the weekend has no price; 28-31 December are working days.
    now = datetime(2027, 1, 4, 3, tzinfo=UTC)
    assert due_days(now, 8, CALENDAR) == [
        date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31),
    ]  # fmt: skip


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Rig:
    cmc: FakeCmc
    store: Store
    clock: FrozenClock
    counters: RequestCounters
    job: CmcDailyJob


def _rig_job(
    base: str, key: str, http: HttpSource, store: Store, clock: FrozenClock
) -> CmcDailyJob:
    config = OfficialPriceConfig(
        url=f"{base}/v2/cryptocurrency/quotes/historical", api_key_env="CMC", lookback_days=10
    )
    return CmcDailyJob(config, SecretStr(key), http, store, clock, calendar=CALENDAR, zone=ALMATY)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    clock = FrozenClock(datetime(2027, 1, 6, 8, tzinfo=UTC))
    cmc = FakeCmc(api_key=KEY, now=clock.now)
    cmc.day_prices = {date(2027, 1, 4): Decimal("97012.34"), date(2027, 1, 5): Decimal(98100)}
    runner, port = await serve(cmc)
    counters = RequestCounters()
    async with Store(engine, clock) as store, aiohttp.ClientSession() as session:
        http = HttpSource(
            session, source="official_price", counters=counters, sleep=_no_sleep, retries=0
        )
        job = _rig_job(f"http://127.0.0.1:{port}", KEY, http, store, clock)
        yield Rig(cmc, store, clock, counters, job)
    await runner.cleanup()


async def test_the_job_asks_once_for_the_missing_days_and_stores_each_with_its_instant(
    rig: Rig,
) -> None:
    snapshot = await rig.job.poll()
    assert snapshot.asked == (
        date(2026, 12, 28), date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31),
        date(2027, 1, 4), date(2027, 1, 5),
    )  # fmt: skip
    [asked] = rig.cmc.asked
    assert asked == {
        "id": "1",
        "convert": "USD",
        "interval": "24h",
        "time_start": "2026-12-28T23:59:00Z",
        "time_end": "2027-01-06T00:00:00Z",
        "count": "9",
    }  # the key went in the header only
    stored = await rig.store.price_quotes("BTC", "USD")
    assert {(q.instant, q.rate, q.source, q.recorded_at) for q in stored} >= {
        (day_start(date(2027, 1, 4), ALMATY), Decimal("97012.34"), "cmc-daily", rig.clock.now()),
        (day_start(date(2027, 1, 5), ALMATY), Decimal(98100), "cmc-daily", rig.clock.now()),
    }
    assert len(stored) == 6  # the weekend and the holidays answered, never stored
    assert [p.day for p in snapshot.stored][-1] == date(2027, 1, 5)
    rig.clock.advance(3600)
    again = await rig.job.poll()
    assert (again.asked, again.stored, len(rig.cmc.asked)) == ((), (), 1)


async def test_a_day_the_committee_s_price_was_imported_for_is_not_asked(rig: Rig) -> None:
    imported = PriceQuoteRecord(
        "BTC", "KZT", SOURCE, day_start(date(2027, 1, 5), ALMATY), Decimal("46000000")
    )
    await rig.store.record_prices([imported])
    snapshot = await rig.job.poll()
    assert date(2027, 1, 5) not in snapshot.asked
    assert rig.cmc.asked[0]["time_end"] == "2027-01-05T00:00:00Z"


async def test_a_refused_key_is_unauthorized_and_the_key_appears_nowhere(rig: Rig) -> None:
    rig.cmc.api_key = "another-key"
    with pytest.raises(SourceUnauthorized) as refused:
        await rig.job.poll()
    assert "1001" in str(refused.value)
    assert KEY not in str(refused.value)
    assert rig.counters.value("official_price", "unauthorized") == 1
    assert await rig.store.price_quotes("BTC", "USD") == []


async def test_a_range_beyond_the_plan_is_a_bad_response_and_stores_nothing(rig: Rig) -> None:
    rig.cmc.history_days = 3
    with pytest.raises(SourceBadResponse, match="HTTP 400"):
        await rig.job.poll()
    assert rig.counters.value("official_price", "bad_response") == 1
    assert await rig.store.price_quotes("BTC", "USD") == []


async def _rate(store: Store, day: date, kzt: str) -> None:
    await store.record_prices(
        [PriceQuoteRecord("USD", "KZT", "nbk-csv", day_start(day, ALMATY), Decimal(kzt))]
    )


async def test_the_committee_s_price_wins_and_cmc_fills_a_day_at_that_day_s_rate(
    rig: Rig,
) -> None:
    await rig.job.poll()
    await _rate(rig.store, date(2027, 1, 4), "470.81")
    await _rate(rig.store, date(2027, 1, 5), "471")
    imported = PriceQuoteRecord(
        "BTC", "KZT", SOURCE, day_start(date(2027, 1, 5), ALMATY), Decimal("46000000")
    )
    await rig.store.record_prices([imported])
    prices = await load_official_prices(
        rig.store, date(2027, 1, 4), date(2027, 1, 5), ALMATY, as_of=rig.clock.now()
    )
    # 97,012.34 USD x 470.81 KZT/USD = 45,674,379.7954 KZT, exact
    assert prices[date(2027, 1, 4)].kzt_per_btc == Decimal("45674379.7954")
    assert prices[date(2027, 1, 4)].source == "cmc-daily*nbk-csv"
    assert (prices[date(2027, 1, 5)].kzt_per_btc, prices[date(2027, 1, 5)].source) == (
        Decimal("46000000"),
        SOURCE,
    )
    assert date(2026, 12, 31) not in prices  # CoinMarketCap's, but no National Bank rate
    valued = official_value(100_000_000, date(2027, 1, 4), prices, CALENDAR)
    assert valued is not None
    assert valued.doc()["basis"] == CMC_BASIS
    assert valued.doc()["value_kzt"] == "45674379.80"


@pytest.mark.parametrize(
    ("received", "price_day"),
    [
        (datetime(2027, 1, 8, 5, tzinfo=UTC), date(2027, 1, 8)),  # Friday 10:00 Almaty
        (datetime(2027, 1, 9, 5, tzinfo=UTC), date(2027, 1, 8)),  # Saturday: Friday's
        (datetime(2027, 3, 8, 5, tzinfo=UTC), date(2027, 3, 5)),  # 8 March, Monday: Friday's
        (datetime(2027, 12, 31, 20, tzinfo=UTC), date(2027, 12, 31)),  # 1 January 01:00 Almaty
        (datetime(2028, 2, 29, 5, tzinfo=UTC), date(2028, 2, 29)),  # a leap day, Tuesday
    ],
)
async def test_income_takes_its_almaty_day_s_price_or_the_last_working_day_s(
    rig: Rig, received: datetime, price_day: date
) -> None:
    # Poll two days after the income, as a running collector would have; the fake prices
    # each UTC day at 90,000 USD plus its day of the year.
    rig.clock.jump((received + timedelta(days=2) - rig.clock.now()).total_seconds())
    for back in range(10):
        day = received.date() - timedelta(days=back)
        rig.cmc.day_prices[day] = Decimal(90_000 + day.timetuple().tm_yday)
        await _rate(rig.store, day, "500")
    await rig.job.poll()
    day = received.astimezone(ALMATY).date()
    prices = await load_official_prices(rig.store, day, day, ALMATY, as_of=rig.clock.now())
    valued = official_value(100_000_000, day, prices, CALENDAR)
    assert valued is not None
    assert valued.price_day == price_day
    assert valued.kzt_per_btc == Decimal(90_000 + price_day.timetuple().tm_yday) * 500
    assert valued.source == "cmc-daily*nbk-csv"


@pytest.mark.parametrize(
    "keys",
    [{}, {"api_key_env": "CMC", "api_key_file": "/run/secrets/cmc"}],
)
def test_the_section_takes_exactly_one_key_reference_never_the_key(keys: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="exactly one of api_key_env"):
        OfficialPriceConfig.model_validate(keys)
    with pytest.raises(ValueError, match="Extra inputs"):
        OfficialPriceConfig.model_validate({"api_key_env": "CMC", "api_key": KEY})


def test_a_key_reference_that_points_nowhere_stops_the_start_naming_it_not_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RESERVEWATCH_TEST_NO_CMC_KEY", raising=False)
    config = Config.model_validate(
        {
            "database": f"sqlite+aiosqlite:///{tmp_path}/t.db",
            "official_price": {"api_key_env": "RESERVEWATCH_TEST_NO_CMC_KEY"},
        }
    )
    with pytest.raises(SecretError, match="RESERVEWATCH_TEST_NO_CMC_KEY is not set"):
        build_official_price_jobs(config, None, None, RequestCounters(), FrozenClock(NOW))  # type: ignore[arg-type]
    assert (
        build_official_price_jobs(
            Config.model_validate({}),
            None,
            None,
            RequestCounters(),
            FrozenClock(NOW),  # type: ignore[arg-type]
        )
        == []
    )
