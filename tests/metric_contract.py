"""The metric names the collector exposes: a contract dashboards, alerts and the collector share.

Histograms are listed by base name in :data:`HISTOGRAMS`; :data:`EXPOSED_METRICS` holds every
sample name a scrape can show, so it includes their ``_bucket``, ``_sum`` and ``_count`` series.
"""

from __future__ import annotations

GAUGES_AND_COUNTERS: frozenset[str] = frozenset(
    {
        # Telemetry, per site.
        "reservewatch_site_power_watts",
        "reservewatch_site_power_quota_watts",
        "reservewatch_site_energy_joules_total",
        "reservewatch_site_hashrate_hashes_per_second",
        "reservewatch_site_miners_online",
        "reservewatch_site_miners_total",
        "reservewatch_site_last_seen_timestamp_seconds",
        "reservewatch_site_power_implied_hashrate_hashes_per_second",
        "reservewatch_site_curtailment_compliant",
        "reservewatch_site_inlet_temperature_celsius",
        # Telemetry, per region.
        "reservewatch_region_curtailment_max_watts",
        "reservewatch_region_power_watts",
        "reservewatch_region_power_quota_watts",
        "reservewatch_telemetry_messages_total",
        "reservewatch_telemetry_rejected_total",
        # The digital-mining fee.
        "reservewatch_mining_fee_due_kzt",
        "reservewatch_mining_fee_paid_kzt",
        "reservewatch_mining_fee_overdue_kzt",
        "reservewatch_mining_fee_problem_sites",
        "reservewatch_mining_fee_refused",
        # The pools' reports reconciled.
        "reservewatch_pool_report_findings",
        # The mandatory sale.
        "reservewatch_mandatory_sale_required_btc",
        "reservewatch_mandatory_sale_sold_btc",
        "reservewatch_mandatory_sale_shortfall_btc",
        "reservewatch_mandatory_sale_overdue_btc",
        "reservewatch_mandatory_sale_refused",
        # Sources.
        "reservewatch_source_up",
        "reservewatch_source_last_success_timestamp_seconds",
        "reservewatch_source_requests_total",
        "reservewatch_pool_hashrate_hashes_per_second",
        "reservewatch_pool_workers",
        "reservewatch_pool_unknown_rows_total",
        "reservewatch_network_hashrate_hashes_per_second",
        "reservewatch_network_difficulty",
        "reservewatch_network_tip_height",
        "reservewatch_reserve_received_btc_total",
        "reservewatch_reserve_balance_btc",
        "reservewatch_reserve_seized_pending_btc",
        "reservewatch_reserve_case_state",
        "reservewatch_reserve_wallet_balance_btc",
        "reservewatch_reserve_addresses_watched",
        "reservewatch_reserve_wallet_proven",
        "reservewatch_reserve_wallet_proof_expiry_timestamp_seconds",
        "reservewatch_reserve_unapproved_outflows_total",
        "reservewatch_reserve_outflow_btc_total",
        "reservewatch_reserve_exposed_balance_btc",
        "reservewatch_reserve_outflow_destinations_total",
        "reservewatch_reserve_unparseable_outputs_total",
        "reservewatch_price_btc_usd",
        "reservewatch_reserve_value_usd",
        "reservewatch_reserve_value_kzt",
        # Remittance, per operation.
        "reservewatch_operation_hashrate_share_ratio",
        "reservewatch_national_hashrate_share_ratio",
        "reservewatch_national_hashrate_share_omitted",
        "reservewatch_operation_mined_btc_total",
        "reservewatch_operation_expected_btc_total",
        "reservewatch_operation_remittance_due_btc_total",
        "reservewatch_operation_remitted_btc_total",
        "reservewatch_operation_remittance_shortfall_btc",
        "reservewatch_operation_remittance_overdue_seconds",
        "reservewatch_operation_earnings_discrepancy_ratio",
        "reservewatch_operation_hashrate_discrepancy_ratio",
        "reservewatch_operation_info",
        "reservewatch_operation_accounts_stale",
        "reservewatch_journal_entries_refused",
        "reservewatch_operation_late_payments",
        "reservewatch_operation_restated_periods",
        "reservewatch_config_rewrites_issued_periods",
        "reservewatch_operation_expected_missing_days",
        # The collector itself.
        "reservewatch_build_info",
        "reservewatch_up",
        "reservewatch_scrape_duration_seconds",
        "reservewatch_store_up",
        "reservewatch_accounts_last_success_timestamp_seconds",
        "reservewatch_api_statement_records_pending",
        "reservewatch_http_rejected_total",
    }
)

HISTOGRAMS: frozenset[str] = frozenset({"reservewatch_source_poll_duration_seconds"})

HISTOGRAM_SUFFIXES: tuple[str, ...] = ("_bucket", "_sum", "_count")

EXPOSED_METRICS: frozenset[str] = GAUGES_AND_COUNTERS | frozenset(
    f"{base}{suffix}" for base in HISTOGRAMS for suffix in HISTOGRAM_SUFFIXES
)
