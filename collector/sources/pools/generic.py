"""A pool not listed: GET JSON from configured URLs, values found by dotted JSON paths.

URLs may be absolute or relative to ``base_url``, and may hold ``{account}``, ``{start}`` and
``{end}`` (ISO dates; ``end`` exclusive). See
:class:`collector.sources.pools.settings.GenericPoolPaths`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import (
    PoolAdapterBase,
    PoolDays,
    PoolDescriptor,
    PoolSnapshot,
    summed,
)
from remittance.obligations import Income

if TYPE_CHECKING:
    from collector.sources.pools.settings import GenericPoolPaths


class GenericAdapter(PoolAdapterBase):
    # Rate limit: Unknown pool: one request a second.
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "generic",
        "",
        rate_limit=(1, 1),
        max_range_days=90,
        needs=frozenset({"generic"}),
    )

    @property
    def paths(self) -> GenericPoolPaths:
        if self.account.generic is None:  # the config refuses this; kept for the type checker
            raise SourceBadResponse("generic pool without a generic: block")
        return self.account.generic

    def _url(self, template: str, **values: str) -> str:
        url = template.format(account=quote(self.account.account, safe=""), **values)
        if "://" in url:
            return url
        return f"{self.base_url}/{url.lstrip('/')}"

    def _headers(self) -> dict[str, str]:
        if self.credentials.token is None:
            return {}
        return {self.paths.auth_header: self.credentials.token.get_secret_value()}

    async def snapshot(self) -> PoolSnapshot:
        snapshot: PoolSnapshot = await self.http.get_json(
            self._url(self.paths.hashrate_url), headers=self._headers(), check=self._snapshot
        )
        return snapshot

    def _snapshot(self, answer: Any) -> PoolSnapshot:
        paths = self.paths
        unit = paths.hashrate_unit
        current = n.hashrate_to_hs(n.path(answer, paths.hashrate_path), unit, paths.hashrate_path)
        day = current
        if paths.hashrate_24h_path:
            day = n.hashrate_to_hs(
                n.path(answer, paths.hashrate_24h_path), unit, paths.hashrate_24h_path
            )
        online = offline = 0
        if paths.workers_online_path:
            online = n.count(n.path(answer, paths.workers_online_path), paths.workers_online_path)
        if paths.workers_offline_path:
            offline = n.count(
                n.path(answer, paths.workers_offline_path), paths.workers_offline_path
            )
        return PoolSnapshot(current, day, online, offline)

    async def earnings(self, start: date, end: date) -> PoolDays:
        paths = self.paths
        if not paths.earnings_url:
            return PoolDays()
        found: PoolDays = await self.http.get_json(
            self._url(paths.earnings_url, start=start.isoformat(), end=end.isoformat()),
            headers=self._headers(),
            check=lambda answer: self._earnings(answer, start, end),
        )
        return found

    def _earnings(self, answer: Any, start: date, end: date) -> PoolDays:
        paths = self.paths
        entries = n.path(answer, paths.earnings_list_path) if paths.earnings_list_path else answer
        if not isinstance(entries, list):
            raise SourceBadResponse(f"{paths.earnings_list_path or 'answer'}: expected a list")
        rows: list[tuple[date, int, Income]] = []
        for index, entry in enumerate(entries):
            where = f"earnings[{index}]"
            day = n.utc_day(n.field(entry, paths.earnings_date_field), f"{where}.date")
            raw = n.field(entry, paths.earnings_amount_field)
            amount = (
                n.btc_to_sat(raw, f"{where}.amount")
                if paths.earnings_amount_unit == "btc"
                else n.sat(raw, f"{where}.amount")
            )
            rows.append((day, amount, Income.MINING))
        return PoolDays(summed(rows, start, end))
