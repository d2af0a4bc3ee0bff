"""A fake Kraken public ticker, in Kraken's format, for tests and the demo.

``GET /0/public/Ticker?pair=XBTUSD`` (or ``XXBTZUSD``) answers, as Kraken's "Get Ticker
Information" does (https://docs.kraken.com/rest/#tag/Market-Data/operation/getTickerInformation)::

    {"error": [], "result": {"XXBTZUSD": {"a": [ask, whole lot volume, lot volume],
        "b": [bid, ...], "c": [last trade price, lot volume], "v": [today, 24 h],
        "p": [vwap today, 24 h], "t": [trades today, 24 h], "l": [...], "h": [...],
        "o": "opening price"}}}

Prices are decimal strings with five places. Refusals come as Kraken sends them, with HTTP
200 and no result: an unknown or missing pair answers ``{"error": ["EQuery:Unknown asset
pair"]}``. :meth:`FakeTicker.fail_next` queues misbehaviours for fault tests: ``"server"`` (a
502 gateway error), ``"unavailable"`` (``EService:Unavailable``, 200)
or ``"html"`` (an HTML page with 200).

    python -m simulator.fake_prices --port 3003 --usd 97000
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from aiohttp import web

from simulator.serving import serve_app

PAIRS = {"XBTUSD": "XXBTZUSD", "XXBTZUSD": "XXBTZUSD"}
Fault = Literal["server", "unavailable", "html"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _five(value: Decimal) -> str:
    return f"{value:.5f}"


@dataclass
class FakeTicker:
    """The ticker's state: the last trade's USD price, and faults to answer next."""

    usd_per_btc: Decimal = Decimal("97000.00000")
    requests: int = 0
    faults: list[Fault] = field(default_factory=list)

    def fail_next(self, fault: Fault, count: int = 1) -> None:
        self.faults.extend([fault] * count)

    def ticker_json(self) -> dict[str, object]:
        last = self.usd_per_btc
        spread = Decimal("0.10000")
        return {
            "a": [_five(last + spread), "1", "1.000"],
            "b": [_five(last), "2", "2.000"],
            "c": [_five(last), "0.00067643"],
            "v": ["1000.12345678", "3000.87654321"],
            "p": [_five(last), _five(last)],
            "t": [12345, 45678],
            "l": [_five(last - 500), _five(last - 900)],
            "h": [_five(last + 500), _five(last + 900)],
            "o": _five(last - 100),
        }


TICKER_KEY = web.AppKey("ticker", FakeTicker)


def _error(*errors: str) -> web.Response:
    return web.json_response({"error": list(errors)})


async def _ticker(request: web.Request) -> web.Response:
    state = request.app[TICKER_KEY]
    state.requests += 1
    if state.faults:
        fault = state.faults.pop(0)
        if fault == "server":
            return web.Response(status=502, text="<html>Bad gateway</html>")
        if fault == "html":
            return web.Response(text="<!DOCTYPE html><html>maintenance</html>")
        return _error("EService:Unavailable")
    pair = request.query.get("pair", "")
    name = PAIRS.get(pair.upper())
    if name is None:
        return _error("EQuery:Unknown asset pair")
    return web.json_response({"error": [], "result": {name: state.ticker_json()}})


def build_app(state: FakeTicker) -> web.Application:
    app = web.Application()
    app[TICKER_KEY] = state
    app.router.add_get("/0/public/Ticker", _ticker)
    return app


async def serve(
    state: FakeTicker, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving ``state``; returns the runner (call ``cleanup()``) and the bound port."""
    return await serve_app(build_app(state), host, port)


async def _main(port: int, usd: Decimal) -> None:
    runner, bound = await serve(FakeTicker(usd), port=port)
    print(json.dumps({"fake_kraken": f"http://127.0.0.1:{bound}/0/public/Ticker?pair=XBTUSD"}))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=3003)
    parser.add_argument("--usd", type=Decimal, default=Decimal(97000), help="USD per BTC")
    args = parser.parse_args()
    asyncio.run(_main(args.port, args.usd))


if __name__ == "__main__":
    main()
