"""What an operation is written in and when it is reminded are not its terms: changing them
records no terms revision."""

from __future__ import annotations

import json
from pathlib import Path

from collector.accounts.terms import SETTINGS, config_as_known, terms_documents
from collector.config.load import load_config
from tests.support.configs import editing
from tests.support.scenario import write_config


def test_language_and_reminders_leave_the_terms_documents_as_they_were(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    before = terms_documents(load_config(path))
    with editing(path) as document:
        document["operations"][0]["language"] = "kk"
        document["operations"][0]["remittance"]["remind_days_before"] = 3
    config = load_config(path)
    assert config.operations[0].language == "kk"
    assert terms_documents(config) == before
    assert '"rate":"0.10"' in before["op-demo"]  # the terms themselves are still there


def test_the_settings_that_change_a_figure_are_kept_and_restored_as_known(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path)
    before = load_config(path)
    known = terms_documents(before)
    assert json.loads(known[SETTINGS])["reserve"]["confirmations"] == 6
    assert "poll_interval_s" not in json.loads(known[SETTINGS])["reserve"]  # no figure moves
    with editing(path) as document:
        document["reserve"] = {"confirmations": 1, "require_proof": True, "poll_interval_s": 5}
    edited = load_config(path)
    restored = config_as_known(edited, known)
    assert restored.reserve.confirmations == 6
    assert not restored.reserve.require_proof
    assert restored.reserve.poll_interval_s == 5  # how often to poll is today's
    assert config_as_known(edited, {}).reserve.confirmations == 1  # nothing known: the file's


def test_payout_wallets_are_terms_and_an_operation_without_one_keeps_its_document(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path)
    before = terms_documents(load_config(path))
    assert "payout_wallets" not in json.loads(before["op-demo"])  # no revision at upgrade
    payout = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    with editing(path) as document:
        document["operations"][0]["payout_wallets"] = [{"addresses": [payout]}]
    config = load_config(path)
    after = terms_documents(config)
    assert after["op-other"] == before["op-other"]
    assert json.loads(after["op-demo"])["payout_wallets"][0]["addresses"] == [payout]
    assert config_as_known(config, before).operations[0].payout_wallets == ()
