"""Registering proofs against a store: each verdict with its reason, every proof kept, and the
listing in the regulator's time zone (a pinned instant: New Year's Eve in UTC is New Year's Day
in Almaty)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from embit import ec

from collector.clock import FrozenClock
from collector.commands.proofs import ProofInputError, listing, register_proof
from collector.config.load import parse_config
from collector.config.model import Config
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import BlockRecord, ChainTipRecord
from remittance.proofs import ProofStatus, proof_message
from simulator.bip322_sign import address_of, sign_simple
from tests.support.scenario import bare_operation

KEY = ec.PrivateKey.from_wif("L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k")
ADDRESS = address_of(KEY)
TAPROOT = address_of(KEY, "p2tr")
UNPROVEN = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BLOCK = "00" * 12 + "ab" * 20
AT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)  # 01:30 on 1 January in Almaty (UTC+5)


@pytest.fixture
def config() -> Config:
    operation = bare_operation("op", UNPROVEN, rate="0.1", deadline_timezone="Asia/Almaty")
    operation["reserve_addresses"] = [UNPROVEN, TAPROOT]
    return parse_config({"operations": [operation]})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    async with Store(engine, FrozenClock(AT)) as store:
        await store.upsert_blocks([BlockRecord(870_000, BLOCK, AT, 312_500_000)])
        await store.save_chain_tip(ChainTipRecord("main", 870_010, "ef" * 32, AT))
        yield store


async def _register(
    store: Store, config: Config, address: str, message: str, signature: str
) -> ProofStatus:
    status, _ = await register_proof(
        store, config, address, message=message, signature=signature, clock=FrozenClock(AT)
    )
    return status


async def test_a_taproot_proof_proves_and_the_listing_shows_almaty_time(
    store: Store, config: Config
) -> None:
    message = proof_message(TAPROOT, BLOCK)
    assert await _register(store, config, TAPROOT, message, sign_simple(KEY, message, "p2tr")) is (
        ProofStatus.PROVEN
    )
    assert listing(config, await store.proofs()) == [
        f"{UNPROVEN} unproven",
        f"{TAPROOT} proven 2027-01-01 01:30 Asia/Almaty (block 870000)",
    ]


async def test_an_all_uppercase_address_proves_the_same_address(
    store: Store, config: Config
) -> None:
    # BIP 173 allows the all-uppercase form; it had been refused as a bad encoding. It is
    # stored and listed in lower case, the form the configuration and the chain use.
    message = proof_message(TAPROOT, BLOCK)
    signature = sign_simple(KEY, message, "p2tr")
    assert await _register(store, config, TAPROOT.upper(), message, signature) is (
        ProofStatus.PROVEN
    )
    assert [proof.address for proof in await store.proofs()] == [TAPROOT]
    assert f"{TAPROOT} proven 2027-01-01 01:30 Asia/Almaty (block 870000)" in listing(
        config, await store.proofs()
    )


async def test_a_message_naming_another_address_is_invalid_and_kept(
    store: Store, config: Config
) -> None:
    message = proof_message(UNPROVEN, BLOCK)  # signed by ADDRESS's key, names another
    assert await _register(store, config, ADDRESS, message, sign_simple(KEY, message)) is (
        ProofStatus.INVALID
    )
    [proof] = await store.proofs(ADDRESS)
    assert proof.signature_valid and proof.block_height == 870_000 and proof.tip_height == 870_010
    assert listing(config, [proof])[-1].endswith(f"(the message names {UNPROVEN})")


async def test_a_block_the_store_does_not_know_is_invalid(store: Store, config: Config) -> None:
    message = proof_message(ADDRESS, "11" * 32)
    assert await _register(store, config, ADDRESS, message, sign_simple(KEY, message)) is (
        ProofStatus.INVALID
    )
    assert "not on the best chain the store knows" in listing(config, await store.proofs())[-1]


async def test_an_unprefixed_simple_signature_proves_as_a_prefixed_one_does(
    store: Store, config: Config
) -> None:
    """BIP-322 2.0.0: signers prefix ``smp``; a verifier may take an unprefixed one as simple."""
    for address, kind, strip in ((TAPROOT, "p2tr", ""), (ADDRESS, "p2wpkh", "smp")):
        message = proof_message(address, BLOCK)
        signature = sign_simple(KEY, message, kind)  # type: ignore[arg-type]
        assert signature.startswith("smp")
        text = signature.removeprefix(strip)
        assert await _register(store, config, address, message, text) is ProofStatus.PROVEN


async def test_a_variant_not_verified_here_is_refused_not_recorded_invalid(
    store: Store, config: Config
) -> None:
    message = proof_message(TAPROOT, BLOCK)
    full = "ful" + sign_simple(KEY, message, "p2tr").removeprefix("smp")
    with pytest.raises(ProofInputError, match=r"not registered: a BIP-322 full \(ful\) signature"):
        await _register(store, config, TAPROOT, message, full)
    assert await store.proofs() == []


async def test_a_test_network_address_on_a_main_network_config_is_refused(
    store: Store, config: Config
) -> None:
    with pytest.raises(ProofInputError, match="--address"):
        await _register(store, config, "tb1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l", "", "")
    assert await store.proofs() == []
