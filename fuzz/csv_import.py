"""Fuzz ``parse_earnings_csv`` (``reservewatch import earnings``) with arbitrary bytes.

python fuzz/csv_import.py -runs=2000
"""

from __future__ import annotations

import sys

from _harness import import_targets, main

if __name__ == "__main__":
    targets = import_targets()
    name = "csv_import"
    sys.exit(main([targets.bytes_targets()[name]], [targets.seeds(name)], sys.argv))
