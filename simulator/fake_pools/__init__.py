"""Fake mining-pool APIs on one loopback port, in each pool's documented format: one module per
pool (its answers beside its sources, registered in :data:`POOLS`), one server here.

Used by the tests and the demo (no pytest needed). Every pool lives under its own prefix, so an
account's ``base_url`` is ``server.base_url(kind)``::

    server = FakePoolServer(clock)
    await server.start()
    server.set_account("braiins", "ekibastuz1", token="t0k", hashrate_hs=1.2e17,
                       hashrate_24h_hs=1.1e17, workers_online=3200, workers_offline=14)
    server.set_earnings("braiins", "ekibastuz1", {date(2026, 3, 1): 12_345_678})
    server.misbehave("braiins", "server_error", times=2)
    ...
    await server.close()

Faults (``misbehave``): ``slow`` (answers after ``slow_s``), ``rate_limited`` (429 with
``Retry-After``; Braiins: no answer at all, as Braiins documents), ``server_error`` (500),
``unauthorized`` (the pool's own refusal), ``truncated`` (half a body), ``html`` (a proxy's
error page), ``wrong_account`` (another account's data), ``wrong_unit`` (Braiins: an unknown
``hash_rate_unit``), ``garbage`` (JSON of the wrong shape).
``serve_raw`` answers one path with a fixed body (a recorded payload) instead.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from collector.clock import Clock, SystemClock
from simulator.fake_pools import antpool, braiins, f2pool, foundry, luxor, ocean
from simulator.fake_pools.base import FakeAccount, PoolAccounts, PoolFake, Refused

FAULTS: Final = (
    "slow",
    "rate_limited",
    "server_error",
    "unauthorized",
    "truncated",
    "html",
    "wrong_account",
    "wrong_unit",
    "garbage",
)
POOLS: Final[Mapping[str, PoolFake]] = {
    pool.kind: pool
    for pool in (braiins.POOL, f2pool.POOL, antpool.POOL, foundry.POOL, luxor.POOL, ocean.POOL)
}
"""The pools served, by kind: adding one is a module with its ``POOL`` and a name here."""


@dataclass(frozen=True)
class RecordedRequest:
    kind: str
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: str


@dataclass
class _Fault:
    name: str
    times: int | None


@dataclass(frozen=True)
class _Raw:
    status: int
    body: str
    content_type: str


def _dumps(payload: Any) -> str:
    """JSON where Decimal values are written as exact numbers (as pools do), not strings."""
    marks: list[str] = []

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            marks.append(format(value, "f"))
            return f"\x00{len(marks) - 1}\x00"
        raise TypeError(type(value).__name__)

    text = json.dumps(payload, default=default)
    return re.sub(r'"\\u0000(\d+)\\u0000"', lambda m: marks[int(m.group(1))], text)


class FakePoolServer:
    """All supported pools' account APIs, one aiohttp server, state set by the test or demo."""

    def __init__(
        self, clock: Clock | None = None, *, slow_s: float = 5.0, retry_after_s: int = 1
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.slow_s = slow_s
        self.retry_after_s = retry_after_s
        self.requests: list[RecordedRequest] = []
        self._accounts = PoolAccounts(self.clock)
        self._faults: dict[str, _Fault] = {}
        self._raw: dict[tuple[str, str], _Raw] = {}
        self._runner: web.AppRunner | None = None
        self._url = ""

    # -- lifetime -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/{kind}/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = int(self._runner.addresses[0][1])
        self._url = f"http://{host}:{bound_port}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return self._url

    def base_url(self, kind: str) -> str:
        return f"{self._url}/{kind}"

    # -- state ----------------------------------------------------------------------------

    def set_account(
        self,
        kind: str,
        account: str,
        *,
        token: str | None = None,
        secret: str | None = None,
        hashrate_hs: float = 0.0,
        hashrate_24h_hs: float | None = None,
        workers_online: int = 0,
        workers_offline: int = 0,
    ) -> FakeAccount:
        """Create or update an account (for AntPool, ``account`` is the ``userId``)."""
        state = self._accounts.setdefault(kind, account)
        state.token = token if token is not None else state.token
        state.secret = secret if secret is not None else state.secret
        state.hashrate_hs = hashrate_hs
        state.hashrate_24h_hs = hashrate_hs if hashrate_24h_hs is None else hashrate_24h_hs
        state.workers_online = workers_online
        state.workers_offline = workers_offline
        return state

    def set_earnings(
        self,
        kind: str,
        account: str,
        earnings_sat: Mapping[date, int],
        day_hashrate_hs: Mapping[date, float] | None = None,
    ) -> None:
        """Set (add or replace) the amounts credited per UTC mining day."""
        state = self._accounts.existing(kind, account)
        state.earnings_sat.update(earnings_sat)
        state.day_hashrate_hs.update(day_hashrate_hs or {})

    def add_other_row(self, kind: str, account: str, day: date, what: str, amount_sat: int) -> None:
        """Credit a row of another kind on ``day``: an F2Pool ``type`` other than revenue, a
        Luxor ``transaction_category`` other than "Miner Revenue" and "LuxOS Rebate"."""
        rows = self._accounts.existing(kind, account).other_rows
        rows.setdefault(day, []).append((what, amount_sat))

    def misbehave(self, kind: str, fault: str | None, times: int | None = None) -> None:
        """Make ``kind`` answer with ``fault`` (``times`` requests, or until cleared with None)."""
        if fault is None:
            self._faults.pop(kind, None)
            return
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        self._faults[kind] = _Fault(fault, times)

    def serve_raw(
        self,
        kind: str,
        path: str,
        body: str,
        *,
        status: int = 200,
        content_type: str = "application/json",
    ) -> None:
        """Answer ``/<kind><path>`` (path without query) with exactly ``body``."""
        self._raw[(kind, path)] = _Raw(status, body, content_type)

    def requests_to(self, kind: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.kind == kind]

    # -- dispatch -------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        path = "/" + request.match_info["tail"]
        body = await request.text()
        self.requests.append(
            RecordedRequest(
                kind, request.method, path, dict(request.query), dict(request.headers), body
            )
        )
        raw = self._raw.get((kind, path))
        if raw is not None:
            return web.Response(status=raw.status, text=raw.body, content_type=raw.content_type)
        pool = POOLS.get(kind)
        if pool is None:
            return web.Response(status=404, text="no such pool")
        if request.method != pool.method:
            # Each pool documents one method; the answer to another is HTTP's own (RFC 9110
            # §15.5.6), what the pools send is unconfirmed (tests/fixtures/pools/README.md).
            return web.Response(
                status=405, text="Method Not Allowed", headers={"Allow": pool.method}
            )
        fault = self._take_fault(kind)
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
        elif fault == "rate_limited" and pool.silent_when_rate_limited:
            # Braiins (see its module): the fake holds the request unanswered, then drops the
            # connection: the client can only time out.
            await asyncio.sleep(self.slow_s)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=204)
        elif fault == "rate_limited":
            return web.Response(
                status=429,
                text="Too Many Requests",
                headers={"Retry-After": str(self.retry_after_s)},
            )
        elif fault == "server_error":
            return web.Response(status=500, text="Internal Server Error")
        elif fault == "html":
            return web.Response(
                text="<html><body><h1>502 Bad Gateway</h1></body></html>", content_type="text/html"
            )
        elif fault == "garbage":
            return web.json_response({"unexpected": [1, 2, 3]})
        try:
            if fault == "unauthorized":
                raise Refused
            answer = await pool.answer(self._accounts, request, path, body, fault)
        except Refused:
            return pool.refusal()
        if isinstance(answer, web.StreamResponse):
            return answer
        text = _dumps(answer)
        if fault == "truncated":
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="application/json")

    def _take_fault(self, kind: str) -> str | None:
        fault = self._faults.get(kind)
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[kind]
        return fault.name
