"""Inputs the fuzzers found crashing a parser, kept so the crash never comes back.

Each was an uncaught ``decimal.InvalidOperation``/``Overflow``, ``OverflowError``,
``ValueError``, ``TypeError`` or ``AttributeError``; each is now a refusal with a message.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from collector.commands.imports import CsvImportError, parse_earnings_csv
from collector.config.load import load_config
from collector.errors import ConfigError, SourceBadResponse
from collector.sources import chain, network
from collector.sources.http import _parse_json
from collector.sources.pools import normalise as n
from tests.fuzz.targets import CSV_CONFIG, ENDPOINTS_BY_NAME, SEED_CSV, pool_document

HASH = "a" * 64


@pytest.mark.parametrize(
    ("convert", "value"),
    [
        (n.btc_to_sat, "1e30"),  # quantize past 28 digits: InvalidOperation
        (n.btc_to_sat, "1e999999999"),  # Overflow
        (n.btc_to_sat, "21000000.00000001"),  # more than will ever exist
        (n.sat, "1e20"),
        (n.count, "1e29"),
        (n.unix_time, "1e999999999"),  # Overflow dividing ms to s
        (n.moment, Decimal("1e999999999")),
    ],
)
def test_huge_pool_numbers_are_refused_not_crashed_on(convert: Any, value: object) -> None:
    with pytest.raises(SourceBadResponse, match="field"):
        convert(value, "field")


def test_huge_hash_rates_are_refused() -> None:
    with pytest.raises(SourceBadResponse, match="rate"):
        n.hashrate_to_hs("1e999999", "EH/s", "rate")
    with pytest.raises(SourceBadResponse, match="beyond any pool"):
        n.hashrate_to_hs("2000000", "EH/s", "rate")


def test_ocean_worker_without_samples_is_refused() -> None:
    endpoint = ENDPOINTS_BY_NAME["ocean:/user_hashrate_full/"]
    answer = {"result": {"workers": {"bc1qocean.w0": None}}}  # was: TypeError on ``in None``
    assert not pool_document(endpoint, answer)


def test_luxor_revenue_with_subaccounts_that_are_no_list_is_refused() -> None:
    endpoint = ENDPOINTS_BY_NAME["luxor:/revenue/"]
    answer = {"subaccounts": 1}  # was: TypeError iterating an int (the fresh machine's run)
    assert not pool_document(endpoint, answer)


@pytest.mark.parametrize("text", ["²", "9" * 5000, "١٢٣"])
def test_tip_heights_that_int_cannot_read_are_refused(text: str) -> None:
    with pytest.raises(SourceBadResponse, match="tip height"):
        network.parse_tip_height(text)


@pytest.mark.parametrize("timestamp", [10**20, 2**63, 253402300800])
def test_block_and_tx_times_past_any_calendar_are_refused(timestamp: int) -> None:
    block = {"id": HASH, "height": 1, "timestamp": timestamp, "extras": {"reward": 1}}
    with pytest.raises(SourceBadResponse, match="out of range"):
        network.parse_block(block)
    status = {"confirmed": True, "block_height": 1, "block_hash": HASH, "block_time": timestamp}
    with pytest.raises(SourceBadResponse, match="out of range"):
        chain.parse_status(status)
    summary = {
        "currentHashrate": 1,
        "currentDifficulty": 1,
        "hashrates": [{"timestamp": timestamp, "avgHashrate": 1}],
    }
    with pytest.raises(SourceBadResponse, match="out of range"):
        network.parse_hashrate_summary(summary)


def test_a_hash_rate_beyond_any_float_is_refused() -> None:
    with pytest.raises(SourceBadResponse, match="finite"):
        network.parse_hashrate_summary({"currentHashrate": 10**400, "currentDifficulty": 1})


@pytest.mark.parametrize(
    "txs",
    [
        [{"vin": [1]}],
        [{"vin": [{"is_coinbase": True}], "vout": [1]}],
    ],
)
def test_coinbase_with_non_object_inputs_or_outputs_is_refused(txs: Any) -> None:
    with pytest.raises(SourceBadResponse, match="coinbase"):
        network.coinbase_reward_sat(txs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 2020-13-45\n", "not valid YAML"),  # was ValueError from PyYAML's date constructor
        ("a: 2026-03-10T25:61:00Z\n", "not valid YAML"),
        ("1: 2\n", "setting names must be text"),  # was TypeError from Config(**data)
    ],
)
def test_yaml_the_calendar_or_pydantic_cannot_take_is_a_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("\r\x00", "not CSV"),  # was csv.Error: new-line character seen in unquoted field
        ("x" * 200_000 + "\n", "not CSV"),  # was csv.Error: field larger than field limit
        ("op-demo,ocean/pool-a,2026-10-29,²\n", "amount_sat"),  # was ValueError from int()
        ("op-demo,ocean/pool-a,2026-10-29," + "9" * 5000 + "\n", "amount_sat"),
    ],
)
def test_csv_that_the_csv_module_or_int_cannot_take_is_an_import_error(
    tail: str, message: str
) -> None:
    with pytest.raises(CsvImportError, match=message):
        parse_earnings_csv(SEED_CSV + tail, CSV_CONFIG, "fuzz.csv")


@pytest.mark.parametrize(
    "body", [b'{"a": 1.25e+17999999999999999999999999}', b"[1e-99999999999999999999]"]
)
def test_a_json_number_beyond_decimal_is_a_bad_response(body: bytes) -> None:
    # Found by atheris (fuzz/pools.py, fuzz/esplora.py): json.loads(parse_float=Decimal) raised
    # decimal.InvalidOperation, which is not a ValueError.
    with pytest.raises(SourceBadResponse, match="out of range"):
        _parse_json("GET pool.example/x", body)
