"""The network's figures from the chain's answers: Esplora's and mempool's blocks, tips and
hash-rate summaries parsed (each refusing what those servers never send), and blocks
aggregated into UTC network days (rewards, blocks, hash rate; a day complete or not)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, TypeGuard

from collector.errors import SourceBadResponse
from collector.store.records import BlockRecord, NetworkDayRecord

_HASHRATE_INTERVALS: Final = (
    (3, "3d"), (7, "1w"), (31, "1m"), (92, "3m"), (183, "6m"), (366, "1y"), (731, "2y"),
    (1096, "3y"),
)  # fmt: skip


SECONDS_PER_BLOCK: Final = 600
_HEX64_CHARS: Final = frozenset("0123456789abcdef")


def is_hash(value: object) -> TypeGuard[str]:
    """A 64-hex-digit hash (a block's or a transaction's), as every chain source writes them."""
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX64_CHARS


def _int_field(doc: Mapping[str, Any], name: str, where: str) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceBadResponse(f"{where}: {name} must be a non-negative integer, got {value!r}")
    return value


def _number(value: object, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise SourceBadResponse(f"{where}: {name} must be a number, got {str(value)[:40]!r}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        number = float("inf")
    if not number >= 0 or number == float("inf"):
        raise SourceBadResponse(f"{where}: {name} must be finite and not negative")
    return number


def timestamp_utc(seconds: int, where: str) -> datetime:
    """A block or transaction time (Unix seconds) as UTC; refused when no calendar holds it."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise SourceBadResponse(f"{where}: timestamp {str(seconds)[:40]} is out of range") from err


def parse_tip_height(text: str) -> int:
    """``/api/blocks/tip/height`` answers the height as text."""
    stripped = text.strip()
    # ASCII only ("²".isdigit() is true) and short enough for int() and for any real chain.
    if not (stripped.isascii() and stripped.isdigit()) or len(stripped) > 12:
        raise SourceBadResponse(f"tip height is not a number: {stripped[:40]!r}")
    return int(stripped)


def difficulty_hashrate_hs(difficulty: float) -> float:
    """The hash rate that finds a block every 600 s at ``difficulty``: ``D·2^32/600``."""
    return difficulty * 2**32 / SECONDS_PER_BLOCK


@dataclass(frozen=True, slots=True)
class HashrateSummary:
    """``/api/v1/mining/hashrate/{interval}``: current values and daily averages (H/s)."""

    current_hashrate_hs: float
    current_difficulty: float
    daily_hashrate_hs: Mapping[date, float]


def parse_hashrate_summary(doc: Any) -> HashrateSummary:
    where = "mining/hashrate"
    if not isinstance(doc, dict):
        raise SourceBadResponse(f"{where}: expected an object")
    current = _number(doc.get("currentHashrate"), "currentHashrate", where)
    difficulty = _number(doc.get("currentDifficulty"), "currentDifficulty", where)
    if current == 0 or difficulty == 0:
        # mempool answers zeros when its bitcoind is unreachable: not a value to show.
        raise SourceBadResponse(f"{where}: currentHashrate/currentDifficulty are 0 (node down?)")
    points = doc.get("hashrates", [])
    if not isinstance(points, list):
        raise SourceBadResponse(f"{where}: hashrates must be a list")
    daily: dict[date, float] = {}
    for point in points:
        if not isinstance(point, dict):
            raise SourceBadResponse(f"{where}: hashrates[] items must be objects")
        stamp = _int_field(point, "timestamp", where)
        daily[timestamp_utc(stamp, where).date()] = _number(
            point.get("avgHashrate"), "avgHashrate", where
        )
    return HashrateSummary(current, difficulty, daily)


@dataclass(frozen=True, slots=True)
class ParsedBlock:
    record: BlockRecord
    difficulty: float | None


def parse_block(doc: Any, *, reward_sat: int | None = None) -> ParsedBlock:
    """One block of ``/api/v1/blocks`` (reward from ``extras.reward``) or of plain Esplora
    (pass ``reward_sat`` from the coinbase)."""
    if not isinstance(doc, dict):
        raise SourceBadResponse("block: expected an object")
    height = _int_field(doc, "height", "block")
    where = f"block {height}"
    block_hash = doc.get("id")
    if not is_hash(block_hash):
        raise SourceBadResponse(f"{where}: id is not a 64-hex block hash")
    timestamp = _int_field(doc, "timestamp", where)
    if reward_sat is None:
        extras = doc.get("extras")
        if not isinstance(extras, dict):
            raise SourceBadResponse(f"{where}: no extras (not a mempool /api/v1 block)")
        reward_sat = _int_field(extras, "reward", where)
    raw_difficulty = doc.get("difficulty")
    difficulty = None if raw_difficulty is None else _number(raw_difficulty, "difficulty", where)
    record = BlockRecord(
        height=height,
        block_hash=block_hash,
        time=timestamp_utc(timestamp, where),
        reward_sat=reward_sat,
    )
    return ParsedBlock(record, difficulty)


def coinbase_reward_sat(doc: Any) -> int:
    """The reward a block paid: the sum of its coinbase transaction's outputs (satoshis)."""
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise SourceBadResponse("block txs: expected a list starting with the coinbase")
    coinbase = doc[0]
    inputs = coinbase.get("vin")
    if (
        not isinstance(inputs, list)
        or not inputs
        or not isinstance(inputs[0], dict)
        or not inputs[0].get("is_coinbase")
    ):
        raise SourceBadResponse("block txs: the first transaction is not a coinbase")
    outputs = coinbase.get("vout")
    if not isinstance(outputs, list) or not all(isinstance(out, dict) for out in outputs):
        raise SourceBadResponse("block txs: coinbase vout must be a list of objects")
    return sum(_int_field(out, "value", "coinbase vout") for out in outputs)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def aggregate_days(
    blocks: Mapping[int, BlockRecord],
    days: Iterable[date],
    *,
    daily_hashrate_hs: Mapping[date, float],
    difficulty_by_height: Mapping[int, float],
    previous: Mapping[date, NetworkDayRecord] | None = None,
) -> list[NetworkDayRecord]:
    """Per UTC day in ``days``: blocks, rewards, hash rate and completeness, from ``blocks``
    (height -> block of the best chain). Days without blocks are left out.

    Hash rate: ``daily_hashrate_hs[day]`` if given, else ``D·2^32/600`` over the day's mean
    known difficulty, else the ``previous`` record's values for the day.
    """
    by_day: dict[date, list[BlockRecord]] = {}
    for block in blocks.values():
        by_day.setdefault(utc_day(block.time), []).append(block)
    top = max(blocks, default=-1)
    records: list[NetworkDayRecord] = []
    for day in sorted(set(days)):
        members = by_day.get(day)
        if not members:
            continue
        heights = [b.height for b in members]
        difficulties = [difficulty_by_height[h] for h in heights if h in difficulty_by_height]
        difficulty = sum(difficulties) / len(difficulties) if difficulties else None
        earlier = previous.get(day) if previous else None
        if difficulty is None and earlier is not None:
            difficulty = earlier.difficulty
        if day in daily_hashrate_hs:
            hashrate_hs = daily_hashrate_hs[day]
        elif difficulty is not None:
            hashrate_hs = difficulty_hashrate_hs(difficulty)
        elif earlier is not None:
            hashrate_hs = earlier.hashrate_hs
        else:
            hashrate_hs = 0.0
        records.append(
            NetworkDayRecord(
                day=day,
                blocks=len(members),
                rewards_sat=sum(b.reward_sat for b in members),
                hashrate_hs=hashrate_hs,
                difficulty=difficulty,
                complete=_day_complete(blocks, min(heights), max(heights), day, top),
            )
        )
    return records


def _day_complete(
    blocks: Mapping[int, BlockRecord], first: int, last: int, day: date, top: int
) -> bool:
    next_start = day_start(day + timedelta(days=1))
    if first - 1 not in blocks:
        return False
    height = last + 1
    while height <= top:
        block = blocks.get(height)
        if block is None:
            return False
        if block.time >= next_start:
            return all(h in blocks for h in range(first, last + 1))
        height += 1
    return False
