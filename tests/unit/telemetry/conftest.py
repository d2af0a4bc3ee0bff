"""The telemetry unit tests keep their rollups and site states on SQLite alone: the store's
two backends are tested in tests/store."""

from __future__ import annotations

import pytest

from collector.store.queries import Store


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store
