"""Grid overview: what the energy regulator watches across regions and sites."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards.panels import (
    HIGHER_IS_WORSE,
    ZERO_IS_BAD,
    Query,
    Step,
    Unit,
    new_dashboard,
    row,
    stat,
    table,
    timeseries,
)

UID = "reservewatch-grid-overview"
STALE_AFTER_SECONDS = 300
LOAD_OF_QUOTA = (Step(None, "green"), Step(0.9, "orange"), Step(1.0, "red"))
REPORTED_OF_IMPLIED = (Step(None, "red"), Step(0.8, "orange"), Step(0.95, "green"))


def dashboard() -> Dashboard:
    """The grid overview dashboard."""
    return (
        new_dashboard(
            "reservewatch / Grid overview",
            uid=UID,
            description="Mining load per region against quotas and curtailment orders, "
            "sites over quota, energy per day, hash rate and telemetry freshness.",
        )
        .with_row(row("Now"))
        .with_panel(
            stat(
                "National mining load",
                Unit.WATT,
                [Query("reservewatch:national_power_watts:sum")],
                description="Sum of the latest power readings of every site.",
                width=4,
            )
        )
        .with_panel(
            stat(
                "Regions over quota",
                Unit.SHORT,
                [
                    Query(
                        "count(reservewatch_region_power_watts"
                        " > reservewatch_region_power_quota_watts) or vector(0)"
                    )
                ],
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Sites over quota",
                Unit.SHORT,
                [
                    Query(
                        "count(reservewatch_site_power_watts"
                        " > reservewatch_site_power_quota_watts) or vector(0)"
                    )
                ],
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Active curtailment orders",
                Unit.SHORT,
                [Query("count(reservewatch_region_curtailment_max_watts) or vector(0)")],
                description="Regions with a curtailment order in force.",
                steps=(Step(None, "green"), Step(1.0, "orange")),
                width=4,
            )
        )
        .with_panel(
            stat(
                "Sites not complying with curtailment",
                Unit.SHORT,
                [Query("count(reservewatch_site_curtailment_compliant == 0) or vector(0)")],
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Stale sites",
                Unit.SHORT,
                [
                    Query(
                        "count(reservewatch:site_telemetry_age_seconds"
                        f" > {STALE_AFTER_SECONDS}) or vector(0)"
                    )
                ],
                description=f"Sites with no telemetry for more than {STALE_AFTER_SECONDS} s.",
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_row(row("Load and quotas"))
        .with_panel(
            timeseries(
                "Mining load per region vs quota",
                Unit.WATT,
                [
                    Query("reservewatch_region_power_watts", "{{region}} load"),
                    Query("reservewatch_region_power_quota_watts", "{{region}} quota"),
                    Query(
                        "reservewatch_region_curtailment_max_watts", "{{region}} curtailment cap"
                    ),
                ],
                description="Reported load per region, its quota, and the cap of any active "
                "curtailment order.",
                width=16,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Load as share of quota",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        "reservewatch_region_power_watts / reservewatch_region_power_quota_watts",
                        "{{region}}",
                    )
                ],
                steps=LOAD_OF_QUOTA,
                width=8,
                min_value=0,
            )
        )
        .with_panel(
            table(
                "Sites by load against quota",
                Unit.WATT,
                [
                    Query(
                        "sort_desc(reservewatch_site_power_watts"
                        " / reservewatch_site_power_quota_watts)",
                        "Load ÷ quota",
                        unit=Unit.PERCENT_UNIT,
                    ),
                    Query("reservewatch_site_power_watts", "Load"),
                    Query("reservewatch_site_power_quota_watts", "Quota"),
                ],
                description="Every site's latest load against its quota, closest to the quota "
                "first; a site over quota shows above 100 % (counted in 'Sites over quota').",
                width=12,
            )
        )
        .with_panel(
            timeseries(
                "Curtailment compliance per region",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        "sum by (region) (reservewatch_site_curtailment_compliant)"
                        " / count by (region) (reservewatch_site_curtailment_compliant)",
                        "{{region}}",
                    )
                ],
                description="Share of a region's sites complying with its active curtailment "
                "order; empty while no order is in force.",
                steps=(Step(None, "red"), Step(1.0, "green")),
                width=12,
                min_value=0,
            )
        )
        .with_row(row("Energy and hash rate"))
        .with_panel(
            timeseries(
                "Energy per day by region",
                Unit.KILOWATT_HOUR,
                [Query("reservewatch:region_energy_joules:increase1d / 3.6e6", "{{region}}")],
                description="Energy drawn over the trailing 24 hours, from the sites' "
                "energy counters.",
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Miners online",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        "sum by (region) (reservewatch_site_miners_online)"
                        " / sum by (region) (reservewatch_site_miners_total)",
                        "{{region}}",
                    )
                ],
                steps=ZERO_IS_BAD,
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Hash rate: power-implied vs reported",
                Unit.HASHES_PER_SECOND,
                [
                    Query(
                        "reservewatch:operation_power_implied_hashrate_hashes_per_second:sum",
                        "{{operation}} implied by power",
                    ),
                    Query(
                        "reservewatch:operation_hashrate_hashes_per_second:sum",
                        "{{operation}} reported",
                    ),
                ],
                description="Hash rate the sites' power draw implies at their machines' "
                "efficiency, against the hash rate their telemetry reports.",
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Reported ÷ power-implied hash rate",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        "reservewatch:operation_hashrate_hashes_per_second:sum"
                        " / reservewatch:operation_power_implied_hashrate_hashes_per_second:sum",
                        "{{operation}}",
                    )
                ],
                description="Well below 100 % means power is drawn that the reported hash "
                "rate does not account for.",
                steps=REPORTED_OF_IMPLIED,
                width=12,
                min_value=0,
            )
        )
        .with_row(row("Sites"))
        .with_panel(
            table(
                "Telemetry age per site",
                Unit.SECONDS,
                [
                    Query("sort_desc(reservewatch:site_telemetry_age_seconds)", "Age"),
                ],
                description=f"Seconds since each site's last reading; red past "
                f"{STALE_AFTER_SECONDS} s.",
                steps=(Step(None, "green"), Step(float(STALE_AFTER_SECONDS), "red")),
                width=12,
            )
        )
        .with_panel(
            timeseries(
                "Hottest inlet temperature per region",
                Unit.CELSIUS,
                [
                    Query(
                        "max by (region) (reservewatch_site_inlet_temperature_celsius)",
                        "{{region}}",
                    )
                ],
                steps=(Step(None, "green"), Step(35.0, "orange"), Step(45.0, "red")),
                width=12,
            )
        )
    )
