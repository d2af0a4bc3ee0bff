"""Proof of control: the message a reserve wallet's holder signs (BIP-322), and the rule that
says whether a registered proof proves anything.

Pure: the signature's check (``bip322``) and the chain's facts are done by the collector and
handed in as a :class:`RegisteredProof`. The message names the address and a recent block
hash, so a proof cannot be made before that block, nor reused for another address::

    reservewatch proof of control
    address: bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l
    block: 000000000000000000022a8d3c1f0e6f1f5a3fa0d5c0e4d6f7a4f2b1c3d4e5f6

The rule (:func:`judge`): an address is **proven** by a proof whose signature is valid AND
whose message names that address AND whose block hash is a block the store knew on the best
chain, no more than ``max_age_blocks`` below the tip, when the proof was registered. A bad
signature, a message of another form or for another address, or a block not on the best chain
is **invalid**; a block too far below the tip is **stale**; no proof at all is **unproven**.

Proofs expire (:func:`standing`): a proof that proved when registered stands for ``max_age``
(``reserve.proof_max_age_days``; custodians re-check their keys every 90 days to 6 months)
from its registration, and is **stale** from ``registered_at + max_age`` on, until a newer
proof proves again. The age counts from the registration (when the regulator checked it; its
block is at most ``max_age_blocks`` older).

>>> block = "00" * 32
>>> text = proof_message("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", block)
>>> parse_proof_message(text).block_hash == block
True
>>> judge("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", text, signature_valid=True,
...       block_height=870_000, tip_height=870_006, max_age_blocks=1008)
<ProofStatus.PROVEN: 'proven'>
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from remittance.errors import InvalidInputError

HEADER: Final = "reservewatch proof of control"
DEFAULT_MAX_AGE_BLOCKS: Final = 1008  # one week of blocks at 10 minutes
_MESSAGE = re.compile(
    rf"{re.escape(HEADER)}\naddress: (?P<address>[A-Za-z0-9]{{14,90}})\n"
    r"block: (?P<block>[0-9a-f]{64})\n?"
)


class ProofStatus(StrEnum):
    PROVEN = "proven"
    UNPROVEN = "unproven"
    INVALID = "invalid"
    STALE = "stale"


class ProofMessageError(InvalidInputError):
    """A message that is not of the proof form (header, ``address:``, ``block:`` lines)."""


@dataclass(frozen=True, slots=True)
class ProofMessage:
    address: str
    block_hash: str


def proof_message(address: str, block_hash: str) -> str:
    """The text to sign: three lines, no trailing newline (the signer signs exactly this)."""
    text = f"{HEADER}\naddress: {address}\nblock: {block_hash}"
    parse_proof_message(text)  # refuses an address or hash the parser would not read back
    return text


def parse_proof_message(text: str) -> ProofMessage:
    """The address and block hash ``text`` names; :class:`ProofMessageError` otherwise. One
    final newline is allowed (a message file saved by an editor); nothing else is."""
    match = _MESSAGE.fullmatch(text)
    if match is None:
        raise ProofMessageError(
            f"not a proof message: expected the lines {HEADER!r}, 'address: <address>', "
            "'block: <64 lower-case hex digits>'"
        )
    return ProofMessage(match["address"], match["block"])


@dataclass(frozen=True, slots=True)
class RegisteredProof:
    """A proof as registered, with what was established then (stored append-only).

    ``signature_valid``: BIP-322 verification of ``signature`` over ``message`` for
    ``address``. ``block_height``: the height of the message's block on the best chain the
    store knew at registration (``None``: not a block of it). ``tip_height``: that chain's tip
    then (``None``: no tip known).
    """

    address: str
    message: str
    signature: str
    registered_at: datetime
    signature_valid: bool
    block_height: int | None
    tip_height: int | None


def judge(
    address: str,
    message: str,
    *,
    signature_valid: bool,
    block_height: int | None,
    tip_height: int | None,
    max_age_blocks: int,
) -> ProofStatus:
    """The status one proof gives ``address``: see the module docstring for the rule."""
    if not signature_valid:
        return ProofStatus.INVALID
    try:
        named = parse_proof_message(message)
    except ProofMessageError:
        return ProofStatus.INVALID
    if named.address != address or block_height is None or tip_height is None:
        return ProofStatus.INVALID
    if block_height > tip_height:
        return ProofStatus.INVALID  # a block above the tip known then: not of that chain
    if tip_height - block_height > max_age_blocks:
        return ProofStatus.STALE
    return ProofStatus.PROVEN


def judge_registered(proof: RegisteredProof, max_age_blocks: int) -> ProofStatus:
    return judge(
        proof.address,
        proof.message,
        signature_valid=proof.signature_valid,
        block_height=proof.block_height,
        tip_height=proof.tip_height,
        max_age_blocks=max_age_blocks,
    )


def expires_at(proof: RegisteredProof, max_age: timedelta) -> datetime:
    """The instant a proof that proved stops standing: ``max_age`` after its registration."""
    return proof.registered_at + max_age


def standing(
    proof: RegisteredProof,
    max_age_blocks: int,
    *,
    as_of: datetime | None = None,
    max_age: timedelta | None = None,
) -> ProofStatus:
    """The status ``proof`` gives at ``as_of``: its verdict at registration (:func:`judge`),
    a proving one **stale** from :func:`expires_at` on (no ``max_age`` or ``as_of``: it never
    expires)."""
    status = judge_registered(proof, max_age_blocks)
    if (
        status is ProofStatus.PROVEN
        and max_age is not None
        and as_of is not None
        and as_of >= expires_at(proof, max_age)
    ):
        return ProofStatus.STALE
    return status


def latest_proofs(
    address: str,
    proofs: Iterable[RegisteredProof],
    max_age_blocks: int,
    *,
    as_of: datetime | None = None,
    max_age: timedelta | None = None,
) -> tuple[ProofStatus, RegisteredProof | None]:
    """The address's status at ``as_of`` and the proof that gives it: the latest proof that
    proved at registration when there is one (control once shown is not undone by a later bad
    attempt; **stale** once it expired), else the latest proof registered, else
    ``(UNPROVEN, None)``. Proofs registered after ``as_of`` are not looked at.

    >>> proof = RegisteredProof("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l",
    ...     proof_message("bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", "00" * 32), "smp…",
    ...     datetime.fromisoformat("2026-01-05T10:00Z"), True, 870_000, 870_006)
    >>> latest_proofs(proof.address, [proof], 1008, max_age=timedelta(days=90),
    ...               as_of=datetime.fromisoformat("2026-04-05T10:00Z"))[0]
    <ProofStatus.STALE: 'stale'>
    """
    mine = sorted(
        (p for p in proofs if p.address == address and (as_of is None or p.registered_at <= as_of)),
        key=lambda p: p.registered_at,
        reverse=True,
    )
    for proof in mine:
        if judge_registered(proof, max_age_blocks) is ProofStatus.PROVEN:
            return standing(proof, max_age_blocks, as_of=as_of, max_age=max_age), proof
    if not mine:
        return ProofStatus.UNPROVEN, None
    return judge_registered(mine[0], max_age_blocks), mine[0]


def proof_status(
    address: str,
    proofs: Iterable[RegisteredProof],
    max_age_blocks: int = DEFAULT_MAX_AGE_BLOCKS,
    *,
    as_of: datetime | None = None,
    max_age: timedelta | None = None,
) -> ProofStatus:
    """The address's status from the proofs registered (at or before ``as_of``, if given),
    stale once expired (with ``max_age`` and ``as_of``)."""
    return latest_proofs(address, proofs, max_age_blocks, as_of=as_of, max_age=max_age)[0]


def proof_statuses(
    addresses: Iterable[str],
    proofs: Iterable[RegisteredProof],
    max_age_blocks: int = DEFAULT_MAX_AGE_BLOCKS,
    *,
    as_of: datetime | None = None,
) -> dict[str, ProofStatus]:
    """Each of ``addresses`` (the ones that must be proven), with its status."""
    known = list(proofs)
    return {a: proof_status(a, known, max_age_blocks, as_of=as_of) for a in addresses}


def status_counts(statuses: Mapping[str, ProofStatus]) -> dict[ProofStatus, int]:
    """How many addresses stand in each status (every status present, 0 included): a
    bounded summary for a gauge, e.g. ``reservewatch_reserve_addresses{proof="unproven"}``."""
    counted = Counter(statuses.values())
    return {status: counted.get(status, 0) for status in ProofStatus}
