"""The payload parser: every reason, and no payload whatsoever crashes it."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collector.telemetry.payloads import (
    REJECT_REASONS,
    Limits,
    Rejected,
    SiteReading,
    parse_curtailment_payload,
    parse_site_payload,
)

NOW = datetime(2026, 11, 24, 2, 1, tzinfo=UTC)
LIMITS = Limits(now=NOW)


def test_full_reading_is_parsed_with_units_and_extra_fields_ignored() -> None:
    payload = (
        b'{"ts": "2026-11-24T02:00:00Z", "power_w": 48200000, "energy_wh": 123456789012,'
        b' "hashrate_hs": 2.1e18, "miners_online": 9800, "miners_total": 10000,'
        b' "inlet_temp_c": -5.2, "firmware": {"v": 3}}'
    )
    batch = parse_site_payload(payload, LIMITS)
    assert batch.readings == (
        SiteReading(
            ts_s=datetime(2026, 11, 24, 2, 0, tzinfo=UTC).timestamp(),
            power_w=48_200_000.0,
            energy_wh=123_456_789_012,
            hashrate_hs=2.1e18,
            miners_online=9800,
            miners_total=10000,
            inlet_temp_c=-5.2,
        ),
    )


def test_unix_seconds_and_offsets_are_accepted_as_utc() -> None:
    unix = parse_site_payload(b'{"ts": 1795485600, "power_w": 1}', LIMITS).readings[0]
    offset = parse_site_payload(b'{"ts": "2026-11-24T08:00:00+06:00", "power_w": 1}', LIMITS)
    assert unix.ts == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert offset.readings[0].ts == unix.ts


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not_json"),
        (b"{", "not_json"),
        (b"42", "not_object"),
        (b'{"ts": 1795485600, "power_w": NaN}', "non_finite"),
        (b'{"ts": 1795485600, "power_w": 1e999}', "non_finite"),
        (b'{"ts": 1795485600}', "missing_field"),
        (b'{"ts": 1795485600, "power_w": null}', "missing_field"),
        (b'{"ts": 1795485600, "power_w": true}', "wrong_type"),
        (b'{"ts": [1], "power_w": 1}', "wrong_type"),
        (b'{"ts": 1795485600, "power_w": 1, "miners_online": 1.5}', "wrong_type"),
        (b'{"ts": 1795485600, "power_w": 1, "energy_wh": -1}', "negative_value"),
        (b'{"ts": 1795485600, "power_w": 1, "hashrate_hs": -1}', "negative_value"),
        (b'{"ts": 1795485600, "power_w": 1e11}', "absurd_value"),
        (
            b'{"ts": 1795485600, "power_w": 1, "miners_online": 5, "miners_total": 4}',
            "absurd_value",
        ),
        (b'{"ts": 1795485600, "power_w": 1, "inlet_temp_c": 900}', "absurd_value"),
        (b'{"ts": "2026-11-24T02:00:00", "power_w": 1}', "bad_timestamp"),
        (b'{"ts": -5, "power_w": 1}', "bad_timestamp"),
        (b'{"ts": "2027-01-01T00:00:00Z", "power_w": 1}', "future_timestamp"),
        (b'{"ts": 1000000000, "power_w": 1}', "stale_timestamp"),
        (b"[" * 20 + b"]" * 20, "too_deep"),
        (b'{"a": ' * 10 + b"1" + b"}" * 10, "too_deep"),
        (b" " * (64 * 1024 + 1), "too_large"),
    ],
)
def test_bad_payload_is_rejected_with_its_reason(payload: bytes, reason: str) -> None:
    assert reason in REJECT_REASONS
    with pytest.raises(Rejected) as caught:
        batch = parse_site_payload(payload, LIMITS)
        if batch.rejects:
            raise batch.rejects[0]
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    "payload",
    [
        b"[" * 1024 + b"]" * 1024,  # orjson parses it; our depth walk refuses it
        b"[" * 1025 + b"]" * 1025,  # orjson refuses it: "depth limit exceeded"
        b"[" * 30_000 + b"]" * 30_000,
        b'{"a":' * 2_000 + b"1" + b"}" * 2_000,
        b"[" * 5_000,  # unterminated too: the depth is what orjson reports first
    ],
)
def test_nesting_beyond_orjsons_limit_is_too_deep_not_not_json(payload: bytes) -> None:
    for parse in (
        lambda: parse_site_payload(payload, LIMITS),
        lambda: parse_curtailment_payload(payload, LIMITS),
    ):
        with pytest.raises(Rejected) as caught:
            parse()
        assert caught.value.reason == "too_deep"


def test_hash_rate_above_the_known_network_figure_is_absurd() -> None:
    limits = Limits(now=NOW, max_hashrate_hs=8e20)
    with pytest.raises(Rejected, match="absurd_value"):
        parse_site_payload(b'{"ts": 1795485600, "power_w": 1, "hashrate_hs": 9e20}', limits)


def test_batch_keeps_valid_readings_and_rejects_the_rest_one_by_one() -> None:
    batch = parse_site_payload(
        b'[{"ts": 1795485600, "power_w": 1}, {"ts": 1795485610}, {"ts": 1795485620, "power_w": 3}]',
        LIMITS,
    )
    assert [r.power_w for r in batch.readings] == [1.0, 3.0]
    assert [r.reason for r in batch.rejects] == ["missing_field"]


def test_curtailment_order_and_empty_lift() -> None:
    order = parse_curtailment_payload(
        b'{"ts": "2026-11-24T02:00:00Z", "max_power_w": 20000000, "until": "2026-11-24T06:00:00Z"}',
        LIMITS,
    )
    assert order is not None
    assert order.max_power_w == 20_000_000
    assert order.until == datetime(2026, 11, 24, 6, tzinfo=UTC)
    assert parse_curtailment_payload(b"", LIMITS) is None


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=512))
def test_no_bytes_whatsoever_crash_the_parser(payload: bytes) -> None:
    try:
        parse_site_payload(payload, LIMITS)
        parse_curtailment_payload(payload, LIMITS)
    except Rejected as rejected:
        assert rejected.reason in REJECT_REASONS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
reading_like = st.fixed_dictionaries(
    {},
    optional={
        "ts": st.one_of(st.integers(), st.floats(), st.text(max_size=30), json_values),
        "power_w": json_values,
        "energy_wh": json_values,
        "hashrate_hs": json_values,
        "miners_online": json_values,
        "miners_total": json_values,
        "inlet_temp_c": json_values,
    },
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(reading_like, st.lists(reading_like, max_size=3), json_values))
def test_no_json_document_whatsoever_crashes_the_parser(document: object) -> None:
    try:
        payload = orjson.dumps(document)
    except (TypeError, orjson.JSONEncodeError):
        return  # not encodable as JSON (e.g. an integer beyond 64 bits): nothing to parse
    for parse in (parse_site_payload, parse_curtailment_payload):
        try:
            parse(payload, LIMITS)
        except Rejected as rejected:
            assert rejected.reason in REJECT_REASONS


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ts": "2026-11-24T02:00:00Z", "power_w": 1, "power_w": 99999}',
        b'{"ts": "2026-11-24T02:00:00Z", "power_w": 1, "power_w"\t: 99999}',
        b'{"ts": "2026-11-24T02:00:00Z", "power_w": 1, "power\\u005fw": 99999}',
    ],
)
def test_a_key_given_twice_is_refused_not_last_wins(payload: bytes) -> None:
    with pytest.raises(Rejected) as caught:
        parse_site_payload(payload, LIMITS)
    assert caught.value.reason == "duplicate_key"


def test_in_a_batch_only_the_reading_with_a_repeated_key_is_refused() -> None:
    payload = (
        b'[{"ts": "2026-11-24T02:00:00Z", "power_w": 5},'
        b' {"ts": "2026-11-24T02:00:30Z", "power_w": 6, "ts": "2026-11-24T02:00:40Z"}]'
    )
    batch = parse_site_payload(payload, LIMITS)
    assert [r.power_w for r in batch.readings] == [5]
    assert [r.reason for r in batch.rejects] == ["duplicate_key"]


def test_a_value_that_looks_like_a_key_is_not_a_duplicate() -> None:
    payload = b'{"ts": "2026-11-24T02:00:00Z", "power_w": 7, "note": "a \\":\\" b"}'
    [reading] = parse_site_payload(payload, LIMITS).readings
    assert reading.power_w == 7
