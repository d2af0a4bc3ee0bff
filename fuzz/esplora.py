"""Fuzz the Esplora/mempool parsers: blocks, coinbase, hash-rate summary, txs, status, tip.

python fuzz/esplora.py -runs=2000
"""

from __future__ import annotations

import sys

from _harness import import_targets, main

if __name__ == "__main__":
    targets = import_targets()
    names = [f"esplora_{name}" for name in targets.ESPLORA_PARSERS] + ["tip_height"]
    sys.exit(
        main(
            [targets.bytes_targets()[name] for name in names],
            [targets.seeds(name) for name in names],
            sys.argv,
        )
    )
