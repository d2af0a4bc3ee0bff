"""Fuzz every pool adapter's parsing: the HTTP layer's JSON parse, then the adapter's check,
for each endpoint of braiins, f2pool, antpool, foundry, luxor, ocean and generic.

    python fuzz/pools.py -runs=2000
"""

from __future__ import annotations

import sys

from _harness import import_targets, main

if __name__ == "__main__":
    targets = import_targets()
    names = [f"pool_{endpoint.name}" for endpoint in targets.ENDPOINTS]
    sys.exit(
        main(
            [targets.bytes_targets()[name] for name in names],
            [targets.seeds(name) for name in names],
            sys.argv,
        )
    )
