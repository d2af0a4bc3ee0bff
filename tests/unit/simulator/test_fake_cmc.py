"""The fake CoinMarketCap answers in CoinMarketCap's envelope and refuses what it refuses: no
key (401, 1002), a wrong key (401, 1001), an unknown id or interval and a range the plan does
not reach (400), the rate limit (429, 1008); it never quotes a day that has not come."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from simulator.fake_cmc import PATH, FakeCmc, serve

NOW = datetime(2027, 1, 6, 8, tzinfo=UTC)
KEY = {"X-CMC_PRO_API_KEY": "fake-cmc-key"}
DAYS = {
    "id": "1",
    "convert": "USD",
    "interval": "24h",
    "time_start": "2027-01-03T23:59:00Z",
    "time_end": "2027-01-08T00:00:00Z",
    "count": "5",
}


@dataclass
class Ask:
    """Asks the served fake (``cmc``) and reads its JSON answer exactly."""

    cmc: FakeCmc
    session: aiohttp.ClientSession
    url: str

    async def __call__(
        self, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.session.get(self.url, params=params, headers=headers or {}) as answer:
            return answer.status, json.loads(await answer.text(), parse_float=Decimal)


@pytest.fixture
async def ask() -> AsyncIterator[Ask]:
    cmc = FakeCmc(now=lambda: NOW, history_days=30)
    runner, port = await serve(cmc)
    async with aiohttp.ClientSession() as session:
        yield Ask(cmc, session, f"http://127.0.0.1:{port}{PATH}")
    await runner.cleanup()


async def test_the_answer_is_the_envelope_with_one_quote_per_ended_day(ask: Ask) -> None:
    status, doc = await ask(DAYS, KEY)
    assert status == 200
    assert (doc["status"]["error_code"], doc["status"]["error_message"]) == (0, None)
    bitcoin = doc["data"]["1"]
    assert (bitcoin["id"], bitcoin["symbol"]) == (1, "BTC")
    # 3, 4 and 5 January at 23:59; 6 January's has not come at 08:00
    assert [q["timestamp"] for q in bitcoin["quotes"]] == [
        "2027-01-03T23:59:00.000Z",
        "2027-01-04T23:59:00.000Z",
        "2027-01-05T23:59:00.000Z",
    ]
    assert bitcoin["quotes"][0]["quote"]["USD"]["price"] == Decimal("97000.12")


async def test_daily_gives_each_day_s_first_quote(ask: Ask) -> None:
    status, doc = await ask({**DAYS, "interval": "daily"}, KEY)
    assert status == 200
    assert doc["data"]["1"]["quotes"][0]["timestamp"] == "2027-01-04T00:00:00.000Z"


@pytest.mark.parametrize(
    ("params", "headers", "status", "code"),
    [
        (DAYS, {}, 401, 1002),
        (DAYS, {"X-CMC_PRO_API_KEY": "wrong"}, 401, 1001),
        ({**DAYS, "id": "999999"}, KEY, 400, 400),
        ({k: v for k, v in DAYS.items() if k != "id"}, KEY, 400, 400),
        ({**DAYS, "interval": "fortnightly"}, KEY, 400, 400),
        ({**DAYS, "time_start": "2026-11-01T23:59:00Z"}, KEY, 400, 400),  # beyond 30 days
        ({**DAYS, "time_end": "2027-01-01T00:00:00Z"}, KEY, 400, 400),
    ],
)
async def test_what_cmc_refuses_is_refused_in_its_envelope(
    ask: Ask, params: dict[str, str], headers: dict[str, str], status: int, code: int
) -> None:
    got, doc = await ask(params, headers)
    assert (got, doc["status"]["error_code"]) == (status, code)
    assert doc["status"]["error_message"]
    assert "data" not in doc


async def test_the_rate_limit_answers_429_with_1008(ask: Ask) -> None:
    ask.cmc.fail_next("rate_limited")
    status, doc = await ask(DAYS, KEY)
    assert (status, doc["status"]["error_code"]) == (429, 1008)
    assert (await ask(DAYS, KEY))[0] == 200
