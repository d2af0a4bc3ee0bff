"""The mandatory sale's configuration: an operation's effective-dated schedule of percents,
refused out of order or outside 0-100 %, kept with its terms as revisions; an operation without
one keeps the terms document it had before there was such a setting."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.accounts.terms import config_as_known, terms_documents
from collector.config.load import load_config
from collector.config.mandatory_sale import MandatorySaleConfig
from remittance.mandatory_sale import SaleStep
from tests.support.configs import editing
from tests.support.scenario import write_config

SCHEDULE = [{"from": "2024-01-01", "percent": "25"}, {"from": "2025-01-01", "percent": "75"}]


def test_the_schedule_becomes_the_rules_steps() -> None:
    config = MandatorySaleConfig.model_validate({"schedule": SCHEDULE, "deadline_days": 30})
    assert config.rules() == (
        SaleStep(date(2024, 1, 1), Decimal(25)),
        SaleStep(date(2025, 1, 1), Decimal(75)),
    )
    assert (config.deadline_days, config.exchanges) == (30, ())


@pytest.mark.parametrize(
    ("document", "why"),
    [
        ({"schedule": list(reversed(SCHEDULE))}, "increasing order of from"),
        ({"schedule": []}, "increasing order of from"),
        ({"schedule": [{"from": "2024-01-01", "percent": "100.5"}]}, "between 0 and 100"),
        ({"schedule": [{"from": "2024-01-01", "percent": "NaN"}]}, "finite number"),
        ({"schedule": SCHEDULE, "deadline_days": -1}, "greater than or equal to 0"),
    ],
)
def test_a_schedule_that_cannot_apply_is_refused(document: dict[str, object], why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        MandatorySaleConfig.model_validate(document)


def test_the_schedule_is_kept_with_the_terms_as_known(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    before = terms_documents(load_config(path))
    assert "mandatory_sale" not in json.loads(before["op-demo"])  # no revision at upgrade
    with editing(path) as document:
        document["operations"][0]["mandatory_sale"] = {"schedule": SCHEDULE}
    edited = load_config(path)
    after = terms_documents(edited)
    assert json.loads(after["op-demo"])["mandatory_sale"]["schedule"][1]["percent"] == "75"
    assert after["op-other"] == before["op-other"]
    assert config_as_known(edited, before).operation("op-demo").mandatory_sale is None
    assert config_as_known(edited, after).operation("op-demo").mandatory_sale is not None
