"""The fee's configuration: the confirmed points shipped as the default schedule, revisions
and site prices in order, kept with the settings' revisions."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from collector.accounts.terms import SETTINGS, config_as_known, terms_documents
from collector.config.load import load_config
from collector.config.mining_fee import MiningFeeConfig, SiteFeeConfig
from remittance.mining_fee import FeeSite, Supply
from tests.support.configs import editing
from tests.support.scenario import write_config


def test_the_default_schedule_holds_only_the_confirmed_points() -> None:
    [schedule] = MiningFeeConfig().rules()
    grid = FeeSite("s", Supply.GRID, metered=True)
    assert schedule.effective_from == date(2023, 1, 1)
    assert schedule.rate_tiyn(grid, Decimal(2400)) == 100
    assert schedule.rate_tiyn(grid, Decimal(2399)) == 2500
    assert (schedule.own_generation_tiyn, schedule.own_renewable_tiyn, schedule.no_meter_tiyn) == (
        1000,
        100,
        2500,
    )


def test_bands_that_do_not_start_at_0_or_ascend_are_refused() -> None:
    with pytest.raises(ValidationError, match="the first from 0"):
        MiningFeeConfig.model_validate(
            {
                "schedule": [
                    {"from": "2023-01-01", "bands": [{"price_from_tiyn": 5, "rate_tiyn": 1}]}
                ]
            }
        )
    with pytest.raises(ValidationError, match="increasing order of from"):
        SiteFeeConfig.model_validate(
            {
                "prices": [
                    {"from": "2026-02-01", "price_tiyn_per_kwh": "1850"},
                    {"from": "2026-01-01", "price_tiyn_per_kwh": "1900"},
                ]
            }
        )


def test_the_schedule_is_a_setting_kept_as_known(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    known = terms_documents(load_config(path))
    assert json.loads(known[SETTINGS])["mining_fee"]["schedule"][0]["from"] == "2023-01-01"
    with editing(path) as document:
        document["mining_fee"] = {
            "schedule": [
                {"from": "2023-01-01", "bands": [{"price_from_tiyn": 0, "rate_tiyn": 2500}]},
                {"from": "2026-02-15", "bands": [{"price_from_tiyn": 0, "rate_tiyn": 1000}]},
            ]
        }
    edited = load_config(path)
    assert len(edited.mining_fee.schedule) == 2
    assert len(config_as_known(edited, known).mining_fee.schedule) == 1  # as known then
