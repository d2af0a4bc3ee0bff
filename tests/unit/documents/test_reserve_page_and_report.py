"""The public page and the central bank's report state one holdings figure for one instant,
by one rule (confirmed holdings), with the reserve's mempool transactions shown apart as
pending on both."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from embit import ec

from collector.accounts.reserve import WalletProof
from collector.commands.proofs import SignatureVerdict, check_signature
from collector.documents.reserve_report import page_files, proof_doc, transparency_document
from remittance.periods import parse_report_period
from remittance.proofs import ProofStatus, RegisteredProof, proof_message
from remittance.reserve import HOLDINGS_AT_RULE, RULE, Coin
from remittance.reserve_report import ReportInputs, build_report
from simulator.bip322_sign import address_of, sign_simple
from tests.support.configs import reserve_only

VAULT = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
STRANGER = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
T0 = datetime(2026, 10, 3, tzinfo=UTC)
AS_OF = datetime(2026, 10, 9, 12, tzinfo=UTC)


def tx(n: int) -> str:
    return f"{n:064x}"


def test_the_page_and_the_report_give_the_same_holdings_with_an_outflow_pending() -> None:
    config = reserve_only(custody=[{"name": "vault", "addresses": [VAULT]}])
    coins = [
        Coin(tx(1), 0, 250_000_000, "custody", "vault", VAULT, "confirmed", 100, T0),
        # In the mempool at the instant: 0.1 BTC out, the rest back, a 1,000 sat fee.
        Coin(tx(2), 0, 10_000_000, "outside", "", STRANGER, "mempool"),
        Coin(tx(2), 1, 239_999_000, "custody", "vault", VAULT, "mempool"),
    ]
    inputs = ReportInputs(
        period=parse_report_period("2026-10"),
        as_of=AS_OF,
        tip_height=200,
        zone="Asia/Almaty",
        coins=coins,
        spends=[(tx(2), tx(1), 0)],
        operations=[],
        cases=[],
        inflow_confirmations=1,
    )
    report = build_report(inputs)
    page = transparency_document(config, inputs)
    assert report["holdings"]["end"]["total_sat"] == page["total_sat"] == 250_000_000
    assert report["holdings"]["end"]["by_source"] == page["by_source"]
    assert report["holdings"]["pending"] == page["pending"]
    assert page["pending"]["unapproved_sat"] == 10_000_000
    assert page["pending"]["fee_sat"] == 1_000
    assert [m["txid"] for m in page["pending"]["movements"]] == [tx(2)]
    # The outflow alarms from the mempool all the same; both documents state the rule.
    assert [m["txid"] for m in report["unapproved_outflows"]] == [tx(2)]
    assert report["rules"]["holdings_at"] == page["holdings_rule"] == HOLDINGS_AT_RULE
    assert report["rules"]["holdings"] == page["rule"] == RULE


# Issue 27, item 8: the page publishes each proof whole (message, signature, verdict, block)
# so anyone can check it again; a wallet without a proof names no signature; one page per
# language; instants to the second (the JSON) or the minute in the regulator's zone (the
# pages); a total row.
KEY = ec.PrivateKey.from_wif("L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k")
SIGNED = address_of(KEY)  # bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l
CASE = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
BLOCK = "00" * 12 + "ab" * 20


def test_the_page_publishes_each_proof_whole_in_three_languages() -> None:
    config = reserve_only(
        time_zone="Asia/Almaty",
        custody=[{"name": "cold-vault-1", "addresses": [SIGNED]}],
        intake=[{"case": "KZ-1", "addresses": [CASE], "authority": "AFM", "order_ref": "2-1/2026"}],
    )
    message = proof_message(SIGNED, BLOCK)
    registered = datetime(2026, 10, 5, 9, 30, 15, 123_456, tzinfo=UTC)
    proof = RegisteredProof(
        SIGNED, message, sign_simple(KEY, message), registered, True, 870_000, 870_006
    )
    rows = [
        WalletProof("intake", "KZ-1", CASE, ProofStatus.UNPROVEN),
        WalletProof("custody", "cold-vault-1", SIGNED, ProofStatus.PROVEN, proof,
                    registered + timedelta(days=90)),
    ]  # fmt: skip
    inputs = ReportInputs(
        period=parse_report_period("2026-10"),
        as_of=AS_OF.replace(microsecond=654_321),
        tip_height=870_100,
        zone="Asia/Almaty",
        coins=[
            Coin(tx(1), 0, 250_000_000, "custody", "cold-vault-1", SIGNED, "confirmed", 100, T0)
        ],
        spends=[],
        operations=[],
        cases=[],
        inflow_confirmations=1,
        proofs=[proof_doc(row) for row in rows],
    )
    page = transparency_document(config, inputs)
    assert page["generated_at"] == "2026-10-09T12:00:00Z"
    vault = next(w for w in page["wallets"] if w["holder"] == "cold-vault-1")
    [published] = vault["proof_addresses"]
    assert published == {
        "address": SIGNED,
        "status": "proven",
        "registered_at": "2026-10-05T09:30:15Z",
        "expires_at": "2027-01-03T09:30:15Z",
        "message": message,
        "signature": proof.signature,
        "signature_valid": True,
        "block_hash": BLOCK,
        "block_height": 870_000,
    }
    # Anyone can check it again from what is published.
    check = check_signature(published["address"], published["message"], published["signature"])
    assert check.verdict is SignatureVerdict.VALID
    case = next(w for w in page["wallets"] if w["holder"] == "KZ-1")
    assert case["proof"] == "unproven" and case["proof_addresses"][0]["signature"] is None
    files = page_files(page)
    assert set(files) == {"json", "html-kk", "html-ru", "html-en"}
    en, ru, kk = (files[f"html-{lang}"].decode() for lang in ("en", "ru", "kk"))
    assert "BIP-322 signature by" not in en
    assert f"No proof of control is registered for <code>{CASE}</code>." in en
    assert html.escape(message) in en and proof.signature in en
    assert "Stands until January 3, 2027, 14:30 Asia/Almaty." in en
    assert "As of October 9, 2026, 17:00 Asia/Almaty (block 870100): 2.50000000 BTC held." in en
    assert "<tr class=total><td colspan=2>Total</td><td class=n>2.50000000</td>" in en
    assert "<html lang=ru>" in ru and "Итого" in ru and "2,50000000" in ru
    assert "Для <code>bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4</code> доказательство" in ru
    assert "<html lang=kk>" in kk and "Барлығы" in kk and "href=ru.html" in kk
    for text in (ru, kk):  # the rules stated in the reader's language, not in English
        assert "Holdings at an instant" not in text and proof.signature in text
    assert "123456" not in en + ru + kk and "654321" not in files["json"].decode()
