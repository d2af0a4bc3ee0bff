"""Registering proofs against a store: each verdict with its reason, every proof kept, and the
listing in the regulator's time zone (a pinned instant: New Year's Eve in UTC is New Year's Day
in Almaty)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from embit import ec

from collector.accounts.reserve import proven_holders, wallet_proofs_of
from collector.clock import FrozenClock
from collector.commands.proofs import ProofInputError, listing, register_proof
from collector.config.model import Config
from collector.config.sections import DatabaseConfig
from collector.config.wallets import wallet_book
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import BlockRecord, ChainTipRecord
from remittance.proofs import ProofStatus, proof_message
from simulator.bip322_sign import address_of, sign_simple
from tests.support.configs import build_config, operation

KEY = ec.PrivateKey.from_wif("L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k")
ADDRESS = address_of(KEY)
TAPROOT = address_of(KEY, "p2tr")
UNPROVEN = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
BLOCK = "00" * 12 + "ab" * 20
AT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)  # 01:30 on 1 January in Almaty (UTC+5)


@pytest.fixture
def config() -> Config:
    almaty = {"rate": "0.1", "deadline_timezone": "Asia/Almaty"}
    return build_config(operation("op", UNPROVEN, TAPROOT, remittance=almaty))


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
    assert listing(config, await store.proofs(), AT) == [
        f"reserve op {UNPROVEN} unproven",
        f"reserve op {TAPROOT} proven 2027-01-01 01:30 Asia/Almaty (block 870000; stands until "
        "2027-04-01 01:30 Asia/Almaty)",
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
    assert listing(config, await store.proofs(), AT)[1].startswith(
        f"reserve op {TAPROOT} proven 2027-01-01 01:30 Asia/Almaty (block 870000; "
    )


async def test_a_message_naming_another_address_is_invalid_and_kept(
    store: Store, config: Config
) -> None:
    message = proof_message(UNPROVEN, BLOCK)  # signed by TAPROOT's key, names another
    signature = sign_simple(KEY, message, "p2tr")
    assert await _register(store, config, TAPROOT, message, signature) is ProofStatus.INVALID
    [proof] = await store.proofs(TAPROOT)
    assert proof.signature_valid and proof.block_height == 870_000 and proof.tip_height == 870_010
    assert listing(config, [proof], AT)[-1] == (
        f"reserve op {TAPROOT} invalid 2027-01-01 01:30 Asia/Almaty (the message names {UNPROVEN})"
    )


async def test_a_block_the_store_does_not_know_is_invalid(store: Store, config: Config) -> None:
    message = proof_message(TAPROOT, "11" * 32)
    signature = sign_simple(KEY, message, "p2tr")
    assert await _register(store, config, TAPROOT, message, signature) is ProofStatus.INVALID
    assert "not on the best chain the store knows" in listing(config, await store.proofs(), AT)[-1]


# Issue 27, item 9: proofs expire; every watched wallet is listed; a proof of an address that
# is no reserve address is never listed as proven.
VAULT = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
CASE = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


async def test_a_proof_is_stale_once_older_than_the_configured_age_and_every_wallet_is_listed(
    store: Store,
) -> None:
    config = build_config(
        operation("op", TAPROOT),
        reserve={
            "time_zone": "Asia/Almaty",
            "proof_max_age_days": 30,
            "custody": [{"name": "cold-vault-1", "addresses": [VAULT]}],
            "intake": [{"case": "KZ-1", "addresses": [CASE], "authority": "AFM",
                        "order_ref": "2-1/2026", "received_from": "exchange"}],
        },
    )  # fmt: skip
    message = proof_message(TAPROOT, BLOCK)
    signature = sign_simple(KEY, message, "p2tr")
    assert await _register(store, config, TAPROOT, message, signature) is ProofStatus.PROVEN
    # A valid proof of an address no wallet watches: listed, never as proven.
    other = proof_message(ADDRESS, BLOCK)
    assert await _register(store, config, ADDRESS, other, sign_simple(KEY, other)) is (
        ProofStatus.PROVEN
    )
    proofs = await store.proofs()
    fresh = listing(config, proofs, AT + timedelta(days=29))
    assert fresh == [
        f"reserve op {TAPROOT} proven 2027-01-01 01:30 Asia/Almaty (block 870000; stands until "
        "2027-01-31 01:30 Asia/Almaty)",
        f"intake KZ-1 {CASE} unproven",
        f"custody cold-vault-1 {VAULT} unproven",
        f"- - {ADDRESS} not-reserve (no watched wallet's address): registered 2027-01-01 01:30 "
        "Asia/Almaty",
    ]
    stale = listing(config, proofs, AT + timedelta(days=30))
    assert stale[0] == (
        f"reserve op {TAPROOT} stale 2027-01-01 01:30 Asia/Almaty (block 870000; stale since "
        "2027-01-31 01:30 Asia/Almaty)"
    )
    assert not any(" proven " in line for line in stale)
    # The wallet's figures (the metric's and the page's source) say stale too.
    book = wallet_book(config)
    rows = wallet_proofs_of(book, proofs, 1008, as_of=AT + timedelta(days=30),
                            max_age=timedelta(days=30))  # fmt: skip
    assert [(r.holder, r.status) for r in rows] == [
        ("op", ProofStatus.STALE),
        ("KZ-1", ProofStatus.UNPROVEN),
        ("cold-vault-1", ProofStatus.UNPROVEN),
    ]
    assert proven_holders(rows) == set()


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
