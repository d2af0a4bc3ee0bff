"""The digital-mining fee's families, from the accounts' last snapshot.

For each operation with a site owing the fee (labels bounded by the configured operations;
``reason`` one of :data:`collector.accounts.mining_fee.PROBLEM_REASONS`)::

    reservewatch_mining_fee_due_kzt{operation="op-demo"} 3.66850715e+06
    reservewatch_mining_fee_paid_kzt{operation="op-demo"} 3e+06
    reservewatch_mining_fee_overdue_kzt{operation="op-demo"} 668507.15
    reservewatch_mining_fee_problem_sites{operation="op-demo",reason="no_meter"} 0
    reservewatch_mining_fee_problem_sites{operation="op-demo",reason="price_missing"} 0
    reservewatch_mining_fee_refused{operation="op-demo",reason="none"} 0

An operation whose inputs the rules refused has ``reservewatch_mining_fee_refused`` 1 with the
reason (``invalid_input`` or ``invalid_terms``) and no other sample.

Tenge become floats only here, at the metrics' edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from collector.accounts.snapshot import SnapshotHolder
from collector.metrics.contract import SPECS, Metric, family
from remittance.mining_fee import TIYN_PER_KZT


class MiningFeeMetrics:
    """A :class:`~collector.metrics.MetricSource` of the fees of ``accounts``' last snapshot
    (none before a pass computed them)."""

    NAMES: Final = tuple(name for name in SPECS if name.startswith("reservewatch_mining_fee_"))

    def __init__(self, accounts: SnapshotHolder) -> None:
        self._accounts = accounts

    def metric_families(self) -> Iterator[Metric]:
        snapshot = self._accounts.snapshot
        if snapshot is None:
            return  # no pass yet: absent, not zero
        fees = snapshot.mining_fees
        due = family("reservewatch_mining_fee_due_kzt")
        paid = family("reservewatch_mining_fee_paid_kzt")
        overdue = family("reservewatch_mining_fee_overdue_kzt")
        problems = family("reservewatch_mining_fee_problem_sites")
        refused = family("reservewatch_mining_fee_refused")
        for operation_id in sorted(fees):
            fee = fees[operation_id]
            refused.add_metric([operation_id, fee.refused or "none"], 1 if fee.refused else 0)
            if fee.refused:
                continue
            due.add_metric([operation_id], fee.due_tiyn / TIYN_PER_KZT)
            paid.add_metric([operation_id], fee.paid_tiyn / TIYN_PER_KZT)
            overdue.add_metric([operation_id], fee.overdue_tiyn / TIYN_PER_KZT)
            for reason, count in sorted(fee.problem_sites().items()):
                problems.add_metric([operation_id, reason], count)
        yield from (due, paid, overdue, problems, refused)
