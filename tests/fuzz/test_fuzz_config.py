"""Any YAML text and any parsed document give a Config or a ConfigError, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import json_values, keys_of, mutated
from tests.fuzz.targets import SEED_CONFIG, ConfigFile, config_data

SEED: Any = yaml.safe_load(SEED_CONFIG)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
YAML_SNIPPETS = (
    "a: 2020-13-45\n",  # a date YAML's resolver matches but the calendar lacks
    "1: 2\n",  # non-string keys
    "? [a, b]\n: c\n",
    "a: &x [*x]\n",
    "a: !!python/object:os.system {}\n",
    "a: !!binary AAAA\n",
    "a: 1e999\n",
    "- [[[[[[[[[[]]]]]]]]]]\n",
    "database: {url: 1}\n",
    "operations: [{}]\n",
    "\ufeffhttp: {listen: ':0'}\n",
    "a: 2026-03-10T25:61:00Z\n",
)


@pytest.fixture(scope="module")
def config_file() -> Iterator[ConfigFile]:
    scratch = ConfigFile()
    yield scratch
    scratch.close()


def test_the_seed_config_is_valid(config_file: ConfigFile) -> None:
    assert config_data(SEED)
    config_file.load(SEED_CONFIG.encode())


@FUZZ
@given(document=json_values(keys_of(SEED)))
def test_any_document_is_a_config_or_a_config_error(document: Any) -> None:
    config_data(document)


@FUZZ
@given(document=mutated(SEED, rounds=4))
def test_mutated_configs_are_valid_or_a_config_error(document: Any) -> None:
    config_data(document)


@pytest.mark.parametrize("text", YAML_SNIPPETS)
def test_awkward_yaml_is_a_config_error(config_file: ConfigFile, text: str) -> None:
    config_file.load(text.encode())


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    data=st.binary(max_size=300)
    | st.text(max_size=200).map(str.encode)
    | st.lists(st.sampled_from((*YAML_SNIPPETS, SEED_CONFIG)), max_size=3).map(
        lambda parts: "".join(parts).encode()
    )
)
def test_any_file_bytes_are_a_config_or_a_config_error(
    config_file: ConfigFile, data: bytes
) -> None:
    config_file.load(data)
