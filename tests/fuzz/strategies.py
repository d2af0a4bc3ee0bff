"""Hypothesis strategies for untrusted JSON: arbitrary values, and mutations of valid seeds."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

TRICKY_TEXT = (
    "",
    " ",
    "0",
    "-1",
    "1e30",
    "1e999999999",
    "-1e-999999999",
    "NaN",
    "Infinity",
    "0x10",
    "1_000",
    "²",
    "١٢٣",
    "9" * 40,
    "2026-03-09",
    "2026-13-45",
    "2026-03-09T25:00:00Z",
    "2026-03-09T01:00:00+14:00",
    "Gh/s",
    "EH/s",
    "ok",
    "revenue",
    "credit",
    "\x00",
    "\udcff",
)
TRICKY_NUMBERS: tuple[int | float | Decimal, ...] = (
    0,
    -1,
    2**63,
    10**400,
    1773014400,
    1773014400000,
    -(10**20),
    1e308,
    -0.0,
    float("inf"),
    float("nan"),
    Decimal("1e999999999"),
    Decimal("-1e-999999999"),
    Decimal("0.000000005"),
)
"""Only what ``json.loads(parse_float=Decimal)`` can produce: no Decimal NaN (a JSON ``NaN``
literal parses as a float), so no signalling NaN whose comparison raises."""


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
        st.sampled_from(TRICKY_TEXT),
        st.sampled_from(TRICKY_NUMBERS),
    )


def keys_of(document: Any) -> set[str]:
    """Every object key anywhere in ``document``: fuzzed objects reuse them to get deep."""
    found: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            found.add(str(key))
            found |= keys_of(value)
    elif isinstance(document, list):
        for value in document:
            found |= keys_of(value)
    return found


def json_values(keys: Iterable[str] = ()) -> st.SearchStrategy[Any]:
    """Any JSON-like value (dicts, lists, str, int, float, Decimal, None, bool), keyed by
    ``keys`` half of the time."""
    known = sorted(set(keys))
    key = st.text(max_size=8) | st.sampled_from(known) if known else st.text(max_size=8)
    return st.recursive(
        scalars(),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(key, children, max_size=6)
        ),
        max_leaves=24,
    )


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            paths += _paths(value, (*prefix, index))
    return paths


def _replaced(document: Any, path: tuple[Any, ...], value: Any, *, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        copy: dict[Any, Any] = dict(document)
        if delete and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replaced(document[head], rest, value, delete=delete)
        return copy
    items = list(document)
    if delete and not rest:
        del items[head]
    else:
        items[head] = _replaced(document[head], rest, value, delete=delete)
    return items


@st.composite
def mutated(draw: st.DrawFn, seed: Any, rounds: int = 3) -> Any:
    """``seed`` with up to ``rounds`` values replaced by arbitrary ones or removed."""
    document = seed
    values = json_values(keys_of(seed))
    for _ in range(draw(st.integers(min_value=1, max_value=rounds))):
        path = draw(st.sampled_from(_paths(document)))
        delete = bool(path) and draw(st.booleans())
        replacement = None if delete else draw(values)
        document = _replaced(document, path, replacement, delete=delete)
    return document
