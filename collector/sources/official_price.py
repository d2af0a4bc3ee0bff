"""The official price's basis: CoinMarketCap's daily average, polled where the State Revenue
Committee's own publication is not imported.

**What this is, and is not.** The Committee determines each working day's price of a listed
asset from "the weighted average formed over the day's results" on coinmarketcap.com; a
non-working day takes the previous working day's (Ministry of Finance rules of 25 September
2025, new Tax Code art. 325 item 4: prg.kz, https://prg.kz/document/?doc_id=33444800 ;
zakon.kz, article 6492716, 1 Oct 2025). The format of the Committee's publication itself was
not found in any public capture (the 2024 rules had it published by contracted sites linked
from kgd.gov.kz: KPMG Kazakhstan, Apr 2024, kpmg.com/kz/en/home/insights/2024/04/nf-apr-2.html),
so this job fetches what the publication is *made of*, and every figure valued with it is
labelled :data:`~remittance.official_price.CMC_SOURCE` ("CoinMarketCap's daily average, the
Committee's stated basis, not its publication"), in tenge at the National Bank's rate of the
day (``cmc-daily*nbk-csv``). An imported Committee price for the same day always wins
(:func:`load_official_prices`); the job does not even ask for such a day.

**The request** (CoinMarketCap API, "Quotes Historical v2",
https://coinmarketcap.com/api/documentation/v1/#operation/getV2CryptocurrencyQuotesHistorical ,
as summarised at https://zhelvis.github.io/cmc/functions/quotesHistoricalV2.html)::

    GET /v2/cryptocurrency/quotes/historical?id=1&convert=USD&interval=24h
        &time_start=2027-01-04T23:59:00Z&time_end=2027-01-06T00:00:00Z&count=2
    X-CMC_PRO_API_KEY: <key>

``interval=24h`` from 23:59 UTC is CoinMarketCap's own advice for "the last quote of each UTC
day" (``daily`` would give each day's first); we read that last quote, formed at the close of
the UTC day, as the day's result. Its answer::

    {"status": {"timestamp": "...", "error_code": 0, "error_message": null, "elapsed": 10,
                "credit_count": 1, "notice": null},
     "data": {"1": {"id": 1, "name": "Bitcoin", "symbol": "BTC", "is_active": 1,
                    "is_fiat": 0, "quotes": [
        {"timestamp": "2027-01-04T23:59:00.000Z",
         "quote": {"USD": {"price": 97000.12, "volume_24h": ..., "market_cap": ...,
                           "timestamp": "2027-01-04T23:59:00.000Z"}}}]}}}

Fields used: ``status.error_code`` (0 on success; a non-zero code even with HTTP 200 carries
no data) and ``status.error_message``; ``data["<id>"]`` (one asked id; an answer not wrapped
by id, ``data.quotes``, is read the same), its ``quotes[].timestamp`` (ISO 8601 UTC: the
day is its UTC date) and ``quotes[].quote.USD.price`` (a JSON number, read as Decimal).
Refusals come with the same ``status`` envelope (CoinMarketCap, "Rate limits and
troubleshooting", https://coinmarketcap.com/api/documentation/guides/errors-and-rate-limits ;
"How to Handle CoinMarketCap API Errors"): 401 with 1001 (invalid key) or 1002 (no key), 402
(1003/1004), 403 (1005-1007, e.g. a plan without this endpoint), 429 (1008-1011 rate and
credit limits), 400 for a bad parameter (an unknown id, a time range the plan does not serve),
500. :class:`~collector.sources.http.HttpSource` counts each as ``unauthorized``,
``rate_limited``, ``bad_response`` or ``server_error`` under ``source="official_price"``;
a 200 with a non-zero ``error_code``, a missing asset or a price that is not a positive
number is ``bad_response``. The key is read from ``official_price.api_key_env`` or
``api_key_file`` at start and sent only in the header: never in the URL, a log line, an error
or a label.

Each price is stored as BTC in USD, source ``cmc-daily``, for 00:00 of its day in the
regulator's zone (as ``import official-prices`` stores the Committee's), with the instant the
store observed it; a day already stored is never replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from aiolimiter import AsyncLimiter
from pydantic import SecretStr

from collector.clock import Clock
from collector.config.base import resolve_secret
from collector.config.model import Config, regulator_zone
from collector.config.official_price import OfficialPriceConfig
from collector.errors import SourceBadResponse
from collector.sources.http import HttpSource, RequestCounters
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from remittance.official_price import (
    CMC_SOURCE,
    SOURCE,
    PublishedPrice,
    WorkingCalendar,
    from_basis,
    preferred,
)

SOURCE_LABEL: Final = "official_price"
"""The ``source`` label of this job's health and request metrics."""
_TIMESTAMP = re.compile(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")
_LAST_QUOTE: Final = time(23, 59)  # CoinMarketCap's advice for the last quote of a UTC day


def parse_cmc_quotes(doc: Any, cmc_id: int) -> dict[date, Decimal]:
    """Each UTC day's last USD price of asset ``cmc_id`` in a Quotes Historical v2 answer
    (see the module docstring). Raises :class:`SourceBadResponse` on an error envelope or a
    bad shape; a day's later quote wins over an earlier one of the same day."""
    if not isinstance(doc, dict) or not isinstance(doc.get("status"), dict):
        raise SourceBadResponse("expected CoinMarketCap's envelope {status: {...}, data: ...}")
    status = doc["status"]
    code = status.get("error_code")
    if code not in (0, "0"):
        message = str(status.get("error_message"))[:160]
        raise SourceBadResponse(f"CoinMarketCap refused: error_code {code}: {message}")
    data = doc.get("data")
    asset = data.get(str(cmc_id)) if isinstance(data, dict) else None
    if asset is None and isinstance(data, dict) and "quotes" in data:
        asset = data  # one asset asked: the answer may come unwrapped
    if not isinstance(asset, dict) or asset.get("id") not in (cmc_id, str(cmc_id)):
        raise SourceBadResponse(f"data holds no asset with id {cmc_id}")
    quotes = asset.get("quotes")
    if not isinstance(quotes, list):
        raise SourceBadResponse("the asset's quotes must be a list")
    found: dict[date, tuple[str, Decimal]] = {}
    for index, entry in enumerate(quotes):
        day, stamp, price = _quote(entry, f"quotes[{index}]")
        if day not in found or stamp >= found[day][0]:
            found[day] = (stamp, price)
    return {day: price for day, (_, price) in sorted(found.items())}


def _quote(entry: Any, where: str) -> tuple[date, str, Decimal]:
    """One quote's UTC day, its timestamp and its USD price."""
    if not isinstance(entry, dict):
        raise SourceBadResponse(f"{where} must be an object")
    stamp = entry.get("timestamp")
    match = _TIMESTAMP.fullmatch(stamp) if isinstance(stamp, str) else None
    if stamp is None or match is None:
        raise SourceBadResponse(f"{where}.timestamp must be ISO 8601 UTC ('...Z')")
    try:
        day = date.fromisoformat(match.group(1))
    except ValueError as err:
        raise SourceBadResponse(f"{where}.timestamp {stamp[:30]!r} is no date") from err
    quote = entry.get("quote")
    usd = quote.get("USD") if isinstance(quote, dict) else None
    price = usd.get("price") if isinstance(usd, dict) else None
    if isinstance(price, bool) or not isinstance(price, (int, Decimal)):
        raise SourceBadResponse(f"{where}.quote.USD.price must be a number")
    if not Decimal(price).is_finite() or price <= 0:
        raise SourceBadResponse(f"{where}.quote.USD.price {price} is not a positive number")
    return day, stamp, Decimal(price)


def due_days(now: datetime, lookback_days: int, calendar: WorkingCalendar) -> list[date]:
    """The working days of the last ``lookback_days`` whose UTC day has ended by ``now``
    (a day's average is formed over the whole day), oldest first."""
    today = now.astimezone(UTC).date()
    days = (today - timedelta(days=back) for back in range(lookback_days, 0, -1))
    return [day for day in days if calendar.is_working(day)]


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DailyPrice:
    """CoinMarketCap's average ``usd_per_btc`` for ``day``, stored at ``observed``."""

    day: date
    usd_per_btc: Decimal
    observed: datetime


@dataclass(frozen=True, slots=True)
class OfficialPriceSnapshot:
    """What one poll did: the days it asked for (none when every due day was known) and
    the prices it stored."""

    asked: tuple[date, ...]
    stored: tuple[DailyPrice, ...]


class CmcDailyJob:
    """Polls CoinMarketCap's historical quotes for the due days the store lacks; see the
    module docstring.

    Args:
        config: ``official_price``.
        api_key: CoinMarketCap's key (sent only as ``X-CMC_PRO_API_KEY``).
        http: a :class:`HttpSource` counted under ``source="official_price"``.
        store: where each price is appended.
        clock: today, and the instant each price was observed.
        calendar: which days are working days (only they have a price).
        zone: the regulator's zone (a day's price is stored for its 00:00 there).
    """

    source = SOURCE_LABEL

    def __init__(
        self,
        config: OfficialPriceConfig,
        api_key: SecretStr,
        http: HttpSource,
        store: Store,
        clock: Clock,
        *,
        calendar: WorkingCalendar,
        zone: ZoneInfo,
    ) -> None:
        self._config = config
        self._api_key = api_key
        self._http = http
        self._store = store
        self._clock = clock
        self._calendar = calendar
        self._zone = zone
        self.interval_s = config.poll_interval_s
        self.target = f"{urlsplit(config.url).netloc}/{config.cmc_id}"

    async def poll(self) -> OfficialPriceSnapshot:
        days = due_days(self._clock.now(), self._config.lookback_days, self._calendar)
        missing = [day for day in days if day not in await self._known(days)]
        stored: list[DailyPrice] = []
        if missing:
            prices = await self._http.get_json(
                self._config.url,
                headers={
                    "X-CMC_PRO_API_KEY": self._api_key.get_secret_value(),
                    "Accept": "application/json",
                },
                params=self._params(missing),
                check=lambda doc: parse_cmc_quotes(doc, self._config.cmc_id),
            )
            observed = self._clock.now()
            stored = [DailyPrice(d, prices[d], observed) for d in missing if d in prices]
            await self._store.record_prices([self._record(p) for p in stored])
        return OfficialPriceSnapshot(tuple(missing), tuple(stored))

    async def _known(self, days: list[date]) -> set[date]:
        """The days whose price the store holds: CoinMarketCap's, or the Committee's own."""
        if not days:
            return set()
        start, end = (
            _day_start(days[0], self._zone),
            _day_start(days[-1] + timedelta(1), self._zone),
        )
        known: set[date] = set()
        for quote, source in (("USD", CMC_SOURCE), ("KZT", SOURCE)):
            for q in await self._store.price_quotes("BTC", quote, start=start, end=end):
                if q.source == source:
                    known.add(q.instant.astimezone(self._zone).date())
        return known

    def _record(self, price: DailyPrice) -> PriceQuoteRecord:
        at = _day_start(price.day, self._zone)
        return PriceQuoteRecord("BTC", "USD", CMC_SOURCE, at, price.usd_per_btc)

    def _params(self, missing: list[date]) -> dict[str, str]:
        first, last = missing[0], missing[-1]
        return {
            "id": str(self._config.cmc_id),
            "convert": "USD",
            "interval": "24h",
            "time_start": f"{first.isoformat()}T{_LAST_QUOTE:%H:%M}:00Z",
            "time_end": f"{(last + timedelta(days=1)).isoformat()}T00:00:00Z",
            "count": str((last - first).days + 1),
        }


def build_official_price_jobs(
    config: Config,
    store: Store,
    session: aiohttp.ClientSession,
    counters: RequestCounters,
    clock: Clock,
) -> list[CmcDailyJob]:
    """The CoinMarketCap job, or none when ``official_price`` is not configured. A key that
    cannot be read stops the start with :class:`~collector.errors.SecretError` (naming the
    variable or file, never the key)."""
    section = config.official_price
    if section is None:
        return []
    key = resolve_secret(section.api_key_env, section.api_key_file, "official_price api key")
    if key is None:  # the model requires one of the two: unreachable, said plainly
        raise ValueError("official_price: no api_key_env or api_key_file")
    http = HttpSource(session, source=SOURCE_LABEL, counters=counters, rate=AsyncLimiter(1, 2))
    calendar = config.calendar.working_calendar()
    zone = regulator_zone(config)
    return [CmcDailyJob(section, key, http, store, clock, calendar=calendar, zone=zone)]


async def load_official_prices(
    store: Store, first_day: date, last_day: date, zone: ZoneInfo, *, as_of: datetime
) -> dict[date, PublishedPrice]:
    """BTC's official price of each day a valuation of ``first_day`` … ``last_day`` may use
    (a month before the first: a holiday run's price day), as the store had recorded them by
    ``as_of``, by the day they are for: the Committee's imported price (``import
    official-prices``), else CoinMarketCap's average of the day at the National Bank's rate
    of that day (:func:`remittance.official_price.from_basis`); a CoinMarketCap day without
    that day's rate has no price."""
    start = _day_start(first_day - timedelta(days=31), zone)
    end = _day_start(last_day + timedelta(days=1), zone)

    def by_day(quotes: list[PriceQuoteRecord], source: str | None) -> dict[date, PriceQuoteRecord]:
        return {
            q.instant.astimezone(zone).date(): q
            for q in quotes
            if (q.source == source if source else q.instant.astimezone(zone).time() == time())
        }

    kzt = await store.price_quotes("BTC", "KZT", start=start, end=end, as_of=as_of)
    usd = await store.price_quotes("BTC", "USD", start=start, end=end, as_of=as_of)
    rates = by_day(await store.price_quotes("USD", "KZT", start=start, end=end, as_of=as_of), None)
    imported = {day: PublishedPrice(q.rate) for day, q in by_day(kzt, SOURCE).items()}
    derived = {
        day: from_basis(q.rate, rates[day].rate, rates[day].source)
        for day, q in by_day(usd, CMC_SOURCE).items()
        if day in rates
    }
    return preferred(imported, derived)
