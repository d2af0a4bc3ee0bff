"""``official_price:``: CoinMarketCap's daily average polled as the official price's basis.

Off unless configured. The State Revenue Committee's own publication is imported
(``import official-prices``); where a working day has none, CoinMarketCap's average of that
day, the basis the Committee's rules name, stands in, labelled as such
(:mod:`collector.sources.official_price`)::

    official_price:
      api_key_env: CMC_PRO_API_KEY       # or api_key_file: /run/secrets/cmc; never the key here
      # url: https://pro-api.coinmarketcap.com/v2/cryptocurrency/quotes/historical
      # cmc_id: 1                        # CoinMarketCap's id of Bitcoin
      # lookback_days: 10                # the days behind today it fills when missing
      # poll_interval_s: 3600
"""

from __future__ import annotations

from pathlib import Path
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from collector.config.base import Frozen

CMC_HISTORICAL_QUOTES = "https://pro-api.coinmarketcap.com/v2/cryptocurrency/quotes/historical"


class OfficialPriceConfig(Frozen):
    """Where CoinMarketCap's historical quotes are asked, with which key, how far back."""

    url: str = CMC_HISTORICAL_QUOTES
    api_key_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
    api_key_file: Path | None = None
    cmc_id: int = Field(default=1, ge=1)
    lookback_days: int = Field(default=10, ge=1, le=31)
    poll_interval_s: float = Field(default=3600, ge=60)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError("must be an http:// or https:// URL without a query string")
        return url

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if (self.api_key_env is None) == (self.api_key_file is None):
            raise ValueError(
                "set exactly one of api_key_env (an environment variable's name) or "
                "api_key_file (a file holding the key): CoinMarketCap refuses keyless calls"
            )
        return self
