"""A fake CoinMarketCap Pro API: Quotes Historical v2, in CoinMarketCap's format, refusing what
it refuses. For tests and the demo.

``GET /v2/cryptocurrency/quotes/historical?id=1&convert=USD&interval=24h&time_start=...
&time_end=...&count=N`` with the key in ``X-CMC_PRO_API_KEY`` (or the ``CMC_PRO_API_KEY``
query parameter CoinMarketCap also accepts) answers as CoinMarketCap documents it
("Quotes Historical v2", https://coinmarketcap.com/api/documentation/v1/ ; the standard
envelope, https://coinmarketcap.com/academy/article/how-to-read-coinmarketcaps-standardized-json-response-format)::

    {"status": {"timestamp": "2027-01-06T08:00:00.000Z", "error_code": 0,
                "error_message": null, "elapsed": 10, "credit_count": 1, "notice": null},
     "data": {"1": {"id": 1, "name": "Bitcoin", "symbol": "BTC", "is_active": 1,
                    "is_fiat": 0, "quotes": [
        {"timestamp": "2027-01-04T23:59:00.000Z",
         "quote": {"USD": {"price": 97000.12, "volume_24h": 3.1e10, "market_cap": 1.9e12,
                           "circulating_supply": 19800000, "total_supply": 19800000,
                           "timestamp": "2027-01-04T23:59:00.000Z"}}}]}}}

A quote every ``interval`` (``24h``/``daily``/``1d``; ``daily`` gives each day's first, at
00:00) from ``time_start`` up to ``time_end`` (exclusive), at most ``count``, none after
"now"; prices are JSON numbers. Refusals carry the same ``status`` with the HTTP status
CoinMarketCap gives ("Rate limits and troubleshooting",
https://coinmarketcap.com/api/documentation/guides/errors-and-rate-limits): no key, 401 with
1002; a wrong key, 401 with 1001 ("This API Key is invalid."); a bad parameter (an id not
listed, a missing id, an unknown interval or convert, a range ending before it starts, a
``time_start`` older than the plan's ``history_days``), 400 with ``error_code`` 400. Those
messages are paraphrased: only the codes and statuses are CoinMarketCap's documented ones.
:meth:`FakeCmc.fail_next` queues ``"rate_limited"`` (429 with 1008, the per-minute limit) or
``"server"`` (500).

    python -m simulator.fake_cmc --port 3005 --key demo-key --usd 97000
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from aiohttp import web

from simulator.serving import serve_app

PATH = "/v2/cryptocurrency/quotes/historical"
ASSETS = {1: ("Bitcoin", "BTC")}
SUPPLY = 19_800_000
Fault = Literal["rate_limited", "server"]
_INTERVALS = {"24h": timedelta(hours=24), "1d": timedelta(days=1), "daily": timedelta(days=1)}


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FakeCmc:
    """The fake's state: the key it accepts, each UTC day's price, the plan's reach back.

    ``usd_per_btc`` prices every day ``day_prices`` does not; ``now`` is the fake's clock
    (no quote after it; the plan's window counts back from it)."""

    api_key: str = "fake-cmc-key"
    usd_per_btc: Decimal = Decimal("97000.12")
    day_prices: dict[date, Decimal] = field(default_factory=dict)
    history_days: int = 365
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    asked: list[dict[str, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    def fail_next(self, fault: Fault, count: int = 1) -> None:
        self.faults.extend([fault] * count)

    def price(self, day: date) -> Decimal:
        return self.day_prices.get(day, self.usd_per_btc)


CMC_KEY = web.AppKey("cmc", FakeCmc)


def _answer(state: FakeCmc, code: int, message: str | None, data: Any) -> str:
    doc: dict[str, Any] = {
        "status": {
            "timestamp": _stamp(state.now()),
            "error_code": code,
            "error_message": message,
            "elapsed": 10,
            "credit_count": 0 if code else 1,
            "notice": None,
        },
    }
    if data is not None:
        doc["data"] = data
    # Prices go out as JSON numbers, exactly as held (no float on the way).
    text = json.dumps(doc, default=lambda d: f"@@{d}@@")
    return text.replace('"@@', "").replace('@@"', "")


def _refuse(state: FakeCmc, http_status: int, code: int, message: str) -> web.Response:
    return web.Response(
        status=http_status,
        text=_answer(state, code, message, None),
        content_type="application/json",
    )


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _quote(state: FakeCmc, at: datetime) -> dict[str, Any]:
    price = state.price(at.date())
    usd = {
        "price": price,
        "volume_24h": Decimal("31000000000.5"),
        "market_cap": price * SUPPLY,
        "circulating_supply": SUPPLY,
        "total_supply": SUPPLY,
        "timestamp": _stamp(at),
    }
    return {"timestamp": _stamp(at), "quote": {"USD": usd}}


def _checked(state: FakeCmc, query: Any) -> tuple[datetime, datetime] | str:
    """The asked range, or why CoinMarketCap would refuse these parameters (400)."""
    ids = query.get("id")
    if ids is None:
        return '"id" (or "symbol" or "slug") is required'
    if not ids.isdigit() or int(ids) not in ASSETS:
        return f'Invalid value for "id": "{ids[:20]}"'
    if query.get("interval", "5m") not in _INTERVALS:
        return f'Invalid value for "interval": "{query.get("interval", "")[:20]}"'
    if query.get("convert", "USD") != "USD":
        return f'Invalid value for "convert": "{query.get("convert", "")[:20]}"'
    start, end = _instant(query.get("time_start")), _instant(query.get("time_end"))
    if start is None or end is None:
        return '"time_start" and "time_end" must be ISO 8601 or Unix timestamps'
    if end <= start:
        return '"time_end" must be after "time_start"'
    if start < state.now() - timedelta(days=state.history_days):
        return f"Your plan is limited to {state.history_days} days of historical data"
    return start, end


async def _historical(request: web.Request) -> web.Response:
    state = request.app[CMC_KEY]
    query = request.query
    state.asked.append({k: v for k, v in query.items() if k != "CMC_PRO_API_KEY"})
    key = request.headers.get("X-CMC_PRO_API_KEY") or query.get("CMC_PRO_API_KEY")
    if not key:
        return _refuse(state, 401, 1002, "API key missing.")
    if key != state.api_key:
        return _refuse(state, 401, 1001, "This API Key is invalid.")
    if state.faults:
        if state.faults.pop(0) == "rate_limited":
            return _refuse(state, 429, 1008, "You've exceeded your API Key's rate limit.")
        return _refuse(state, 500, 500, "An internal server error occurred.")
    checked = _checked(state, query)
    if isinstance(checked, str):
        return _refuse(state, 400, 400, checked)
    at, end = checked
    if query["interval"] == "daily" and at.time() != time():  # each day's first, at 00:00
        at = datetime.combine(at.date() + timedelta(days=1), time(), UTC)
    count_text = query.get("count", "10")
    count = int(count_text) if count_text.isdigit() else 10
    quotes: list[dict[str, Any]] = []
    while at < end and at <= state.now() and len(quotes) < count:
        quotes.append(_quote(state, at))
        at += _INTERVALS[query["interval"]]
    asset_id = int(query["id"])
    name, symbol = ASSETS[asset_id]
    asset = {"id": asset_id, "name": name, "symbol": symbol, "is_active": 1, "is_fiat": 0}
    data = {str(asset_id): {**asset, "quotes": quotes}}
    return web.Response(text=_answer(state, 0, None, data), content_type="application/json")


def build_app(state: FakeCmc) -> web.Application:
    app = web.Application()
    app[CMC_KEY] = state
    app.router.add_get(PATH, _historical)
    return app


async def serve(
    state: FakeCmc, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving ``state``; returns the runner (call ``cleanup()``) and the bound port."""
    return await serve_app(build_app(state), host, port)


async def _main(port: int, key: str, usd: Decimal) -> None:
    runner, bound = await serve(FakeCmc(api_key=key, usd_per_btc=usd), port=port)
    print(json.dumps({"fake_cmc": f"http://127.0.0.1:{bound}{PATH}"}))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=3005)
    parser.add_argument("--key", default="fake-cmc-key", help="the API key it accepts")
    parser.add_argument("--usd", type=Decimal, default=Decimal("97000.12"), help="USD per BTC")
    args = parser.parse_args()
    asyncio.run(_main(args.port, args.key, args.usd))


if __name__ == "__main__":
    main()
