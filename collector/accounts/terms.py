"""Terms and settings as the store knew them: the configuration kept as revisions.

The configuration file is the source of each operation's terms (rates, basis, due days, pool
accounts, reserve addresses, payout wallets) and of the global settings that change a figure
(confirmations, proof rules, the reserve's wallets and time zone, the chain). Each time the
collector or a document command starts, every operation's entry, and the settings as one more
document under :data:`SETTINGS`, are written to the store as canonical JSON when they differ
from the latest revision (:meth:`Store.record_terms`). A document as of an instant is computed
with the terms and settings known at that instant (:func:`config_as_known`), so a later edit of
the file — even of a past entry or of ``reserve.confirmations`` — never changes a document as
of an earlier instant.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from collector.config.mining_fee import MiningFeeConfig
from collector.config.model import Config
from collector.config.sections import (
    CalendarConfig,
    NetworkConfig,
    OperationConfig,
    ReserveConfig,
)
from collector.store.queries import Store

NOT_TERMS: Final[dict[str, Any]] = {"language": True, "remittance": {"remind_days_before"}}
"""How an operation is written to and reminded: not terms, so a change is no terms revision."""

SETTINGS: Final = "*settings"
"""The key of the global settings' document among the operations' (an operation id never
starts with ``*``)."""

SETTINGS_FIELDS: Final[dict[str, frozenset[str]]] = {
    # Which chain's tip confirms an output; nothing else of the section changes a figure.
    "network": frozenset({"chain"}),
    # Every reserve setting but how often the chain is read.
    "reserve": frozenset(ReserveConfig.model_fields) - {"poll_interval_s", "recheck_blocks"},
    # The working days that pick an official price's day.
    "calendar": frozenset(CalendarConfig.model_fields),
    # The digital-mining fee's band schedule: every rate changes a fee.
    "mining_fee": frozenset(MiningFeeConfig.model_fields),
}
"""The global settings that change a figure, by section: kept as revisions like the terms."""

_SECTIONS: Final[
    dict[str, type[NetworkConfig | ReserveConfig | CalendarConfig | MiningFeeConfig]]
] = {
    "network": NetworkConfig,
    "reserve": ReserveConfig,
    "calendar": CalendarConfig,
    "mining_fee": MiningFeeConfig,
}


def _canonical(document: Any) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def settings_document(config: Config) -> str:
    """The settings of :data:`SETTINGS_FIELDS` as canonical JSON."""
    return _canonical(
        {
            section: getattr(config, section).model_dump(
                mode="json", by_alias=True, include=set(fields)
            )
            for section, fields in SETTINGS_FIELDS.items()
        }
    )


def terms_documents(config: Config) -> dict[str, str]:
    """Each operation's configuration entry, and the settings (under :data:`SETTINGS`), as
    canonical JSON (sorted keys, no spaces)."""
    documents = {
        operation.id: _canonical(
            operation.model_dump(
                mode="json",
                by_alias=True,
                # An operation with no mandatory sale, or no payout wallet, keeps the terms it
                # had before there was one.
                exclude={
                    **NOT_TERMS,
                    **({} if operation.mandatory_sale else {"mandatory_sale": True}),
                    **({} if operation.payout_wallets else {"payout_wallets": True}),
                },
            )
        )
        for operation in config.operations
    }
    documents[SETTINGS] = settings_document(config)
    return documents


def config_as_known(config: Config, known: Mapping[str, str]) -> Config:
    """``config`` with each operation's terms, and the settings, as stored in ``known`` (id ->
    JSON); an operation with no stored terms keeps the file's, and so do the settings."""
    operations = tuple(
        OperationConfig.model_validate_json(known[operation.id])
        if operation.id in known
        else operation
        for operation in config.operations
    )
    update: dict[str, Any] = {"operations": operations}
    if SETTINGS in known:
        stored: dict[str, Any] = json.loads(known[SETTINGS])
        for section, model in _SECTIONS.items():
            current = getattr(config, section)
            fields = current.model_dump(mode="json", by_alias=True)
            stored_fields = stored.get(section, {})
            fields.update({k: v for k, v in stored_fields.items() if k in SETTINGS_FIELDS[section]})
            update[section] = model.model_validate(fields)
    return config.model_copy(update=update)


async def known_config(store: Store, config: Config, as_of: datetime) -> Config:
    """The configuration as the store knew it at ``as_of``. A command records the file's
    terms (``store.record_terms(terms_documents(config))``) before it reads the clock for a
    default instant, so a document made right after an edit states the edited terms."""
    return config_as_known(config, await store.terms_as_of(as_of))
