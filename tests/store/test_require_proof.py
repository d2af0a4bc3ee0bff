"""With ``reserve.require_proof``, what an operation pays to a wallet whose control is not proven
counts nothing; once a valid proof is registered, the same payments count (SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from collector.accounts.inputs import read_inputs
from collector.config.model import Config
from collector.store.queries import Store
from collector.store.records import ChainTipRecord, ReserveOutputRecord
from remittance.proofs import RegisteredProof, proof_message
from tests.support.configs import build_config, operation

ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
SEEN = datetime(2026, 11, 4, tzinfo=UTC)
BLOCK = "ab" * 32


def _config(require: bool) -> Config:
    return build_config(
        operation("alpha", ADDRESS), reserve={"require_proof": require, "confirmations": 1}
    )


async def test_an_unproven_wallet_counts_nothing_until_proven(store: Store) -> None:
    await store.save_chain_tip(ChainTipRecord("main", 110, BLOCK, SEEN))
    await store.upsert_reserve_outputs(
        [ReserveOutputRecord("cd" * 32, 0, "alpha", ADDRESS, 50_000, "confirmed", 100, BLOCK, SEEN)]
    )
    assert len((await read_inputs(store, _config(False))).outputs["alpha"]) == 1
    assert (await read_inputs(store, _config(True))).outputs.get("alpha", []) == []
    await store.record_proof(
        RegisteredProof(
            address=ADDRESS,
            message=proof_message(ADDRESS, BLOCK),
            signature="(verified when registered)",
            registered_at=SEEN,
            signature_valid=True,
            block_height=105,
            tip_height=110,
        )
    )
    assert len((await read_inputs(store, _config(True))).outputs["alpha"]) == 1
