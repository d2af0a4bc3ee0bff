"""The mandatory sale's families, from the accounts' last snapshot.

For each operation whose terms set a ``mandatory_sale`` (labels bounded by the configured
operations; ``reason`` one of ``none``, ``invalid_input``, ``invalid_terms``), over every
period of its account so far::

    reservewatch_mandatory_sale_required_btc{operation="op-demo"} 0.01750004
    reservewatch_mandatory_sale_sold_btc{operation="op-demo"} 0.015
    reservewatch_mandatory_sale_shortfall_btc{operation="op-demo"} 0.00250004
    reservewatch_mandatory_sale_overdue_btc{operation="op-demo"} 0.00250004
    reservewatch_mandatory_sale_refused{operation="op-demo",reason="none"} 0

``sold`` is what the imported sales settled of the required figures (a sale beyond them is not
counted twice); ``overdue`` the shortfall of the periods whose deadline has passed. An operation
whose inputs the rules refused has ``reservewatch_mandatory_sale_refused`` 1 with the reason and
no other sample. Satoshis become floats only here, at the metrics' edge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from collector.accounts.snapshot import SnapshotHolder
from collector.metrics.contract import SPECS, Metric, family
from remittance.money import sat_to_btc


class MandatorySaleMetrics:
    """A :class:`~collector.metrics.MetricSource` of the mandatory sales of ``accounts``'
    last snapshot (none before a pass computed them)."""

    NAMES: Final = tuple(name for name in SPECS if name.startswith("reservewatch_mandatory_sale_"))

    def __init__(self, accounts: SnapshotHolder) -> None:
        self._accounts = accounts

    def metric_families(self) -> Iterator[Metric]:
        snapshot = self._accounts.snapshot
        if snapshot is None:
            return  # no pass yet: absent, not zero
        sales = snapshot.mandatory_sales
        required = family("reservewatch_mandatory_sale_required_btc")
        sold = family("reservewatch_mandatory_sale_sold_btc")
        shortfall = family("reservewatch_mandatory_sale_shortfall_btc")
        overdue = family("reservewatch_mandatory_sale_overdue_btc")
        refused = family("reservewatch_mandatory_sale_refused")
        for operation_id in sorted(sales):
            sale = sales[operation_id]
            refused.add_metric([operation_id, sale.refused or "none"], 1 if sale.refused else 0)
            if sale.refused:
                continue
            required.add_metric([operation_id], sat_to_btc(sale.required_sat))
            sold.add_metric([operation_id], sat_to_btc(sale.sold_sat))
            shortfall.add_metric([operation_id], sat_to_btc(sale.shortfall_sat))
            overdue.add_metric([operation_id], sat_to_btc(sale.overdue_sat))
        yield from (required, sold, shortfall, overdue, refused)
