"""AntPool user API: POST form, signed with upper-hex HMAC-SHA256(secret, userId + key + nonce).

Sources (pool-apis.md §1.4, §1.11, §1.12): pypi ``solidity-antpool`` (signature,
``accountOverview`` sample, the 600-per-10-minutes limit); three independent public clients for
``paymentHistoryV2`` rows (CleanSatMining/dashboard-v0 ``pages/api/sites/[id]/mining/pool/
antpool.ts``, MiningDAO/DeMine ``lib/antpool.js`` among them). AntPool's own API guide was not
found in public copies.

- Hash rates are H/s strings; amounts BTC strings; ``code`` 0 is success; the nonce (Unix ms)
  strictly increases per adapter.
- ``accountOverview.htm``: ``data{userId, hsLast10m, hsLast1d, activeWorkerNum,
  inactiveWorkerNum}``.
- ``paymentHistoryV2.htm`` (``type=recv``, paged): ``data{page, totalPage, rows[{timestamp,
  fppsBlockAmount, fppsFeeAmount, ...}]}``. A row's mining earnings are
  ``fppsBlockAmount + fppsFeeAmount`` (the three clients agree; the other schemes' amounts,
  ``ppsAmount``…, are added when present); a row with none of them is unknown, counted and
  never stored. Its date (``"2024-03-10 00:00:00"``) is the mining day itself, in UTC, as the
  public clients read it (one checks it against ``account.htm``'s ``settleTime``):
  unconfirmed, so a per-account setting, ``row_date: mining_day`` (default) or ``day_after``.
- Rows also carry ``hashrate`` (display text, e.g. "125.00 PH/s") and ``hashrate_unit``, a
  number that is the day's hash rate in H/s as two clients read it: CleanSat uses it as H/s
  against its machines' H/s capacity, DeMine returns it as the hash rate beside its own H/s
  conversion of ``userHashrateChart``. It is the pool's daily hash rate (``day_hashrate_unit``,
  H/s by default; ``off``: the collector's own samples).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Final, TypeVar

from collector.errors import SourceBadResponse, SourceUnauthorized
from collector.sources.pools import normalise as n
from collector.sources.pools.base import (
    Credit,
    DayHashrate,
    PoolAdapterBase,
    PoolDays,
    PoolDescriptor,
    PoolSnapshot,
    UnknownRow,
    summed,
)
from remittance.obligations import Income

T = TypeVar("T")
AMOUNT_FIELDS: Final = (
    "ppsAmount",
    "pplnsAmount",
    "ppappsAmount",
    "ppapplnsAmount",
    "fppsBlockAmount",
    "fppsFeeAmount",
    "soloAmount",
)
_AUTH_WORDS = ("sign", "key", "auth", "permission", "user")
PAGE_SIZE: Final = 50
MAX_PAGES: Final = 20


def signature(secret: str, user_id: str, key: str, nonce: int) -> str:
    message = f"{user_id}{key}{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest().upper()


class AntPoolAdapter(PoolAdapterBase):
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "antpool",
        "https://antpool.com",
        rate_limit=(500, 600),
        max_range_days=365,
        needs=frozenset({"token", "secret", "user_id"}),
        default_day_hashrate_unit="H/s",  # paymentHistoryV2's hashrate_unit (above)
    )  # "At most 600 requests per 10 minutes" (solidity-antpool), kept with a margin.
    # The last nonce sent per (API, userId), shared by every adapter of the process: AntPool
    # refuses a nonce not above the last it took, and two adapters of one account (a backfill
    # beside the live job, a job rebuilt after a reload) could ask within one millisecond.
    _last_nonces: ClassVar[dict[tuple[str, str], int]] = {}

    def expected_account(self) -> str:
        return self.account.user_id or self.account.account

    def _next_nonce(self) -> int:
        key = (self.base_url, self.expected_account())
        nonce = max(int(self.clock.now().timestamp() * 1000), self._last_nonces.get(key, 0) + 1)
        self._last_nonces[key] = nonce
        return nonce

    async def _call(
        self, endpoint: str, check: Callable[[Mapping[str, Any]], T], **extra: str
    ) -> T:
        if self.credentials.secret is None:
            raise SourceUnauthorized(f"antpool/{self.account.account}: no secret configured")
        key = self.token()
        user_id = self.expected_account()
        nonce = self._next_nonce()
        form = {
            "key": key,
            "nonce": str(nonce),
            "signature": signature(self.credentials.secret.get_secret_value(), user_id, key, nonce),
            "userId": user_id,
            "coin": "BTC",
            **extra,
        }

        def checked(answer: Any) -> T:
            return check(self._envelope(endpoint, answer))

        result: T = await self.http.post_form(
            f"{self.base_url}/api/{endpoint}", form=form, check=checked
        )
        return result

    @staticmethod
    def _envelope(endpoint: str, answer: Any) -> Mapping[str, Any]:
        if not isinstance(answer, Mapping):
            raise SourceBadResponse(f"antpool {endpoint}: expected an object")
        code = answer.get("code")
        if code not in (0, "0"):
            message = str(answer.get("message", ""))[:120]
            if any(word in message.lower() for word in _AUTH_WORDS):
                raise SourceUnauthorized(f"antpool {endpoint}: code {code}: {message}")
            raise SourceBadResponse(f"antpool {endpoint}: code {code}: {message}")
        return answer

    async def snapshot(self) -> PoolSnapshot:
        return await self._call("accountOverview.htm", self._overview)

    def _overview(self, answer: Mapping[str, Any]) -> PoolSnapshot:
        data = n.obj(answer, "data")
        self.check_account(data.get("userId"), "accountOverview")
        return PoolSnapshot(
            hashrate_hs=n.hashrate_to_hs(n.field(data, "hsLast10m"), "H/s", "data.hsLast10m"),
            hashrate_24h_hs=n.hashrate_to_hs(n.field(data, "hsLast1d"), "H/s", "data.hsLast1d"),
            # The overview has no last-share times: the pool's own active/inactive counts.
            workers_online=n.count(n.field(data, "activeWorkerNum"), "data.activeWorkerNum"),
            workers_offline=n.count(n.field(data, "inactiveWorkerNum"), "data.inactiveWorkerNum"),
        )

    async def earnings(self, start: date, end: date) -> PoolDays:
        credits: list[tuple[date, int, Income]] = []
        hashrates: dict[date, float] = {}
        unknown: list[UnknownRow] = []
        for page in range(1, MAX_PAGES + 1):
            rows, total_pages = await self._call(
                "paymentHistoryV2.htm",
                self._page,
                type="recv",
                pageEnable="1",
                page=str(page),
                pageSize=str(PAGE_SIZE),
            )
            for row in rows:
                if isinstance(row, UnknownRow):
                    unknown.append(row)
                    continue
                credit, hashrate = row
                credits.append((credit.day, credit.amount_sat, credit.income))
                if hashrate is not None and start <= credit.day < end:
                    hashrates[credit.day] = hashrate
            dated = [row.day if isinstance(row, UnknownRow) else row[0].day for row in rows]
            days = [day for day in dated if day is not None]
            oldest = min(days, default=None)
            if not rows or page >= total_pages or (oldest is not None and oldest < start):
                break
        return PoolDays(
            summed(credits, start, end),
            tuple(DayHashrate(day, rate) for day, rate in sorted(hashrates.items())),
            tuple(u for u in unknown if u.day is None or start <= u.day < end),
        )

    @property
    def _row_shift(self) -> timedelta:
        """From a row's date to its mining day (``row_date``)."""
        return timedelta(days=1 if self.account.row_date == "day_after" else 0)

    def _page(
        self, answer: Mapping[str, Any]
    ) -> tuple[list[tuple[Credit, float | None] | UnknownRow], int]:
        data = n.obj(answer, "data")
        rows: list[tuple[Credit, float | None] | UnknownRow] = []
        unit = self.day_hashrate_unit
        for index, row in enumerate(n.items(data, "rows")):
            where = f"data.rows[{index}]"
            day = n.utc_day(n.field(row, "timestamp"), f"{where}.timestamp") - self._row_shift
            present = [name for name in AMOUNT_FIELDS if row.get(name) is not None]
            if not present:
                rows.append(UnknownRow(day, "a row without any scheme's amount"))
                continue
            amount = sum(n.btc_to_sat(row[name], f"{where}.{name}") for name in present)
            hashrate = None
            if unit is not None and row.get("hashrate_unit") is not None:
                hashrate = n.hashrate_to_hs(row["hashrate_unit"], unit, f"{where}.hashrate_unit")
            rows.append((Credit(day, amount, Income.MINING), hashrate))
        return rows, n.count(data.get("totalPage", 1), "data.totalPage")
