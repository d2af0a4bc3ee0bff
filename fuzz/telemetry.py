"""Fuzz the MQTT telemetry parsers: site readings (object or batch) and curtailment orders.

python fuzz/telemetry.py -runs=2000
"""

from __future__ import annotations

import sys

from _harness import import_targets, main

if __name__ == "__main__":
    targets = import_targets()
    names = ("telemetry_site", "telemetry_curtailment")
    sys.exit(
        main(
            [targets.bytes_targets()[name] for name in names],
            [targets.seeds(name) for name in names],
            sys.argv,
        )
    )
