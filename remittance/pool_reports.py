"""Pools' monthly distribution reports reconciled three ways (issue 31, part C).

A licensed pool reports to the tax authority, per month and per licensed miner it distributed
digital assets to, the miner's IIN/BIN and name, licence number and date, wallet, distribution
date and amount (a Ministry of Finance order of 20 Feb 2026, sent over the Qoldau.kz API;
zakon.kz, 27 Feb 2026). reservewatch holds three readings of the same month for an operation and
a pool:

- **report**: the sum of the report's rows (what the pool told the tax authority);
- **api**: what the pool's API credited the operation's accounts at that pool, the sum of the
  stored daily earnings of the month's UTC days;
- **chain**: what reached the reported wallets on-chain in the month's UTC days, *when those
  wallets are ones reservewatch watches for the operation*; otherwise the leg is ``None``, not
  observable, never 0 (a wallet nobody reads has not received nothing).

Each pair of readings (``report_api``, ``report_chain``, ``api_chain``) that differs by more
than the tolerance is a :class:`Finding`. The tolerance is the larger of a fixed number of
satoshis and a share (parts per million) of the larger reading::

    >>> tolerance = Tolerance(sat=1_000, ppm=1_000)
    >>> tolerance.allowed_sat(250_000_000, 249_000_000)
    250000
    >>> [f.leg for f in reconcile(MonthReadings(250_000_000, 249_000_000, None), tolerance)]
    ['report_api']

Pure: typed values in, typed values out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

Leg = Literal["report_api", "report_chain", "api_chain"]
LEGS: Final[tuple[Leg, ...]] = ("report_api", "report_chain", "api_chain")
PPM: Final = 1_000_000


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far two readings may differ before it is a finding: ``sat`` satoshis, or ``ppm``
    parts per million of the larger reading, whichever is more."""

    sat: int = 1_000
    ppm: int = 1_000  # 0.1 %

    def allowed_sat(self, left_sat: int, right_sat: int) -> int:
        """The difference allowed between ``left_sat`` and ``right_sat`` (a share rounded
        down: the tolerance never grows by a rounding)."""
        return max(self.sat, max(left_sat, right_sat) * self.ppm // PPM)


@dataclass(frozen=True, slots=True)
class MonthReadings:
    """The three readings of one operation, pool and month, in satoshis; ``chain_sat`` is
    ``None`` when no reported wallet is watched (not observable)."""

    report_sat: int
    api_sat: int
    chain_sat: int | None


@dataclass(frozen=True, slots=True)
class Finding:
    """Two readings of a month that differ beyond the tolerance: ``difference_sat`` is
    ``left_sat - right_sat`` (the leg's first reading minus its second)."""

    leg: Leg
    left_sat: int
    right_sat: int
    allowed_sat: int

    @property
    def difference_sat(self) -> int:
        return self.left_sat - self.right_sat


def reconcile(readings: MonthReadings, tolerance: Tolerance) -> tuple[Finding, ...]:
    """The findings of one month: each pair of readings beyond the tolerance, in
    :data:`LEGS` order; a pair with an unobservable reading is never a finding."""
    pairs: dict[Leg, tuple[int | None, int | None]] = {
        "report_api": (readings.report_sat, readings.api_sat),
        "report_chain": (readings.report_sat, readings.chain_sat),
        "api_chain": (readings.api_sat, readings.chain_sat),
    }
    findings = []
    for leg in LEGS:
        left, right = pairs[leg]
        if left is None or right is None:
            continue
        allowed = tolerance.allowed_sat(left, right)
        if abs(left - right) > allowed:
            findings.append(Finding(leg, left, right, allowed))
    return tuple(findings)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """One operation's month at one pool: its readings and findings."""

    operation_id: str
    pool: str
    month: date  # the month's first day
    readings: MonthReadings
    findings: tuple[Finding, ...]

    @property
    def chain_observable(self) -> bool:
        return self.readings.chain_sat is not None


def reconciliation_to_dict(reconciliation: Reconciliation) -> dict[str, object]:
    """A reconciled month as JSON values: ``chain_sat`` null when not observable.

    >>> month = Reconciliation("op", "ocean", date(2026, 10, 1), MonthReadings(5, 1, None), ())
    >>> reconciliation_to_dict(month)["chain_sat"] is None
    True
    """
    readings = reconciliation.readings
    return {
        "pool": reconciliation.pool,
        "month": f"{reconciliation.month:%Y-%m}",
        "report_sat": readings.report_sat,
        "api_sat": readings.api_sat,
        "chain_sat": readings.chain_sat,
        "findings": [
            {
                "leg": f.leg,
                "left_sat": f.left_sat,
                "right_sat": f.right_sat,
                "difference_sat": f.difference_sat,
                "allowed_sat": f.allowed_sat,
            }
            for f in reconciliation.findings
        ],
    }
