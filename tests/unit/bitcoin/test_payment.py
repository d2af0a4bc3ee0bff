"""Where an operation pays on a day, how much it is asked for, and the BIP-21 URI its portal
page and its reminder offer."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from collector.bitcoin.descriptors import parse_descriptor
from collector.bitcoin.payment import (
    accruing_text,
    amount_to_pay,
    bip21_amount,
    bip21_uri,
    payment_address,
    payment_breakdown,
    payment_label,
)
from collector.config.sections import OperationConfig, SmtpConfig
from collector.http.portal_view import operation_view
from collector.mail.reminders import compose_reminder
from remittance import (
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    OperationAccount,
    compute_account,
)
from remittance.i18n import wording
from simulator.keys import wpkh_descriptor
from tests.support.configs import operation
from tests.unit.remittance.conftest import (
    WORKED_DAYS,
    WORKED_EARNINGS,
    WORKED_PAYMENT,
    WORKED_TERMS,
)

CURRENT = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
FIRST = "bc1qfirst"
SECOND = "bc1qsecond"


def _retiring(retired: list[dict[str, object]]) -> OperationConfig:
    return OperationConfig.model_validate(operation("op-demo", CURRENT, retired_addresses=retired))


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
    assert payment_address(_retiring(retired), today) == address


def test_without_retired_addresses_the_reserve_address_is_given() -> None:
    assert payment_address(_retiring([]), date(2028, 2, 29)) == CURRENT


def test_a_descriptor_vault_gives_the_next_address_not_yet_paid() -> None:
    vault = OperationConfig.model_validate(
        operation("op-vault", reserve_addresses=[], reserve_descriptor=wpkh_descriptor(0))
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


# Issue 30, item 9: one amount to pay, the same on the page, in its QR code and in the reminder

AS_OF = datetime(2026, 11, 8, 12, tzinfo=UTC)
"""September overdue (its deadline, 11 October, passed), October due by 11 November, November
open: 1,500,000 sat earned on each of 29-30 September and 1-2 November, the worked example's
3,000,005 over 29-31 October, 200,000 sat paid on 5 November (it settles September first)."""


def three_period_account() -> OperationAccount:
    days = [date(2026, 9, 29), date(2026, 9, 30), date(2026, 11, 1), date(2026, 11, 2)]
    earnings = [*WORKED_EARNINGS, *(DailyEarning("op-demo", "pool-a", d, 1_500_000) for d in days)]
    every_day = [*days, *WORKED_DAYS]
    return compute_account(
        "op-demo",
        WORKED_TERMS,
        earnings,
        [DailyPoolHashrate("op-demo", d, Decimal("2e16")) for d in every_day],
        [DailyNetwork(d, 144, 45_000_000_000, Decimal("9e20")) for d in every_day],
        [WORKED_PAYMENT],
        6,
        AS_OF,
    )


def uri_amount(uri: str) -> str:
    return parse_qs(urlsplit(uri).query)["amount"][0]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_page_its_qr_code_and_the_reminder_ask_for_one_amount(language: str) -> None:
    """The page and its QR code asked for the whole balance (the open month's accrual in it),
    the reminder for its own month only (not what was already overdue): three amounts. Now
    each asks for the overdue and the due, with those parts; the accrual is told apart."""
    account = three_period_account()
    payment = amount_to_pay(account)
    assert [(p.label, p.unpaid_sat, p.deadline_passed) for p in payment.periods] == [
        ("2026-09", 100_000, True),  # 300,000 due, 200,000 paid
        ("2026-10", 300_001, False),
    ]
    assert (payment.overdue_sat, payment.due_sat, payment.total_sat) == (100_000, 300_001, 400_001)
    assert (payment.accruing_label, payment.accruing_sat) == ("2026-11", 300_000)
    assert account.ledger.balance_sat == 700_001  # what the page used to ask for

    demo = OperationConfig.model_validate(
        operation("op-demo", CURRENT, contacts=["finance@demo.test"], language=language)
    )
    words = wording(language)
    view = operation_view(demo, account, words, zone="Asia/Almaty")
    assert view.pay_sat == 400_001 and uri_amount(view.uri) == "0.00400001"
    october = account.ledger.settlement_for("2026-10")
    assert october is not None
    smtp = SmtpConfig(host="127.0.0.1", sender="reserve@regulator.test")
    reminder = compose_reminder(smtp, demo, october, payment, "Asia/Almaty", CURRENT)
    body = reminder.get_content()
    assert uri_amount(body.split("bitcoin:")[1].split()[0]) == "0.00400001"
    total = f"{words.btc(400_001)} BTC"
    assert total in str(reminder["Subject"])
    assert words.text("Amount to pay: {amount}", amount=total) in body
    for part, amount in payment_breakdown(payment, words, "Asia/Almaty"):
        assert f"- {part}: {words.btc(amount)} BTC" in body
    assert accruing_text(payment, words) in body
    assert "Asia/Almaty" in body and "UTC" not in body


@pytest.mark.parametrize(
    ("language", "label"),
    [("kk", "резервке аударым op-demo"), ("ru", "отчисление в резерв op-demo"),
     ("en", "reserve remittance op-demo")],
)  # fmt: skip
def test_the_payment_links_label_is_in_the_readers_language(language: str, label: str) -> None:
    """The BIP-21 label stayed English whatever the page's language."""
    uri = bip21_uri(CURRENT, 1, payment_label("op-demo", wording(language)))
    assert parse_qs(urlsplit(uri).query)["label"] == [label]
