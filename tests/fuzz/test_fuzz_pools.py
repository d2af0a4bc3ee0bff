"""Every pool adapter reads any answer without crashing: it returns sane values or refuses the
answer with a SourceError (counted ``bad_response``/``unauthorized``), never anything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import json_values, keys_of, mutated
from tests.fuzz.targets import ENDPOINTS, ERROR_SEEDS, Endpoint, pool_body, pool_document

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = [endpoint.name for endpoint in ENDPOINTS]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=NAMES)
def test_every_seed_answer_is_accepted(endpoint: Endpoint) -> None:
    assert pool_document(endpoint, endpoint.seed)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=NAMES)
@pytest.mark.parametrize("error", ERROR_SEEDS)
def test_error_envelopes_are_refused(endpoint: Endpoint, error: Any) -> None:
    assert not pool_document(endpoint, error)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=NAMES)
@FUZZ
@given(data=st.data())
def test_any_json_value_is_read_or_refused(endpoint: Endpoint, data: st.DataObject) -> None:
    pool_document(endpoint, data.draw(json_values(keys_of(endpoint.seed))))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=NAMES)
@FUZZ
@given(data=st.data())
def test_mutated_recorded_answers_are_read_or_refused(
    endpoint: Endpoint, data: st.DataObject
) -> None:
    pool_document(endpoint, data.draw(mutated(endpoint.seed)))


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=NAMES)
@settings(max_examples=15, deadline=None)
@given(body=st.binary(max_size=200))
def test_any_body_bytes_are_read_or_refused(endpoint: Endpoint, body: bytes) -> None:
    pool_body(endpoint, body)
