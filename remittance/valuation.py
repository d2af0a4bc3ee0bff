"""What the reserve's coins are worth: prices per BTC, the rule that picks one, exact values.

Pure: prices and rates in, Decimal out; no clock, no I/O. A :class:`Price` is what one source
quoted for one BTC in one currency at one instant (``kraken`` for USD, say). The National Bank
of Kazakhstan publishes its official rates in tenge per US dollar, not per bitcoin
(:class:`ExchangeRate`), so a KZT price is usually *derived*: KZT/BTC = USD/BTC × KZT/USD, both
as known at the instant asked about.

>>> from datetime import UTC, datetime
>>> noon = datetime(2026, 12, 1, 12, tzinfo=UTC)
>>> usd = Price(noon, "USD", Decimal("97000.5"), "kraken")
>>> kzt_per_usd = ExchangeRate(datetime(2026, 12, 1, tzinfo=UTC), "USD", Decimal("470.81"), "nbk")
>>> value_of(150_000_000, usd)
Decimal('145500.75')
>>> kzt = price_at([usd], "KZT", noon, rates=[kzt_per_usd])
>>> kzt.per_btc, kzt.source
(Decimal('45668805.405'), 'kraken*nbk')
>>> value_of(1, kzt)
Decimal('0.46')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Final, Literal, TypeVar, get_args

from remittance.errors import InvalidInputError
from remittance.money import SAT_PER_BTC

Currency = Literal["USD", "KZT"]
CURRENCIES: Final[tuple[str, ...]] = get_args(Currency)
CENT: Final = Decimal("0.01")
# 2.1e15 sat × a price of up to 20 digits needs more than the default 28 digits: exact here.
_PRECISION: Final = 80

RULE: Final = (
    "Each inflow is valued at the latest price per BTC known at or before its block's time, "
    "and holdings at the latest price known; a tenge price not quoted directly is the US dollar "
    "price times the National Bank of Kazakhstan's official tenge-per-dollar rate, each the "
    "latest known at that instant, and values are rounded half to even to the cent."
)
"""The valuation rule, one sentence, as reports state it."""


def _check(instant: datetime, value: Decimal, what: str) -> None:
    if instant.tzinfo is None:
        raise InvalidInputError(f"{what}: the instant must be timezone-aware")
    if not value.is_finite() or value <= 0:
        raise InvalidInputError(f"{what}: must be a positive, finite number, got {value}")


@dataclass(frozen=True, slots=True)
class Price:
    """``per_btc`` units of ``currency`` for one BTC, quoted by ``source`` at ``instant``."""

    instant: datetime
    currency: Currency
    per_btc: Decimal
    source: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise InvalidInputError(f"currency {self.currency!r} is not one of {CURRENCIES}")
        _check(self.instant, self.per_btc, f"{self.source} {self.currency}/BTC price")


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """An official rate: ``kzt_per_unit`` tenge for one unit of ``currency`` (the NBK publishes
    ``rate`` per ``quant`` units; divide before building this), in force from ``instant``."""

    instant: datetime
    currency: str
    kzt_per_unit: Decimal
    source: str

    def __post_init__(self) -> None:
        _check(self.instant, self.kzt_per_unit, f"{self.source} KZT/{self.currency} rate")


_Dated = TypeVar("_Dated", Price, ExchangeRate)


def _latest(items: Iterable[_Dated], instant: datetime) -> _Dated | None:
    """The item with the latest instant at or before ``instant`` (ties: the first given)."""
    best: _Dated | None = None
    for item in items:
        if item.instant <= instant and (best is None or item.instant > best.instant):
            best = item
    return best


def price_at(
    prices: Iterable[Price],
    currency: Currency,
    instant: datetime,
    *,
    rates: Iterable[ExchangeRate] = (),
) -> Price | None:
    """The price of one BTC in ``currency`` at ``instant``: the latest price at or before it
    (never one quoted later), or ``None`` when none was known then.

    For KZT, a quoted KZT price competes with a derived one, KZT/BTC = USD/BTC × KZT/USD with
    the latest USD price and the latest official KZT/USD rate at or before ``instant``. A
    derived price is as old as the older of its two inputs; the fresher of the quoted and the
    derived wins (the quoted one on a tie).
    """
    prices = list(prices)
    quoted = _latest((p for p in prices if p.currency == currency), instant)
    if currency != "KZT":
        return quoted
    usd = _latest((p for p in prices if p.currency == "USD"), instant)
    rate = _latest((r for r in rates if r.currency == "USD"), instant)
    if usd is None or rate is None:
        return quoted
    with localcontext() as context:
        context.prec = _PRECISION
        per_btc = usd.per_btc * rate.kzt_per_unit
    derived = Price(min(usd.instant, rate.instant), "KZT", per_btc, f"{usd.source}*{rate.source}")
    if quoted is not None and quoted.instant >= derived.instant:
        return quoted
    return derived


def value_of(sat: int, price: Price) -> Decimal:
    """``sat`` satoshis at ``price``, exact, then rounded half to even to 0.01."""
    if isinstance(sat, bool) or not isinstance(sat, int):
        raise TypeError(f"satoshis must be an int, got {sat!r}")
    with localcontext() as context:
        context.prec = _PRECISION
        exact = Decimal(sat) * price.per_btc / SAT_PER_BTC
        return exact.quantize(CENT, rounding=ROUND_HALF_EVEN)


def value_at(
    sat: int,
    prices: Iterable[Price],
    currency: Currency,
    instant: datetime,
    *,
    rates: Iterable[ExchangeRate] = (),
) -> Decimal | None:
    """``sat`` valued at the price :func:`price_at` picks, or ``None`` without one."""
    price = price_at(prices, currency, instant, rates=rates)
    return None if price is None else value_of(sat, price)
