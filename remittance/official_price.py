"""The official price of mined coins: the State Revenue Committee's daily price and the
working-day rule that picks the one a day takes.

The new Tax Code (art. 325, item 4) and the Ministry of Finance's rules of 25 September 2025
(in force 1 January 2026) as reported (prg.kz, 1 Oct 2025,
https://prg.kz/document/?doc_id=33444800 ; zakon.kz, the same day, article 6492716): the
Committee determines each listed asset's price every working day from CoinMarketCap's
weighted average over the day; on a non-working day the price determined on the working day
before it applies; mining income is valued at the price of the day the coins were received.
The rule, as reports state it (:data:`RULE`)::

    A day's official price is the State Revenue Committee's price published for that day when
    it is a working day, else for the last working day before it (weekends and the configured
    holidays are not working days; a weekend day configured as a working day is one). A day
    whose price day has no published price has no official value.

Which days are holidays (and which weekend days a transfer makes working) is configuration: the
calendar changes every year by government decree. Pure: days and prices in, Decimal out.

A day's price comes from one of two sources, each named on every figure valued with it
(:class:`PublishedPrice`): the Committee's own publication as the regulator imports it
(:data:`SOURCE`), or, where none is imported for the day, CoinMarketCap's daily average that
the rules name as the publication's basis, converted to tenge at the National Bank's rate of
the day (:data:`CMC_SOURCE`, polled by :mod:`collector.sources.official_price`). That second
one is *not* the Committee's publication, and says so: its source reads
``cmc-daily*nbk-csv``, as a tenge price derived from a dollar one does in
:mod:`remittance.valuation`.

>>> calendar = WorkingCalendar(holidays=frozenset({date(2027, 1, 1)}))
>>> calendar.price_day(date(2027, 1, 3))  # Sunday, after Saturday and the 1 January holiday
datetime.date(2026, 12, 31)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, localcontext
from typing import Any, Final

from remittance.csv_cells import Number
from remittance.errors import InvalidInputError
from remittance.valuation import Price, value_of

RULE: Final = (
    "A day's official price is the State Revenue Committee's price published for that day "
    "when it is a working day, else for the last working day before it (weekends and the "
    "configured holidays are not working days; a weekend day configured as a working day is "
    "one). A day whose price day has no published price has no official value."
)
SOURCE: Final = "kgd-official"
"""The store's source name of the Committee's published prices."""
CMC_SOURCE: Final = "cmc-daily"
"""The store's source name of CoinMarketCap's daily average (USD per BTC): the Committee's
stated basis, not its publication."""
CMC_BASIS: Final = (
    "CoinMarketCap's daily average, the State Revenue Committee's stated basis (not the "
    "Committee's publication), in tenge at the National Bank's rate of the day"
)
_SATURDAY: Final = 5
_LONGEST_BREAK: Final = 31  # no holiday run in any calendar is longer: a bad calendar, else


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Kazakhstan's working days: Monday to Friday, less ``holidays``, plus ``working_days``
    (weekend days a transfer of days off made working)."""

    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def is_working(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return day.weekday() < _SATURDAY and day not in self.holidays

    def price_day(self, day: date) -> date:
        """The day whose published price ``day`` takes: itself when working, else the last
        working day before it. Raises InvalidInputError past a month without one."""
        for back in range(_LONGEST_BREAK + 1):
            candidate = day - timedelta(days=back)
            if self.is_working(candidate):
                return candidate
        msg = f"no working day in the {_LONGEST_BREAK} days up to {day}: check the holidays"
        raise InvalidInputError(msg)


@dataclass(frozen=True, slots=True)
class PublishedPrice:
    """One day's official price: ``kzt_per_btc`` tenge, from ``source`` (:data:`SOURCE`, or
    ``cmc-daily*nbk-csv`` for CoinMarketCap's average at the National Bank's rate)."""

    kzt_per_btc: Decimal
    source: str = SOURCE


def preferred(
    imported: Mapping[date, PublishedPrice], derived: Mapping[date, PublishedPrice]
) -> dict[date, PublishedPrice]:
    """Each day's price: the Committee's imported one where there is one, else the one
    derived from CoinMarketCap's average (the publication wins; the basis fills gaps).

    >>> day = date(2027, 1, 4)
    >>> preferred({day: PublishedPrice(Decimal(2))}, {day: PublishedPrice(Decimal(1), "c")})
    {datetime.date(2027, 1, 4): PublishedPrice(kzt_per_btc=Decimal('2'), source='kgd-official')}
    """
    return {**derived, **imported}


def from_basis(usd_per_btc: Decimal, kzt_per_usd: Decimal, rate_source: str) -> PublishedPrice:
    """CoinMarketCap's daily average (USD per BTC) in tenge at the National Bank's rate of
    the same day, exact to 40 digits; its source names both (``cmc-daily*nbk-csv``).

    >>> from_basis(Decimal("97000.12"), Decimal("470.81"), "nbk-csv")
    PublishedPrice(kzt_per_btc=Decimal('45668626.4972'), source='cmc-daily*nbk-csv')
    """
    with localcontext() as context:
        context.prec = 40
        per_btc = usd_per_btc * kzt_per_usd
    return PublishedPrice(per_btc, f"{CMC_SOURCE}*{rate_source}")


@dataclass(frozen=True, slots=True)
class OfficialValue:
    """``sat`` valued for ``day`` at the price published for ``price_day`` by ``source``."""

    day: date
    price_day: date
    kzt_per_btc: Decimal
    sat: int
    value_kzt: Decimal
    source: str = SOURCE

    def doc(self) -> dict[str, Any]:
        """As the documents' JSON carries it: which price, which day, what value; a price
        that is not the Committee's own publication says what it is (``basis``)."""
        doc = {
            "day": self.day.isoformat(),
            "price_day": self.price_day.isoformat(),
            "price_kzt": str(self.kzt_per_btc),
            "source": self.source,
            "sat": self.sat,
            "value_kzt": f"{self.value_kzt:.2f}",
        }
        if self.source != SOURCE:
            doc["basis"] = CMC_BASIS
        return doc


def official_value(
    sat: int, day: date, published: Mapping[date, PublishedPrice], calendar: WorkingCalendar
) -> OfficialValue | None:
    """``sat`` valued at ``day``'s official price (:data:`RULE`), rounded half to even to the
    tiyn; ``None`` when its price day has no published price."""
    price_day = calendar.price_day(day)
    found = published.get(price_day)
    if found is None:
        return None
    # The instant only places the price for value_of's checks: the day is what counts.
    at = datetime.combine(price_day, time(), tzinfo=UTC)
    price = Price(at, "KZT", found.kzt_per_btc, found.source)
    value = value_of(sat, price)
    return OfficialValue(day, price_day, found.kzt_per_btc, sat, value, found.source)


def official_doc(
    holdings: Iterable[tuple[str, int, date]],
    inflows: Iterable[tuple[int, date]],
    published: Mapping[date, PublishedPrice],
    calendar: WorkingCalendar,
) -> dict[str, Any] | None:
    """The reserve report's official valuation: each of ``holdings`` (name, sat, day) and
    every inflow (sat, the day it was received) at its day's official price, each saying
    which price and which day it used; ``None`` with no published price at all."""
    if not published:
        return None
    doc: dict[str, Any] = {"rule": RULE}
    for name, sat, day in holdings:
        valued = official_value(sat, day, published, calendar)
        doc[name] = None if valued is None else valued.doc()
    rows = [official_value(sat, day, published, calendar) for sat, day in inflows]
    valued_rows = [v for v in rows if v is not None]
    doc["inflows"] = [v.doc() for v in valued_rows]
    doc["inflows_kzt"] = f"{sum((v.value_kzt for v in valued_rows), Decimal(0)):.2f}"
    doc["inflows_unvalued"] = len(rows) - len(valued_rows)
    return doc


def official_rows(doc: Mapping[str, Any] | None) -> list[tuple[object, ...]]:
    """The official valuation as CSV rows: (what, day, price_day, price_kzt, sat, value_kzt,
    source), the price and value as numbers."""
    if not doc:
        return []
    named = [(k, v) for k, v in doc.items() if isinstance(v, dict)]
    rows = [*named, *(("inflow", v) for v in doc["inflows"])]
    return [
        (
            what,
            v["day"],
            v["price_day"],
            Number(v["price_kzt"]),
            v["sat"],
            Number(v["value_kzt"]),
            v.get("source", SOURCE),
        )
        for what, v in rows
    ]
