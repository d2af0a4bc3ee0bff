"""Operation terms as the store knew them: the configuration's entries kept as revisions.

The configuration file is the source of each operation's terms (rates, basis, due days, pool
accounts, reserve addresses). Each time the collector or a statement command starts, every
operation's entry is written to the store as canonical JSON when it differs from the latest
revision (:meth:`Store.record_terms`). A statement as of an instant is computed with the terms
known at that instant (:func:`config_as_known`), so a later edit of the file — even of a past
entry — never changes a statement as of an earlier instant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from collector.config import Config, OperationConfig

NOT_TERMS: Final[dict[str, Any]] = {"language": True, "remittance": {"remind_days_before"}}
"""How an operation is written to and reminded: not terms, so a change is no terms revision."""


def terms_documents(config: Config) -> dict[str, str]:
    """Each operation's configuration entry as canonical JSON (sorted keys, no spaces)."""
    return {
        operation.id: json.dumps(
            operation.model_dump(mode="json", by_alias=True, exclude=NOT_TERMS),
            sort_keys=True,
            separators=(",", ":"),
        )
        for operation in config.operations
    }


def config_as_known(config: Config, known: Mapping[str, str]) -> Config:
    """``config`` with each operation's terms as stored in ``known`` (operation id -> JSON);
    an operation with no stored terms keeps the file's."""
    operations = tuple(
        OperationConfig.model_validate_json(known[operation.id])
        if operation.id in known
        else operation
        for operation in config.operations
    )
    return config.model_copy(update={"operations": operations})
