"""Exact unit conversions and defensive field access for pool payloads.

Every helper raises :class:`SourceBadResponse` naming the field when a payload is not what the
pool documents, so a garbled answer is counted as ``bad_response`` and never stored as a zero.

>>> btc_to_sat("0.00012345", "total_reward")
12345
>>> hashrate_to_hs("1.5", "Gh/s", "hash_rate_5m")
1500000000.0
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from collector.errors import SourceBadResponse
from remittance import money
from remittance.errors import InvalidInputError

MAX_HASHRATE_HS: Final = Decimal(10) ** 24
"""About a thousand times the whole network's hash rate: anything above is garbled."""
MAX_COUNT: Final = 10**9
"""Workers, pages: a billion of either is a garbled answer (and would not fit a database int)."""
_MAX_MAGNITUDE: Final = 30
"""Numbers of 10^30 or more are refused before any arithmetic: a huge exponent would overflow
``Decimal`` or build a huge ``int``. Every real figure (H/s, sat, ms) fits far below."""
OFFLINE_AFTER_S: Final = 900.0
"""A worker whose last share is older than this is offline, whatever the pool's flag says."""

_HASHRATE_FACTORS: Final = {
    "h/s": Decimal(1),
    "kh/s": Decimal(10) ** 3,
    "mh/s": Decimal(10) ** 6,
    "gh/s": Decimal(10) ** 9,
    "th/s": Decimal(10) ** 12,
    "ph/s": Decimal(10) ** 15,
    "eh/s": Decimal(10) ** 18,
}
_MS_THRESHOLD: Final = 100_000_000_000  # a Unix time above this is in milliseconds (year 5138+)


def obj(payload: Any, key: str) -> Mapping[str, Any]:
    """``payload[key]``, which must be a JSON object."""
    value = field(payload, key)
    if not isinstance(value, Mapping):
        raise SourceBadResponse(f"{key}: expected an object, got {type(value).__name__}")
    return value


def items(payload: Any, key: str) -> list[Any]:
    """``payload[key]``, which must be a JSON array."""
    value = field(payload, key)
    if not isinstance(value, list):
        raise SourceBadResponse(f"{key}: expected a list, got {type(value).__name__}")
    return value


def field(payload: Any, key: str) -> Any:
    if not isinstance(payload, Mapping):
        raise SourceBadResponse(f"expected an object holding {key!r}, got {type(payload).__name__}")
    if key not in payload:
        raise SourceBadResponse(f"{key}: missing from the answer")
    return payload[key]


def path(payload: Any, dotted: str) -> Any:
    """Follow ``a.b.0.c`` (numeric parts index lists) through a JSON document."""
    current = payload
    for part in dotted.split("."):
        if isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        elif isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            raise SourceBadResponse(f"{dotted}: no {part!r} in the answer")
    return current


def decimal(value: Any, name: str) -> Decimal:
    """A finite number from a JSON number (parsed as Decimal) or a numeric string."""
    if isinstance(value, bool) or value is None:
        raise SourceBadResponse(f"{name}: expected a number, got {value!r}")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation as err:
            raise SourceBadResponse(f"{name}: {value[:40]!r} is not a number") from err
    else:
        raise SourceBadResponse(f"{name}: expected a number, got {type(value).__name__}")
    if not number.is_finite():
        raise SourceBadResponse(f"{name}: {str(value)[:40]!r} is not a finite number")
    if number and number.adjusted() >= _MAX_MAGNITUDE:
        raise SourceBadResponse(f"{name}: {str(value)[:40]!r} is out of range")
    return number


def count(value: Any, name: str) -> int:
    number = decimal(value, name)
    if number < 0 or number != number.to_integral_value() or number > MAX_COUNT:
        raise SourceBadResponse(f"{name}: {str(value)[:40]!r} is not a count")
    return int(number)


def btc_to_sat(value: Any, name: str) -> int:
    """Decimal BTC (string or exact JSON number) to integer satoshis, half up past 8 places
    (pools' JSON floats carry more). A negative amount is a pool's clawback: kept."""
    amount = decimal(value, name)
    try:
        return money.btc_to_sat(amount, rounding="half_up")
    except InvalidInputError as err:
        raise SourceBadResponse(f"{name}: {err}") from err


def sat(value: Any, name: str) -> int:
    """A whole number of satoshis; negative for a pool's clawback."""
    amount = decimal(value, name)
    if amount != amount.to_integral_value():
        raise SourceBadResponse(f"{name}: {value!r} is not a whole satoshi amount")
    if abs(amount) > money.MAX_SUPPLY_SAT:
        raise SourceBadResponse(f"{name}: {str(value)[:40]!r} sat is more than will ever exist")
    return int(amount)


def hashrate_to_hs(value: Any, unit: str, name: str) -> float:
    """A hash rate in ``unit`` (``Gh/s``, ``TH/s``, ...) to H/s."""
    factor = _HASHRATE_FACTORS.get(unit.strip().lower())
    if factor is None:
        raise SourceBadResponse(f"{name}: unknown hash rate unit {unit[:20]!r}")
    rate = decimal(value, name)
    if rate < 0:
        raise SourceBadResponse(f"{name}: negative hash rate {value!r}")
    if rate * factor > MAX_HASHRATE_HS:
        raise SourceBadResponse(f"{name}: {str(value)[:40]!r} {unit[:20]} is beyond any pool")
    return float(rate * factor)


def unix_time(value: Any, name: str) -> datetime:
    """Unix seconds or milliseconds (number or numeric string) to an aware UTC datetime."""
    seconds = decimal(value, name)
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(float(seconds), UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise SourceBadResponse(f"{name}: {value!r} is not a time") from err


def moment(value: Any, name: str, zone: tzinfo = UTC) -> datetime:
    """A UTC time from Unix seconds/ms (number or digits) or an ISO 8601 date-time; an ISO
    time written without a zone is read in ``zone``."""
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as err:
            raise SourceBadResponse(f"{name}: {value[:40]!r} is not a time") from err
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(UTC)
    return unix_time(value, name)


def utc_day(value: Any, name: str, zone: tzinfo = UTC) -> date:
    """A UTC day from Unix seconds/ms, ``YYYY-MM-DD`` or an ISO 8601 date-time (read in
    ``zone`` when written without one)."""
    if isinstance(value, str) and len(value.strip()) == 10 and value.count("-") == 2:
        try:
            return date.fromisoformat(value.strip())
        except ValueError as err:
            raise SourceBadResponse(f"{name}: {value!r} is not a date") from err
    return moment(value, name, zone).date()


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def days(start: date, end: date) -> list[date]:
    """``start <= day < end``."""
    return [start + timedelta(days=offset) for offset in range((end - start).days)]


def is_online(last_share: datetime, now: datetime) -> bool:
    return (now - last_share).total_seconds() <= OFFLINE_AFTER_S
