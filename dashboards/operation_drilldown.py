"""Operation drill-down: one operation's sites, pools, workers, earnings and statements."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards.panels import (
    HIGHER_IS_WORSE,
    Query,
    Unit,
    label_variable,
    new_dashboard,
    row,
    stat,
    table,
    timeseries,
)
from dashboards.reserve_remittances import (
    ANY_SHORTFALL,
    EARNINGS_RATIO,
    HASHRATE_RATIO,
    OVERDUE,
    SALE,
)

UID = "reservewatch-operation-drilldown"
OP = 'operation=~"$operation"'


def dashboard() -> Dashboard:
    """The operation drill-down dashboard (template variable ``operation``)."""
    return (
        new_dashboard(
            "reservewatch / Operation drill-down",
            uid=UID,
            description="One operation: its sites, pools and workers, earnings against "
            "expectation and the state of its remittance statements.",
        )
        .with_variable(
            label_variable(
                "operation", "Operation", "reservewatch_operation_info", include_all=False
            )
        )
        .with_row(row("Statement status"))
        .with_panel(
            stat(
                "Shortfall",
                Unit.BTC,
                [Query(f"sum(reservewatch_operation_remittance_shortfall_btc{{{OP}}})")],
                steps=ANY_SHORTFALL,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Overdue",
                Unit.SECONDS,
                [Query(f"max(reservewatch_operation_remittance_overdue_seconds{{{OP}}})")],
                steps=OVERDUE,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Earnings reported ÷ expected",
                Unit.PERCENT_UNIT,
                [Query(f"reservewatch_operation_earnings_discrepancy_ratio{{{OP}}}")],
                steps=EARNINGS_RATIO,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Hash rate pool ÷ telemetry",
                Unit.PERCENT_UNIT,
                [Query(f"reservewatch_operation_hashrate_discrepancy_ratio{{{OP}}}")],
                steps=HASHRATE_RATIO,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Network hash-rate share",
                Unit.PERCENT_UNIT,
                [Query(f"reservewatch_operation_hashrate_share_ratio{{{OP}}}")],
                width=4,
            )
        )
        .with_panel(
            stat(
                "Sites over quota",
                Unit.SHORT,
                [
                    Query(
                        f"count(reservewatch_site_power_watts{{{OP}}}"
                        f" > reservewatch_site_power_quota_watts{{{OP}}}) or vector(0)"
                    )
                ],
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_panel(
            table(
                "Operation",
                Unit.SHORT,
                [Query(f"reservewatch_operation_info{{{OP}}}")],
                description="Name and licence the collector's configuration gives the operation.",
                hidden_columns=("Time", "__name__", "job", "instance", "Value"),
                width=24,
                height=4,
            )
        )
        .with_row(row("Digital-mining fee (tenge, by quarter)"))
        .with_panel(
            stat(
                "Fee due, every quarter so far",
                Unit.KZT,
                [Query(f"sum(reservewatch_mining_fee_due_kzt{{{OP}}})")],
                description="Tenge per kWh of the sites' energy; the open quarter as metered "
                "so far.",
                width=6,
            )
        )
        .with_panel(
            stat(
                "Fee paid (bank transfers)",
                Unit.KZT,
                [Query(f"sum(reservewatch_mining_fee_paid_kzt{{{OP}}})")],
                width=6,
            )
        )
        .with_panel(
            stat(
                "Fee overdue",
                Unit.KZT,
                [Query(f"sum(reservewatch_mining_fee_overdue_kzt{{{OP}}})")],
                description="Unpaid after a quarter's payment deadline (the 25th of the second "
                "month after it, Asia/Almaty).",
                steps=HIGHER_IS_WORSE,
                width=6,
            )
        )
        .with_panel(
            stat(
                "Sites without a price or a meter",
                Unit.SHORT,
                [Query(f"sum(reservewatch_mining_fee_problem_sites{{{OP}}})")],
                description="Latest quarter: metered grid sites with no price configured (left "
                "out of the fee) and sites metered by nothing (the no-meter rate).",
                steps=HIGHER_IS_WORSE,
                width=6,
            )
        )
        .with_row(row("Mandatory sale on AIFC exchanges (share of the mined coins)"))
        .with_panel(
            stat(
                "To sell, every period so far",
                Unit.BTC,
                [Query(f"sum({SALE}_required_btc{{{OP}}})")],
                description="Each day's mined coins times that day's percent of the "
                "operation's mandatory-sale terms (unconfirmed in law, so configured), rounded "
                "half up once per period; no value where the terms set no mandatory sale.",
                width=6,
            )
        )
        .with_panel(
            stat(
                "Sold (exchange statements)",
                Unit.BTC,
                [Query(f"sum({SALE}_sold_btc{{{OP}}})")],
                description="What the imported AIFC exchange statements evidence (reservewatch "
                "import exchange-sales), counted up to each period's share.",
                width=6,
            )
        )
        .with_panel(
            stat(
                "Short",
                Unit.BTC,
                [Query(f"sum({SALE}_shortfall_btc{{{OP}}})")],
                steps=ANY_SHORTFALL,
                width=6,
            )
        )
        .with_panel(
            stat(
                "Short past the deadline",
                Unit.BTC,
                [Query(f"sum({SALE}_overdue_btc{{{OP}}})")],
                description="The shortfall of periods whose selling window (deadline_days "
                "after the period) has closed; MandatorySaleOverdue fires on it.",
                steps=ANY_SHORTFALL,
                width=6,
            )
        )
        .with_row(row("Pools' reports to the tax authority"))
        .with_panel(
            stat(
                "Report findings (months × legs)",
                Unit.SHORT,
                [Query(f"sum(reservewatch_pool_report_findings{{{OP}}}) or vector(0)")],
                description="Months of the pools' monthly reports whose report, API credit and "
                "chain disagree beyond the tolerance, summed over legs; 0 also where no report "
                "names the operation. reservewatch pool-reports lists them.",
                steps=HIGHER_IS_WORSE,
                width=24,
            )
        )
        .with_row(row("Sites"))
        .with_panel(
            table(
                "Sites",
                Unit.WATT,
                [
                    Query(f"sum by (site) (reservewatch_site_power_watts{{{OP}}})", "Load"),
                    Query(f"sum by (site) (reservewatch_site_power_quota_watts{{{OP}}})", "Quota"),
                    Query(
                        f"sum by (site) (reservewatch_site_hashrate_hashes_per_second{{{OP}}})",
                        "Hash rate",
                        unit=Unit.HASHES_PER_SECOND,
                    ),
                    Query(
                        f"sum by (site) (reservewatch_site_miners_online{{{OP}}})",
                        "Miners online",
                        unit=Unit.SHORT,
                    ),
                    Query(
                        f"sum by (site) (reservewatch_site_miners_total{{{OP}}})",
                        "Miners",
                        unit=Unit.SHORT,
                    ),
                    Query(
                        f"max by (site) (reservewatch:site_telemetry_age_seconds{{{OP}}})",
                        "Telemetry age",
                        unit=Unit.SECONDS,
                    ),
                    Query(
                        f"max by (site) (reservewatch_site_inlet_temperature_celsius{{{OP}}})",
                        "Inlet temperature",
                        unit=Unit.CELSIUS,
                    ),
                ],
            )
        )
        .with_panel(
            timeseries(
                "Site load vs quota",
                Unit.WATT,
                [
                    Query(f"reservewatch_site_power_watts{{{OP}}}", "{{site}} load"),
                    Query(f"reservewatch_site_power_quota_watts{{{OP}}}", "{{site}} quota"),
                ],
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Site hash rate: reported vs power-implied",
                Unit.HASHES_PER_SECOND,
                [
                    Query(
                        f"reservewatch_site_hashrate_hashes_per_second{{{OP}}}",
                        "{{site}} reported",
                    ),
                    Query(
                        f"reservewatch_site_power_implied_hashrate_hashes_per_second{{{OP}}}",
                        "{{site}} implied by power",
                    ),
                ],
                width=12,
                min_value=0,
            )
        )
        .with_row(row("Pools and workers"))
        .with_panel(
            timeseries(
                "Pool hash rate",
                Unit.HASHES_PER_SECOND,
                [
                    Query(
                        f"reservewatch_pool_hashrate_hashes_per_second{{{OP}}}",
                        "{{pool}} ({{window}})",
                    ),
                    Query(
                        f"sum(reservewatch_site_hashrate_hashes_per_second{{{OP}}})",
                        "telemetry total",
                    ),
                ],
                description="Hash rate the pools credit, current and 24 h average, against "
                "what the sites' telemetry reports.",
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Pool workers",
                Unit.SHORT,
                [Query(f"reservewatch_pool_workers{{{OP}}}", "{{pool}} {{state}}")],
                width=12,
                stacked=True,
                min_value=0,
            )
        )
        .with_row(row("Earnings and remittances"))
        .with_panel(
            timeseries(
                "Earnings: mined vs expected",
                Unit.BTC,
                [
                    Query(f"reservewatch_operation_mined_btc_total{{{OP}}}", "mined"),
                    Query(f"reservewatch_operation_expected_btc_total{{{OP}}}", "expected"),
                ],
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Remittance: due vs remitted vs received on-chain",
                Unit.BTC,
                [
                    Query(f"reservewatch_operation_remittance_due_btc_total{{{OP}}}", "due"),
                    Query(f"reservewatch_operation_remitted_btc_total{{{OP}}}", "remitted"),
                    Query(f"reservewatch_reserve_received_btc_total{{{OP}}}", "received"),
                ],
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Discrepancy ratios",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        f"reservewatch_operation_earnings_discrepancy_ratio{{{OP}}}",
                        "earnings reported ÷ expected",
                    ),
                    Query(
                        f"reservewatch_operation_hashrate_discrepancy_ratio{{{OP}}}",
                        "hash rate pool ÷ telemetry",
                    ),
                ],
                steps=HASHRATE_RATIO,
                width=12,
            )
        )
        .with_panel(
            timeseries(
                "Shortfall",
                Unit.BTC,
                [Query(f"reservewatch_operation_remittance_shortfall_btc{{{OP}}}", "shortfall")],
                steps=ANY_SHORTFALL,
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Overdue",
                Unit.SECONDS,
                [Query(f"reservewatch_operation_remittance_overdue_seconds{{{OP}}}", "overdue")],
                steps=OVERDUE,
                width=12,
                min_value=0,
            )
        )
    )
