"""The test harness itself: what tests/conftest.py works around so a run always ends in a
summary line."""

from __future__ import annotations

import ast
import gc
import inspect
import sys
import traceback
import typing
from types import TracebackType
from typing import Any

import pytest


class _RaisesWhenCollected:
    """Cyclic garbage whose finalizer raises, as an unclosed transport's does when
    ``filterwarnings = error`` makes its ResourceWarning an exception."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        raise ResourceWarning("unclosed transport")


def test_parsing_a_file_survives_a_finalizer_whose_traceback_is_formatted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pytest's unraisable hook formats the traceback when called; 3.11's traceback module
    # parses the failing line with ast.parse, inside the parse that triggered the collection
    # (CPython 3.11's AST depth counter: SystemError without tests/conftest.py's guard).
    formatted: list[str] = []

    def hook(unraisable: Any) -> None:
        tb: TracebackType | None = unraisable.exc_traceback
        formatted.append("".join(traceback.format_exception(unraisable.exc_type,
                                                            unraisable.exc_value, tb)))  # fmt: skip

    monkeypatch.setattr(sys, "unraisablehook", hook)
    source = inspect.getsource(typing)
    threshold = gc.get_threshold()
    gc.set_threshold(50)
    try:
        for _ in range(5):
            for _ in range(200):
                _RaisesWhenCollected()
            assert isinstance(ast.parse(source), ast.Module)
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    assert formatted and all("unclosed transport" in text for text in formatted)
