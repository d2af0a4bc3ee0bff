"""Fuzz ``load_config`` with arbitrary file contents (YAML or not).

python fuzz/config.py -runs=2000
"""

from __future__ import annotations

import sys

from _harness import import_targets, main

if __name__ == "__main__":
    targets = import_targets()
    scratch = targets.ConfigFile()
    try:
        sys.exit(main([scratch.load], [[targets.SEED_CONFIG.encode()]], sys.argv))
    finally:
        scratch.close()
