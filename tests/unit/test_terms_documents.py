"""What an operation is written in and when it is reminded are not its terms: changing them
records no terms revision."""

from __future__ import annotations

from pathlib import Path

import yaml

from collector.config import load_config
from collector.terms import terms_documents
from tests.support.scenario import write_config


def test_language_and_reminders_leave_the_terms_documents_as_they_were(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    before = terms_documents(load_config(path))
    document = yaml.safe_load(path.read_text())
    document["operations"][0]["language"] = "kk"
    document["operations"][0]["remittance"]["remind_days_before"] = 3
    path.write_text(yaml.safe_dump(document))
    config = load_config(path)
    assert config.operations[0].language == "kk"
    assert terms_documents(config) == before
    assert '"rate":"0.10"' in before["op-demo"]  # the terms themselves are still there
