"""Hash-rate shares and the three-way reconciliation of an operation's hash rate.

- share = operation's current pool hash rate ÷ network hash rate;
  national share = Σ operations' pool hash rates ÷ network hash rate.
- power-implied hash rate (H/s) = power (W) ÷ efficiency (J/TH) × 1e12
  (W = J/s, so W ÷ J/TH = TH/s).
- ratios pool/telemetry and pool/implied; the operation is flagged when the pool figure is below
  telemetry by more than `tolerance` (pool < telemetry × (1 − tolerance)): hash rate the site
  produces but the declared pool accounts do not see may be pointed at undeclared accounts.

A ratio with a missing, zero or non-finite denominator (or numerator) is None, never inf.

>>> hashrate_share(Decimal(5), Decimal(1000))
Decimal('0.005')
>>> power_implied_hashrate_hs(Decimal(3500), Decimal("17.5")) == Decimal("200e12")
True
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from remittance.money import measured_decimal

Measured = float | Decimal | int | None

_HS_PER_THS = Decimal(10) ** 12


def _ratio(numerator: Measured, denominator: Measured) -> Decimal | None:
    top = measured_decimal(numerator)
    bottom = measured_decimal(denominator)
    if top is None or bottom is None or bottom <= 0 or top < 0:
        return None
    return top / bottom


def hashrate_share(operation_hs: Measured, network_hs: Measured) -> Decimal | None:
    """The operation's share of the network hash rate, or None without a usable figure."""
    return _ratio(operation_hs, network_hs)


def national_share(operations_hs: Iterable[Measured], network_hs: Measured) -> Decimal | None:
    """Σ of the operations' hash rates ÷ network; operations without a figure add nothing."""
    usable = [value for value in map(measured_decimal, operations_hs) if value is not None]
    return _ratio(sum(usable, start=Decimal(0)), network_hs)


def power_implied_hashrate_hs(power_w: Measured, efficiency_j_per_th: Measured) -> Decimal | None:
    """The hash rate (H/s) that `power_w` buys at `efficiency_j_per_th`, or None."""
    terahash_per_s = _ratio(power_w, efficiency_j_per_th)
    return None if terahash_per_s is None else terahash_per_s * _HS_PER_THS


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Telemetry vs pool-reported vs power-implied hash rate for one operation."""

    operation: str
    telemetry_hs: Decimal | None
    pool_hs: Decimal | None
    implied_hs: Decimal | None
    pool_to_telemetry: Decimal | None
    pool_to_implied: Decimal | None
    pool_below_telemetry: bool


def reconcile(
    operation: str,
    *,
    telemetry_hs: Measured,
    pool_hs: Measured,
    power_w: Measured,
    efficiency_j_per_th: Measured,
    tolerance: Decimal = Decimal("0.10"),
) -> Reconciliation:
    """Compare the three hash-rate figures of one operation.

    Args:
        operation: the operation's id.
        telemetry_hs: Σ hash rate the site's machines report (H/s).
        pool_hs: Σ hash rate the operation's declared pool accounts report (H/s).
        power_w: the site's current power draw (W).
        efficiency_j_per_th: the declared fleet efficiency (J/TH).
        tolerance: how far below telemetry (fraction) the pool figure may fall unflagged.
    """
    telemetry = measured_decimal(telemetry_hs)
    pool = measured_decimal(pool_hs)
    pool_to_telemetry = _ratio(pool, telemetry)
    return Reconciliation(
        operation=operation,
        telemetry_hs=telemetry,
        pool_hs=pool,
        implied_hs=power_implied_hashrate_hs(power_w, efficiency_j_per_th),
        pool_to_telemetry=pool_to_telemetry,
        pool_to_implied=_ratio(pool, power_implied_hashrate_hs(power_w, efficiency_j_per_th)),
        pool_below_telemetry=(
            pool_to_telemetry is not None and pool_to_telemetry < Decimal(1) - tolerance
        ),
    )
