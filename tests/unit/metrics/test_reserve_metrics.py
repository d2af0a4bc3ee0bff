"""The reserve's families from one snapshot's figures: a wallet whose proof expired reads 0 in
``reservewatch_reserve_wallet_proven`` and its expiry is exposed (issue 27, item 9); an empty
wallet's balance reads 0 rather than vanishing (item 11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from collector.accounts.reserve import ReserveFigures, WalletProof
from collector.metrics.reserve import ReserveMetrics
from collector.sources.reserve import ReserveWatched
from remittance.cases import CASE_STATES, Standing
from remittance.proofs import ProofStatus, RegisteredProof, proof_message
from remittance.reserve import Holdings
from tests.conftest import holding

VAULT = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
CASE = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
REGISTERED = datetime(2026, 9, 1, tzinfo=UTC)
EXPIRY = REGISTERED + timedelta(days=90)


def _samples(figures: ReserveFigures) -> dict[tuple[str, tuple[str, ...]], float]:
    watched = ReserveWatched(900_000, {}, stored_new=True)
    metrics = ReserveMetrics(
        lambda: watched,
        holding(reserve=figures),
        operation_ids=("op",),
        holders=("op", "KZ-1", "cold-vault-1"),
    )
    return {
        (sample.name, tuple(sample.labels.values())): sample.value
        for family in metrics.metric_families()
        for sample in family.samples
    }


def test_a_stale_proof_reads_0_with_its_expiry_and_an_empty_wallet_reads_0() -> None:
    proof = RegisteredProof(
        VAULT, proof_message(VAULT, "00" * 32), "smp…", REGISTERED, True, 870_000, 870_006
    )
    figures = ReserveFigures(
        tip_height=900_000,
        received_sat={},
        holdings=Holdings({("seized", "KZ-1"): 5}, {("intake", "KZ-1"): 5}, (), (), {}),
        proofs=(
            WalletProof("intake", "KZ-1", CASE, ProofStatus.UNPROVEN),
            WalletProof("custody", "cold-vault-1", VAULT, ProofStatus.STALE, proof, EXPIRY),
        ),
    )
    samples = _samples(figures)
    proven = "reservewatch_reserve_wallet_proven"
    assert samples[(proven, ("custody", "cold-vault-1"))] == 0.0
    assert samples[(proven, ("intake", "KZ-1"))] == 0.0
    expiry = "reservewatch_reserve_wallet_proof_expiry_timestamp_seconds"
    assert samples[(expiry, ("custody", "cold-vault-1"))] == EXPIRY.timestamp()
    assert (expiry, ("intake", "KZ-1")) not in samples  # never proven: absent
    balance = "reservewatch_reserve_wallet_balance_btc"
    assert samples[(balance, ("custody", "cold-vault-1"))] == 0.0  # empty, still there
    assert samples[(balance, ("intake", "KZ-1"))] == 5e-8


def test_a_case_s_coins_not_forfeited_are_exposed_apart_by_state_and_its_state_as_1() -> None:
    figures = ReserveFigures(
        tip_height=900_000,
        received_sat={},
        holdings=Holdings({("mined", "op"): 7}, {("intake", "KZ-1"): 5}, (), (), {}),
        proofs=(WalletProof("intake", "KZ-1", CASE, ProofStatus.UNPROVEN),),
        apart={("order_pending", "KZ-1"): 5},
        cases={"KZ-1": Standing("KZ-1", "order_pending", REGISTERED)},
    )
    samples = _samples(figures)
    apart = "reservewatch_reserve_seized_pending_btc"
    assert samples[(apart, ("order_pending", "KZ-1"))] == 5e-8
    assert samples[(apart, ("seized", "KZ-1"))] == 0.0  # every state, 0: never vanishing
    assert samples[(apart, ("released", "KZ-1"))] == 0.0
    state = "reservewatch_reserve_case_state"
    assert [n for n in CASE_STATES if samples[(state, (n, "KZ-1"))] == 1.0] == ["order_pending"]
    assert ("reservewatch_reserve_balance_btc", ("seized", "KZ-1")) not in samples
    assert samples[("reservewatch_reserve_outflow_btc_total", ("released",))] == 0.0
