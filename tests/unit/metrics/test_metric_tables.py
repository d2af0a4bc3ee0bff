"""Every family of the contract has its one source: a row of the metrics table, or a source
of the metrics package that declares it — but the collector's own three and those the
contract lets several share."""

from __future__ import annotations

from collections import Counter

from collector.app import StoreHealth
from collector.http.api import AccountsApi
from collector.http.server import HttpServer
from collector.metrics.contract import SHARED, SPECS
from collector.metrics.mandatory_sale import MandatorySaleMetrics
from collector.metrics.mining_fee import MiningFeeMetrics
from collector.metrics.pool_reports import PoolReportMetrics
from collector.metrics.reserve import ReserveMetrics
from collector.metrics.tables import TABLE

COLLECTOR_OWN = ("reservewatch_up", "reservewatch_build", "reservewatch_scrape_duration_seconds")
DECLARING = (
    ReserveMetrics,
    MiningFeeMetrics,
    PoolReportMetrics,
    MandatorySaleMetrics,
    StoreHealth,
    HttpServer,
    AccountsApi,
)


def test_every_contract_family_has_exactly_one_source_but_the_shared() -> None:
    declared = Counter(
        name
        for names in (
            *(row.names for row in TABLE),
            *(source.NAMES for source in DECLARING),
            COLLECTOR_OWN,
        )
        for name in names
    )
    assert set(declared) == set(SPECS)
    assert {name for name, count in declared.items() if count > 1} == SHARED
