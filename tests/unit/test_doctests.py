"""The examples in the modules' docstrings hold (they document the rules by example)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "collector.backoff",
    "collector.bitcoin.address",
    "collector.logs",
    "collector.bitcoin.payment",
    "collector.mail.reminders",
    "collector.http.portal",
    "collector.http.server",
    "collector.sources.pools.normalise",
    "remittance.hashrate",
    "remittance.i18n",
    "remittance.money",
    "remittance.csv_cells",
    "remittance.valuation",
    "remittance.proofs",
    "remittance.cases",
    "remittance.official_price",
    "remittance.mining_fee",
    "remittance.pool_reports",
    "remittance.mandatory_sale",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    results = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert results.attempted > 0
    assert results.failed == 0
