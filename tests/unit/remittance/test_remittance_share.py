from __future__ import annotations

from decimal import Decimal

from remittance.share import (
    hashrate_share,
    national_share,
    power_implied_hashrate_hs,
    reconcile,
)


def test_share_is_operation_over_network() -> None:
    assert hashrate_share(Decimal("5e18"), Decimal("1e21")) == Decimal("0.005")


def test_share_with_zero_or_missing_network_is_none_not_inf() -> None:
    assert hashrate_share(Decimal(5), Decimal(0)) is None
    assert hashrate_share(Decimal(5), None) is None
    assert hashrate_share(None, Decimal(10)) is None
    assert hashrate_share(float("inf"), 10.0) is None


def test_national_share_sums_operations_and_skips_missing_ones() -> None:
    assert national_share([Decimal(1), None, 2.0], Decimal(100)) == Decimal("0.03")
    assert national_share([], Decimal(100)) == Decimal(0)
    assert national_share([Decimal(1)], 0) is None


def test_power_implied_hashrate_is_watts_over_joules_per_terahash() -> None:
    # 3,500 W at 17.5 J/TH is 200 TH/s.
    assert power_implied_hashrate_hs(3500, Decimal("17.5")) == Decimal("2e14")
    assert power_implied_hashrate_hs(3500, 0) is None


def test_reconcile_flags_pool_figure_well_below_telemetry() -> None:
    result = reconcile(
        "op-1",
        telemetry_hs=Decimal("2e14"),
        pool_hs=Decimal("1.5e14"),
        power_w=3500,
        efficiency_j_per_th=Decimal("17.5"),
        tolerance=Decimal("0.10"),
    )
    assert result.pool_to_telemetry == Decimal("0.75")
    assert result.pool_to_implied == Decimal("0.75")
    assert result.pool_below_telemetry


def test_reconcile_within_tolerance_is_not_flagged() -> None:
    result = reconcile(
        "op-1",
        telemetry_hs=Decimal(100),
        pool_hs=Decimal(90),
        power_w=None,
        efficiency_j_per_th=None,
        tolerance=Decimal("0.10"),
    )
    assert result.pool_to_telemetry == Decimal("0.9")
    assert not result.pool_below_telemetry
    assert result.implied_hs is None
    assert result.pool_to_implied is None


def test_reconcile_without_telemetry_is_not_flagged_and_has_no_ratio() -> None:
    result = reconcile(
        "op-1", telemetry_hs=0, pool_hs=Decimal(90), power_w=0, efficiency_j_per_th=20
    )
    assert result.pool_to_telemetry is None
    assert result.pool_to_implied is None
    assert not result.pool_below_telemetry
