"""Untrusted input to the valuation and proof parsers is parsed or refused with the one
exception each documents, never anything else: a Kraken ticker answer (SourceBadResponse), an
NBK rates CSV (CsvImportError), a proof message (ProofMessageError), and a signature the
verifier is handed (False or a verdict, never an exception)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.commands.imports import CsvImportError
from collector.commands.proofs import SignatureVerdict, check_signature, verify_signature
from collector.commands.rates_import import parse_rates_csv
from collector.errors import SourceBadResponse
from collector.sources.prices import parse_kraken_ticker
from remittance.proofs import ProofMessageError, parse_proof_message, proof_message
from simulator.fake_prices import FakeTicker
from tests.fuzz.strategies import mutated

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TICKER = {"error": [], "result": {"XXBTZUSD": FakeTicker().ticker_json()}}
SEED_RATES = "date,currency,rate,quant\n01.12.2026,USD,470.81,1\n"
ADDRESS = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"
SIGNATURE = (
    "AkcwRAIgZRfIY3p7/DoVTty6YZbWS71bc5Vct9p9Fia83eRmw2QCICK/ENGfwLtptFluMGs2KsqoNSk89pO7"
    "F29zJLUx9a/sASECx/EgAxlkQpQ9hYjgGu6EBCPMVPwVIVJqO4XCsMvViHI="
)


def test_the_seed_ticker_parses() -> None:
    assert parse_kraken_ticker(TICKER) == Decimal("97000.00000")


@FUZZ
@given(document=mutated(TICKER))
def test_any_ticker_answer_parses_to_a_positive_price_or_is_refused(document: Any) -> None:
    try:
        price = parse_kraken_ticker(document)
    except SourceBadResponse:
        return
    assert price.is_finite() and price > 0


@FUZZ
@given(text=st.text(max_size=300))
def test_any_rates_text_imports_or_is_refused(text: str) -> None:
    try:
        records = parse_rates_csv(SEED_RATES + text, ZoneInfo("Asia/Almaty"))
    except CsvImportError as err:
        assert err.problems
        return
    assert all(r.rate > 0 and r.instant.tzinfo is not None for r in records)


@FUZZ
@given(text=st.text(max_size=200))
def test_any_message_reads_back_or_is_refused(text: str) -> None:
    try:
        named = parse_proof_message(text)
    except ProofMessageError:
        return
    assert proof_message(named.address, named.block_hash) == text.removesuffix("\n")


@settings(max_examples=60, deadline=None)
@given(
    address=st.sampled_from([ADDRESS, "", "bc1q", "tb1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"])
    | st.text(max_size=64),
    message=st.text(max_size=64),
    signature=st.sampled_from(
        [SIGNATURE, SIGNATURE[:-4], "", "====", "smp" + SIGNATURE, "ful" + SIGNATURE, "pof", "smp"]
    )
    | st.text(max_size=120),
)
def test_the_verifier_answers_false_never_raises(
    address: str, message: str, signature: str
) -> None:
    assert verify_signature(address, message, signature) in (True, False)
    assert check_signature(address, message, signature).verdict in SignatureVerdict
