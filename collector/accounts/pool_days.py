"""An operation's pool hash rate per day, from its accounts' daily figures.

The one rule every figure that sums pool hash rates uses (accounts, the grid report's national
share): a day counts for an operation only when every pool account in force that day has a
figure for it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

from collector.config.model import Config
from collector.store.records import PoolHashrateDayRecord
from remittance.money import measured_decimal
from remittance.obligations import DailyPoolHashrate

_QUANTUM = Decimal("0.0001")  # coverage is a share of the day to 0.01 % (remittance.hashrate)


def daily_hashrates(
    config: Config, rows: Iterable[PoolHashrateDayRecord]
) -> dict[str, list[DailyPoolHashrate]]:
    """An operation's hash rate on a day: the sum over its pool accounts, counted only when
    every account in force that day (``from``/``until``) reported it (a partial sum would
    understate what the operation should have earned, and hide a discrepancy). An account
    added later with its first day never makes earlier days "missing". The day says where its
    figure came from (``pool``, ``samples`` or both); a day averaged from samples covering
    less than an account's ``hashrate_min_coverage`` is kept but marked not covered (missing
    from the expected figure, with its reason)."""
    pools = {op.id: op.pools for op in config.operations}
    dated = {op_id: any(p.effective_from or p.until for p in ps) for op_id, ps in pools.items()}
    undated = {op_id: {(p.kind, p.account) for p in ps} for op_id, ps in pools.items()}
    thresholds = {
        (op.id, p.kind, p.account): float(p.hashrate_min_coverage)
        for op in config.operations
        for p in op.pools
    }

    def expected_on(operation_id: str, day: date) -> set[tuple[str, str]] | None:
        if operation_id not in pools:
            return None
        if not dated[operation_id]:
            return undated[operation_id]
        return {(p.kind, p.account) for p in pools[operation_id] if p.in_force(day)}

    per_day: dict[tuple[str, date], dict[tuple[str, str], PoolHashrateDayRecord]] = {}
    for row in rows:  # the store returns them by day, so each operation's list is in day order
        key = (row.operation_id, row.day)
        by_account = per_day.get(key)
        if by_account is None:
            per_day[key] = {(row.pool_kind, row.account): row}
        else:
            by_account[row.pool_kind, row.account] = row
    result: defaultdict[str, list[DailyPoolHashrate]] = defaultdict(list)
    for (operation_id, day), by_account in per_day.items():
        expected_accounts = expected_on(operation_id, day)
        if not expected_accounts or not expected_accounts <= by_account.keys():
            continue  # no account in force, or one of them has no figure that day
        counted = [by_account[key] for key in sorted(expected_accounts)]
        if len(counted) == 1 and counted[0].source == "pool":  # the common case, cheaply
            hashrate = measured_decimal(counted[0].hashrate_hs)
            if hashrate is not None:
                result[operation_id].append(DailyPoolHashrate(operation_id, day, hashrate))
            continue
        # Converted once here rather than once per use in the rules (same value either way).
        hashrate = measured_decimal(sum(r.hashrate_hs for r in counted))
        if hashrate is None:
            continue
        sampled = [r for r in counted if r.source == "samples"]
        coverage = min((r.coverage or 0.0 for r in sampled), default=None)
        covered = all(
            (r.coverage or 0.0) >= thresholds.get((operation_id, r.pool_kind, r.account), 0.0)
            for r in sampled
        )
        result[operation_id].append(
            DailyPoolHashrate(
                operation_id,
                day,
                hashrate,
                source="+".join(sorted({r.source for r in counted})),
                coverage=None if coverage is None else Decimal(str(coverage)).quantize(_QUANTUM),
                covered=covered,
            )
        )
    return result


def no_history_before(
    config: Config, first_samples: Mapping[tuple[str, str, str], datetime]
) -> dict[str, date]:
    """Per operation with a pool account whose pool's own daily hash rate is not read (OCEAN
    publishes none, and no public client reads a history of it): the UTC day of the
    collector's first hash-rate sample of such an account (the latest over them). No figure of
    that account can exist for a day before it, so a day without a pool hash rate is missing
    for that reason (``pool_publishes_no_history``); an account never sampled sets no bound
    (its days stay ``no_pool_hashrate``, which alerts: the collector may not reach it)."""
    result: dict[str, date] = {}
    for operation in config.operations:
        days = [
            first.astimezone(UTC).date()
            for pool in operation.pools
            if not pool.reads_day_hashrate
            and (first := first_samples.get((operation.id, pool.kind, pool.account)))
        ]
        if days:
            result[operation.id] = max(days)
    return result
