"""Reserve remittances: what each operation owes the state reserve and what it paid."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards.panels import (
    HIGHER_IS_WORSE,
    Query,
    Step,
    Unit,
    label_variable,
    new_dashboard,
    row,
    stat,
    table,
    timeseries,
)

UID = "reservewatch-reserve-remittances"
OPS = 'operation=~"$operation"'
SALE = "reservewatch_mandatory_sale"
ONE_SATOSHI_BTC = 0.00000001
GRACE_SECONDS = 7 * 86400
ANY_SHORTFALL = (Step(None, "green"), Step(ONE_SATOSHI_BTC, "red"))
OVERDUE = (Step(None, "green"), Step(1.0, "orange"), Step(float(GRACE_SECONDS), "red"))
EARNINGS_RATIO = (Step(None, "red"), Step(0.95, "green"))
HASHRATE_RATIO = (Step(None, "red"), Step(0.8, "green"))


def dashboard() -> Dashboard:
    """The reserve remittances dashboard."""
    return (
        new_dashboard(
            "reservewatch / Reserve remittances",
            uid=UID,
            description="Per operation: remittance due, remitted, shortfall and overdue; "
            "hash-rate shares and the discrepancies that question reported earnings.",
        )
        .with_variable(
            label_variable(
                "operation", "Operation", "reservewatch_operation_info", include_all=True
            )
        )
        .with_row(row("Totals"))
        .with_panel(
            stat(
                "Due (cumulative)",
                Unit.BTC,
                [Query(f"sum(reservewatch_operation_remittance_due_btc_total{{{OPS}}})")],
                width=4,
            )
        )
        .with_panel(
            stat(
                "Remitted (cumulative)",
                Unit.BTC,
                [Query(f"sum(reservewatch_operation_remitted_btc_total{{{OPS}}})")],
                width=4,
            )
        )
        .with_panel(
            stat(
                "Shortfall",
                Unit.BTC,
                [Query(f"sum(reservewatch_operation_remittance_shortfall_btc{{{OPS}}})")],
                steps=ANY_SHORTFALL,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Operations overdue",
                Unit.SHORT,
                [
                    Query(
                        f"count(reservewatch_operation_remittance_overdue_seconds{{{OPS}}} > 0)"
                        " or vector(0)"
                    )
                ],
                steps=HIGHER_IS_WORSE,
                width=4,
            )
        )
        .with_panel(
            stat(
                "Received on-chain (confirmed)",
                Unit.BTC,
                [Query(f"sum(reservewatch_reserve_received_btc_total{{{OPS}}})")],
                width=4,
            )
        )
        .with_panel(
            stat(
                "National hash-rate share",
                Unit.PERCENT_UNIT,
                [Query("reservewatch_national_hashrate_share_ratio")],
                description="Share of the Bitcoin network's hash rate mined by all watched "
                "operations together. The panel beside it names any operation it leaves out.",
                width=4,
            )
        )
        .with_panel(
            stat(
                "Operations left out of the national share",
                Unit.SHORT,
                [Query("sum(reservewatch_national_hashrate_share_omitted)")],
                description="How many operations the national share does not count (no pool "
                "account of theirs has answered with a hash rate yet); 0 when it counts every "
                "one. reservewatch_national_hashrate_share_omitted == 1 names them.",
                width=4,
            )
        )
        .with_row(row("Per operation"))
        .with_panel(
            table(
                "Remittance status",
                Unit.BTC,
                [
                    Query(f"reservewatch_operation_remittance_due_btc_total{{{OPS}}}", "Due"),
                    Query(f"reservewatch_operation_remitted_btc_total{{{OPS}}}", "Remitted"),
                    Query(f"reservewatch_operation_remittance_shortfall_btc{{{OPS}}}", "Shortfall"),
                    Query(
                        f"reservewatch_operation_remittance_overdue_seconds{{{OPS}}}",
                        "Overdue",
                        unit=Unit.SECONDS,
                    ),
                ],
                description="Latest values per operation; overdue counts from the deadline of "
                "the oldest unpaid period.",
                steps=ANY_SHORTFALL,
            )
        )
        .with_panel(
            table(
                "Mandatory sale on AIFC exchanges",
                Unit.BTC,
                [
                    Query(f"sum by (operation) ({SALE}_required_btc{{{OPS}}})", "To sell"),
                    Query(f"sum by (operation) ({SALE}_sold_btc{{{OPS}}})", "Sold"),
                    Query(f"sum by (operation) ({SALE}_shortfall_btc{{{OPS}}})", "Short"),
                    Query(f"sum by (operation) ({SALE}_overdue_btc{{{OPS}}})", "Overdue"),
                    Query(
                        f"max by (operation) ({SALE}_refused{{{OPS}}})",
                        "Refused",
                        unit=Unit.SHORT,
                    ),
                ],
                description="Operations whose terms set a mandatory sale (percents unconfirmed "
                "in law, so configured): the share of the mined coins to sell over every "
                "period so far, what the imported exchange statements evidence, the shortfall "
                "and the part of it past its deadline (MandatorySaleOverdue); Refused 1 when "
                "the rules refused the terms or inputs (reservewatch_mandatory_sale_refused "
                "says why).",
                steps=ANY_SHORTFALL,
                height=6,
            )
        )
        .with_panel(
            timeseries(
                "Cumulative remitted vs due",
                Unit.BTC,
                [
                    Query(
                        f"reservewatch_operation_remitted_btc_total{{{OPS}}}",
                        "{{operation}} remitted",
                    ),
                    Query(
                        f"reservewatch_operation_remittance_due_btc_total{{{OPS}}}",
                        "{{operation}} due",
                    ),
                ],
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Shortfall",
                Unit.BTC,
                [
                    Query(
                        f"reservewatch_operation_remittance_shortfall_btc{{{OPS}}}", "{{operation}}"
                    )
                ],
                steps=ANY_SHORTFALL,
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Overdue",
                Unit.SECONDS,
                [
                    Query(
                        f"reservewatch_operation_remittance_overdue_seconds{{{OPS}}}",
                        "{{operation}}",
                    )
                ],
                description="Orange once a deadline passes unpaid, red past the 7-day grace "
                "period.",
                steps=OVERDUE,
                width=12,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Mined vs expected",
                Unit.BTC,
                [
                    Query(
                        f"reservewatch_operation_mined_btc_total{{{OPS}}}", "{{operation}} mined"
                    ),
                    Query(
                        f"reservewatch_operation_expected_btc_total{{{OPS}}}",
                        "{{operation}} expected",
                    ),
                ],
                description="Reported pool earnings against what the operation's hash-rate "
                "share of the network's rewards implies.",
                width=12,
                min_value=0,
            )
        )
        .with_row(row("Hash-rate share and discrepancies"))
        .with_panel(
            timeseries(
                "Hash-rate share per operation and national",
                Unit.PERCENT_UNIT,
                [
                    Query(f"reservewatch_operation_hashrate_share_ratio{{{OPS}}}", "{{operation}}"),
                    Query("reservewatch_national_hashrate_share_ratio", "national"),
                ],
                width=24,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Earnings discrepancy (reported ÷ expected)",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        f"reservewatch_operation_earnings_discrepancy_ratio{{{OPS}}}",
                        "{{operation}}",
                    )
                ],
                description="Latest closed period; below 95 % for 6 h raises an alert.",
                steps=EARNINGS_RATIO,
                width=12,
            )
        )
        .with_panel(
            timeseries(
                "Hash-rate discrepancy (pool ÷ telemetry)",
                Unit.PERCENT_UNIT,
                [
                    Query(
                        f"reservewatch_operation_hashrate_discrepancy_ratio{{{OPS}}}",
                        "{{operation}}",
                    )
                ],
                description="Below 80 % for 1 h raises an alert.",
                steps=HASHRATE_RATIO,
                width=12,
            )
        )
    )
