"""An earnings import refuses days no one watched here mined: before the chain's first block
(2009-01-03) or before the operation's first configured rate; one line naming file and row."""

from __future__ import annotations

from typing import Any

import pytest

from collector.commands.imports import CsvImportError, parse_earnings_csv
from collector.config.model import Config
from tests.support.configs import build_config, operation, pool

HEADER = "operation,pool,date,amount_sat\n"


def _config(remittance: dict[str, Any]) -> Config:
    return build_config(operation("op-demo", remittance=remittance, pools=[pool("pool-a")]))


@pytest.mark.parametrize("day", ["0001-01-01", "2009-01-02"])
def test_a_day_before_the_chains_first_block_is_refused(day: str) -> None:
    text = HEADER + "op-demo,ocean/pool-a,2026-10-29,5\n" + f"op-demo,ocean/pool-a,{day},5\n"
    with pytest.raises(CsvImportError) as refused:
        parse_earnings_csv(text, _config({"rate": "0.10"}), "e.csv")
    [line] = refused.value.problems
    assert line.startswith("e.csv:3")
    assert f"date {day} is before the chain's first block (2009-01-03)" in line


def test_a_day_before_the_operations_first_rate_is_refused() -> None:
    config = _config({"rates": [{"from": "2026-01-01", "rate": "0.10"}]})
    text = HEADER + "op-demo,ocean/pool-a,2025-12-31,5\nop-demo,ocean/pool-a,2026-01-01,5\n"
    with pytest.raises(CsvImportError) as refused:
        parse_earnings_csv(text, config, "e.csv")
    [line] = refused.value.problems
    assert line.startswith("e.csv:2")
    assert "before the operation's first rate (2026-01-01)" in line
    accepted = parse_earnings_csv(HEADER + "op-demo,ocean/pool-a,2026-01-01,5\n", config)
    assert [r.day.isoformat() for r in accepted] == ["2026-01-01"]


def test_the_chains_first_day_is_accepted() -> None:
    text = HEADER + "op-demo,ocean/pool-a,2009-01-03,5\n"
    assert len(parse_earnings_csv(text, _config({"rate": "0.10"}))) == 1
