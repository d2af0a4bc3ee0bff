"""The pools' distribution reports: each operation's identifiers as the tax authority knows
them, and the reconciliation's tolerance.

A pool reports, per licensed miner, the miner's IIN/BIN, name, licence number and date (a
Ministry of Finance order of 20 Feb 2026; zakon.kz, 27 Feb 2026). ``import pool-report`` finds
the operation by its IIN/BIN; the identifiers are the regulator's own and never appear on the
public page or in a metric's labels::

    operations:
      - id: karaganda-1
        license: KZ23VNZ00001234      # the licence number, already the operation's
        tax_identity: {iin_bin: "123456789012", licence_date: 2024-03-01}
    pool_reports:
      tolerance_sat: 1000   # a finding beyond the larger of these two
      tolerance_ppm: 1000   # 0.1 % of the larger reading
"""

from __future__ import annotations

from datetime import date

from pydantic import Field

from collector.config.base import Frozen
from remittance.pool_reports import Tolerance


class TaxIdentity(Frozen):
    """An operation as the pools' reports name it: its IIN (a person's) or BIN (a legal
    entity's), twelve digits, and the day its digital-mining licence (the operation's
    ``license``) was issued, when known."""

    iin_bin: str = Field(pattern=r"^\d{12}$")
    licence_date: date | None = None


class PoolReportsConfig(Frozen):
    """How far the report, the pool's API and the chain may differ before it is a finding.
    The reports' deadline is unconfirmed, so nothing here expects a report by a day."""

    tolerance_sat: int = Field(default=1_000, ge=0, le=100_000_000)
    tolerance_ppm: int = Field(default=1_000, ge=0, le=1_000_000)

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(self.tolerance_sat, self.tolerance_ppm)
