"""The store's records become rows field for field, as ``dataclasses.asdict`` made them."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from collector.store import records
from collector.store.records import CurtailmentRecord, RollupDelta, SiteStateRecord, row_of

AT = datetime(2028, 2, 29, 23, 59, tzinfo=UTC)


def test_a_row_holds_every_field_by_name_as_asdict_did() -> None:
    for record in (
        RollupDelta("s1", "op", AT, 60, 1.5, 2.0, 10, 3e14, 60, None),
        SiteStateRecord("s1", AT, None, 7, 1.0, None, 3, 4),
        CurtailmentRecord("north", AT, 5_000_000, None, AT),
    ):
        assert row_of(record) == dataclasses.asdict(record)


def test_every_record_type_is_flat_so_a_shallow_row_is_whole() -> None:
    kinds = [
        value
        for value in vars(records).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    ]
    assert kinds
    for kind in kinds:
        for field in dataclasses.fields(kind):
            text = str(field.type)
            assert "list" not in text and "tuple" not in text and "dict" not in text, (
                f"{kind.__name__}.{field.name} holds a container: row_of would share it"
            )
            assert not any(other.__name__ in text for other in kinds), (
                f"{kind.__name__}.{field.name} holds a record: asdict would make it a dict"
            )
