"""The one small interface every pool adapter implements, and what it returns.

An adapter only fetches and normalises: hash rates in H/s, amounts in integer satoshis, days in
UTC. Scheduling, retries, storing and metrics live elsewhere (``poller``, ``http``, ``service``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Protocol

from pydantic import SecretStr

from collector.clock import Clock
from collector.config import PoolAccountConfig
from collector.errors import SourceBadResponse, SourceUnauthorized
from collector.sources.http import HttpSource


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    """An account's current state as the pool reports it."""

    hashrate_hs: float
    hashrate_24h_hs: float
    workers_online: int
    workers_offline: int


@dataclass(frozen=True, slots=True)
class DailyEarning:
    """What the pool credited the account for mining on one UTC day."""

    day: date
    amount_sat: int
    hashrate_hs: float | None = None
    """The day's average hash rate, where the pool reports it."""


@dataclass(frozen=True, slots=True)
class PoolCredentials:
    """Resolved secrets; ``repr`` never shows them (``SecretStr``)."""

    token: SecretStr | None = None
    secret: SecretStr | None = None


class PoolAdapter(Protocol):
    kind: ClassVar[str]
    max_range_days: ClassVar[int]
    """The longest date range one ``earnings`` call may ask for; longer ranges are split."""

    async def snapshot(self) -> PoolSnapshot:
        """Current and 24-hour hash rate and workers online/offline."""
        ...

    async def earnings(self, start: date, end: date) -> list[DailyEarning]:
        """Daily earnings for ``start <= day < end``, one entry per day the pool reports."""
        ...


class PoolAdapterBase:
    """Shared constructor and helpers; subclasses set ``kind`` and ``default_base_url``."""

    kind: ClassVar[str]
    default_base_url: ClassVar[str]
    max_range_days: ClassVar[int] = 90

    def __init__(
        self,
        account: PoolAccountConfig,
        http: HttpSource,
        credentials: PoolCredentials,
        clock: Clock,
    ) -> None:
        self.account = account
        self.http = http
        self.credentials = credentials
        self.clock = clock
        self.base_url = account.base_url or self.default_base_url

    async def snapshot(self) -> PoolSnapshot:
        raise NotImplementedError

    async def earnings(self, start: date, end: date) -> list[DailyEarning]:
        raise NotImplementedError

    def token(self) -> str:
        if self.credentials.token is None:
            raise SourceUnauthorized(f"{self.kind}/{self.account.account}: no token configured")
        return self.credentials.token.get_secret_value()

    def check_account(self, reported: object, what: str) -> None:
        """Refuse an answer about another account (a mis-routed key, a pool-side mix-up)."""
        if reported is not None and str(reported) != self.expected_account():
            raise SourceBadResponse(
                f"{self.kind}/{self.account.account}: {what} names another account "
                f"({str(reported)[:60]!r})"
            )

    def expected_account(self) -> str:
        return self.account.account
