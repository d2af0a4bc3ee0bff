"""``reservewatch import official-prices FILE.csv``: the State Revenue Committee's daily prices.

Under the new Tax Code (art. 325) the Committee publishes, on working days, each listed digital
asset's price, CoinMarketCap's weighted average over the day; a non-working day takes the
previous working day's (:mod:`remittance.official_price`, which cites the rules). The layout
of the publication itself was not found in a public capture, so this command reads the facts
as the regulator transcribes them, one row per asset and working day, in tenge::

    date,asset,price_kzt
    31.12.2026,BTC,48123456.78
    2027-01-04,BTC,49000000

``date`` is ``DD.MM.YYYY`` or ``YYYY-MM-DD``; a row dated on a day the configured calendar
(``calendar.holidays``, ``calendar.working_days``) does not count as working is refused: the
Committee publishes none then, and its price would never be used. As ``import rates`` does,
the whole file is checked first (any bad row and nothing is imported, every bad row listed
with its line) and the store is append-only: a day already stored with the same price is
skipped, with another price refused. Each price is stored as BTC (or the asset) in ``KZT``
for 00:00 of its day in the regulator's zone, source ``kgd-official``, with the instant the
store learnt it. An imported price always wins its day over CoinMarketCap's average, which the
``official_price`` job stores under its own source for working days without one
(:mod:`collector.sources.official_price`); neither replaces the other in the store.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.clock import Clock
from collector.commands.imports import CsvImportError, csv_rows
from collector.commands.rates_import import day_start, import_quotes, parse_day
from collector.config.model import Config
from collector.store.records import PriceQuoteRecord
from remittance.official_price import SOURCE, WorkingCalendar

COLUMNS = ("date", "asset", "price_kzt")
QUOTE = "KZT"
_ASSET = re.compile(r"[A-Z0-9]{2,10}")
_PRICE = re.compile(r"\d{1,15}(\.\d{1,8})?")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_official_prices_csv(
    text: str,
    zone: ZoneInfo,
    calendar: WorkingCalendar,
    source: str = "<csv>",
    today: date | None = None,
) -> list[PriceQuoteRecord]:
    """Validate the whole file; return its prices or raise :class:`CsvImportError` listing
    every bad line. A day after ``today`` is refused: a day's price is published after it."""
    problems: list[str] = []
    records: dict[tuple[str, date], PriceQuoteRecord] = {}
    for where, (day_text, asset, price_text) in csv_rows(text, COLUMNS, source, problems):
        day = parse_day(day_text)
        if isinstance(day, str):
            problems.append(f"{where}: date {day_text[:20]!r} {day}")
            continue
        if today is not None and day > today:
            problems.append(f"{where}: date {day} is after today ({today})")
            continue
        if not calendar.is_working(day):
            problems.append(
                f"{where}: {day} ({_DAY_NAMES[day.weekday()]}) is not a working day in "
                "calendar.holidays/working_days: the Committee publishes on working days only"
            )
            continue
        if not _ASSET.fullmatch(asset):
            problems.append(f"{where}: asset {asset[:20]!r} must be a ticker such as BTC")
            continue
        if not _PRICE.fullmatch(price_text) or Decimal(price_text) == 0:
            problems.append(
                f"{where}: price_kzt {price_text[:30]!r} must be a positive decimal in tenge "
                "such as 48123456.78"
            )
            continue
        price = Decimal(price_text)
        if (asset, day) in records and records[(asset, day)].rate != price:
            problems.append(f"{where}: {asset} {day} appears twice with different prices")
            continue
        records[(asset, day)] = PriceQuoteRecord(asset, QUOTE, SOURCE, day_start(day, zone), price)
    if problems:
        raise CsvImportError(problems)
    return sorted(records.values(), key=lambda r: (r.base, r.instant))


async def import_official_prices(config: Config, path: Path, clock: Clock | None = None) -> int:
    calendar = config.calendar.working_calendar()

    def parse(text: str, zone: ZoneInfo, source: str, today: date) -> list[PriceQuoteRecord]:
        return parse_official_prices_csv(text, zone, calendar, source, today)

    return await import_quotes(config, path, clock, parse, "official prices")
