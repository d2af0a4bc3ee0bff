"""``reservewatch proof add|list|message``: registering BIP-322 proofs of control.

The signature is checked by ``bip322`` (a PyO3 wrapper of rust-bitcoin's ``bip322`` crate: a
maintained implementation, not one written here), the message's block against the best chain
the store knows, and the rule applied by :mod:`remittance.proofs`. Every proof registered is
stored, whatever its verdict, with what was established then (append-only), so the verdict can
be recomputed and shown later.

``bip322`` 0.3 reads main-network addresses only (``bc1…``, ``1…``, ``3…``); a test-network
address does not verify with it.

BIP-322 2.0.0 (bitcoin/bips ``bip-0322.mediawiki``, "Types of Signatures"): signers MUST prefix
the signature with its variant, ``smp`` (simple), ``ful`` (full) or ``pof`` (full, proof of
funds), and a verifier may take an unprefixed one as simple. ``bip322`` 0.3 predates the prefix:
it is given the simple signature without it. A variant reservewatch cannot verify is said so
(:attr:`SignatureVerdict.UNSUPPORTED`), never called invalid.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import bip322

from collector.accounts.reserve import proof_rules, wallet_proofs_of
from collector.bitcoin.address import AddressError, validate_address
from collector.clock import Clock, SystemClock
from collector.config.model import Config, regulator_zone
from collector.config.wallets import wallet_book
from collector.errors import ReservewatchError
from collector.store.queries import Store, open_store
from remittance.proofs import (
    ProofMessageError,
    ProofStatus,
    RegisteredProof,
    judge_registered,
    latest_proofs,
    parse_proof_message,
    proof_message,
)

MAX_PROOF_FILE_BYTES = 64 * 1024


class ProofInputError(ReservewatchError):
    """A proof's file cannot be read, or its message is not of the proof form."""


class SignatureVerdict(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    UNSUPPORTED = "unsupported"  # a variant reservewatch cannot verify: neither valid nor not


# BIP-322 2.0.0's variant prefixes and their names.
VARIANTS = {"smp": "simple", "ful": "full", "pof": "full proof-of-funds"}


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    verdict: SignatureVerdict
    variant: str  # "smp", "ful" or "pof" (an unprefixed signature is taken as "smp")
    reason: str = ""


def split_variant(signature: str) -> tuple[str, str]:
    """``(variant, base64 payload)``: the prefix BIP-322 2.0.0 puts before the base64, or
    ``"smp"`` when there is none (the BIP lets a verifier take an unprefixed signature as
    simple). A base64 simple signature never starts with a prefix: its first byte, the witness
    stack's item count, would be above 170."""
    variant = signature[:3]
    if variant in VARIANTS:
        return variant, signature[3:]
    return "smp", signature


def check_signature(address: str, message: str, signature: str) -> SignatureCheck:
    """The BIP-322 verdict on ``signature`` of ``message`` by ``address``; never raises.

    Simple signatures (``smp`` or unprefixed) are verified by ``bip322``, which returns nothing
    on success (its stub says ``bool``) and raises ``VerificationError`` on every refusal: a
    bad address, witness, encoding or signature. ``bip322`` 0.3 verifies the simple variant
    only: a full or proof-of-funds signature is :attr:`SignatureVerdict.UNSUPPORTED`."""
    variant, payload = split_variant(signature.strip())
    if variant != "smp":
        return SignatureCheck(
            SignatureVerdict.UNSUPPORTED,
            variant,
            f"a BIP-322 {VARIANTS[variant]} ({variant}) signature: reservewatch verifies simple "
            "(smp) signatures only; sign with the simple variant (P2WPKH, P2WSH, P2TR addresses)",
        )
    try:
        result = bip322.verify_simple_encoded(address, message, payload)
    except bip322.VerificationError as err:
        return SignatureCheck(SignatureVerdict.INVALID, variant, str(err))
    if result is False:
        return SignatureCheck(SignatureVerdict.INVALID, variant, "the signature does not verify")
    return SignatureCheck(SignatureVerdict.VALID, variant)


def verify_signature(address: str, message: str, signature: str) -> bool:
    """True when ``signature`` is a valid BIP-322 signature of ``message`` by ``address``."""
    return check_signature(address, message, signature).verdict is SignatureVerdict.VALID


def read_text(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_PROOF_FILE_BYTES:
            raise ProofInputError(f"{path}: larger than {MAX_PROOF_FILE_BYTES} bytes: not a {what}")
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ProofInputError(f"{path}: cannot read the {what}: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise ProofInputError(f"{path}: the {what} is not UTF-8 text") from err


def _check_address(address: str, config: Config) -> str:
    """``address`` validated and normalised (an all-uppercase bech32 address in lower case)."""
    try:
        return validate_address(address, config.network.chain)
    except AddressError as err:
        raise ProofInputError(f"--address: {err}") from err


async def register_proof(
    store: Store, config: Config, address: str, *, message: str, signature: str, clock: Clock
) -> tuple[ProofStatus, RegisteredProof]:
    """Verify and store one proof; returns its verdict. The message must be of the proof form
    and the signature of a variant reservewatch verifies (:class:`ProofInputError` otherwise,
    nothing stored): a message of another form is a mistake to correct, not a proof to record,
    and a signature that cannot be verified here is not an invalid one."""
    address = _check_address(address, config)
    try:
        named = parse_proof_message(message)
    except ProofMessageError as err:
        raise ProofInputError(str(err)) from err
    check = check_signature(address, message, signature.strip())
    if check.verdict is SignatureVerdict.UNSUPPORTED:
        raise ProofInputError(f"not registered: {check.reason}")
    tip = await store.chain_tip(config.network.chain)
    proof = RegisteredProof(
        address=address,
        message=message,
        signature=signature.strip(),
        registered_at=clock.now(),
        signature_valid=check.verdict is SignatureVerdict.VALID,
        block_height=await store.block_height_of(named.block_hash),
        tip_height=None if tip is None else tip.height,
    )
    await store.record_proof(proof)
    return judge_registered(proof, config.reserve.proof_max_age_blocks), proof


def _why(
    proof: RegisteredProof,
    status: ProofStatus,
    max_age: int,
    expiry: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> str:
    """A few words on what made the verdict (with ``expiry``: when it stops standing)."""
    if expiry is not None and zone is not None:
        verb = "stale since" if status is ProofStatus.STALE else "stands until"
        return f"block {proof.block_height}; {verb} {_when(expiry, zone)}"
    if status is ProofStatus.PROVEN:
        return f"block {proof.block_height}"
    if status is ProofStatus.STALE:
        return f"block {proof.block_height} is more than {max_age} blocks below {proof.tip_height}"
    if not proof.signature_valid:
        return "the signature does not verify"
    named = parse_proof_message(proof.message)
    if named.address != proof.address:
        return f"the message names {named.address}"
    if proof.block_height is None:
        return "the message's block is not on the best chain the store knows"
    if proof.tip_height is None:
        return "no chain tip was known"
    return f"block {proof.block_height} is above the tip {proof.tip_height} known then"


def _when(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime(f"%Y-%m-%d %H:%M {zone.key}")


def listing(config: Config, proofs: list[RegisteredProof], now: datetime) -> list[str]:
    """One line per address standing for a watched wallet's control (every wallet: reserve,
    intake and custody, proven or not), ``role holder address status …``; then each other
    address a proof was registered for, never as proven: a derived address of a wallet (its
    proof does not stand for the wallet) or no reserve address at all. A proof that proved is
    stale ``reserve.proof_max_age_days`` after its registration."""
    max_age_blocks, max_age = proof_rules(config.reserve)
    zone = regulator_zone(config)
    book = wallet_book(config)
    lines = []
    for row in wallet_proofs_of(book, proofs, max_age_blocks, as_of=now, max_age=max_age):
        head = f"{row.role} {row.holder} {row.address} {row.status}"
        if row.proof is None:
            lines.append(head)
            continue
        why = _why(row.proof, row.status, max_age_blocks, row.expires_at, zone)
        lines.append(f"{head} {_when(row.proof.registered_at, zone)} ({why})")
    standing = {address for _, address in book.proof_addresses()}
    for address in sorted({p.address for p in proofs} - standing):
        _, proof = latest_proofs(address, proofs, max_age_blocks, as_of=now)
        assert proof is not None  # noqa: S101 - one of ``proofs`` names it
        owner = book.owner(address)
        what = (
            f"{owner.role} {owner.holder} {address} not-standing (an address of the wallet, "
            f"not the one whose proof stands for its control)"
            if owner is not None
            else f"- - {address} not-reserve (no watched wallet's address)"
        )
        lines.append(f"{what}: registered {_when(proof.registered_at, zone)}")
    return lines


async def add_proof(
    config: Config,
    address: str,
    signature_file: Path,
    *,
    message: str | None,
    message_file: Path | None,
    clock: Clock | None = None,
) -> int:
    """``proof add``: exit 0 when the proof proves, 1 when it was stored but proves nothing."""
    text = message if message is not None else read_text(message_file or Path(), "message")
    signature = read_text(signature_file, "signature")
    async with open_store(config.database) as store:
        status, proof = await register_proof(
            store, config, address, message=text, signature=signature, clock=clock or SystemClock()
        )
    why = _why(proof, status, config.reserve.proof_max_age_blocks)
    aside = _not_standing(config, proof.address)
    print(f"{address} {status} ({why})" + (f"; {aside}" if aside else ""))
    return 0 if status is ProofStatus.PROVEN and not aside else 1


def _not_standing(config: Config, address: str) -> str:
    """Why a proof of ``address`` stands for no wallet's control ("" when it does)."""
    book = wallet_book(config)
    standing = {a: w for w, a in book.proof_addresses()}
    if address in standing:
        return ""
    owner = book.owner(address)
    if owner is None:
        return "not a watched wallet's address: it proves no wallet's control"
    first = next(a for a, w in standing.items() if w.holder == owner.holder)
    return (
        f"an address of {owner.role} {owner.holder}, but its control stands on the proof of {first}"
    )


async def list_proofs(config: Config, clock: Clock | None = None) -> int:
    async with open_store(config.database) as store:
        proofs = await store.proofs()
    for line in listing(config, proofs, (clock or SystemClock()).now()):
        print(line)
    return 0


async def print_message(config: Config, address: str) -> int:
    """``proof message``: the text to sign, naming the best chain's tip the store knows."""
    address = _check_address(address, config)
    async with open_store(config.database) as store:
        tip = await store.chain_tip(config.network.chain)
    if tip is None or tip.block_hash is None:
        raise ProofInputError("no chain tip in the store yet (run the collector first)")
    try:
        sys.stdout.write(proof_message(address, tip.block_hash))
    except ProofMessageError as err:
        raise ProofInputError(f"{address!r} cannot be named in a proof message") from err
    return 0
