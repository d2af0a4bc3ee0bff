"""The reserve itself: holdings by source (mined per operation, seized per case) over time,
wallet balances, movements to custody, unapproved outflows, the two sovereign patterns (balances
on reused or exposed-key addresses, outflows to new addresses), proofs of control and value."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards.panels import (
    HIGHER_IS_WORSE,
    Query,
    Step,
    Unit,
    new_dashboard,
    row,
    stat,
    table,
    timeseries,
)

UID = "reservewatch-reserve"
ANY_UNAPPROVED = (Step(None, "green"), Step(1.0, "red"))
ALL_PROVEN = (Step(None, "red"), Step(1.0, "green"))


def dashboard() -> Dashboard:
    """The reserve dashboard."""
    return (
        new_dashboard(
            "reservewatch / Reserve",
            uid=UID,
            description="What the state reserve holds, where each coin came from (coins keep "
            "their source when moved to custody), movements to custody, unapproved outflows, "
            "proofs of control and the reserve's value.",
        )
        .with_row(row("Holdings"))
        .with_panel(
            stat("Held", Unit.BTC, [Query("sum(reservewatch_reserve_balance_btc)")], width=4)
        )
        .with_panel(
            stat(
                "Remitted by operations, held",
                Unit.BTC,
                [Query('sum(reservewatch_reserve_balance_btc{source="mined"}) or vector(0)')],
                width=4,
            )
        )
        .with_panel(
            stat(
                "Seized, forfeited, held",
                Unit.BTC,
                [Query('sum(reservewatch_reserve_balance_btc{source="seized"}) or vector(0)')],
                width=4,
            )
        )
        .with_panel(
            stat("Value (USD)", Unit.SHORT, [Query("reservewatch_reserve_value_usd")], width=4)
        )
        .with_panel(
            stat("Value (KZT)", Unit.SHORT, [Query("reservewatch_reserve_value_kzt")], width=4)
        )
        .with_panel(
            stat(
                "Unapproved outflows",
                Unit.SHORT,
                [Query("sum(reservewatch_reserve_unapproved_outflows_total)")],
                description="Transactions that paid the reserve's coins outside its reserve, "
                "intake and custody wallets (mempool included). ReserveUnapprovedOutflow fires.",
                steps=ANY_UNAPPROVED,
                width=4,
            )
        )
        .with_panel(
            timeseries(
                "Holdings by source",
                Unit.BTC,
                [Query("reservewatch_reserve_balance_btc", "{{source}} {{holder}}")],
                description="mined: remitted by the operation; seized: received for a case "
                "forfeited (a case's coins count only then); a transaction's fee and unapproved "
                "outputs leave its sources pro rata.",
                stacked=True,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Wallets",
                Unit.BTC,
                [Query("reservewatch_reserve_wallet_balance_btc", "{{role}} {{holder}}")],
                description="Where the coins sit: reserve (operations' addresses), intake "
                "(seized-asset cases) and custody (cold storage, multisig vaults).",
                stacked=True,
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Seized, held apart (not the state's)",
                Unit.BTC,
                [Query("reservewatch_reserve_seized_pending_btc", "{{state}} {{holder}}")],
                description="A seized case's coins while seized or under a pending order, or "
                "after a release order: not the reserve's holdings (reserve.intake[].states).",
                stacked=True,
                min_value=0,
            )
        )
        .with_row(row("Movements"))
        .with_panel(
            timeseries(
                "Paid out of the wallets",
                Unit.BTC,
                [Query("reservewatch_reserve_outflow_btc_total", "{{destination}}")],
                description="custody: moved to an approved custody wallet; released: a "
                "released case's coins to its ordered destination; unapproved: paid to an "
                "address outside every wallet otherwise.",
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Received on-chain (per interval)",
                Unit.BTC,
                [
                    Query(
                        "sum(increase(reservewatch_reserve_received_btc_total[$__rate_interval]))",
                        "remittances",
                    )
                ],
                min_value=0,
            )
        )
        .with_panel(
            timeseries(
                "Resting on reused or exposed-key addresses",
                Unit.BTC,
                [
                    Query(
                        "reservewatch_reserve_exposed_balance_btc",
                        "{{role}} {{holder}} {{reason}}",
                    )
                ],
                description="BTC on a wallet's addresses paid by two transactions or more "
                "(reused) or already spent from (exposed_key), each above "
                "reserve.exposed_balance_threshold_btc (0 while none). ReserveExposedBalance "
                "fires after 1 h; the collector's log names the addresses.",
                min_value=0,
            )
        )
        .with_panel(
            stat(
                "Outflows to new addresses",
                Unit.SHORT,
                [Query('sum(reservewatch_reserve_outflow_destinations_total{age="new"})')],
                description="Addresses outside every wallet, first seen on the chain within "
                "reserve.new_destination_days before the reserve paid them: the pattern of an "
                "OTC sale. ReserveOutflowToNewAddress fires.",
                steps=ANY_UNAPPROVED,
                width=12,
                height=8,
            )
        )
        .with_row(row("Proofs of control"))
        .with_panel(
            table(
                "Wallets and their proofs",
                Unit.SHORT,
                [
                    Query("reservewatch_reserve_wallet_proven", "Proven (1) / unproven (0)"),
                ],
                description="A wallet is proven when a valid BIP-322 signature of a recent "
                "block's hash by its address is registered (reservewatch proof add).",
                steps=ALL_PROVEN,
                width=12,
            )
        )
        .with_panel(
            stat(
                "Wallets unproven",
                Unit.SHORT,
                [Query("count(reservewatch_reserve_wallet_proven == 0) or vector(0)")],
                steps=HIGHER_IS_WORSE,
                width=6,
            )
        )
        .with_panel(
            stat(
                "Addresses watched",
                Unit.SHORT,
                [Query('sum(reservewatch_reserve_addresses_watched{role!="payout"})')],
                description="The reserve's fixed addresses and those derived from descriptors "
                "to the gap limit past the last used one (the operations' payout wallets, "
                "watched for the pools' reports, are not the reserve's).",
                width=6,
            )
        )
    )
