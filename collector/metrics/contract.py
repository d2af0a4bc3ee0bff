"""The metrics contract: every family reservewatch exposes, declared once — its type, its
HELP text and its label names. Components build families only through :func:`family`, so a
name has one HELP text and one label set wherever it is built (the poller and telemetry both
report ``reservewatch_source_up``), and a name not declared here is refused.

Components import this module, never ``prometheus_client``: the ``metrics`` package is the
one place that knows the client library (and ``collector.http.server``, which serves it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.samples import Sample

__all__ = ["SHARED", "SPECS", "Metric", "MetricSpec", "Sample", "family", "histogram", "info"]

Kind = Literal["gauge", "counter", "info", "histogram"]
_OPS = ("operation",)
_SITE = ("operation", "site", "region")
_SOURCE = ("source", "target")


@dataclass(frozen=True, slots=True)
class MetricSpec:
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()


def _g(help_text: str, *labels: str) -> MetricSpec:
    return MetricSpec("gauge", help_text, labels)


def _c(help_text: str, *labels: str) -> MetricSpec:
    return MetricSpec("counter", help_text, labels)


SPECS: Final[Mapping[str, MetricSpec]] = MappingProxyType(
    {
        # The collector itself.
        "reservewatch_up": _g("1 while the collector runs."),
        "reservewatch_build": MetricSpec("info", "The collector's version."),
        "reservewatch_scrape_duration_seconds": _g(
            "Time the previous scrape took to collect every metric, in seconds."
        ),
        "reservewatch_store_up": _g("1 when the database answers."),
        "reservewatch_accounts_last_success_timestamp_seconds": _g(
            "When the accounts were last recomputed from the store (Unix seconds)."
        ),
        "reservewatch_http_rejected": _c(
            "Connections or requests the HTTP server refused or cut off for the client's fault, "
            "by reason: over_capacity, header_timeout, malformed, too_large, body_timeout, "
            "hung_up, send_timeout.",
            "reason",
        ),
        # Sources.
        "reservewatch_source_up": _g(
            "1 while the source answers (its last poll, or the MQTT connection, succeeded), "
            "else 0.",
            *_SOURCE,
        ),
        "reservewatch_source_last_success_timestamp_seconds": _g(
            "Unix time of the source's last successful poll.", *_SOURCE
        ),
        "reservewatch_source_poll_duration_seconds": MetricSpec(
            "histogram", "Time one poll of a source took, in seconds.", ("source",)
        ),
        "reservewatch_source_requests": _c(
            "HTTP requests to external sources, by source kind and bounded result.",
            "source",
            "result",
        ),
        "reservewatch_pool_hashrate_hashes_per_second": _g(
            "Hash rate the pool credits the account, in H/s (last good value).",
            "operation",
            "pool",
            "window",
        ),
        "reservewatch_pool_workers": _g(
            "Workers the pool sees for the account, by state (last good value).",
            "operation",
            "pool",
            "state",
        ),
        "reservewatch_pool_unknown_rows": _c(
            "Pool rows of a kind the adapter does not know (kept out of every figure), each "
            "counted once.",
            "operation",
            "pool",
        ),
        "reservewatch_network_hashrate_hashes_per_second": _g(
            "Bitcoin network hash rate (last good value), in hashes per second."
        ),
        "reservewatch_network_difficulty": _g("Bitcoin network difficulty (last good value)."),
        "reservewatch_network_tip_height": _g("Height of the best chain's tip (last good value)."),
        "reservewatch_reserve_received_btc_total": _g(
            "BTC received by the operation's reserve addresses in outputs with enough "
            "confirmations (follows the best chain).",
            *_OPS,
        ),
        "reservewatch_reserve_balance_btc": _g(
            "BTC the reserve holds, by where it came from: source mined (holder: the operation) "
            "or seized (holder: the case, once forfeited), or unattributed (sent to a custody "
            "wallet from outside); coins keep their source when moved to custody.",
            "source",
            "holder",
        ),
        "reservewatch_reserve_seized_pending_btc": _g(
            "BTC of a seized case not (or no longer) the state's, held apart from the reserve's "
            "holdings, by the case's legal state: seized, order_pending or released (holder: "
            "the case); a forfeited case's coins are in reservewatch_reserve_balance_btc.",
            "state",
            "holder",
        ),
        "reservewatch_reserve_case_state": _g(
            "1 for each configured seized case's legal state now (seized, order_pending, "
            "forfeited or released), 0 for its other states.",
            "state",
            "holder",
        ),
        "reservewatch_reserve_wallet_balance_btc": _g(
            "BTC in each watched wallet: role reserve, intake or custody.", "role", "holder"
        ),
        "reservewatch_reserve_addresses_watched": _g(
            "Addresses watched per wallet role (fixed ones and those derived to the gap "
            "limit): reserve, intake, custody, and the operations' payout wallets (no part of "
            "the reserve).",
            "role",
        ),
        "reservewatch_reserve_wallet_proven": _g(
            "1 when every address standing for the wallet's control has a valid BIP-322 proof "
            "registered (reservewatch proof add), 0 while unproven, invalid or stale (a block "
            "too old when registered, or registered more than reserve.proof_max_age_days ago).",
            "role",
            "holder",
        ),
        "reservewatch_reserve_wallet_proof_expiry_timestamp_seconds": _g(
            "When the wallet's proof of control goes stale (the earliest of its addresses' "
            "proofs: registration + reserve.proof_max_age_days), Unix seconds; in the past "
            "once stale; absent while some address of it was never proven.",
            "role",
            "holder",
        ),
        "reservewatch_reserve_unapproved_outflows": _c(
            "Transactions (in the mempool or confirmed) that paid the reserve's coins to an "
            "address outside its reserve, intake and custody wallets' watched addresses, by "
            "reason: outside (an address outside every wallet), unknown_coin (the same, "
            "spending coins the watcher never saw arrive: unattributed) or beyond_gap (a "
            "wallet's own address beyond its gap limit); a transaction with two reasons counts "
            "under both.",
            "reason",
        ),
        "reservewatch_reserve_exposed_balance_btc": _g(
            "BTC resting (confirmed, unspent) on the wallet's addresses that hold more than "
            "reserve.exposed_balance_threshold_btc each and are, by reason, reused (paid by "
            "two transactions or more) or exposed_key (spent from: the public key is on the "
            "chain); an address with both reasons counts under both; 0 when none.",
            "role",
            "holder",
            "reason",
        ),
        "reservewatch_reserve_outflow_destinations": _c(
            "Addresses outside every wallet that the reserve's transactions paid (in the "
            "mempool or confirmed), each once per transaction, by how new the address was "
            "then: new (first seen on the chain within reserve.new_destination_days before the "
            "outflow, or in it), established (seen before), unknown (its history not read: "
            "bitcoind keeps no index of other addresses, or a bad answer, or too long to tell).",
            "age",
        ),
        "reservewatch_reserve_unparseable_outputs": _c(
            "Outputs the chain source listed that the watcher could not read whole, each "
            "counted once, by reason: bad_address (its address is no valid address on the "
            "configured chain; the output is kept without an address).",
            "reason",
        ),
        "reservewatch_reserve_outflow_btc": _c(
            "BTC the reserve's wallets paid out: destination custody (to an approved custody "
            "wallet), released (a released case's coins to the destination its order names, "
            "at or after the release), refund (to an operation, approved by the regulator's "
            "journal) or unapproved (outside every wallet otherwise).",
            "destination",
        ),
        "reservewatch_price_btc_usd": _g(
            "The latest BTC price observed on the exchange ticker, in US dollars per BTC."
        ),
        "reservewatch_reserve_value_usd": _g(
            "The reserve's holdings at the latest price, in US dollars (absent without a "
            "price or holdings)."
        ),
        "reservewatch_reserve_value_kzt": _g(
            "The reserve's holdings at the latest price, in tenge: the USD price times the "
            "National Bank's official KZT/USD rate unless quoted in tenge (absent without one)."
        ),
        # Telemetry, per site and region.
        "reservewatch_site_power_watts": _g("Latest power a site reported, in watts.", *_SITE),
        "reservewatch_site_power_quota_watts": _g(
            "A site's licensed power quota, in watts.", *_SITE
        ),
        "reservewatch_site_energy_joules": _c(
            "Energy a site's meter recorded since first seen (meter resets bridged), in joules.",
            *_SITE,
        ),
        "reservewatch_site_hashrate_hashes_per_second": _g(
            "Latest hash rate a site reported, in hashes per second.", "operation", "site"
        ),
        "reservewatch_site_miners_online": _g("Miners a site reported online.", *_SITE),
        "reservewatch_site_miners_total": _g("Miners installed at a site.", *_SITE),
        "reservewatch_site_last_seen_timestamp_seconds": _g(
            "Timestamp of a site's latest accepted reading, in Unix seconds.", *_SITE
        ),
        "reservewatch_site_power_implied_hashrate_hashes_per_second": _g(
            "Hash rate the site's power implies at its declared efficiency (W ÷ J/TH), in H/s.",
            *_SITE,
        ),
        "reservewatch_site_curtailment_compliant": _g(
            "1 while a site draws at most its share of its region's curtailment limit, else 0.",
            *_SITE,
        ),
        "reservewatch_site_inlet_temperature_celsius": _g(
            "Latest inlet air temperature a site reported, in degrees Celsius.", *_SITE
        ),
        "reservewatch_region_curtailment_max_watts": _g(
            "The grid operator's active curtailment limit for a region, in watts.", "region"
        ),
        "reservewatch_region_power_watts": _g(
            "Sum of the latest power of a region's sites (of this replica's shard), in watts.",
            "region",
        ),
        "reservewatch_region_power_quota_watts": _g(
            "Sum of the power quotas of a region's sites, in watts.", "region"
        ),
        "reservewatch_telemetry_messages": _c("Readings accepted per site.", "site"),
        "reservewatch_telemetry_rejected": _c(
            "Telemetry messages or readings rejected, by reason.", "reason"
        ),
        # The digital-mining fee, per operation (tenge; see collector/metrics/mining_fee.py).
        "reservewatch_mining_fee_due_kzt": _g(
            "Digital-mining fee of every quarter so far (the open one as metered so far), in KZT.",
            *_OPS,
        ),
        "reservewatch_mining_fee_paid_kzt": _g(
            "Bank transfers of the digital-mining fee imported so far, in KZT.", *_OPS
        ),
        "reservewatch_mining_fee_overdue_kzt": _g(
            "Digital-mining fee unpaid after its quarter's payment deadline, in KZT.", *_OPS
        ),
        "reservewatch_mining_fee_problem_sites": _g(
            "Sites of the latest quarter with no price configured (fee incomplete) or no "
            "meter (the no-meter rate on the quota's energy), by reason.",
            "operation",
            "reason",
        ),
        "reservewatch_mining_fee_refused": _g(
            "1 when the money rules refused an operation's fee inputs (its fee is not "
            "computed), by reason.",
            "operation",
            "reason",
        ),
        # The pools' monthly reports reconciled (see collector/metrics/pool_reports.py).
        "reservewatch_pool_report_findings": _g(
            "Months of a pool's reports to the tax authority whose two readings (leg: "
            "report_api, report_chain, api_chain) differ beyond the tolerance.",
            "operation",
            "pool",
            "leg",
        ),
        # The mandatory sale, per operation (see collector/metrics/mandatory_sale.py).
        "reservewatch_mandatory_sale_required_btc": _g(
            "Mined coins to be sold on an AIFC exchange in every period so far, in BTC.", *_OPS
        ),
        "reservewatch_mandatory_sale_sold_btc": _g(
            "Exchange sales imported that settle the required sale, in BTC.", *_OPS
        ),
        "reservewatch_mandatory_sale_shortfall_btc": _g(
            "Required sale not evidenced by an exchange sale, in BTC.", *_OPS
        ),
        "reservewatch_mandatory_sale_overdue_btc": _g(
            "Shortfall of the periods whose sale deadline has passed, in BTC.", *_OPS
        ),
        "reservewatch_mandatory_sale_refused": _g(
            "1 when the money rules refused an operation's mandatory-sale inputs, by reason.",
            "operation",
            "reason",
        ),
        # Remittance, per operation.
        "reservewatch_operation_info": _g(
            "A watched operation, with its name and licence.", "operation", "name", "license"
        ),
        "reservewatch_operation_mined_btc_total": _g(
            "Pool-reported earnings since the first period watched, in BTC.", *_OPS
        ),
        "reservewatch_operation_expected_btc_total": _g(
            "Expected earnings (FPPS-equivalent) since the first period, in BTC.", *_OPS
        ),
        "reservewatch_operation_remittance_due_btc_total": _g(
            "Remittances due for every period so far, in BTC.", *_OPS
        ),
        "reservewatch_operation_remitted_btc_total": _g(
            "Confirmed remittances to the reserve addresses, in BTC.", *_OPS
        ),
        "reservewatch_operation_remittance_shortfall_btc": _g(
            "Unpaid on obligations past their deadline, in BTC.", *_OPS
        ),
        "reservewatch_operation_remittance_overdue_seconds": _g(
            "Seconds since the oldest unpaid deadline (0 if none).", *_OPS
        ),
        "reservewatch_operation_earnings_discrepancy_ratio": _g(
            "Reported ÷ expected earnings, latest closed period.", *_OPS
        ),
        "reservewatch_operation_hashrate_discrepancy_ratio": _g(
            "Pool-reported ÷ telemetry hash rate, now.", *_OPS
        ),
        "reservewatch_operation_hashrate_share_ratio": _g(
            "The operation's pool hash rate ÷ the network's.", *_OPS
        ),
        "reservewatch_operation_late_payments": _g(
            "Payments (or parts) that settled an obligation after its deadline.", *_OPS
        ),
        "reservewatch_operation_expected_missing_days": _g(
            "Days of the latest closed period and the open one (before today) without an "
            "expected figure, by reason: their basis counts the reported earnings instead.",
            *_OPS,
            "reason",
        ),
        "reservewatch_config_rewrites_issued_periods": _g(
            "Closed periods already issued whose due or remitted amount the running "
            "configuration changes against the terms recorded when they were issued (an edit "
            "of the past, e.g. a pool account without `from`, a reserve address dropped "
            "instead of retired), as found at start.",
            *_OPS,
        ),
        "reservewatch_operation_restated_periods": _g(
            "Closed periods whose due now differs from the statement issued for them (a "
            "revised input restated them; the next statement shows how).",
            *_OPS,
        ),
        "reservewatch_api_statement_records_pending": _g(
            "Statements the API served whose digest is not yet written to the store's record "
            "of statements served (above 0 for long only while the store refuses writes)."
        ),
        "reservewatch_journal_entries_refused": _g(
            "Entries of the regulator's journal the last pass refused and did not apply, by "
            "reason: no_key (no signing key configured to check them), bad_signature, "
            "unreadable (the document cannot be read or disagrees with its row).",
            "reason",
        ),
        "reservewatch_operation_accounts_stale": _g(
            "1 when the last pass could not recompute the operation's account (its figures "
            "are the last good ones), with the reason; 0 with reason none when current.",
            "operation",
            "reason",
        ),
        "reservewatch_national_hashrate_share_ratio": _g(
            "All watched operations' pool hash rate ÷ the network's (see "
            "reservewatch_national_hashrate_share_omitted for who it leaves out)."
        ),
        "reservewatch_national_hashrate_share_omitted": _g(
            "1 when the national share leaves the operation out (no current pool hash rate: "
            "no pool account answered yet), 0 when it counts it.",
            *_OPS,
        ),
    }
)


SHARED: Final = frozenset({"reservewatch_source_up"})
"""Families several sources contribute samples to (one per source: the poller's targets and
telemetry's broker): their samples are joined under one HELP and TYPE. Any other family has
one source, or the registry refuses to start."""


def family(name: str, value: float | None = None) -> GaugeMetricFamily | CounterMetricFamily:
    """An empty gauge or counter family (add samples with ``add_metric(labels, value)``), or
    one holding ``value`` when it has no labels; its type, HELP and labels are the
    contract's."""
    spec = _spec(name)
    labels = list(spec.labels) if value is None else None
    if spec.kind == "gauge":
        return GaugeMetricFamily(name, spec.help, value=value, labels=labels)
    if spec.kind == "counter":
        return CounterMetricFamily(name, spec.help, value=value, labels=labels)
    raise TypeError(f"{name} is a {spec.kind}: build it with {spec.kind}()")


def info(name: str, value: Mapping[str, str]) -> InfoMetricFamily:
    spec = _spec(name)
    if spec.kind != "info":
        raise TypeError(f"{name} is a {spec.kind}, not an info")
    return InfoMetricFamily(name, spec.help, value=dict(value))


def _spec(name: str) -> MetricSpec:
    spec = SPECS.get(name)
    if spec is None:
        raise KeyError(f"{name} is not in the metrics contract (collector/metrics/contract.py)")
    return spec


def histogram(name: str) -> HistogramMetricFamily:
    spec = _spec(name)
    if spec.kind != "histogram":
        raise TypeError(f"{name} is a {spec.kind}, not a histogram")
    return HistogramMetricFamily(name, spec.help, labels=list(spec.labels))
