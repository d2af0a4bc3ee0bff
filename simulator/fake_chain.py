"""A simulated best chain with a mempool, for the fake Esplora and the fake Bitcoin Core.

The chain is held in memory: blocks (height, hash, timestamp, difficulty, subsidy + fees) and
transactions paying addresses. Tests and the demo drive it with methods — :meth:`FakeChain.mine`,
:meth:`FakeChain.pay`, :meth:`FakeChain.replace`, :meth:`FakeChain.reorg` — or let simulated
time mine blocks (:meth:`FakeChain.mine_until`). Two servers answer from the same chain, each in
its own format: :mod:`simulator.fake_esplora` (mempool/Esplora REST) and
:mod:`simulator.fake_bitcoind` (Bitcoin Core JSON-RPC).

Misbehaviours for fault tests (:meth:`FakeChain.fail_next`) are queued here, so both servers
take them: a 500, a 429 with ``Retry-After``, or a truncated JSON body, for the next ``count``
requests whose path (Esplora) or method (bitcoind) contains a substring.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

SUBSIDY_SAT = 312_500_000  # 3.125 BTC: heights 840,000 to 1,049,999
TX_PAGE = 25  # Esplora's confirmed transactions per address page (FakeChain.tx_page: its own)
DEFAULT_DIFFICULTY = 1.4e14  # D·2^32/600 ≈ 1.0e21 H/s, a realistic network
MINER_ADDRESS = "bc1qxhmdufsvnuaaaer4ynz88fspdsxq2h9e9cetdj"  # every coinbase pays it


def chain_hash(*parts: object) -> str:
    """A deterministic hex id (block hash, txid, script) from its parts."""
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def default_fees_sat(height: int) -> int:
    """Deterministic, realistic-looking fees for a block: 0.02 to 0.12 BTC."""
    return 2_000_000 + (height * 7919) % 10_000_000


@dataclass
class FakeTx:
    txid: str
    outputs: list[tuple[str, int]]
    fee_sat: int = 1_000
    block_hash: str | None = None  # None while in the mempool
    coinbase: bool = False
    spends: list[tuple[str, int]] = field(default_factory=list)  # (address, value) spent
    inputs: list[tuple[str, int]] = field(default_factory=list)  # (txid, vout) of each spend


@dataclass
class FakeBlock:
    height: int
    block_hash: str
    timestamp: int
    difficulty: float
    fees_sat: int
    txids: list[str] = field(default_factory=list)

    @property
    def reward_sat(self) -> int:
        return SUBSIDY_SAT + self.fees_sat


@dataclass
class _Fault:
    status: int
    path_contains: str
    remaining: int
    retry_after_s: int | None


class FakeChain:
    """A simulated best chain with a mempool; every method changes it the way a node would see."""

    def __init__(
        self,
        *,
        start: datetime,
        start_height: int = 850_000,
        block_interval_s: int = 600,
        difficulty: float = DEFAULT_DIFFICULTY,
        history_blocks: int = 0,
        mempool_api: bool = True,
    ) -> None:
        """``start`` is the time of block ``start_height``; ``history_blocks`` more follow it,
        ``block_interval_s`` apart. ``mempool_api`` False serves plain Esplora only."""
        self.block_interval_s = block_interval_s
        self.difficulty = difficulty
        self.tx_page = TX_PAGE  # confirmed txs per address page (deployments differ)
        self.mempool_api = mempool_api
        self.blocks: list[FakeBlock] = []
        self.txs: dict[str, FakeTx] = {}
        self.mempool: list[str] = []
        self.requests: list[str] = []
        self._faults: list[_Fault] = []
        self._branch = 0
        self._tx_counter = 0
        self._base_height = start_height
        self._append_block(int(start.timestamp()), [])
        self.mine(history_blocks)

    # -- reading ------------------------------------------------------------------------

    @property
    def tip(self) -> FakeBlock:
        return self.blocks[-1]

    def block_at(self, height: int) -> FakeBlock | None:
        index = height - self._base_height
        return self.blocks[index] if 0 <= index < len(self.blocks) else None

    def block_by_hash(self, block_hash: str) -> FakeBlock | None:
        for block in reversed(self.blocks):
            if block.block_hash == block_hash:
                return block
        return None

    def address_txs(self, address: str) -> tuple[list[FakeTx], list[FakeTx]]:
        """(mempool txs newest first, confirmed txs newest first) touching ``address``."""
        mempool = [self.txs[t] for t in reversed(self.mempool) if _pays(self.txs[t], address)]
        confirmed = [
            self.txs[t]
            for block in reversed(self.blocks)
            for t in reversed(block.txids)
            if _pays(self.txs[t], address)
        ]
        return mempool, confirmed

    # -- changing the chain ---------------------------------------------------------------

    def _append_block(self, timestamp: int, txids: list[str]) -> FakeBlock:
        height = self._base_height + len(self.blocks)
        if height % 2016 == 0 and self.blocks:
            self.difficulty *= 1.01  # a retarget: difficulty steps up 1%
        block = FakeBlock(
            height=height,
            block_hash=chain_hash("block", height, self._branch),
            timestamp=timestamp,
            difficulty=self.difficulty,
            fees_sat=default_fees_sat(height) + sum(self.txs[t].fee_sat for t in txids),
        )
        coinbase = FakeTx(
            txid=chain_hash("coinbase", block.block_hash),
            outputs=[(MINER_ADDRESS, block.reward_sat)],
            fee_sat=0,
            block_hash=block.block_hash,
            coinbase=True,
        )
        self.txs[coinbase.txid] = coinbase
        block.txids = [coinbase.txid, *txids]
        for txid in txids:
            self.txs[txid].block_hash = block.block_hash
        self.blocks.append(block)
        return block

    def mine(self, count: int = 1, *, include_mempool: bool = True) -> list[FakeBlock]:
        """Add ``count`` blocks ``block_interval_s`` apart; the first takes the mempool."""
        mined: list[FakeBlock] = []
        for _ in range(count):
            txids = list(self.mempool) if include_mempool else []
            if include_mempool:
                self.mempool.clear()
            mined.append(self._append_block(self.tip.timestamp + self.block_interval_s, txids))
        return mined

    def mine_until(self, now: datetime) -> list[FakeBlock]:
        """Mine the blocks simulated time has produced by ``now`` (one per interval)."""
        due = (int(now.timestamp()) - self.tip.timestamp) // self.block_interval_s
        return self.mine(max(0, due))

    def pay(
        self,
        address: str,
        amount_sat: int,
        *,
        confirm: bool = False,
        extra_outputs: list[tuple[str, int]] | None = None,
        spend_from: str | None = None,
    ) -> str:
        """A transaction paying ``address`` (and any ``extra_outputs``), in the mempool or,
        with ``confirm``, mined into a new block. ``spend_from`` makes its input spend an
        output of that address (the reserve moving its own coins). Returns its txid."""
        self._tx_counter += 1
        txid = chain_hash("tx", self._tx_counter, address, amount_sat)
        outputs = [(address, amount_sat), *(extra_outputs or [])]
        spent = sum(value for _, value in outputs) + 1_000
        spends: list[tuple[str, int]] = []
        inputs: list[tuple[str, int]] = []
        if spend_from is not None:
            # Spend the address's unspent outputs, oldest first, as a wallet would; what they
            # do not cover comes from an output the fake never showed (older history).
            for prev_txid, vout, value in self.unspent(spend_from):
                if sum(v for _, v in spends) >= spent:
                    break
                spends.append((spend_from, value))
                inputs.append((prev_txid, vout))
            short = spent - sum(v for _, v in spends)
            if short > 0:
                spends.append((spend_from, short))
                inputs.append((chain_hash("prev", txid, len(inputs)), 0))
            # Inputs covering more than asked leave the excess to the fee (no change added).
        self.txs[txid] = FakeTx(
            txid=txid,
            outputs=outputs,
            spends=spends,
            inputs=inputs,
            fee_sat=sum(v for _, v in spends) - sum(v for _, v in outputs) if spends else 1_000,
        )
        self.mempool.append(txid)
        if confirm:
            self.mine(1)
        return txid

    def unspent(self, address: str) -> list[tuple[str, int, int]]:
        """``(txid, vout, value)`` of the outputs paying ``address`` no transaction spends."""
        spent = {i for tx in self.txs.values() for i in tx.inputs}
        return [
            (tx.txid, vout, value)
            for tx in self.txs.values()
            if not tx.coinbase
            for vout, (paid, value) in enumerate(tx.outputs)
            if paid == address and (tx.txid, vout) not in spent
        ]

    def replace(self, txid: str, outputs: list[tuple[str, int]] | None = None) -> str:
        """Replace a mempool transaction (RBF) with one paying ``outputs`` (default: the same
        outputs, a higher fee). The old txid becomes unknown. Returns the new txid."""
        old = self.txs[txid]
        if old.block_hash is not None:
            raise ValueError(f"{txid} is confirmed; only mempool transactions can be replaced")
        self.mempool.remove(txid)
        del self.txs[txid]
        self._tx_counter += 1
        new_txid = chain_hash("replacement", self._tx_counter, txid)
        self.txs[new_txid] = FakeTx(
            txid=new_txid,
            outputs=list(outputs or old.outputs),
            fee_sat=old.fee_sat * 2,
            spends=old.spends,
            inputs=old.inputs,
        )
        self.mempool.append(new_txid)
        return new_txid

    def reorg(
        self,
        depth: int,
        *,
        new_blocks: int | None = None,
        drop: frozenset[str] = frozenset(),
        include_txs: bool = True,
    ) -> None:
        """Replace the last ``depth`` blocks by ``new_blocks`` (default ``depth``) of a new branch.

        Their transactions go back to the mempool, except those in ``drop``, which vanish (a
        double spend won). With ``include_txs`` the new branch's first block confirms them again
        (moved to another block); otherwise they stay in the mempool.
        """
        if not 0 < depth < len(self.blocks):
            raise ValueError("depth must be at least 1 and below the chain's length")
        self._branch += 1
        removed = self.blocks[-depth:]
        del self.blocks[-depth:]
        returned: list[str] = []
        for block in removed:
            for txid in block.txids:
                tx = self.txs.pop(txid) if txid in drop or self.txs[txid].coinbase else None
                if tx is None:
                    self.txs[txid].block_hash = None
                    returned.append(txid)
        self.mempool[:0] = returned
        count = depth if new_blocks is None else new_blocks
        if count:
            self.mine(1, include_mempool=include_txs)
            self.mine(count - 1, include_mempool=False)

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        path_contains: str = "",
        retry_after_s: int | None = None,
    ) -> None:
        """Answer the next ``count`` requests whose path contains ``path_contains`` badly:
        ``status`` 500 or 429 (with ``Retry-After`` when given), or 200 with truncated JSON."""
        self._faults.append(_Fault(status, path_contains, count, retry_after_s))

    def take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.path_contains in path:
                fault.remaining -= 1
                return fault
        return None


def _pays(tx: FakeTx, address: str) -> bool:
    """Whether ``tx`` touches ``address``: pays it, or spends from it (an address's history
    lists both)."""
    return any(a == address for a, _ in tx.outputs) or any(a == address for a, _ in tx.spends)
