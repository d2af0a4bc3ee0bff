"""The Esplora/mempool parsers read any answer or refuse it with SourceBadResponse."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import json_values, keys_of, mutated
from tests.fuzz.targets import (
    ESPLORA_PARSERS,
    ESPLORA_SEEDS,
    esplora_body,
    esplora_document,
    tip_height,
)

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = sorted(ESPLORA_PARSERS)


@pytest.mark.parametrize("name", NAMES)
def test_every_seed_answer_is_accepted(name: str) -> None:
    assert esplora_document(name, ESPLORA_SEEDS[name])


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_any_json_value_is_read_or_refused(name: str, data: st.DataObject) -> None:
    esplora_document(name, data.draw(json_values(keys_of(ESPLORA_SEEDS[name]))))


@pytest.mark.parametrize("name", NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_answers_are_read_or_refused(name: str, data: st.DataObject) -> None:
    esplora_document(name, data.draw(mutated(ESPLORA_SEEDS[name])))


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=15, deadline=None)
@given(body=st.binary(max_size=200))
def test_any_body_bytes_are_read_or_refused(name: str, body: bytes) -> None:
    esplora_body(name, body)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=30) | st.from_regex(r"\s*[0-9]{1,20}\s*", fullmatch=True))
def test_any_tip_height_text_is_read_or_refused(text: str) -> None:
    tip_height(text.encode("utf-8", "surrogatepass"))
