"""An operation's mandatory sale: the share of its mined coins to sell on a licensed AIFC
exchange, effective-dated, and the days after a period allowed to sell it.

Neither the percentages nor the deadline are confirmed in statute text (reported: 25 % in
2023, 50 % in 2024, 75 % in 2025; ``docs/reference/mandatory-sale.md`` cites the sources), so
both are configuration, kept with the operation's terms as revisions::

    mandatory_sale:
      schedule:
        - {from: 2024-01-01, percent: "50"}
        - {from: 2025-01-01, percent: "75"}
      deadline_days: 0
      exchanges: ["Example AIFC Exchange Ltd"]
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import ConfigDict, Field, field_validator

from collector.config.base import Frozen
from remittance.mandatory_sale import SaleStep

MAX_DEADLINE_DAYS = 366


class SaleStepConfig(Frozen):
    """From ``from`` (a UTC day) until the next step, ``percent`` (0-100, an exact decimal
    such as ``"50"`` or ``"12.5"``) of each day's mined coins is to be sold."""

    effective_from: date = Field(alias="from")
    percent: Decimal

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @field_validator("percent")
    @classmethod
    def _percent(cls, percent: Decimal) -> Decimal:
        if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
            raise ValueError("must be a percent between 0 and 100")
        return percent


class MandatorySaleConfig(Frozen):
    """The schedule's steps in increasing order of ``from``, and ``deadline_days``: how many
    days after a period's end a sale still counts for it (0: only sales inside the period)."""

    schedule: tuple[SaleStepConfig, ...]
    deadline_days: int = Field(default=0, ge=0, le=MAX_DEADLINE_DAYS)
    # The AIFC-licensed exchanges whose sales count, by the name their statements give (empty:
    # any name is taken as given).
    exchanges: tuple[str, ...] = ()

    @field_validator("schedule")
    @classmethod
    def _in_order(cls, schedule: tuple[SaleStepConfig, ...]) -> tuple[SaleStepConfig, ...]:
        days = [step.effective_from for step in schedule]
        if not days or days != sorted(set(days)):
            raise ValueError("give the steps in increasing order of from, each date once")
        return schedule

    def rules(self) -> tuple[SaleStep, ...]:
        return tuple(SaleStep(step.effective_from, step.percent) for step in self.schedule)
