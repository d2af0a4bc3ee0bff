"""Where an operation pays on a day, and the BIP-21 URI its portal page offers."""

from __future__ import annotations

from datetime import date

import pytest

from collector.bitcoin.descriptors import parse_descriptor
from collector.bitcoin.payment import bip21_amount, bip21_uri, payment_address
from collector.config.sections import OperationConfig
from simulator.keys import wpkh_descriptor

CURRENT = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
FIRST = "bc1qfirst"
SECOND = "bc1qsecond"


def operation(retired: list[dict[str, object]]) -> OperationConfig:
    return OperationConfig.model_validate(
        {
            "id": "op-demo",
            "name": "Demo",
            "license": "DM-1",
            "remittance": {"rate": "0.1"},
            "reserve_addresses": [CURRENT],
            "retired_addresses": retired,
        }
    )


@pytest.mark.parametrize(
    ("today", "address"),
    [
        (date(2026, 5, 31), FIRST),  # the first address's last day
        (date(2026, 6, 1), SECOND),  # retired from its `until` day on
        (date(2026, 12, 31), SECOND),  # year end
        (date(2027, 1, 1), CURRENT),  # both retired: the reserve address
    ],
)
def test_the_address_in_force_on_a_day(today: date, address: str) -> None:
    retired = [
        {"address": SECOND, "until": "2027-01-01"},
        {"address": FIRST, "until": "2026-06-01"},
    ]
    assert payment_address(operation(retired), today) == address


def test_without_retired_addresses_the_reserve_address_is_given() -> None:
    assert payment_address(operation([]), date(2028, 2, 29)) == CURRENT


def test_a_descriptor_vault_gives_the_next_address_not_yet_paid() -> None:
    vault = OperationConfig.model_validate(
        {
            "id": "op-vault",
            "name": "Vault",
            "license": "DM-2",
            "remittance": {"rate": "0.1"},
            "reserve_descriptor": wpkh_descriptor(0),
        }
    )
    d = parse_descriptor(wpkh_descriptor(0), "main")
    assert payment_address(vault, date(2026, 12, 1)) == d.address(0)
    paid = [d.address(0), d.address(1)]
    assert payment_address(vault, date(2026, 12, 1), used=paid) == d.address(2)
    testnet = parse_descriptor(wpkh_descriptor(0, "test"), "test")
    vault_t = vault.model_copy(update={"reserve_descriptor": testnet.text})
    assert payment_address(vault_t, date(2026, 12, 1), chain="test").startswith("tb1")


@pytest.mark.parametrize(
    ("amount_sat", "text"), [(1, "0.00000001"), (100_001, "0.00100001"), (100_000_000, "1"),
                             (150_000_000, "1.5")]
)  # fmt: skip
def test_bip21_amounts_are_decimal_btc_without_trailing_zeros(amount_sat: int, text: str) -> None:
    assert bip21_amount(amount_sat) == text


def test_a_uri_with_nothing_owed_has_no_amount_and_its_label_is_percent_encoded() -> None:
    assert bip21_uri(CURRENT, 0, "Қазақ & Co") == (
        f"bitcoin:{CURRENT}?label=%D2%9A%D0%B0%D0%B7%D0%B0%D2%9B%20%26%20Co"
    )
