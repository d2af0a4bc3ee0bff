"""Fake mining-pool APIs on one loopback port, in each pool's documented format.

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
import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from collector.clock import Clock, SystemClock
from remittance.money import SAT_PER_BTC

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
OTHER_ACCOUNT: Final = "someone-else"
ANTPOOL_MAX_PAGE_SIZE: Final = 50  # paymentHistoryV2's largest page (pool-apis.md §1.12)
# The one HTTP method each pool's API takes (tests/fixtures/pools/README.md cites each): F2Pool's
# v2 and AntPool's user API are POST only, the others GET.
LUXOR_TICKS: Final = ("5m", "1h", "1d", "1w", "1M")
LUXOR_REVENUE_DAYS: Final = 45  # how far back /revenue answers (BitFactory's live test)
METHODS: Final = {
    "braiins": "GET",
    "f2pool": "POST",
    "antpool": "POST",
    "foundry": "GET",
    "luxor": "GET",
    "ocean": "GET",
}


@dataclass
class FakeAccount:
    kind: str
    account: str
    token: str | None = None
    secret: str | None = None
    hashrate_hs: float = 0.0
    hashrate_24h_hs: float = 0.0
    workers_online: int = 0
    workers_offline: int = 0
    earnings_sat: dict[date, int] = field(default_factory=dict)
    day_hashrate_hs: dict[date, float] = field(default_factory=dict)
    other_rows: dict[date, list[tuple[str, int]]] = field(default_factory=dict)
    """Rows of other kinds per mining day (F2Pool: a ``type``; Luxor: a category)."""
    last_nonce: int = 0
    """AntPool: the largest nonce accepted so far (each request's must be larger)."""


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


class _Refused(Exception):
    """Raised inside a handler: answer with this pool's own refusal."""


def _btc(sat: int) -> Decimal:
    return (Decimal(sat) / SAT_PER_BTC).quantize(Decimal("0.00000001"))


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


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakePoolServer:
    """All supported pools' account APIs, one aiohttp server, state set by the test or demo."""

    def __init__(
        self, clock: Clock | None = None, *, slow_s: float = 5.0, retry_after_s: int = 1
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.slow_s = slow_s
        self.retry_after_s = retry_after_s
        self.requests: list[RecordedRequest] = []
        self._accounts: dict[tuple[str, str], FakeAccount] = {}
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
        state = self._accounts.setdefault((kind, account), FakeAccount(kind, account))
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
        state = self._accounts[(kind, account)]
        state.earnings_sat.update(earnings_sat)
        state.day_hashrate_hs.update(day_hashrate_hs or {})

    def add_other_row(self, kind: str, account: str, day: date, what: str, amount_sat: int) -> None:
        """Credit a row of another kind on ``day``: an F2Pool ``type`` other than revenue, a
        Luxor ``transaction_category`` other than "Miner Revenue" and "LuxOS Rebate"."""
        self._accounts[(kind, account)].other_rows.setdefault(day, []).append((what, amount_sat))

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
        handler = self._handlers().get(kind)
        if handler is None:
            return web.Response(status=404, text="no such pool")
        if request.method != METHODS[kind]:
            # Each pool documents one method; the answer to another is HTTP's own (RFC 9110
            # §15.5.6), what the pools send is unconfirmed (tests/fixtures/pools/README.md).
            return web.Response(
                status=405, text="Method Not Allowed", headers={"Allow": METHODS[kind]}
            )
        fault = self._take_fault(kind)
        if fault == "slow":
            await asyncio.sleep(self.slow_s)
        elif fault == "rate_limited" and kind == "braiins":
            # Braiins answers no 429: requests beyond its pace (about one per 5 s) are
            # silently ignored, and sustained excess gets the IP banned (academy.braiins.com
            # braiins-pool/monitoring; pool-apis.md §1.1, §1.12). The fake holds the request
            # unanswered, then drops the connection: the client can only time out.
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
                raise _Refused
            answer = await handler(request, path, body, fault)
        except _Refused:
            return self._refusal(kind)
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

    def _refusal(self, kind: str) -> web.Response:
        if kind == "braiins":
            return web.Response(status=403, text="Invalid Access Profile token")
        if kind == "f2pool":
            return web.json_response({"code": 5010, "msg": "permission_denied: invalid secret"})
        if kind == "antpool":
            return web.json_response({"code": 1, "message": "signature error", "data": None})
        return web.json_response({"error": "unauthorized"}, status=401)

    def _handlers(
        self,
    ) -> dict[str, Callable[[web.Request, str, str, str | None], Awaitable[Any]]]:
        return {
            "braiins": self._braiins,
            "f2pool": self._f2pool,
            "antpool": self._antpool,
            "foundry": self._foundry,
            "luxor": self._luxor,
            "ocean": self._ocean,
        }

    def _by_token(self, kind: str, token: str | None) -> FakeAccount:
        for (account_kind, _), state in self._accounts.items():
            if account_kind == kind and token is not None and state.token == token:
                return state
        raise _Refused

    def _named(self, kind: str, account: str) -> FakeAccount:
        state = self._accounts.get((kind, account))
        if state is None:
            raise _Refused
        return state

    @staticmethod
    def _shown(state: FakeAccount, fault: str | None) -> str:
        return OTHER_ACCOUNT if fault == "wrong_account" else state.account

    def _days(self, state: FakeAccount, start: date, end: date) -> list[tuple[date, int]]:
        return sorted((d, a) for d, a in state.earnings_sat.items() if start <= d < end)

    # -- Braiins --------------------------------------------------------------------------

    async def _braiins(self, request: web.Request, path: str, body: str, fault: str | None) -> Any:
        token = request.headers.get("Pool-Auth-Token") or request.headers.get(
            "SlushPool-Auth-Token"
        )
        state = self._by_token("braiins", token)
        unit, scale = ("Zh/s", Decimal(1)) if fault == "wrong_unit" else ("Gh/s", Decimal(10**9))
        now = self.clock.now()
        if path == "/accounts/profile/json/btc/":
            return {
                "username": self._shown(state, fault),
                "btc": {
                    "all_time_reward": "1.23456789",
                    "hash_rate_unit": unit,
                    "hash_rate_5m": Decimal(str(state.hashrate_hs)) / scale,
                    "hash_rate_60m": Decimal(str(state.hashrate_hs)) / scale,
                    "hash_rate_24h": Decimal(str(state.hashrate_24h_hs)) / scale,
                    "hash_rate_yesterday": Decimal(str(state.hashrate_24h_hs)) / scale,
                    "low_workers": 0,
                    "off_workers": state.workers_offline,
                    "ok_workers": state.workers_online,
                    "dis_workers": 0,
                    "current_balance": "0.01234567",
                    "today_reward": "0.00012345",
                    "estimated_reward": "0.00023456",
                    "shares_5m": 1000,
                    "shares_60m": 12000,
                    "shares_24h": 288000,
                    "shares_yesterday": 288000,
                },
            }
        if path == "/accounts/workers/json/btc":
            workers: dict[str, Any] = {}
            shown = self._shown(state, fault)
            total = state.workers_online + state.workers_offline
            for index in range(total):
                online = index < state.workers_online
                last_share = now - timedelta(seconds=60 if online else 7200)
                # The pool's own flag lags (re-evaluated every 5 minutes): an offline worker
                # still says "ok" here, so adapters must use last_share.
                # Keys: bare names in the exporter's captures ("worker-a"), "<account>.<name>"
                # as miners log in; which the API writes is unconfirmed: the fake writes both.
                name = f"worker{index}" if index % 2 else f"{shown}.worker{index}"
                workers[name] = {
                    "state": "ok",
                    "last_share": int(last_share.timestamp()),
                    "hash_rate_unit": unit,
                    "hash_rate_5m": 100000 if online else 0,
                    "hash_rate_60m": 100000,
                    "hash_rate_24h": 100000,
                    "shares_5m": 10,
                    "shares_60m": 120,
                    "shares_24h": 2880,
                }
            return {"btc": {"workers": workers}}
        if path == "/accounts/rewards/json/btc":
            start = date.fromisoformat(request.query["from"])
            end = date.fromisoformat(request.query["to"]) + timedelta(days=1)
            # total_reward includes referral income (pool-apis.md §1.11): the fake credits a
            # small referral reward each day, so an adapter that counts total_reward is caught.
            # Braiins OS+ rebates part of the pool fee (bos_plus_reward): mined is
            # mining_reward + bos_plus_reward, so the fake splits each day's amount in two.
            referral = 1_000
            rewards = []
            for day, amount in reversed(self._days(state, start, end)):
                rebate = amount // 50
                rewards.append(
                    {
                        "date": int(_day_start(day).timestamp()),
                        "total_reward": str(_btc(amount + referral)),
                        "mining_reward": str(_btc(amount - rebate)),
                        "bos_plus_reward": str(_btc(rebate)),
                        "referral_bonus": "0.00000000",
                        "referral_reward": str(_btc(referral)),
                        "calculation_date": int((_day_start(day) + timedelta(days=1)).timestamp()),
                    }
                )
            return {"btc": {"daily_rewards": rewards}}
        if path == "/accounts/hash_rate_daily/json/btc":
            # It ignores from/to and answers a rolling ~188 days (afaqueadmin/BitFactory
            # src/lib/braiins.ts, checked against the live API; pool-apis.md §1.12); each row
            # carries its own unit. (Newest first is the fake's choice, not a source's.)
            today = now.date()
            rows = [
                {
                    "date": int(_day_start(day).timestamp()),
                    "hash_rate_unit": unit,
                    "hash_rate_24h": Decimal(str(rate)) / scale,
                    "total_shares": 288_000,
                }
                for day, rate in sorted(state.day_hashrate_hs.items(), reverse=True)
                if today - timedelta(days=188) <= day < today
            ]
            return {"btc": rows}
        return web.Response(status=404, text="Not Found")

    # -- F2Pool ---------------------------------------------------------------------------

    async def _f2pool(self, request: web.Request, path: str, body: str, fault: str | None) -> Any:
        params = json.loads(body or "{}")
        state = self._named("f2pool", str(params.get("mining_user_name")))
        if request.headers.get("F2P-API-SECRET") != state.token:
            raise _Refused
        # Every request names its coin (api.f2pool.com/v2/doc/en.html: the body's `currency`,
        # one of the values the doc lists); errors are {"code", "msg": "error_type: ..."}.
        if not params.get("currency"):
            return {"code": 5001, "msg": "params_error: currency is required"}
        now = self.clock.now()
        if path == "/v2/hash_rate/info":
            return {
                "info": {
                    "name": self._shown(state, fault),
                    "hash_rate": state.hashrate_hs,
                    "h1_hash_rate": state.hashrate_hs,
                    "h24_hash_rate": state.hashrate_24h_hs,
                    "h1_stale_hash_rate": 0,
                    "h24_stale_hash_rate": 0,
                    "h24_delay_hash_rate": 0,
                    "local_hash_rate": state.hashrate_hs,
                    "h24_local_hash_rate": state.hashrate_24h_hs,
                }
            }
        if path == "/v2/hash_rate/worker/list":
            workers = []
            for index in range(state.workers_online + state.workers_offline):
                online = index < state.workers_online
                workers.append(
                    {
                        "hash_rate_info": {
                            "name": f"worker{index}",
                            "hash_rate": 1.0e14 if online else 0,
                            "h1_hash_rate": 1.0e14,
                            "h24_hash_rate": 1.0e14,
                        },
                        "last_share_at": int(now.timestamp()) - (60 if online else 7200),
                        "status": 0,  # unreliable: adapters use last_share_at
                        "host": "",
                    }
                )
            return {"workers": workers}
        if path == "/v2/assets/transactions/list":
            # Whether start_time/end_time filter on mining or settlement time is not
            # documented (pool-apis.md §1.11): the fake takes the harder reading, settlement
            # (02:00 UTC the day after mining), so a window that ends at a mining day's end
            # misses that day.
            start_at = datetime.fromtimestamp(int(params["start_time"]), UTC)
            end_at = datetime.fromtimestamp(int(params["end_time"]), UTC)
            if end_at <= start_at:  # pool-apis.md §1.12: end_time must be later
                return {"code": 5001, "msg": "params_error: end_time must be later than start_time"}
            transactions = []
            for day, amount in sorted(state.earnings_sat.items()):
                settle = _day_start(day) + timedelta(days=1, hours=2)
                if not start_at <= settle < end_at or settle > now:
                    continue
                transactions.append(
                    {
                        "id": int(settle.timestamp()),
                        "type": "revenue_fpps",
                        "changed_balance": _btc(amount),
                        "created_at": int(settle.timestamp()),
                        "mining_extra": {
                            "mining_date": int(_day_start(day).timestamp()),
                            "settle_date": int(settle.timestamp()),
                            "pps": _btc(amount),
                            "pps_fee_rate": Decimal("0.04"),
                            "tx_fee": 0,
                            "tx_fee_rate": 0,
                            "hash_rate": state.day_hashrate_hs.get(day, state.hashrate_24h_hs),
                        },
                        "payout_extra": None,
                    }
                )
                for kind, extra_sat in state.other_rows.get(day, ()):
                    transactions.append(
                        {
                            "id": int(settle.timestamp()) + 1,
                            "type": kind,
                            "changed_balance": _btc(extra_sat),
                            "created_at": int(settle.timestamp()),
                            "mining_extra": {"mining_date": int(_day_start(day).timestamp())},
                            "payout_extra": None,
                        }
                    )
            return {"transactions": transactions}
        return {"code": 5001, "msg": f"params_error: unknown request {path}"}

    # -- AntPool --------------------------------------------------------------------------

    async def _antpool(self, request: web.Request, path: str, body: str, fault: str | None) -> Any:
        form = {k: str(v) for k, v in (await request.post()).items()}
        state = self._named("antpool", form.get("userId", ""))
        expected = (
            hmac.new(
                (state.secret or "").encode(),
                f"{state.account}{form.get('key', '')}{form.get('nonce', '')}".encode(),
                hashlib.sha256,
            )
            .hexdigest()
            .upper()
        )
        if form.get("key") != state.token or not hmac.compare_digest(
            form.get("signature", ""), expected
        ):
            raise _Refused
        # The nonce must increase from one request to the next (pool-apis.md §1.4, §1.12):
        # a repeated or smaller one is refused (the wording is ours, AntPool's unpublished).
        nonce = form.get("nonce", "")
        if not nonce.isdigit() or int(nonce) <= state.last_nonce:
            return {"code": 1, "message": "nonce must increase", "data": None}
        state.last_nonce = int(nonce)
        if path == "/api/accountOverview.htm":
            return {
                "code": 0,
                "message": "ok",
                "data": {
                    "userId": self._shown(state, fault),
                    "hsLast10m": str(int(state.hashrate_hs)),
                    "hsLast1h": str(int(state.hashrate_hs)),
                    "hsLast1d": str(int(state.hashrate_24h_hs)),
                    "totalWorkerNum": str(state.workers_online + state.workers_offline),
                    "activeWorkerNum": str(state.workers_online),
                    "inactiveWorkerNum": str(state.workers_offline),
                    "invalidWorkerNum": "0",
                    "totalAmount": "0.00480411",
                    "unpaidAmount": "0.00012345",
                    "yesterdayAmount": "0.00023456",
                },
            }
        if path == "/api/paymentHistoryV2.htm":
            page = int(form.get("page", "1"))
            size = int(form.get("pageSize", "10"))
            if not 1 <= size <= ANTPOOL_MAX_PAGE_SIZE:
                # 50 is the most a page holds ("page size max": CleanSatMining/dashboard-v0
                # pages/api/sites/[id]/mining/pool/antpool.ts; pool-apis.md §1.12). What AntPool
                # answers beyond it is not public: the fake refuses (its wording), so an
                # adapter asking for more is caught rather than quietly given 50.
                return {"code": 1, "message": "pageSize must be 1 to 50", "data": None}
            days = sorted(state.earnings_sat.items(), reverse=True)
            total_pages = max(1, -(-len(days) // size))
            rows = []
            for day, amount in days[(page - 1) * size : page * size]:
                fee_part = amount // 10
                day_rate = state.day_hashrate_hs.get(day, state.hashrate_24h_hs)
                rows.append(
                    {
                        # The row's date is its mining day, UTC, as the public clients
                        # read it (pool-apis.md §1.11), in AntPool's own text format.
                        "timestamp": f"{day.isoformat()} 00:00:00",
                        "fppsBlockAmount": str(_btc(amount - fee_part)),
                        "fppsFeeAmount": str(_btc(fee_part)),
                        # Display text and the day's hash rate in H/s (two public clients,
                        # CleanSat antpool.ts and MiningDAO/DeMine lib/antpool.js; §1.12).
                        "hashrate": f"{day_rate / 1e15:.2f} PH/s",
                        "hashrate_unit": int(day_rate),
                    }
                )
            return {
                "code": 0,
                "message": "ok",
                "data": {
                    "page": page,
                    "totalPage": total_pages,
                    "pageSize": size,
                    "totalRecord": len(days),
                    "rows": rows,
                },
            }
        return {"code": 404, "message": "unknown api"}

    # -- Foundry --------------------------------------------------------------------------

    async def _foundry(self, request: web.Request, path: str, body: str, fault: str | None) -> Any:
        # The published OpenAPI 6.0.0's paths (pool-apis.md §1.11); /v2/earnings is not one.
        match = re.fullmatch(r"/(subaccount_stats|earnings)/([^/]+)", path)
        if match is None:
            return web.json_response({"error": "not found"}, status=404)
        state = self._accounts.get(("foundry", match.group(2)))
        if state is None:
            # OpenAPI 6.0.0 (MarathonDH/foundry-pool-rs openapi-spec-6.0.json): 404 "Not Found:
            # Cannot find subaccount with the name provided" (/subaccount_stats), "Sub-account
            # not found" (/earnings); not 401, which says the key is wrong.
            return web.json_response({"error": "Sub-account not found"}, status=404)
        if request.headers.get("X-API-KEY") != state.token:
            raise _Refused
        if match.group(1) == "subaccount_stats":
            return {
                "name": self._shown(state, fault),
                "activeWorkers": state.workers_online,
                "offline15MinWorkerCount": state.workers_offline,
                "offline24HrWorkerCount": 0,
                "hashrate5minAvg": state.hashrate_hs,
                "hashrate15minAvg": state.hashrate_hs,
                "hashrate1hrAvg": state.hashrate_hs,
                "hashrate24hrAvg": state.hashrate_24h_hs,
                "lastShareTime": _iso(self.clock.now()),
                "isActive": True,
            }
        start_ms = int(request.query.get("startDateUnixMs", "0"))
        end_ms = int(request.query.get("endDateUnixMs", str(2**42)))
        start = datetime.fromtimestamp(start_ms / 1000, UTC).date()
        last = datetime.fromtimestamp(end_ms / 1000, UTC).date()  # inclusive (the spec)
        return [
            {
                "startTime": _iso(_day_start(day)),
                "endTime": _iso(_day_start(day + timedelta(days=1))),
                "totalAmount": _btc(amount),
                "feeAmount": _btc(amount // 49),
                # GH/s, an int64 (OpenAPI 6.0.0), as live users read it: CleanSatMining/
                # dashboard-v0 multiplies it by 1e9 (pool-apis.md §1.12).
                "hashrate": round(state.day_hashrate_hs.get(day, state.hashrate_24h_hs) / 1e9),
            }
            for day, amount in self._days(state, start, last + timedelta(days=1))
        ]

    # -- Luxor ----------------------------------------------------------------------------

    async def _luxor(self, request: web.Request, path: str, body: str, fault: str | None) -> Any:
        state = self._named("luxor", request.query.get("subaccount_names", ""))
        if request.headers.get("authorization") != state.token:
            raise _Refused
        shown = self._shown(state, fault)
        no_more = {"page_number": 1, "page_size": 500, "previous_page_url": None}
        if path == "/api/v2/pool/summary/BTC":
            return {
                "currency_type": "BTC",
                "hashrate_5m": str(int(state.hashrate_hs)),
                "hashrate_1h": str(int(state.hashrate_hs)),
                "hashrate_24h": str(int(state.hashrate_24h_hs)),
                "hashrate_stale_1h": "0",
                "hashrate_stale_24h": "0",
                "efficiency_5m": "0.99",
                "uptime_24h": "0.98",
                "active_miners": state.workers_online,
                "revenue_24h": [{"currency_type": "BTC", "revenue": "0.00100000"}],
                "revenue_all_time": [{"currency_type": "BTC", "revenue": "1.00000000"}],
                "balance": [{"currency_type": "BTC", "revenue": "0.01000000"}],
                "hashprice": [{"currency_type": "BTC", "value": "0.00000050"}],
            }
        if path == "/api/v2/pool/workers/BTC":
            now = self.clock.now()
            workers = [
                {
                    "id": str(index),
                    "subaccount_name": shown,
                    "name": f"worker{index}",
                    "firmware": "luxos",
                    "hashrate": "100000000000000",
                    "efficiency": "0.99",
                    "stale_shares": 0,
                    "rejected_shares": 0,
                    "last_share_time": _iso(
                        now - timedelta(seconds=60 if index < state.workers_online else 7200)
                    ),
                    "status": "ACTIVE",
                }
                for index in range(state.workers_online + state.workers_offline)
            ]
            return {
                "currency_type": "BTC",
                "total_active": state.workers_online,
                "total_inactive": state.workers_offline,
                "workers": workers,
                "pagination": {**no_more, "item_count": len(workers), "next_page_url": None},
            }
        dated = (
            "/api/v2/pool/transactions/BTC",
            "/api/v2/pool/revenue/BTC",
            "/api/v2/pool/hashrate-efficiency/BTC",
        )
        if path in dated:
            window = self._luxor_window(request)
            if isinstance(window, web.Response):
                return window
            start, end = window
        if path == "/api/v2/pool/revenue/BTC":
            # Luxor's own per-day figure (afaqueadmin/BitFactory src/lib/luxor.ts
            # RevenueResponse; CleanSatMining's RevenueItem): one MINING row per day, the
            # "Miner Revenue" part of the day (the rebate is apart, as the dashboard export's
            # "Mining" and "LuxOS" columns), not paged, about 45 days back (BitFactory
            # LUXOR_API_HISTORICAL_DATA_INVESTIGATION.md).
            oldest = self.clock.now().date() - timedelta(days=LUXOR_REVENUE_DAYS)
            return {
                "currency_type": "BTC",
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "subaccounts": [{"id": 1, "name": shown}],
                "revenue": [
                    {
                        "date_time": _iso(_day_start(day)),
                        "revenue": {
                            "currency_type": "BTC",
                            "revenue_type": "MINING",
                            "revenue": _btc(amount - amount // 50),
                        },
                    }
                    for day, amount in self._days(state, max(start, oldest), end + timedelta(1))
                ],
            }
        if path == "/api/v2/pool/transactions/BTC":
            # A day's income is two rows, "Miner Revenue" (docs.luxor.tech/mining/api/v2/
            # payments/get-transactions) and "LuxOS Rebate" (part of the fee returned for
            # running LuxOS; afaqueadmin/BitFactory counts both as income): mined is their
            # sum, so an adapter that leaves the rebate out is caught. currency_amount is a
            # JSON number (pool-apis.md §1.11). Luxor's own v2 doc example is a "Miner
            # Revenue" row typed debit (BitFactory books these as credits whatever the
            # type): every other day's is typed so here, so an adapter that drops debits
            # unread is caught. Accrual rows mostly have no transaction ID (BitFactory's
            # pool-transactions page). A Monday also has a "Payout" debit, not income.
            days = self._days(state, start, end + timedelta(days=1))
            transactions = [
                {
                    "date_time": _iso(_day_start(day) + timedelta(hours=1)),
                    "currency_type": "BTC",
                    "currency_amount": _btc(part),
                    "usd_equivalent": 0,
                    "transaction_id": "",
                    "transaction_type": row_type,
                    "transaction_category": category,
                }
                for day, amount in days
                for category, part, row_type in (
                    (
                        "Miner Revenue",
                        amount - amount // 50,
                        "debit" if day.toordinal() % 2 else "credit",
                    ),
                    ("LuxOS Rebate", amount // 50, "credit"),
                )
            ]  # start_date and end_date are whole days, both included
            transactions += [
                {
                    "date_time": _iso(_day_start(day) + timedelta(hours=3)),
                    "currency_type": "BTC",
                    "currency_amount": Decimal("0.005"),
                    "usd_equivalent": 0,
                    "transaction_id": f"payout-{day.isoformat()}",
                    "transaction_type": "debit",
                    "transaction_category": "Payout",
                }
                for day, _ in days
                if day.weekday() == 0
            ]
            transactions += [
                {
                    "date_time": _iso(_day_start(day) + timedelta(hours=2)),
                    "currency_type": "BTC",
                    "currency_amount": _btc(extra_sat),
                    "usd_equivalent": 0,
                    "transaction_id": f"tx-{day.isoformat()}-{category}",
                    "transaction_type": "credit",
                    "transaction_category": category,
                }
                for day, rows in sorted(state.other_rows.items())
                if start <= day <= end
                for category, extra_sat in rows
            ]
            return {
                "currency_type": "BTC",
                "transactions": transactions,
                "pagination": {**no_more, "item_count": len(transactions), "next_page_url": None},
            }
        if path == "/api/v2/pool/hashrate-efficiency/BTC":
            # tick_size is required, one of 5m, 1h, 1d, 1w, 1M (afaqueadmin/BitFactory
            # LUXOR_V2_API_COMPLETE_ENDPOINTS_REFERENCE.md); the fake holds day figures only
            # and answers them whatever the tick.
            if request.query.get("tick_size") not in LUXOR_TICKS:
                return web.json_response(
                    {"error": "tick_size must be one of " + ", ".join(LUXOR_TICKS)}, status=400
                )
            ticks = [
                {
                    "date_time": _iso(_day_start(day)),
                    "hashrate": str(int(rate)),
                    "efficiency": "0.99",
                }
                for day, rate in sorted(state.day_hashrate_hs.items())
                if start <= day <= end
            ]
            return {
                "currency_type": "BTC",
                "hashrate_efficiency": ticks,
                "pagination": {**no_more, "item_count": len(ticks), "next_page_url": None},
            }
        return web.json_response({"error": "not found"}, status=404)

    def _luxor_window(self, request: web.Request) -> tuple[date, date] | web.Response:
        """``start_date`` and ``end_date`` (days, both included), or Luxor's refusal: both are
        required (afaqueadmin/BitFactory LUXOR_V2_API_COMPLETE_ENDPOINTS_REFERENCE.md), and an
        end date after today is an error (Luxor's own MiningOS worker: "end_date never must be
        bigger than today, otherwise the API will return an error")."""
        try:
            start = date.fromisoformat(request.query["start_date"])
            end = date.fromisoformat(request.query["end_date"])
        except (KeyError, ValueError):
            return web.json_response({"error": "start_date and end_date are required"}, status=400)
        if end > self.clock.now().date():
            return web.json_response({"error": "End date must be in the past or today"}, status=400)
        return start, end

    # -- OCEAN ----------------------------------------------------------------------------

    async def _ocean(self, request: web.Request, path: str, body: str, fault: str | None) -> Any:
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "v1":
            return web.json_response({"error": "not found"}, status=404)
        state = self._accounts.get(("ocean", parts[2]))
        if state is None:
            return web.json_response({"result": None, "error": "unknown user"}, status=404)
        # Shapes from live captures (naciremadream81/trillion tests/fixtures/ocean/; pool-apis.md
        # §1.12): hash rates and Unix times are JSON strings; user_hashrate_full keys workers
        # by the bare worker name and names no account, so there is no other account to
        # show (wrong_account changes nothing here).
        now = int(self.clock.now().timestamp())
        windows = (60, 300, 600, 1800, 3600, 10800, 43200)
        if parts[1] == "user_hashrate":
            rates = {f"hashrate_{w}s": str(int(state.hashrate_hs)) for w in windows}
            rates["hashrate_86400s"] = str(int(state.hashrate_24h_hs))
            return {
                "result": {
                    "snap_ts": str(now),
                    "db_ts": str(now - now % 300),
                    **rates,
                    "active_worker_count": state.workers_online,
                    "lastest_share_ts": str(now),  # OCEAN's own spelling
                }
            }
        if parts[1] == "user_hashrate_full":
            workers = {}
            for index in range(state.workers_online + state.workers_offline):
                online = index < state.workers_online
                rates = {
                    f"hashrate_{w}s": "100000000000000" if online or w >= 3600 else "0"
                    for w in (*windows, 86400)
                }
                workers[f"worker{index}"] = [rates]
            return {
                "result": {"snap_ts": str(now), "db_ts": str(now - now % 300), "workers": workers}
            }
        if parts[1] == "earnpay" and len(parts) >= 4:
            start = date.fromisoformat(parts[3])
            end = date.fromisoformat(parts[4]) if len(parts) > 4 else date.max
            earnings = []
            payouts = []
            for day, amount in self._days(state, start, end):
                half = amount // 2
                for hour, share in ((3, half), (15, amount - half)):  # two blocks that day
                    at = _day_start(day) + timedelta(hours=hour)
                    # ts is ISO text without a zone, UTC, in the live captures; a number in
                    # one Swift client (§1.11): the fake writes both.
                    ts: Any = int(at.timestamp()) if hour == 3 else at.strftime("%Y-%m-%dT%H:%M:%S")
                    block = hashlib.sha256(f"{day}{hour}".encode()).hexdigest()
                    earnings.append(
                        {
                            "block_hash": block,
                            "ts": ts,
                            "shares_in_window": 1_000_000,
                            "fees_colected_satoshis": 0,  # OCEAN's own spelling
                            "satoshis_net_earned": share,
                        }
                    )
                    # Paid in the block's own generation transaction.
                    payouts.append(
                        {
                            "ts": (at + timedelta(seconds=14)).strftime("%Y-%m-%dT%H:%M:%S"),
                            "on_chain_txid": hashlib.sha256(block.encode()).hexdigest(),
                            "total_satoshis_net_paid": share,
                            "is_generation_txn": True,
                        }
                    )
            return {
                "result": {
                    "start_ts": str(int(_day_start(start).timestamp())),
                    "end_ts": str(now),
                    "earnings": earnings,
                    "payouts": payouts,
                }
            }
        return web.json_response({"error": "not found"}, status=404)
