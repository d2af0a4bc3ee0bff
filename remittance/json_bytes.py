"""JSON as reservewatch signs it: readable (indented, keys in their given order) and canonical
(sorted keys, no spaces, ASCII: what is hashed and signed)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import orjson


def readable_json_bytes(data: Mapping[str, Any]) -> bytes:
    """JSON indented by two spaces, keys in their given order, UTF-8, one newline at the end:
    byte for byte what ``json.dumps(data, indent=2, ensure_ascii=False) + "\\n"`` writes
    (a test holds it to that), made by orjson in a hundredth of the time, as a statement
    served under load needs."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"


def canonical_json_bytes(data: Mapping[str, Any]) -> bytes:
    """JSON with sorted keys, no spaces and ASCII escapes: one byte string per value."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
