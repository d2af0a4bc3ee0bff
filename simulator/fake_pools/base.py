"""What every pool's fake shares: an account's state, the accounts of all pools with the clock
their answers read, the refusal a handler raises, the pools' number and time formats, and the
row each pool's module registers in the server's table (:class:`PoolFake`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from collector.clock import Clock
from remittance.money import SAT_PER_BTC

OTHER_ACCOUNT: Final = "someone-else"


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


class Refused(Exception):
    """Raised inside a handler: answer with this pool's own refusal."""


class PoolAccounts:
    """Every pool's accounts by kind and name, and the clock the answers read."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._accounts: dict[tuple[str, str], FakeAccount] = {}

    def setdefault(self, kind: str, account: str) -> FakeAccount:
        """The account, created empty if it is new."""
        return self._accounts.setdefault((kind, account), FakeAccount(kind, account))

    def existing(self, kind: str, account: str) -> FakeAccount:
        """The account (KeyError if it was never set)."""
        return self._accounts[(kind, account)]

    def get(self, kind: str, account: str) -> FakeAccount | None:
        return self._accounts.get((kind, account))

    def by_token(self, kind: str, token: str | None) -> FakeAccount:
        """The account of ``kind`` holding ``token``; Refused if none does."""
        for (account_kind, _), state in self._accounts.items():
            if account_kind == kind and token is not None and state.token == token:
                return state
        raise Refused

    def named(self, kind: str, account: str) -> FakeAccount:
        """The account of that name; Refused if there is none."""
        state = self._accounts.get((kind, account))
        if state is None:
            raise Refused
        return state


def account_shown(state: FakeAccount, fault: str | None) -> str:
    """The account name an answer carries: another account's under ``wrong_account``."""
    return OTHER_ACCOUNT if fault == "wrong_account" else state.account


def earned_days(state: FakeAccount, start: date, end: date) -> list[tuple[date, int]]:
    """The days credited from ``start`` up to (not including) ``end``, oldest first."""
    return sorted((d, a) for d, a in state.earnings_sat.items() if start <= d < end)


def btc(sat: int) -> Decimal:
    return (Decimal(sat) / SAT_PER_BTC).quantize(Decimal("0.00000001"))


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Answer = Callable[[PoolAccounts, web.Request, str, str, str | None], Awaitable[Any]]
"""A pool's handler: (accounts, request, path under the pool's prefix, body, fault or None) ->
JSON-ready data, or a response of its own; raises Refused for the pool's refusal."""


def unauthorized() -> web.Response:
    """The refusal of a pool whose own wording is not faked: 401 with a JSON error."""
    return web.json_response({"error": "unauthorized"}, status=401)


@dataclass(frozen=True)
class PoolFake:
    """One pool's row in the server's table."""

    kind: str
    method: str
    """The one HTTP method the pool's API takes (tests/fixtures/pools/README.md cites each)."""
    answer: Answer
    refusal: Callable[[], web.Response] = unauthorized
    silent_when_rate_limited: bool = False
    """Beyond its pace the pool sends no 429: the fake holds the request, then drops it."""
