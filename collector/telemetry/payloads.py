"""Bytes from the broker → validated readings, or a reject reason. Pure: no I/O, no clock.

This is the hot path (every reading of every site passes here), so it checks the cheap things
first: size before parsing, a bracket count before any depth walk, and plain ``type() is``
tests instead of a validation framework.

Example::

    >>> parse_site_payload(b'{"ts": 1795500000, "power_w": 48200000}', limits)
    (SiteReading(ts_s=1795500000.0, power_w=48200000.0, ...),)

A payload is either one reading (a JSON object) or a batch (a JSON array of objects). Every
problem is a :class:`Rejected` carrying one of :data:`REJECT_REASONS`, the bounded ``reason``
label of ``reservewatch_telemetry_rejected_total``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Final, NamedTuple

import orjson

REJECT_REASONS: Final = (
    "too_large",  # payload above mqtt.max_payload_bytes
    "not_json",  # not UTF-8 JSON
    "non_finite",  # NaN, Infinity or a number too large for a double
    "too_deep",  # nesting deeper than MAX_DEPTH
    "not_object",  # valid JSON but not an object (or an array of objects)
    "missing_field",  # ts or power_w absent
    "wrong_type",  # a field of the wrong JSON type
    "negative_value",  # a count, power, energy or hash rate below zero
    "absurd_value",  # physically impossible: > 10 GW, above the network hash rate, ...
    "bad_timestamp",  # ts unparseable or without a timezone
    "future_timestamp",  # ts more than mqtt.max_future_s ahead of the clock
    "stale_timestamp",  # ts more than mqtt.max_age_s behind the clock
    "bad_topic",  # topic not UTF-8 or not one of ours
    "unknown_site",  # a site id not in the configuration
    "unknown_region",  # a curtailment order for a region with no configured site
    "duplicate_key",  # an object names one key twice (which value would be meant?)
    "duplicate",  # same ts as the latest reading already processed
    "out_of_order",  # older than the latest reading already processed
    "energy_backwards",  # meter counter stepped back by a little (not a reset)
    "batch_too_long",  # more readings in one batch than MAX_BATCH
    "bad_miner_id",  # a machine id empty, too long or outside [A-Za-z0-9_.:-]
    "unknown_status",  # a machine status outside MINER_STATUSES
    "too_many_miners",  # a site reports more distinct machines than the collector keeps
)
"""Every ``reason`` label value; a fixed set so the metric's cardinality is bounded."""

MAX_DEPTH: Final = 8
"""Deepest nesting accepted anywhere in a payload (a reading needs 1, a batch 2)."""

MAX_BATCH: Final = 10_000
"""Most readings accepted in one batch message."""

MAX_SITE_POWER_W: Final = 10_000_000_000.0
"""10 GW: no mining site draws more; a bigger figure is a unit error or garbage."""

DEFAULT_MAX_HASHRATE_HS: Final = 2e21
"""2,000 EH/s, above the whole network's hash rate; used until the network figure is known."""

MAX_INLET_TEMP_C: Final = 150.0
MIN_INLET_TEMP_C: Final = -100.0

MAX_MINER_POWER_W: Final = 100_000.0
"""100 kW: no single mining machine draws more (an S21 draws about 3.5 kW)."""

MAX_MINER_HASHRATE_HS: Final = 1e16
"""10 PH/s: far above any single machine (an S21 hashes about 2e14 H/s)."""

MINER_STATUSES: Final = ("online", "offline", "idle", "error")
"""A machine's ``status``; only ``online`` counts towards ``miners_online``."""

MAX_MINER_ID_LENGTH: Final = 64

_MINER_ID_CHARACTERS: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-"
)

_DEPTH_SCAN_THRESHOLD: Final = MAX_DEPTH  # fewer brackets than this cannot nest deeper


class Rejected(Exception):
    """A payload (or one reading of a batch) was not accepted; ``reason`` is bounded."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Limits:
    """What a valid reading may hold. ``now`` is the receiving clock's time."""

    now: datetime
    max_payload_bytes: int = 64 * 1024
    max_future_s: float = 300.0
    max_age_s: float = 7 * 24 * 3600.0
    max_hashrate_hs: float = DEFAULT_MAX_HASHRATE_HS
    now_s: float = field(init=False)  # ``now`` in Unix seconds, worked out once

    def __post_init__(self) -> None:
        object.__setattr__(self, "now_s", self.now.timestamp())


class SiteReading(NamedTuple):
    """One validated reading from a site's gateway: ``ts_s`` Unix seconds, power W, energy Wh
    (meter), hash rate H/s. A tuple on Unix seconds, as a machine reading is: the hot path
    makes tens of thousands a second (a frozen dataclass of datetimes cost twice as much)."""

    ts_s: float
    power_w: float
    energy_wh: int | None = None
    hashrate_hs: float | None = None
    miners_online: int | None = None
    miners_total: int | None = None
    inlet_temp_c: float | None = None

    @property
    def ts(self) -> datetime:
        """``ts_s`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.ts_s, UTC)


class MinerReading(NamedTuple):
    """One validated reading of one machine. A tuple, not a dataclass: the hot path makes
    tens of thousands of these a second. ``ts_s`` is Unix seconds."""

    miner_id: str
    ts_s: float
    power_w: float
    hashrate_hs: float
    online: bool


@dataclass(frozen=True, slots=True)
class CurtailmentOrder:
    """A grid operator's order: the region may draw at most ``max_power_w`` until ``until``."""

    ts: datetime
    max_power_w: int
    until: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """The readings of one message and a reject for each reading that failed."""

    readings: tuple[SiteReading, ...]
    rejects: tuple[Rejected, ...]


class DuplicateKeys:
    """Stands for a JSON object that named one key twice: refused where a reading is read."""

    __slots__ = ("key",)

    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any] | DuplicateKeys:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            return DuplicateKeys(key)
        found[key] = value
    return found


_KEY_END = re.compile(rb'"\s*:')


def _keys_written(payload: bytes) -> int:
    """How many ``"…":`` a payload holds: at least one per key it writes (a string value
    holding ``\":`` adds more, which only costs a second, careful parse)."""
    if b'" ' in payload or b'"\t' in payload or b'"\n' in payload or b'"\r' in payload:
        return len(_KEY_END.findall(payload))
    return payload.count(b'":')


def _may_repeat_keys(payload: bytes, document: Any) -> bool:
    """Whether the payload may name a key twice in one object (orjson keeps the last): it
    writes more keys than the parsed objects hold, or escapes that could spell a key."""
    if type(document) is dict:
        held = len(document)
    elif type(document) is list:
        held = sum(len(item) for item in document if type(item) is dict)
    else:
        return False
    return b"\\u" in payload or _keys_written(payload) > held


def decode_json(payload: bytes, max_payload_bytes: int) -> Any:
    """Size-check, parse and depth-check ``payload``; raise :class:`Rejected` on any problem.
    An object that names a key twice comes back as :class:`DuplicateKeys` (a whole message
    that is one: ``duplicate_key``)."""
    if len(payload) > max_payload_bytes:
        raise Rejected("too_large", f"{len(payload)} bytes, limit {max_payload_bytes}")
    try:
        document = orjson.loads(payload)
    except orjson.JSONDecodeError as err:
        message = str(err)
        if "infinity" in message or b"NaN" in payload or b"Infinity" in payload:
            raise Rejected("non_finite", "NaN or Infinity is not a JSON number") from err
        # orjson stops at 1,024 levels: "depth limit exceeded" (older releases: "recursion").
        if "depth limit" in message or "recursion" in message:
            raise Rejected("too_deep", "nesting too deep") from err
        raise Rejected("not_json", message.split(":", 1)[0]) from err
    if _may_repeat_keys(payload, document):  # rare: parse again, keeping every key
        document = json.loads(payload, object_pairs_hook=_pairs)
        if type(document) is DuplicateKeys:
            raise Rejected("duplicate_key", f"key {document.key[:40]!r} given twice")
    if payload.count(b"[") + payload.count(b"{") > _DEPTH_SCAN_THRESHOLD:
        depth = _depth(document)
        if depth > MAX_DEPTH:
            raise Rejected("too_deep", f"nesting depth {depth}, limit {MAX_DEPTH}")
    return document


def _depth(document: Any) -> int:
    """Nesting depth of a parsed document, iteratively (no recursion limit to hit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if type(node) is dict:
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in node.values())
        elif type(node) is list:
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in node)
    return deepest


def parse_timestamp(value: Any, field: str = "ts") -> datetime:
    """RFC 3339 text with a zone, or Unix seconds (int or float), as an aware UTC datetime."""
    value_type = type(value)
    if value_type is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as err:
            raise Rejected("bad_timestamp", f"{field} is not RFC 3339") from err
        if parsed.tzinfo is None:
            raise Rejected("bad_timestamp", f"{field} has no timezone (add Z or an offset)")
        return parsed.astimezone(UTC)
    if value_type is int or value_type is float:
        if not math.isfinite(value):
            raise Rejected("non_finite", f"{field} is not finite")
        if not 0 <= value < 1e11:
            raise Rejected("bad_timestamp", f"{field} is not plausible Unix seconds")
        return datetime.fromtimestamp(value, UTC)
    raise Rejected("wrong_type", f"{field} must be RFC 3339 text or Unix seconds")


@lru_cache(maxsize=256)
def _text_seconds(text: str) -> float:
    """Unix seconds of an RFC 3339 ``ts``; memoised, as a round of machine readings shares
    one timestamp text (parsing it to a datetime per reading was a tenth of the hot path).
    Invalid text raises :class:`Rejected` every time (exceptions are not cached)."""
    return parse_timestamp(text).timestamp()


def _number(reading: dict[str, Any], field: str) -> float | None:
    value = reading.get(field)
    if value is None:
        return None
    value_type = type(value)
    if value_type is float:
        if not math.isfinite(value):
            raise Rejected("non_finite", f"{field} is not finite")
        return float(value)
    if value_type is int:
        return float(value)
    raise Rejected("wrong_type", f"{field} must be a number")


def _count(reading: dict[str, Any], field: str) -> int | None:
    value = reading.get(field)
    if value is None:
        return None
    if type(value) is int:
        if value < 0:
            raise Rejected("negative_value", f"{field} is negative")
        if value > 10**9:
            raise Rejected("absurd_value", f"{field} above 10^9")
        return int(value)
    if type(value) is float and value.is_integer():
        return _count({field: int(value)}, field)
    raise Rejected("wrong_type", f"{field} must be a whole number")


def timestamp_seconds(value: Any) -> float:
    """A reading's ``ts`` (RFC 3339 text with a zone, or Unix seconds) as Unix seconds;
    :class:`Rejected` as :func:`parse_timestamp` says."""
    value_type = type(value)
    if value_type is str:
        return _text_seconds(value)
    if (value_type is int or value_type is float) and 0 <= value < 1e11:
        return float(value)
    return parse_timestamp(value).timestamp()  # the reject, with its reason


def _check_time(ts_s: float, limits: Limits) -> None:
    ahead_s = ts_s - limits.now_s
    if ahead_s > limits.max_future_s:
        raise Rejected("future_timestamp", f"ts {ahead_s:.0f} s ahead of the clock")
    if -ahead_s > limits.max_age_s:
        raise Rejected("stale_timestamp", f"ts {-ahead_s:.0f} s old")


def validate_reading(reading: Any, limits: Limits) -> SiteReading:
    """One decoded JSON value → a :class:`SiteReading`, or :class:`Rejected`."""
    if type(reading) is DuplicateKeys:
        raise Rejected("duplicate_key", f"key {reading.key[:40]!r} given twice")
    if type(reading) is not dict:
        raise Rejected("not_object", "a reading must be a JSON object")
    if "ts" not in reading:
        raise Rejected("missing_field", "ts is required")
    ts_s = timestamp_seconds(reading["ts"])
    power_w = _number(reading, "power_w")
    if power_w is None:
        raise Rejected("missing_field", "power_w is required")
    if power_w < 0:
        raise Rejected("negative_value", "power_w is negative")
    if power_w > MAX_SITE_POWER_W:
        raise Rejected("absurd_value", "power_w above 10 GW")
    hashrate_hs = _number(reading, "hashrate_hs")
    if hashrate_hs is not None:
        if hashrate_hs < 0:
            raise Rejected("negative_value", "hashrate_hs is negative")
        if hashrate_hs > limits.max_hashrate_hs:
            raise Rejected("absurd_value", "hashrate_hs above the network's")
    energy_value = reading.get("energy_wh")
    energy_wh: int | None = None
    if energy_value is not None:
        if type(energy_value) is float and math.isfinite(energy_value):
            energy_value = int(energy_value)
        if type(energy_value) is not int:
            raise Rejected("wrong_type", "energy_wh must be a number of Wh")
        if energy_value < 0:
            raise Rejected("negative_value", "energy_wh is negative")
        if energy_value > 10**18:
            raise Rejected("absurd_value", "energy_wh above 10^18 Wh")
        energy_wh = int(energy_value)
    miners_online = _count(reading, "miners_online")
    miners_total = _count(reading, "miners_total")
    if miners_online is not None and miners_total is not None and miners_online > miners_total:
        raise Rejected("absurd_value", "miners_online above miners_total")
    inlet_temp_c = _number(reading, "inlet_temp_c")
    if inlet_temp_c is not None and not MIN_INLET_TEMP_C <= inlet_temp_c <= MAX_INLET_TEMP_C:
        raise Rejected("absurd_value", "inlet_temp_c outside -100..150 °C")
    _check_time(ts_s, limits)
    return SiteReading(
        ts_s, power_w, energy_wh, hashrate_hs, miners_online, miners_total, inlet_temp_c
    )


def parse_site_payload(payload: bytes, limits: Limits) -> ParsedBatch:
    """A telemetry message → its valid readings and a reject per invalid one.

    Raises :class:`Rejected` when the message as a whole is unusable (too large, not JSON,
    too deep, not an object or array).
    """
    document = decode_json(payload, limits.max_payload_bytes)
    if type(document) is dict:
        return ParsedBatch((validate_reading(document, limits),), ())
    if type(document) is not list:
        raise Rejected("not_object", "telemetry must be a JSON object or an array of objects")
    if len(document) > MAX_BATCH:
        raise Rejected("batch_too_long", f"{len(document)} readings, limit {MAX_BATCH}")
    readings: list[SiteReading] = []
    rejects: list[Rejected] = []
    for item in document:
        try:
            readings.append(validate_reading(item, limits))
        except Rejected as rejected:
            rejects.append(rejected)
    return ParsedBatch(tuple(readings), tuple(rejects))


def valid_miner_id(miner_id: str) -> bool:
    """1–64 characters of ``[A-Za-z0-9_.:-]`` (a topic segment, a label-free identifier)."""
    return 0 < len(miner_id) <= MAX_MINER_ID_LENGTH and _MINER_ID_CHARACTERS.issuperset(miner_id)


def _miner_number(reading: dict[str, Any], field: str, ceiling: float) -> float:
    value = reading.get(field)
    if value is None:
        return 0.0
    value_type = type(value)
    if value_type is not float and value_type is not int:
        raise Rejected("wrong_type", f"{field} must be a number")
    if value_type is float and not math.isfinite(value):
        raise Rejected("non_finite", f"{field} is not finite")
    if value < 0:
        raise Rejected("negative_value", f"{field} is negative")
    if value > ceiling:
        raise Rejected("absurd_value", f"{field} above {ceiling:g} for one machine")
    return float(value)


def validate_miner_reading(
    reading: Any, limits: Limits, now_s: float, miner_id: str | None = None
) -> MinerReading:
    """One decoded JSON value → a :class:`MinerReading`, or :class:`Rejected`.

    ``{"ts", "power_w", "hashrate_hs", "status"}``: ``ts`` and ``power_w`` are required,
    ``hashrate_hs`` defaults to 0 and ``status`` to ``online``. ``miner_id`` comes from the
    topic, or (``None``) from the reading's own ``miner_id`` field (bulk messages).
    """
    if type(reading) is DuplicateKeys:
        raise Rejected("duplicate_key", f"key {reading.key[:40]!r} given twice")
    if type(reading) is not dict:
        raise Rejected("not_object", "a reading must be a JSON object")
    if miner_id is None:
        miner_id = reading.get("miner_id")
        if type(miner_id) is not str:
            raise Rejected("missing_field", "miner_id is required in a bulk message")
        if not valid_miner_id(miner_id):
            raise Rejected("bad_miner_id", "miner_id must be 1-64 of [A-Za-z0-9_.:-]")
    ts_value = reading.get("ts")
    if ts_value is None:
        raise Rejected("missing_field", "ts is required")
    ts_type = type(ts_value)
    if ts_type is int or ts_type is float:
        if not math.isfinite(ts_value):
            raise Rejected("non_finite", "ts is not finite")
        if not 0 <= ts_value < 1e11:
            raise Rejected("bad_timestamp", "ts is not plausible Unix seconds")
        ts_s = float(ts_value)
    elif ts_type is str:
        ts_s = _text_seconds(ts_value)
    else:
        ts_s = parse_timestamp(ts_value).timestamp()
    if "power_w" not in reading:
        raise Rejected("missing_field", "power_w is required")
    power_w = _miner_number(reading, "power_w", MAX_MINER_POWER_W)
    hashrate_hs = _miner_number(reading, "hashrate_hs", MAX_MINER_HASHRATE_HS)
    status = reading.get("status", "online")
    if status == "online":
        online = True
    elif status in MINER_STATUSES:
        online = False
    elif type(status) is not str:
        raise Rejected("wrong_type", "status must be text")
    else:
        raise Rejected("unknown_status", f"status must be one of {', '.join(MINER_STATUSES)}")
    ahead_s = ts_s - now_s
    if ahead_s > limits.max_future_s:
        raise Rejected("future_timestamp", f"ts {ahead_s:.0f} s ahead of the clock")
    if -ahead_s > limits.max_age_s:
        raise Rejected("stale_timestamp", f"ts {-ahead_s:.0f} s old")
    return MinerReading(miner_id, ts_s, power_w, hashrate_hs, online)


def parse_miner_payload(
    payload: bytes, limits: Limits, miner_id: str | None = None
) -> tuple[Sequence[MinerReading], Sequence[Rejected]]:
    """A per-machine message → its valid readings and a reject per invalid one.

    On ``{prefix}/sites/{site}/miners/{miner_id}`` (``miner_id`` given) the payload is one
    reading or an array of that machine's readings; on ``{prefix}/sites/{site}/miners``
    (``miner_id`` ``None``) it is an array of readings of many machines, each naming its
    ``miner_id``. Raises :class:`Rejected` when the message as a whole is unusable.
    """
    document = decode_json(payload, limits.max_payload_bytes)
    now_s = limits.now_s
    if type(document) is dict:  # the common message: no list made for one reading
        return (validate_miner_reading(document, limits, now_s, miner_id),), ()
    if type(document) is not list:
        raise Rejected("not_object", "telemetry must be a JSON object or an array of objects")
    if len(document) > MAX_BATCH:
        raise Rejected("batch_too_long", f"{len(document)} readings, limit {MAX_BATCH}")
    readings: list[MinerReading] = []
    rejects: list[Rejected] = []
    for item in document:
        try:
            readings.append(validate_miner_reading(item, limits, now_s, miner_id))
        except Rejected as rejected:
            rejects.append(rejected)
    return readings, rejects


def parse_curtailment_payload(payload: bytes, limits: Limits) -> CurtailmentOrder | None:
    """A curtailment message → an order, or ``None`` for an empty payload (the order is lifted)."""
    if not payload.strip():
        return None
    document = decode_json(payload, limits.max_payload_bytes)
    if type(document) is not dict:
        raise Rejected("not_object", "a curtailment order must be a JSON object")
    if "ts" not in document or "max_power_w" not in document:
        raise Rejected("missing_field", "ts and max_power_w are required")
    ts = parse_timestamp(document["ts"])
    max_power = _number(document, "max_power_w")
    if max_power is None:
        raise Rejected("missing_field", "max_power_w is required")
    if max_power < 0:
        raise Rejected("negative_value", "max_power_w is negative")
    if max_power > 1000 * MAX_SITE_POWER_W:
        raise Rejected("absurd_value", "max_power_w above 10 TW")
    until_value = document.get("until")
    until = None if until_value is None else parse_timestamp(until_value, "until")
    if ts - limits.now > timedelta(seconds=limits.max_future_s):
        raise Rejected("future_timestamp", "ts ahead of the clock")
    return CurtailmentOrder(ts=ts, max_power_w=int(max_power), until=until)
