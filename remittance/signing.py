"""Ed25519 signatures on statements, in JSON, CSV and PDF, and one `verify` for all three.

Every signature covers every byte a reader relies on, prefixed by a context string naming the
format (so a signature made for one format can never pass for another):

- **JSON** is an envelope::

      {"format": "reservewatch-signed-statement/1", "statement": {...},
       "sha256": "<hex SHA-256 of the statement's canonical bytes>",
       "key_id": "<16 hex>", "signature": "<base64 Ed25519>"}

  The signature covers `b"reservewatch-statement-json\\n" + canonical bytes`, where canonical
  bytes are the statement object re-serialised with sorted keys and no spaces (so the
  envelope's own whitespace does not matter, every value does). `verify` refuses a JSON
  document in which any object names a key twice (`json.loads` would keep the last one) and an
  envelope with any key besides these five: nothing unsigned rides along.
- **CSV** is the CSV rendering (its header carries `statement_sha256`) followed by one last
  line `signature,<key_id>,<base64>`; the signature covers `b"reservewatch-statement-csv\\n"`
  + every byte before that line.
- **PDF** is rendered with uncompressed page content and a placeholder of 88 `-` after the
  footer text `Ed25519 signature ` on each page. The signature covers
  `b"reservewatch-statement-pdf\\n"` + the whole file with the placeholder; then each
  placeholder is overwritten by the base64 signature, which has the same length, so every
  PDF offset stays valid. `verify` puts the placeholder back and checks. The footer also
  shows the statement's SHA-256, tying the PDF to the signed JSON.

`key_id` = the first 16 hex digits of SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from remittance.errors import KeyFormatError, SignatureInvalid, StatementFormatError
from remittance.json_bytes import canonical_json_bytes, readable_json_bytes
from remittance.statement import Statement
from remittance.statement_csv import render_csv
from remittance.statement_json import (
    statement_canonical_bytes,
    statement_from_dict,
    statement_to_dict,
)

SIGNED_FORMAT = "reservewatch-signed-statement/1"
PDF_SIGNATURE_LABEL = "Ed25519 signature "
PDF_SIGNATURE_PLACEHOLDER = "-" * 88
PDF_DIGEST_LABEL = "Statement SHA-256 "
PDF_KEY_LABEL = "key "

REPORT_FORMAT = "reservewatch-signed-reserve-report/1"
PDF_REPORT_DIGEST_LABEL = "Report SHA-256 "
_REPORT_JSON_CONTEXT = b"reservewatch-reserve-report-json\n"
_REPORT_CSV_CONTEXT = b"reservewatch-reserve-report-csv\n"
_REPORT_PDF_CONTEXT = b"reservewatch-reserve-report-pdf\n"
_JSON_CONTEXT = b"reservewatch-statement-json\n"
_CSV_CONTEXT = b"reservewatch-statement-csv\n"
_PDF_CONTEXT = b"reservewatch-statement-pdf\n"
_JOURNAL_CONTEXT = b"reservewatch-journal-entry\n"
_SIGNED_CSV = re.compile(rb"\A(.*\n)signature,([0-9a-f]{16}),([A-Za-z0-9+/=]{88})\n\Z", re.DOTALL)
_PDF_SIGNATURE = re.compile(re.escape(PDF_SIGNATURE_LABEL.encode()) + rb"([A-Za-z0-9+/=-]{88})")
_PDF_DIGEST = re.compile(re.escape(PDF_DIGEST_LABEL.encode()) + rb"([0-9a-f]{64})")
_PDF_REPORT_DIGEST = re.compile(re.escape(PDF_REPORT_DIGEST_LABEL.encode()) + rb"([0-9a-f]{64})")

DocumentKind = Literal["json", "csv", "pdf"]


@dataclass(frozen=True, slots=True)
class VerifiedDocument:
    """What `verify` established about a signed document."""

    kind: DocumentKind
    key_id: str
    statement_sha256: str
    statement: Statement | None  # read back for JSON; CSV and PDF are for people


def load_private_key(pem_bytes: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    """The Ed25519 private key in `pem_bytes` (PKCS#8 PEM); raises KeyFormatError."""
    try:
        key = serialization.load_pem_private_key(pem_bytes, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        msg = f"not a readable PEM private key: {error}"
        raise KeyFormatError(msg) from error
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"the private key is {type(key).__name__}, not Ed25519"
        raise KeyFormatError(msg)
    return key


def load_public_key(pem_bytes: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in `pem_bytes` (SubjectPublicKeyInfo PEM); raises KeyFormatError."""
    try:
        key = serialization.load_pem_public_key(pem_bytes)
    except (ValueError, UnsupportedAlgorithm) as error:
        msg = f"not a readable PEM public key: {error}"
        raise KeyFormatError(msg) from error
    if not isinstance(key, Ed25519PublicKey):
        msg = f"the public key is {type(key).__name__}, not Ed25519"
        raise KeyFormatError(msg)
    return key


def public_key_of(private_key: Ed25519PrivateKey) -> Ed25519PublicKey:
    """The public half of `private_key`."""
    return private_key.public_key()


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    """`public_key` as SubjectPublicKeyInfo PEM, to publish."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def private_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    """`private_key` as unencrypted PKCS#8 PEM (the caller stores it with tight permissions)."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def new_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 key (from the OS random source)."""
    return Ed25519PrivateKey.generate()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 hex digits of SHA-256 of the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _sign(private_key: Ed25519PrivateKey, context: bytes, payload: bytes) -> str:
    return base64.b64encode(private_key.sign(context + payload)).decode("ascii")


def _check(
    public_key: Ed25519PublicKey, signature_b64: str, context: bytes, payload: bytes
) -> None:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, context + payload)
    except (InvalidSignature, binascii.Error) as error:
        msg = "the signature does not match this document and key"
        raise SignatureInvalid(msg) from error


def _check_key_id(claimed: object, public_key: Ed25519PublicKey) -> None:
    if claimed != key_id(public_key):
        msg = f"the document names key {claimed!r}, not this key ({key_id(public_key)})"
        raise SignatureInvalid(msg)


def sign_journal_entry(entry: bytes, private_key: Ed25519PrivateKey) -> tuple[str, str]:
    """``(key_id, base64 signature)`` of a journal entry's canonical bytes; the signature
    covers `b"reservewatch-journal-entry\\n"` + the bytes."""
    return key_id(public_key_of(private_key)), _sign(private_key, _JOURNAL_CONTEXT, entry)


def verify_journal_entry(
    entry: bytes, claimed_key_id: str, signature_b64: str, public_key: Ed25519PublicKey
) -> None:
    """Raise SignatureInvalid unless ``public_key`` signed ``entry`` (as
    :func:`sign_journal_entry` signs it) and the entry names that key."""
    _check_key_id(claimed_key_id, public_key)
    _check(public_key, signature_b64, _JOURNAL_CONTEXT, entry)


def sign_statement_json(statement: Statement, private_key: Ed25519PrivateKey) -> bytes:
    """The signed JSON envelope of `statement` (readable, keys in reading order)."""
    canonical = statement_canonical_bytes(statement)
    envelope = {
        "format": SIGNED_FORMAT,
        "statement": statement_to_dict(statement),
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "key_id": key_id(private_key.public_key()),
        "signature": _sign(private_key, _JSON_CONTEXT, canonical),
    }
    return readable_json_bytes(envelope)


def sign_statement_csv(statement: Statement, private_key: Ed25519PrivateKey) -> bytes:
    """The CSV rendering of `statement` with its signature line appended."""
    body = render_csv(statement)
    signature = _sign(private_key, _CSV_CONTEXT, body)
    return body + f"signature,{key_id(private_key.public_key())},{signature}\n".encode()


def sign_pdf_placeholders(pdf_bytes: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """Sign a PDF rendered with signature placeholders and write the signature into them."""
    placeholder = PDF_SIGNATURE_LABEL + PDF_SIGNATURE_PLACEHOLDER
    if placeholder.encode() not in pdf_bytes:
        msg = "the PDF has no signature placeholder (was it rendered uncompressed?)"
        raise StatementFormatError(msg)
    signature = _sign(private_key, _PDF_CONTEXT, pdf_bytes)
    return pdf_bytes.replace(placeholder.encode(), (PDF_SIGNATURE_LABEL + signature).encode())


# -- reserve reports: the same three forms, their own contexts ---------------------------------


def report_sha256(report: dict[str, object]) -> str:
    return hashlib.sha256(canonical_json_bytes(report)).hexdigest()


def sign_report_json(report: dict[str, object], private_key: Ed25519PrivateKey) -> bytes:
    """The signed JSON envelope of a reserve report (``report``: its plain-data form)."""
    canonical = canonical_json_bytes(report)
    envelope = {
        "format": REPORT_FORMAT,
        "report": report,
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "key_id": key_id(private_key.public_key()),
        "signature": _sign(private_key, _REPORT_JSON_CONTEXT, canonical),
    }
    return (json.dumps(envelope, indent=2, ensure_ascii=False) + "\n").encode()


def sign_report_csv(body: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """A reserve report's CSV (its first line ``report,reserve,…``) with a signature line."""
    signature = _sign(private_key, _REPORT_CSV_CONTEXT, body)
    return body + f"signature,{key_id(private_key.public_key())},{signature}\n".encode()


def sign_report_pdf(pdf_bytes: bytes, private_key: Ed25519PrivateKey) -> bytes:
    """Sign a reserve report's PDF rendered with signature placeholders."""
    placeholder = PDF_SIGNATURE_LABEL + PDF_SIGNATURE_PLACEHOLDER
    if placeholder.encode() not in pdf_bytes:
        raise StatementFormatError("the report PDF has no signature placeholder")
    signature = _sign(private_key, _REPORT_PDF_CONTEXT, pdf_bytes)
    return pdf_bytes.replace(placeholder.encode(), (PDF_SIGNATURE_LABEL + signature).encode())


def _verify_report_json(
    envelope: dict[str, object], public_key: Ed25519PublicKey
) -> VerifiedDocument:
    report, digest, signature = (
        envelope.get("report"),
        envelope.get("sha256"),
        envelope.get("signature"),
    )
    if not (isinstance(report, dict) and isinstance(digest, str) and isinstance(signature, str)):
        raise SignatureInvalid(
            "the envelope needs a report object and sha256 and signature strings"
        )
    _check_key_id(envelope.get("key_id"), public_key)
    canonical = canonical_json_bytes(report)
    if hashlib.sha256(canonical).hexdigest() != digest:
        raise SignatureInvalid("the envelope's sha256 does not match its report")
    _check(public_key, signature, _REPORT_JSON_CONTEXT, canonical)
    return VerifiedDocument("json", key_id(public_key), digest, None)


def verify(document: bytes, public_key: Ed25519PublicKey) -> VerifiedDocument:
    """Check a signed statement in any of the three formats.

    Raises:
        SignatureInvalid: the document was changed, signed by another key, or carries no
            signature; or its digest does not match its statement; or, in JSON, an object
            names a key twice (at any depth) or the envelope carries a key it does not sign.
        StatementFormatError: a JSON envelope whose statement cannot be read back.
    """
    if document.startswith(b"%PDF-"):
        if _PDF_REPORT_DIGEST.search(document):
            return _verify_pdf(document, public_key, _REPORT_PDF_CONTEXT, _PDF_REPORT_DIGEST)
        return _verify_pdf(document, public_key)
    if document.lstrip().startswith(b"{"):
        return _verify_json(document, public_key)
    return _verify_csv(document, public_key)


def _object_without_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object, refused when it names a key twice: ``json.loads`` would keep the last
    value, so a forged object placed before (or after) the genuine one could pass."""
    data: dict[str, object] = {}
    for name, value in pairs:
        if name in data:
            msg = f"the signed JSON names the key {name!r} twice in one object"
            raise SignatureInvalid(msg)
        data[name] = value
    return data


def _envelope_keys_only(envelope: dict[str, object], body: str) -> None:
    """Refuse a key the signature does not cover: the envelope is exactly its five fields."""
    extra = sorted(set(envelope) - {"format", body, "sha256", "key_id", "signature"})
    if extra:
        names = ", ".join(repr(name) for name in extra)
        msg = f"the signed JSON carries {names} outside what is signed"
        raise SignatureInvalid(msg)


def _verify_json(document: bytes, public_key: Ed25519PublicKey) -> VerifiedDocument:
    try:
        envelope = json.loads(document, object_pairs_hook=_object_without_duplicates)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        msg = f"the signed JSON cannot be parsed: {error}"
        raise SignatureInvalid(msg) from error
    if isinstance(envelope, dict) and envelope.get("format") == REPORT_FORMAT:
        _envelope_keys_only(envelope, "report")
        return _verify_report_json(envelope, public_key)
    if not isinstance(envelope, dict) or envelope.get("format") != SIGNED_FORMAT:
        msg = f"not a {SIGNED_FORMAT} envelope"
        raise SignatureInvalid(msg)
    _envelope_keys_only(envelope, "statement")
    statement_data = envelope.get("statement")
    digest = envelope.get("sha256")
    signature = envelope.get("signature")
    if not (
        isinstance(statement_data, dict) and isinstance(digest, str) and isinstance(signature, str)
    ):
        msg = "the envelope needs a statement object and sha256 and signature strings"
        raise SignatureInvalid(msg)
    _check_key_id(envelope.get("key_id"), public_key)
    canonical = canonical_json_bytes(statement_data)
    if hashlib.sha256(canonical).hexdigest() != digest:
        msg = "the envelope's sha256 does not match its statement"
        raise SignatureInvalid(msg)
    _check(public_key, signature, _JSON_CONTEXT, canonical)
    statement = statement_from_dict(statement_data)
    return VerifiedDocument("json", key_id(public_key), digest, statement)


def _verify_csv(document: bytes, public_key: Ed25519PublicKey) -> VerifiedDocument:
    match = _SIGNED_CSV.match(document)
    if match is None:
        msg = "the CSV does not end with a signature line"
        raise SignatureInvalid(msg)
    body = match.group(1)
    _check_key_id(match.group(2).decode(), public_key)
    if body.startswith(b"report,reserve,"):
        _check(public_key, match.group(3).decode(), _REPORT_CSV_CONTEXT, body)
        found = re.search(rb"^report,report_sha256,([0-9a-f]{64})$", body, re.MULTILINE)
        if found is None:
            raise SignatureInvalid("the signed report CSV has no report_sha256")
        return VerifiedDocument("csv", key_id(public_key), found.group(1).decode(), None)
    _check(public_key, match.group(3).decode(), _CSV_CONTEXT, body)
    digest = re.search(rb"^statement,statement_sha256,([0-9a-f]{64})$", body, re.MULTILINE)
    if digest is None:
        msg = "the signed CSV has no statement_sha256"
        raise SignatureInvalid(msg)
    return VerifiedDocument("csv", key_id(public_key), digest.group(1).decode(), None)


def _verify_pdf(
    document: bytes,
    public_key: Ed25519PublicKey,
    context: bytes = _PDF_CONTEXT,
    digest_pattern: re.Pattern[bytes] = _PDF_DIGEST,
) -> VerifiedDocument:
    signatures = set(_PDF_SIGNATURE.findall(document))
    if len(signatures) != 1:
        msg = "the PDF must carry exactly one signature value (repeated on each page)"
        raise SignatureInvalid(msg)
    signature = signatures.pop()
    if signature == PDF_SIGNATURE_PLACEHOLDER.encode():
        msg = "the PDF was never signed"
        raise SignatureInvalid(msg)
    label = PDF_SIGNATURE_LABEL.encode()
    unsigned = document.replace(label + signature, label + PDF_SIGNATURE_PLACEHOLDER.encode())
    _check(public_key, signature.decode(), context, unsigned)
    digest = digest_pattern.search(document)
    if digest is None:
        msg = "the signed PDF has no statement SHA-256"
        raise SignatureInvalid(msg)
    return VerifiedDocument("pdf", key_id(public_key), digest.group(1).decode(), None)
