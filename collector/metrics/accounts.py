"""The accounts' families, from the live pass's snapshot (no I/O at scrape time)::

reservewatch_operation_info{operation,name,license} 1
reservewatch_operation_mined_btc_total{operation} 12.3456789
reservewatch_operation_expected_btc_total{operation} 12.5
reservewatch_operation_remittance_due_btc_total{operation} 1.23456789
reservewatch_operation_remitted_btc_total{operation} 1.0
reservewatch_operation_remittance_shortfall_btc{operation} 0.23456789
reservewatch_operation_remittance_overdue_seconds{operation} 86400
reservewatch_operation_earnings_discrepancy_ratio{operation} 0.98
reservewatch_operation_hashrate_discrepancy_ratio{operation} 0.97
reservewatch_operation_hashrate_share_ratio{operation} 0.0123
reservewatch_operation_late_payments{operation} 1
reservewatch_operation_accounts_stale{operation,reason} 0
reservewatch_operation_restated_periods{operation} 0
reservewatch_operation_expected_missing_days{operation,reason} 0
reservewatch_national_hashrate_share_ratio 0.034
reservewatch_journal_entries_refused{reason} 0
reservewatch_accounts_last_success_timestamp_seconds 1.7e9
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from datetime import UTC

from collector.accounts.compute import earnings_discrepancy
from collector.accounts.journal import REFUSALS
from collector.accounts.rewrites import RewriteMetrics
from collector.accounts.service import AccountsService
from collector.accounts.snapshot import AccountsSnapshot
from collector.metrics.contract import Metric, Sample, family
from remittance.money import sat_to_btc
from remittance.obligations import MissingReason
from remittance.share import hashrate_share, national_share


class AccountsMetrics:
    """Every family of one accounts service. Everything but the hash-rate discrepancy (which
    follows telemetry) is built once per snapshot and the same family objects are yielded again
    until the next snapshot, so the renderer reuses their text (a scrape under a flood renders
    only what changed)."""

    def __init__(self, service: AccountsService) -> None:
        self._service = service
        # The snapshot the families were built from, by a weak reference: holding the snapshot
        # itself would keep the last pass's ~1 million objects alive until the next scrape,
        # which then freed them (0.1 s of a render at 100 operations x 2 years).
        self._pass_families: tuple[weakref.ref[AccountsSnapshot] | None, list[Metric]] | None = None
        self._hashrate_samples: dict[str, tuple[float, Sample]] = {}

    def metric_families(self) -> Iterable[Metric]:
        """The accounts' families. Everything but the hash-rate discrepancy (which follows
        telemetry) is built once per snapshot and the same family objects are yielded again
        until the next snapshot, so the renderer reuses their text (a scrape under a flood
        renders only what changed)."""
        cached = self._pass_families
        snapshot = self._service.snapshot
        if cached is None or (cached[0] and cached[0]()) is not snapshot:
            source = None if snapshot is None else weakref.ref(snapshot)
            cached = self._pass_families = (source, list(self._pass_metric_families()))
        for built in cached[1]:
            if built.name == "reservewatch_operation_hashrate_discrepancy_ratio":
                yield self._hashrate_discrepancy()
            else:
                yield built

    def _hashrate_discrepancy(self) -> Metric:
        """Pool ÷ telemetry hash rate per operation; a sample is made again only when its
        value moved."""
        built = family("reservewatch_operation_hashrate_discrepancy_ratio")
        inputs = self._service.inputs
        if inputs is None:
            return built
        telemetry = self._service.telemetry_hashrates()
        known = self._hashrate_samples
        kept: dict[str, tuple[float, Sample]] = {}
        for operation in self._service.config.operations:
            if operation.id not in self._service.accounts:
                continue
            pool_hs = inputs.pool_hashrate_hs.get(operation.id)
            telemetry_hs = telemetry.get(operation.id)
            if pool_hs is None or not telemetry_hs:
                continue
            ratio = pool_hs / telemetry_hs
            entry = known.get(operation.id)
            if entry is None or entry[0] != ratio:
                sample = Sample(built.name, {"operation": operation.id}, ratio, None)
                entry = (ratio, sample)
            kept[operation.id] = entry
            built.samples.append(entry[1])
        self._hashrate_samples = kept
        return built

    def _missing_days_family(self) -> Metric:
        """Days without an expected figure, by reason, of each operation's latest closed
        period and its open one (days before the pass's own UTC day, which no pool has
        reported yet): a pool account that stopped reporting its hash rate shows here."""
        missing = family("reservewatch_operation_expected_missing_days")
        for operation in self._service.config.operations:
            account = self._service.accounts.get(operation.id)
            if account is None:
                continue
            today = account.as_of.astimezone(UTC).date()
            closed = [o for o in account.obligations if not o.is_open][-1:]
            current = [o for o in account.obligations if o.is_open]
            counts = dict.fromkeys(MissingReason, 0)
            for obligation in (*closed, *current):
                for day in obligation.missing_days:
                    if day.day < today:
                        counts[day.reason] += 1
            for reason, count in counts.items():
                missing.add_metric([operation.id, str(reason)], count)
        return missing

    def _pass_metric_families(self) -> Iterator[Metric]:
        snapshot = self._service.snapshot
        restated_counts = snapshot.restated if snapshot is not None else {}
        stale_reasons = snapshot.stale if snapshot is not None else {}
        info = family("reservewatch_operation_info")
        gauges = {
            name: family(f"reservewatch_operation_{name}")
            for name in (
                "mined_btc_total",
                "expected_btc_total",
                "remittance_due_btc_total",
                "remitted_btc_total",
                "remittance_shortfall_btc",
                "remittance_overdue_seconds",
                "earnings_discrepancy_ratio",
                "hashrate_discrepancy_ratio",
                "hashrate_share_ratio",
                "late_payments",
            )
        }
        inputs = self._service.inputs
        for operation in self._service.config.operations:
            info.add_metric([operation.id, operation.name, operation.license], 1)
            account = self._service.accounts.get(operation.id)
            if account is None:
                continue
            ledger = account.ledger
            values: dict[str, float | None] = {
                "mined_btc_total": sat_to_btc(account.total_mined_sat),
                "expected_btc_total": sat_to_btc(account.total_expected_sat),
                "remittance_due_btc_total": sat_to_btc(account.total_due_sat),
                "remitted_btc_total": sat_to_btc(account.total_remitted_sat),
                "remittance_shortfall_btc": sat_to_btc(ledger.shortfall_sat),
                "remittance_overdue_seconds": float(ledger.overdue_seconds),
                "late_payments": float(ledger.late_allocations),
            }
            discrepancy = earnings_discrepancy(account)
            values["earnings_discrepancy_ratio"] = (
                float(discrepancy) if discrepancy is not None else None
            )
            if inputs is not None:
                pool_hs = inputs.pool_hashrate_hs.get(operation.id)
                share = hashrate_share(pool_hs, inputs.network_hashrate_hs)
                values["hashrate_share_ratio"] = float(share) if share is not None else None
            for name, value in values.items():
                if value is not None:
                    gauges[name].add_metric([operation.id], value)
        yield info
        yield from gauges.values()
        restated = family("reservewatch_operation_restated_periods")
        for operation in self._service.config.operations:
            if operation.id in self._service.accounts:
                restated.add_metric([operation.id], restated_counts.get(operation.id, 0))
        yield restated
        yield self._missing_days_family()
        stale = family("reservewatch_operation_accounts_stale")
        for operation in self._service.config.operations:
            reason = stale_reasons.get(operation.id)
            stale.add_metric([operation.id, reason or "none"], 1 if reason else 0)
        yield stale
        if inputs is not None:
            refused = family("reservewatch_journal_entries_refused")
            for reason in REFUSALS:
                refused.add_metric([reason], inputs.journal.refused.get(reason, 0))
            yield refused
            national = national_share(
                [inputs.pool_hashrate_hs.get(op.id, 0.0) for op in self._service.config.operations],
                inputs.network_hashrate_hs,
            )
            if national is not None:
                yield family("reservewatch_national_hashrate_share_ratio", float(national))
            omitted = family("reservewatch_national_hashrate_share_omitted")
            for op in self._service.config.operations:
                omitted.add_metric([op.id], 0 if op.id in inputs.pool_hashrate_hs else 1)
            yield omitted
        computed_at = (
            self._service.snapshot.computed_at if self._service.snapshot is not None else None
        )
        if computed_at is not None:
            yield family(
                "reservewatch_accounts_last_success_timestamp_seconds",
                computed_at.timestamp(),
            )


def rewrite_families(rewrites: RewriteMetrics) -> Iterator[Metric]:
    gauge = family("reservewatch_config_rewrites_issued_periods")
    for operation_id, count in rewrites.counts().items():
        gauge.add_metric([operation_id], count)
    yield gauge
