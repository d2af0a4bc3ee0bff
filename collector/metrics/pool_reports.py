"""The pools' reports reconciled, from the accounts' last snapshot.

For each operation and pool a stored report covers (labels bounded by the configured
operations and pool kinds; ``leg`` one of :data:`remittance.pool_reports.LEGS`), the months
whose two readings differ beyond ``pool_reports``' tolerance::

    reservewatch_pool_report_findings{operation="op-demo",pool="ocean",leg="report_api"} 2
    reservewatch_pool_report_findings{operation="op-demo",pool="ocean",leg="report_chain"} 0
    reservewatch_pool_report_findings{operation="op-demo",pool="ocean",leg="api_chain"} 1

A leg whose chain reading is not observable (a reported wallet not watched) counts no month.
No label carries an IIN/BIN, a name or a licence.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Final

from collector.accounts.snapshot import SnapshotHolder
from collector.metrics.contract import Metric, family
from remittance.pool_reports import LEGS


class PoolReportMetrics:
    """A :class:`~collector.metrics.MetricSource` of the reconciled months of ``accounts``'
    last snapshot (none before a pass computed them)."""

    NAMES: Final = ("reservewatch_pool_report_findings",)

    def __init__(self, accounts: SnapshotHolder) -> None:
        self._accounts = accounts

    def metric_families(self) -> Iterator[Metric]:
        snapshot = self._accounts.snapshot
        if snapshot is None:
            return  # no pass yet: absent, not zero
        reconciled = snapshot.pool_reports
        findings = family("reservewatch_pool_report_findings")
        for operation_id in sorted(reconciled):
            months = reconciled[operation_id]
            counts = Counter((m.pool, f.leg) for m in months for f in m.findings)
            for pool in sorted({m.pool for m in months}):
                for leg in LEGS:
                    findings.add_metric([operation_id, pool, leg], counts[pool, leg])
        yield findings
