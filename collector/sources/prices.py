"""The reserve's value: an exchange's public ticker polled for the BTC/USD price, the latest
prices and official rates held in memory, and the value gauges.

:class:`PriceJob` (a :class:`~collector.sources.poller.PollJob`) reads Kraken's public REST
ticker, ``GET /0/public/Ticker?pair=XBTUSD`` ("Get Ticker Information",
https://docs.kraken.com/rest/#tag/Market-Data/operation/getTickerInformation). Its answer::

    {"error": [], "result": {"XXBTZUSD": {"a": ["97010.10000", "1", "1.000"],
                                          "b": ["97010.00000", "2", "2.000"],
                                          "c": ["97010.10000", "0.00067643"], ...}}}

``result`` is keyed by Kraken's own name of the pair (``XXBTZUSD`` for the ``XBTUSD`` asked);
``c`` is the last trade closed, ``[<price>, <lot volume>]``; prices are decimal strings. Errors
come with HTTP 200 as ``{"error": ["EQuery:Unknown asset pair"]}`` (a message is
``<severity><category>:<text>``, severity ``E`` for an error, ``W`` for a warning that leaves
the result usable). Any error, a missing pair, or a price that is not a positive decimal is a
:class:`~collector.errors.SourceBadResponse`, counted ``bad_response`` under ``source="price"``.

Each observed price is appended to the store with the instant it was observed
(:meth:`~collector.store.queries.Store.record_prices`) and returned (the poller keeps it); the
metrics read it beside the latest quotes the store held at start (:class:`LatestPrices`, the
National Bank's official rates imported by ``reservewatch import rates`` among them).

Exposes (floats only here, at the metrics edge; absent, not zero, while nothing is known)::

    reservewatch_price_btc_usd 97010.1
    reservewatch_reserve_value_usd 1.4551515e+06
    reservewatch_reserve_value_kzt 6.85e+08
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiolimiter import AsyncLimiter

from collector.clock import Clock
from collector.config.model import Config
from collector.config.sections import PricesConfig
from collector.errors import SourceBadResponse
from collector.sources.http import HttpSource, RequestCounters
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from remittance.official_price import CMC_SOURCE
from remittance.official_price import SOURCE as OFFICIAL_SOURCE
from remittance.valuation import (
    CURRENCIES,
    Currency,
    ExchangeRate,
    Price,
    price_at,
    value_of,
)

SOURCE: Final = "kraken"
_DECIMAL = re.compile(r"\d{1,15}(\.\d{1,12})?")
VALUED_IN: Final[tuple[Currency, ...]] = ("USD", "KZT")
"""The currencies the reserve's holdings are valued in (``reservewatch_reserve_value_*``)."""


def parse_kraken_ticker(doc: Any) -> Decimal:
    """The last trade's price (USD per BTC) in a Kraken ticker answer; see the module
    docstring for the format. Raises :class:`SourceBadResponse` on an error or a bad shape."""
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), list):
        raise SourceBadResponse("expected a Kraken envelope {error: [...], result: {...}}")
    errors = [str(e)[:120] for e in doc["error"] if not str(e).startswith("W")]
    if errors:
        raise SourceBadResponse(f"Kraken refused: {'; '.join(errors[:3])}")
    result = doc.get("result")
    if not isinstance(result, dict) or len(result) != 1:
        raise SourceBadResponse("result must hold exactly one pair's ticker")
    [ticker] = result.values()
    last = ticker.get("c") if isinstance(ticker, dict) else None
    if not isinstance(last, list) or not last or not isinstance(last[0], str):
        raise SourceBadResponse("the ticker's c (last trade closed) must be [price, volume]")
    if not _DECIMAL.fullmatch(last[0]) or Decimal(last[0]) <= 0:
        raise SourceBadResponse(f"last trade price {last[0][:40]!r} is not a positive decimal")
    return Decimal(last[0])


def valuation_inputs(
    quotes: Iterable[PriceQuoteRecord],
) -> tuple[list[Price], list[ExchangeRate]]:
    """Stored quotes as the valuation rule's inputs: BTC priced in USD or KZT are prices;
    another currency priced in KZT (the NBK's rates) is an exchange rate; others are left."""
    prices: list[Price] = []
    rates: list[ExchangeRate] = []
    for quote in quotes:
        if quote.source in (OFFICIAL_SOURCE, CMC_SOURCE):
            continue  # valued by its own rule (official_price), never as a market price
        if quote.base == "BTC" and quote.quote in CURRENCIES:
            currency: Currency = "USD" if quote.quote == "USD" else "KZT"
            prices.append(Price(quote.instant, currency, quote.rate, quote.source))
        elif quote.base != "BTC" and quote.quote == "KZT":
            rates.append(ExchangeRate(quote.instant, quote.base, quote.rate, quote.source))
    return prices, rates


async def load_valuation_inputs(
    store: Store, start: datetime, end: datetime, *, as_of: datetime | None = None
) -> tuple[list[Price], list[ExchangeRate]]:
    """Every price and rate a valuation of instants in ``[start, end)`` may use: those for
    instants in the range and the latest before ``start`` of each source, as the store had
    recorded them by ``as_of`` (default ``end``), so a report made again reads the same."""
    known = as_of or end
    quotes = await store.latest_prices(start, as_of=known)
    for base, quote in sorted({("BTC", c) for c in CURRENCIES} | {("USD", "KZT")}):
        quotes += await store.price_quotes(base, quote, start=start, end=end, as_of=known)
    return valuation_inputs(quotes)


@dataclass(frozen=True, slots=True)
class LatestPrices:
    """The latest price per (currency, source) and rate per (currency, source) known: those
    the store held at start (:func:`load_latest_prices`) and, once it has polled, the price
    the ticker job last published (:meth:`with_price`). A value: nothing changes it."""

    prices: Mapping[tuple[str, str], Price] = field(default_factory=dict)
    rates: Mapping[tuple[str, str], ExchangeRate] = field(default_factory=dict)

    @classmethod
    def from_quotes(cls, quotes: Iterable[PriceQuoteRecord]) -> LatestPrices:
        """The latest of ``quotes`` per (currency, source), as the valuation reads them."""
        found_prices, found_rates = valuation_inputs(quotes)
        prices: dict[tuple[str, str], Price] = {}
        rates: dict[tuple[str, str], ExchangeRate] = {}
        for price in found_prices:
            held = prices.get(key := (price.currency, price.source))
            if held is None or price.instant >= held.instant:
                prices[key] = price
        for rate in found_rates:
            held_rate = rates.get(rate_key := (rate.currency, rate.source))
            if held_rate is None or rate.instant >= held_rate.instant:
                rates[rate_key] = rate
        return cls(prices, rates)

    def with_price(self, price: Price) -> LatestPrices:
        """These prices and ``price``, unless one of its currency and source is newer."""
        key = (price.currency, price.source)
        held = self.prices.get(key)
        if held is not None and price.instant < held.instant:
            return self
        return LatestPrices({**self.prices, key: price}, self.rates)

    def latest(self, currency: Currency) -> Price | None:
        """The latest price per BTC in ``currency`` known (derived for KZT if fresher)."""
        instants = [p.instant for p in self.prices.values()]
        instants += [r.instant for r in self.rates.values()]
        if not instants:
            return None
        return price_at(self.prices.values(), currency, max(instants), rates=self.rates.values())


async def load_latest_prices(store: Store, now: datetime) -> LatestPrices:
    """The latest quotes the store holds at ``now`` (read at start)."""
    return LatestPrices.from_quotes(await store.latest_prices(now))


@dataclass(frozen=True, slots=True)
class ReserveValue:
    """What ``reservewatch_price_btc_usd`` and ``reservewatch_reserve_value_usd`` and ``_kzt``
    read (collector.metrics.sources; no I/O at scrape time): the reserve's holdings at the
    latest prices.

    Args:
        holdings_sat: the reserve's holdings now, in satoshis, or ``None`` when unknown
            (the value gauges are then absent, not zero).
        prices: the latest prices and rates (a gauge is absent while its currency has none),
            e.g. :meth:`collector.sources.published.Published.latest_prices`.
    """

    holdings_sat: Callable[[], int | None]
    prices: Callable[[], LatestPrices]

    def values(self, prices: LatestPrices) -> dict[Currency, Decimal]:
        """The holdings' value at ``prices`` in each currency that has a price (exact, to the
        cent)."""
        sat = self.holdings_sat()
        if sat is None:
            return {}
        found: dict[Currency, Decimal] = {}
        for currency in VALUED_IN:
            price = prices.latest(currency)
            if price is not None:
                found[currency] = value_of(sat, price)
        return found


def _pair(url: str) -> str:
    pairs = parse_qs(urlsplit(url).query).get("pair", [])
    if len(pairs) != 1 or "," in pairs[0]:
        raise ValueError(f"prices.ticker_url must ask for one pair (?pair=XBTUSD), not {url!r}")
    return pairs[0]


class PriceJob:
    """Polls the ticker and stores each price observed; see the module docstring.

    Args:
        config: ``prices`` (``ticker_url``, ``poll_interval_s``).
        http: a :class:`HttpSource` counted under ``source="price"``.
        store: where each observed price is appended.
        clock: dates each observation.
    """

    source = "price"

    def __init__(
        self,
        config: PricesConfig,
        http: HttpSource,
        store: Store,
        clock: Clock,
    ) -> None:
        self._url = config.ticker_url
        self._pair = _pair(config.ticker_url)
        self._http = http
        self._store = store
        self._clock = clock
        self.interval_s = config.poll_interval_s
        self.target = f"{urlsplit(config.ticker_url).netloc}/{self._pair}"

    async def poll(self) -> Price:
        """Read and store the latest price; return it (the quote this poll published)."""
        per_btc = await self._http.get_json(self._url, check=parse_kraken_ticker)
        observed = self._clock.now()
        await self._store.record_prices([PriceQuoteRecord("BTC", "USD", SOURCE, observed, per_btc)])
        return Price(observed, "USD", per_btc, SOURCE)


async def build_price_jobs(
    config: Config,
    store: Store,
    session: aiohttp.ClientSession,
    counters: RequestCounters,
    clock: Clock,
) -> tuple[list[PriceJob], LatestPrices]:
    """The ticker job (none when ``prices`` is not configured) and the latest prices and rates
    the store holds now. After ``import rates`` the running collector sees a new rate on its
    next start."""
    jobs: list[PriceJob] = []
    if config.prices is not None:
        http = HttpSource(session, source="price", counters=counters, rate=AsyncLimiter(1, 1))
        jobs.append(PriceJob(config.prices, http, store, clock))
    return jobs, await load_latest_prices(store, clock.now())
