"""The digital-mining fee's configuration: the national band schedule (effective-dated) and
each site's supply and average price paid per kWh (effective-dated).

Every rate is configuration. The shipped default holds only the confirmed points of Tax Code
Art. 606-3 as amended in force 1 Jan 2023 (an average price of 24 KZT/kWh or more → 1 KZT/kWh;
the top rate 25 KZT; own generation 10 KZT; own renewable generation 1 KZT; no meter 25 KZT):
below 24 KZT the top rate applies until the intermediate bands, which are **unconfirmed**
(the May 2022 draft: 5-10 KZT → 10; 10-15 → 7; 20-25 → 3), are configured as a later
schedule revision::

    mining_fee:
      schedule:
        - from: 2023-01-01
          bands: [{price_from_tiyn: 0, rate_tiyn: 2500}, {price_from_tiyn: 2400, rate_tiyn: 100}]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal, Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from collector.config.base import Frozen
from remittance.mining_fee import FeeBand, FeeSchedule

MAX_RATE_TIYN = 1_000_000  # 10,000 KZT per kWh: a figure above is garbled, not a rate
MAX_PRICE_TIYN = 10_000_000


class FeeBandConfig(Frozen):
    """From an average price of ``price_from_tiyn`` per kWh up, ``rate_tiyn`` per kWh."""

    price_from_tiyn: int = Field(ge=0, le=MAX_PRICE_TIYN)
    rate_tiyn: int = Field(ge=0, le=MAX_RATE_TIYN)


class FeeScheduleConfig(Frozen):
    """The bands and special rates in force from ``from`` (a day in the regulator's zone)."""

    effective_from: date = Field(alias="from")
    bands: tuple[FeeBandConfig, ...]
    own_generation_tiyn: int = Field(default=1000, ge=0, le=MAX_RATE_TIYN)
    own_renewable_tiyn: int = Field(default=100, ge=0, le=MAX_RATE_TIYN)
    no_meter_tiyn: int = Field(default=2500, ge=0, le=MAX_RATE_TIYN)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("bands")
    @classmethod
    def _ascending_from_zero(cls, bands: tuple[FeeBandConfig, ...]) -> tuple[FeeBandConfig, ...]:
        prices = [band.price_from_tiyn for band in bands]
        if not prices or prices[0] != 0 or prices != sorted(set(prices)):
            raise ValueError("bands must ascend by price_from_tiyn, each once, the first from 0")
        return bands

    def rules(self) -> FeeSchedule:
        return FeeSchedule(
            effective_from=self.effective_from,
            bands=tuple(FeeBand(b.price_from_tiyn, b.rate_tiyn) for b in self.bands),
            own_generation_tiyn=self.own_generation_tiyn,
            own_renewable_tiyn=self.own_renewable_tiyn,
            no_meter_tiyn=self.no_meter_tiyn,
        )


CONFIRMED_SCHEDULE = FeeScheduleConfig(
    effective_from=date(2023, 1, 1),
    bands=(
        # Below 24 KZT/kWh: the top rate until the (unconfirmed) intermediate bands are set.
        FeeBandConfig(price_from_tiyn=0, rate_tiyn=2500),
        FeeBandConfig(price_from_tiyn=2400, rate_tiyn=100),  # confirmed: >= 24 KZT -> 1 KZT
    ),
)


class MiningFeeConfig(Frozen):
    """The fee's schedule revisions, in increasing order of ``from``."""

    schedule: tuple[FeeScheduleConfig, ...] = (CONFIRMED_SCHEDULE,)

    @field_validator("schedule")
    @classmethod
    def _in_order(cls, schedule: tuple[FeeScheduleConfig, ...]) -> tuple[FeeScheduleConfig, ...]:
        days = [revision.effective_from for revision in schedule]
        if not days or days != sorted(set(days)):
            raise ValueError("give schedules in increasing order of from, each date once")
        return schedule

    def rules(self) -> tuple[FeeSchedule, ...]:
        return tuple(revision.rules() for revision in self.schedule)


class SitePriceConfig(Frozen):
    """From ``from`` (a day in the regulator's zone), the site's average price paid per kWh,
    in tiyn (an exact decimal: ``1850.5`` is 18.505 KZT)."""

    effective_from: date = Field(alias="from")
    price_tiyn_per_kwh: Decimal

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("price_tiyn_per_kwh")
    @classmethod
    def _price(cls, price: Decimal) -> Decimal:
        if not price.is_finite() or not Decimal(0) <= price <= MAX_PRICE_TIYN:
            raise ValueError(f"must be between 0 and {MAX_PRICE_TIYN} tiyn per kWh")
        return price


class SiteFeeConfig(Frozen):
    """From ``from`` (a day in the regulator's zone: the licence's start, or when the fee was
    first watched here) the site's energy owes the fee; a site without it owes none here.
    Its supply (``grid``: the band of its price; ``own``; ``own_renewable``) and its average
    price per kWh, effective-dated."""

    watched_from: date | None = Field(default=None, alias="from")
    supply: Literal["grid", "own", "own_renewable"] = "grid"
    prices: tuple[SitePriceConfig, ...] = ()

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _prices_in_order(self) -> Self:
        days = [price.effective_from for price in self.prices]
        if days != sorted(set(days)):
            raise ValueError("prices must be in increasing order of from, each date once")
        return self
