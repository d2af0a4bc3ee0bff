"""The one small interface every pool adapter implements, and what it returns.

An adapter only fetches and normalises: hash rates in H/s, amounts in integer satoshis, days in
UTC, each credit with its kind of income (mining, fee rebate, referral, other), and every row
it does not understand returned as unknown, never dropped silently. Scheduling, retries,
storing and metrics live elsewhere (``poller``, ``http``, ``service``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from typing import TYPE_CHECKING, ClassVar, Final, Protocol
from zoneinfo import ZoneInfo

from pydantic import SecretStr

from collector.clock import Clock
from collector.errors import SourceBadResponse, SourceUnauthorized
from collector.sources.http import HttpSource
from remittance.obligations import Income

if TYPE_CHECKING:  # types only: the config reads the pool table, never the other way round
    from collector.sources.pools.settings import PoolAccountSettings

CREDENTIALS: Final = ("token", "secret", "user_id", "generic")


@dataclass(frozen=True, slots=True)
class PoolDescriptor:
    """One pool kind as the rest of the collector sees it: the one row per pool.

    Args:
        kind: the ``kind`` of a pool account in the configuration.
        default_base_url: where the pool's API lives (``base_url`` overrides it per account).
        rate_limit: (requests, per seconds), per host: the pool's published limit, with a
            margin, or the pace of its own clients where it publishes none.
        max_range_days: the longest date range one request may ask for (longer are split).
        needs: what an account must configure: ``token`` (``token_env``/``token_file``),
            ``secret`` (``secret_env``/``secret_file``), ``user_id``, ``generic`` (the block).
        default_day_hashrate_unit: the unit of the pool's daily hash rate where its docs name
            none; ``off``: it publishes none we trust (the collector's samples stand in).
    """

    kind: str
    default_base_url: str
    rate_limit: tuple[float, float]
    max_range_days: int = 90
    needs: frozenset[str] = frozenset({"token"})
    default_day_hashrate_unit: str = "H/s"

    def __post_init__(self) -> None:
        unknown = self.needs - set(CREDENTIALS)
        if unknown:
            raise ValueError(f"{self.kind}: unknown needs {sorted(unknown)}")

    def missing(self, account: PoolAccountSettings) -> list[str]:
        """What ``account`` lacks of what this pool needs, as configuration field names."""
        have = {
            "token": bool(account.token_env or account.token_file),
            "secret": bool(account.secret_env or account.secret_file),
            "user_id": bool(account.user_id),
            "generic": account.generic is not None,
        }
        names = {
            "token": "token_env (or token_file)",
            "secret": "secret_env (or secret_file)",
            "user_id": "user_id",
            "generic": "a generic: block with URLs and JSON paths",
        }
        return [names[need] for need in CREDENTIALS if need in self.needs and not have[need]]


@dataclass(frozen=True, slots=True)
class PoolSnapshot:
    """An account's current state as the pool reports it."""

    hashrate_hs: float
    hashrate_24h_hs: float
    workers_online: int
    workers_offline: int


@dataclass(frozen=True, slots=True)
class Credit:
    """What the pool credited the account for mining on one UTC day, of one kind of income."""

    day: date
    amount_sat: int
    income: Income = Income.MINING


@dataclass(frozen=True, slots=True)
class DayHashrate:
    """The account's average hash rate over one UTC day, as the pool publishes it (H/s)."""

    day: date
    hashrate_hs: float


@dataclass(frozen=True, slots=True)
class UnknownRow:
    """A row of a kind the adapter does not know (a new transaction type…): kept out of every
    figure, counted and logged. ``what`` names the kind as the pool wrote it."""

    day: date | None
    what: str
    amount_sat: int | None = None


@dataclass(frozen=True, slots=True)
class PoolDays:
    """What one read of a date range gave: credits by day and kind, daily hash rates, and the
    rows the adapter did not understand."""

    credits: tuple[Credit, ...] = ()
    hashrates: tuple[DayHashrate, ...] = ()
    unknown: tuple[UnknownRow, ...] = ()

    def within(self, start: date, end: date) -> PoolDays:
        """Only the mining days ``start <= day < end``."""
        return PoolDays(
            tuple(c for c in self.credits if start <= c.day < end),
            tuple(h for h in self.hashrates if start <= h.day < end),
            tuple(u for u in self.unknown if u.day is None or start <= u.day < end),
        )


def summed(rows: Iterable[tuple[date, int, Income]], start: date, end: date) -> tuple[Credit, ...]:
    """One credit per (day, income), summed, for ``start <= day < end``, in day order. A zero
    of a kind other than mining (no rebate, no referral that day) is not a credit."""
    totals: dict[tuple[date, Income], int] = {}
    for day, amount, income in rows:
        if start <= day < end:
            totals[day, income] = totals.get((day, income), 0) + amount
    return tuple(
        Credit(day, amount, income)
        for (day, income), amount in sorted(totals.items())
        if amount or income is Income.MINING
    )


@dataclass(frozen=True, slots=True)
class PoolCredentials:
    """Resolved secrets; ``repr`` never shows them (``SecretStr``)."""

    token: SecretStr | None = None
    secret: SecretStr | None = None


class PoolAdapter(Protocol):
    descriptor: ClassVar[PoolDescriptor]

    async def snapshot(self) -> PoolSnapshot:
        """Current and 24-hour hash rate and workers online/offline."""
        ...

    async def earnings(self, start: date, end: date) -> PoolDays:
        """Credits and daily hash rates for the mining days ``start <= day < end``."""
        ...


class PoolAdapterBase:
    """Shared constructor and helpers; each adapter sets its ``descriptor``."""

    descriptor: ClassVar[PoolDescriptor]

    def __init__(
        self,
        account: PoolAccountSettings,
        http: HttpSource,
        credentials: PoolCredentials,
        clock: Clock,
    ) -> None:
        self.account = account
        self.http = http
        self.credentials = credentials
        self.clock = clock
        self.base_url = account.base_url or self.descriptor.default_base_url

    async def snapshot(self) -> PoolSnapshot:
        raise NotImplementedError

    async def earnings(self, start: date, end: date) -> PoolDays:
        raise NotImplementedError

    @property
    def day_hashrate_unit(self) -> str | None:
        """The unit to read the pool's daily hash rate in, or None: not read (``off``)."""
        unit = self.account.day_hashrate_unit or self.descriptor.default_day_hashrate_unit
        return None if unit == "off" else unit

    @property
    def zone(self) -> tzinfo:
        """The zone of timestamps the pool writes without one (``timestamp_zone``)."""
        return ZoneInfo(self.account.timestamp_zone)

    @property
    def kind(self) -> str:
        return self.descriptor.kind

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
