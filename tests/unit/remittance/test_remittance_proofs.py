"""Proof of control: the message form and the rule (valid signature, this address, a block of
the best chain within the age limit at registration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from remittance.proofs import (
    ProofMessageError,
    ProofStatus,
    RegisteredProof,
    judge,
    parse_proof_message,
    proof_message,
    proof_status,
    proof_statuses,
    status_counts,
)

ADDRESS = "bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l"
OTHER = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BLOCK = "0000000000000000000" + "1a2b3c4d5e6f" * 3 + "123456789"
REGISTERED = datetime(2026, 12, 1, tzinfo=UTC)


def _proof(
    *,
    address: str = ADDRESS,
    valid: bool = True,
    height: int | None = 870_000,
    tip: int | None = 870_010,
    at: datetime = REGISTERED,
    names: str = ADDRESS,
) -> RegisteredProof:
    return RegisteredProof(address, proof_message(names, BLOCK), "sig", at, valid, height, tip)


def test_the_message_names_the_address_and_the_block_and_reads_back() -> None:
    text = proof_message(ADDRESS, BLOCK)
    assert text == f"reservewatch proof of control\naddress: {ADDRESS}\nblock: {BLOCK}"
    named = parse_proof_message(text)
    assert (named.address, named.block_hash) == (ADDRESS, BLOCK)
    assert parse_proof_message(text + "\n") == named  # saved by an editor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello World",
        f"reservewatch proof of control\naddress: {ADDRESS}",
        f"reservewatch proof of control\naddress: {ADDRESS}\nblock: {BLOCK.upper()}",
        f"reservewatch proof of control\naddress: {ADDRESS}\nblock: {BLOCK}\nextra",
        f"reservewatch proof of control\r\naddress: {ADDRESS}\r\nblock: {BLOCK}",
    ],
)
def test_anything_else_is_not_a_proof_message(text: str) -> None:
    with pytest.raises(ProofMessageError, match="not a proof message"):
        parse_proof_message(text)


def test_a_message_for_a_hash_that_is_not_one_cannot_be_made() -> None:
    with pytest.raises(ProofMessageError):
        proof_message(ADDRESS, "abc")


def _judge(proof: RegisteredProof, max_age: int = 1008) -> ProofStatus:
    return judge(
        ADDRESS,
        proof.message,
        signature_valid=proof.signature_valid,
        block_height=proof.block_height,
        tip_height=proof.tip_height,
        max_age_blocks=max_age,
    )


def test_a_valid_signature_over_this_address_and_a_recent_block_proves() -> None:
    assert _judge(_proof()) is ProofStatus.PROVEN


def test_the_age_limit_is_inclusive_one_block_more_is_stale() -> None:
    assert _judge(_proof(height=870_000, tip=871_008)) is ProofStatus.PROVEN
    assert _judge(_proof(height=870_000, tip=871_009)) is ProofStatus.STALE


@pytest.mark.parametrize(
    ("proof", "why"),
    [
        (_proof(valid=False), "bad signature"),
        (_proof(names=OTHER), "names another address"),
        (_proof(height=None), "block not on the best chain"),
        (_proof(tip=None), "no tip known"),
        (_proof(height=870_011, tip=870_010), "block above the tip"),
    ],
)
def test_what_does_not_prove_is_invalid(proof: RegisteredProof, why: str) -> None:
    assert _judge(proof) is ProofStatus.INVALID, why


def test_an_address_without_proofs_is_unproven_and_control_once_shown_stays() -> None:
    good = _proof()
    later_bad = _proof(valid=False, at=REGISTERED + timedelta(days=1))
    assert proof_status(ADDRESS, []) is ProofStatus.UNPROVEN
    assert proof_status(ADDRESS, [_proof(address=OTHER, names=OTHER)]) is ProofStatus.UNPROVEN
    assert proof_status(ADDRESS, [later_bad]) is ProofStatus.INVALID
    assert proof_status(ADDRESS, [good, later_bad]) is ProofStatus.PROVEN


def test_as_of_counts_only_the_proofs_registered_by_then() -> None:
    good = _proof(at=REGISTERED + timedelta(days=1))
    assert proof_status(ADDRESS, [good], as_of=REGISTERED) is ProofStatus.UNPROVEN
    assert proof_status(ADDRESS, [good], as_of=good.registered_at) is ProofStatus.PROVEN


def test_the_summary_counts_every_status_zero_included() -> None:
    statuses = proof_statuses([ADDRESS, OTHER], [_proof()])
    assert statuses == {ADDRESS: ProofStatus.PROVEN, OTHER: ProofStatus.UNPROVEN}
    assert status_counts(statuses) == {
        ProofStatus.PROVEN: 1,
        ProofStatus.UNPROVEN: 1,
        ProofStatus.INVALID: 0,
        ProofStatus.STALE: 0,
    }
