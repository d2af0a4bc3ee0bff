"""How the accounts service turns stored rows into the money rules' inputs."""

from __future__ import annotations

from datetime import date

from collector.accounts import _daily_hashrates
from collector.config import parse_config
from collector.store.records import PoolHashrateDayRecord
from tests.support.scenario import DEMO_ADDRESS

CONFIG = parse_config(
    {
        "operations": [
            {
                "id": "op",
                "name": "Op",
                "license": "L-1",
                "remittance": {"rate": "0.1"},
                "reserve_addresses": [DEMO_ADDRESS],
                "pools": [
                    {"kind": "ocean", "account": "a"},
                    {"kind": "ocean", "account": "b"},
                ],
            }
        ]
    }
)


def test_a_day_counts_only_when_every_pool_account_reported_it() -> None:
    rows = [
        PoolHashrateDayRecord("op", "ocean", "a", date(2026, 11, 1), 1e16),
        PoolHashrateDayRecord("op", "ocean", "b", date(2026, 11, 1), 2e16),
        PoolHashrateDayRecord("op", "ocean", "a", date(2026, 11, 2), 1e16),
        PoolHashrateDayRecord("op", "ocean", "gone", date(2026, 11, 2), 5e16),
    ]
    [day] = _daily_hashrates(CONFIG, rows)["op"]
    assert (day.day, day.hashrate_hs) == (date(2026, 11, 1), 3e16)


def test_rows_of_operations_no_longer_configured_are_ignored() -> None:
    rows = [PoolHashrateDayRecord("retired", "ocean", "a", date(2026, 11, 1), 1e16)]
    assert _daily_hashrates(CONFIG, rows) == {}
