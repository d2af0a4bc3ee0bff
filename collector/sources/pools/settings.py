"""What a pool account's configuration says, whatever its kind: the settings every adapter
reads (:class:`PoolAccountSettings`) and the generic adapter's JSON paths. The adapters type
against these; the configuration (:class:`collector.config.sections.PoolAccountConfig`) adds
what the pool table knows (the kinds, what each kind needs), so no adapter imports the
configuration.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from collector.clock import iana_zone

HASHRATE_UNITS = ("h/s", "kh/s", "mh/s", "gh/s", "th/s", "ph/s", "eh/s")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GenericPoolPaths(_Frozen):
    """JSON paths (dot-separated, numeric parts index lists) for a pool not listed."""

    hashrate_url: str
    hashrate_path: str
    hashrate_24h_path: str | None = None
    hashrate_unit: Literal["H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s", "EH/s"] = "H/s"
    workers_online_path: str | None = None
    workers_offline_path: str | None = None
    earnings_url: str | None = None
    earnings_list_path: str | None = None
    earnings_date_field: str = "date"
    earnings_amount_field: str = "amount"
    earnings_amount_unit: Literal["btc", "sat"] = "btc"
    auth_header: str = "Authorization"


class PoolAccountSettings(_Frozen):
    """The settings of one pool account that every adapter reads."""

    kind: str
    account: str = Field(min_length=1, max_length=200)
    token_env: str | None = None
    token_file: Path | None = None
    secret_env: str | None = None
    secret_file: Path | None = None
    user_id: str | None = None
    base_url: str | None = None
    auth_header: str | None = None
    # The account counts for the operation's days from ``from`` (inclusive) to ``until``
    # (exclusive); unset, from the beginning / without end. Adding an account with its real
    # first day never turns earlier days "missing".
    effective_from: date | None = Field(default=None, alias="from")
    until: date | None = None
    backfill_days: int = Field(default=90, ge=1, le=3650)
    poll_interval_s: float = Field(default=300, ge=5)
    # How many past days the pool may still revise: each poll re-reads them, and a period's
    # statement is e-mailed only once they have passed.
    revision_days: int = Field(default=3, ge=0, le=60)
    # AntPool: which mining day a paymentHistoryV2 row's date names (unconfirmed in AntPool's
    # own docs; the public clients read it as the mining day itself).
    row_date: Literal["mining_day", "day_after"] = "mining_day"
    # The unit of the pool's own daily hash rate where it is not documented (F2Pool, Luxor,
    # AntPool's paymentHistoryV2 hashrate_unit: H/s by default; Foundry: GH/s, as live
    # clients read /earnings), or "off" to ignore it and use the collector's own samples.
    day_hashrate_unit: str | None = None
    # The zone of timestamps the pool writes without one (OCEAN's earnpay `ts`; unconfirmed).
    timestamp_zone: str = "UTC"
    # A day whose hash rate comes from the collector's own samples counts only when they
    # cover at least this share of it; below, the day is missing from the expected figure.
    hashrate_min_coverage: Decimal = Field(default=Decimal("0.8"), ge=0, le=1)
    generic: GenericPoolPaths | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def in_force(self, day: date) -> bool:
        """Whether the account counts for the operation on ``day``."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.until is None or day < self.until
        )

    @field_validator("day_hashrate_unit")
    @classmethod
    def _hashrate_unit(cls, unit: str | None) -> str | None:
        if unit is not None and unit != "off" and unit.lower() not in HASHRATE_UNITS:
            raise ValueError(f"{unit!r} is not a hash rate unit (H/s ... EH/s) or off")
        return unit

    @field_validator("timestamp_zone")
    @classmethod
    def _zone(cls, name: str) -> str:
        return iana_zone(name)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return url.rstrip("/") if url else url

    @property
    def target(self) -> str:
        return f"{self.kind}/{self.account}"
