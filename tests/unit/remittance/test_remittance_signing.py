from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from remittance import KeyFormatError, SignatureInvalid, Statement
from remittance.pdf import render_signed_pdf
from remittance.signing import (
    key_id,
    load_private_key,
    load_public_key,
    new_private_key,
    private_key_pem,
    public_key_of,
    public_key_pem,
    sign_report_json,
    sign_statement_csv,
    sign_statement_json,
    verify,
)
from remittance.statement_json import (
    statement_from_dict,
    statement_sha256,
    statement_to_dict,
    statement_to_json,
)

Signer = Callable[[Statement, Ed25519PrivateKey], bytes]
SIGNERS: dict[str, Signer] = {
    "json": sign_statement_json,
    "csv": sign_statement_csv,
    "pdf": render_signed_pdf,
}


@pytest.fixture(scope="module")
def regulator_key() -> Ed25519PrivateKey:
    return new_private_key()


@pytest.mark.parametrize("kind", list(SIGNERS))
def test_signed_statement_verifies_with_the_regulator_key(
    kind: str, worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = SIGNERS[kind](worked_statement, regulator_key)
    verified = verify(document, public_key_of(regulator_key))
    assert verified.kind == kind
    assert verified.statement_sha256 == statement_sha256(worked_statement)
    assert verified.key_id == key_id(regulator_key.public_key())


def test_verified_json_gives_the_statement_back(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = sign_statement_json(worked_statement, regulator_key)
    assert verify(document, regulator_key.public_key()).statement == worked_statement


@pytest.mark.parametrize("kind", list(SIGNERS))
def test_another_key_does_not_verify(
    kind: str, worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = SIGNERS[kind](worked_statement, regulator_key)
    with pytest.raises(SignatureInvalid):
        verify(document, new_private_key().public_key())


@pytest.mark.parametrize("kind", list(SIGNERS))
def test_changing_one_byte_anywhere_fails(
    kind: str, worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = SIGNERS[kind](worked_statement, regulator_key)
    # Flip one byte at a spread of positions: header, body and near the end.
    for position in (10, len(document) // 3, len(document) // 2, len(document) - 120):
        tampered = bytearray(document)
        tampered[position] = ord("7") if tampered[position] != ord("7") else ord("8")
        with pytest.raises(SignatureInvalid):
            verify(bytes(tampered), regulator_key.public_key())


def test_changing_an_amount_in_the_json_fails_even_with_a_fresh_digest(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    envelope = json.loads(sign_statement_json(worked_statement, regulator_key))
    envelope["statement"]["summary"]["due_sat"] = 1
    tampered = statement_from_dict(envelope["statement"])
    envelope["sha256"] = statement_sha256(tampered)
    with pytest.raises(SignatureInvalid):
        verify(json.dumps(envelope).encode(), regulator_key.public_key())


def test_json_whitespace_does_not_matter(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    envelope = json.loads(sign_statement_json(worked_statement, regulator_key))
    compact = json.dumps(envelope, separators=(",", ":")).encode()
    assert verify(compact, regulator_key.public_key()).kind == "json"


def test_appending_to_a_signed_csv_or_pdf_fails(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    for kind in ("csv", "pdf"):
        document = SIGNERS[kind](worked_statement, regulator_key)
        with pytest.raises(SignatureInvalid):
            verify(document + b"\n", regulator_key.public_key())


def test_pdf_is_a_pdf_with_signature_in_its_footer(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = render_signed_pdf(worked_statement, regulator_key)
    assert document.startswith(b"%PDF")
    assert statement_sha256(worked_statement).encode() in document
    assert b"-" * 88 not in document


def test_unsigned_documents_are_rejected(worked_statement: Statement) -> None:
    with pytest.raises(SignatureInvalid):
        verify(b"section,field,value\n", new_private_key().public_key())
    with pytest.raises(SignatureInvalid):
        verify(statement_to_json(worked_statement).encode(), new_private_key().public_key())


def test_keys_round_trip_through_pem(regulator_key: Ed25519PrivateKey) -> None:
    loaded = load_private_key(private_key_pem(regulator_key))
    public = load_public_key(public_key_pem(regulator_key.public_key()))
    assert key_id(loaded.public_key()) == key_id(public) == key_id(regulator_key.public_key())
    assert len(key_id(public)) == 16


def test_non_ed25519_or_garbage_keys_raise_key_format_error() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(KeyFormatError, match="not Ed25519"):
        load_private_key(ec_pem)
    with pytest.raises(KeyFormatError, match="not a readable PEM"):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(KeyFormatError):
        load_public_key(b"garbage")


def _forge_before(document: bytes, key: str, forged: object) -> bytes:
    """The signed envelope with a second ``key`` inserted first: the genuine one, later in
    the text, is what a plain ``json.loads`` keeps."""
    prefix = b"{\n" + f'  "{key}": '.encode() + json.dumps(forged).encode() + b",\n"
    assert document.startswith(b"{\n")
    return prefix + document[2:]


def test_a_forged_statement_before_the_genuine_one_is_refused(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = sign_statement_json(worked_statement, regulator_key)
    forged_data = json.loads(document)["statement"]
    forged_data["summary"]["due_sat"] = 1
    forged = _forge_before(document, "statement", forged_data)
    assert json.loads(forged)["statement"] == statement_to_dict(worked_statement)  # what json keeps
    with pytest.raises(SignatureInvalid, match="names the key 'statement' twice"):
        verify(forged, regulator_key.public_key())


def test_a_duplicate_key_deep_inside_the_statement_is_refused(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = sign_statement_json(worked_statement, regulator_key)
    assert document.count(b'"due_sat": 300001') == 1
    forged = document.replace(b'"due_sat": 300001', b'"due_sat": 1, "due_sat": 300001')
    with pytest.raises(SignatureInvalid, match="names the key 'due_sat' twice"):
        verify(forged, regulator_key.public_key())


def test_an_unsigned_key_beside_the_envelope_is_refused(
    worked_statement: Statement, regulator_key: Ed25519PrivateKey
) -> None:
    document = sign_statement_json(worked_statement, regulator_key)
    noted = _forge_before(document, "note", "paid in full, see annex")
    with pytest.raises(SignatureInvalid, match="carries 'note' outside what is signed"):
        verify(noted, regulator_key.public_key())


def test_a_reserve_report_json_refuses_duplicates_and_unsigned_keys(
    regulator_key: Ed25519PrivateKey,
) -> None:
    report: dict[str, object] = {"reserve": "kz", "total_sat": 5}
    document = sign_report_json(report, regulator_key)
    assert verify(document, regulator_key.public_key()).kind == "json"
    forged = _forge_before(document, "report", {"reserve": "kz", "total_sat": 9})
    with pytest.raises(SignatureInvalid, match="names the key 'report' twice"):
        verify(forged, regulator_key.public_key())
    noted = _forge_before(document, "note", "audited")
    with pytest.raises(SignatureInvalid, match="carries 'note' outside what is signed"):
        verify(noted, regulator_key.public_key())
