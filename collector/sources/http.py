"""HTTP plumbing shared by every polled source: limits, timeouts, retries, errors, counts.

One :class:`HttpSource` per source kind and host wraps the application's one
``aiohttp.ClientSession``. Each call:

* waits for the host's rate limiter (``aiolimiter.AsyncLimiter``) and a concurrency slot;
* gives up after ``timeout_s`` (:class:`SourceTimeout`);
* retries 5xx answers, connection failures and timeouts ``retries`` times with capped,
  jittered exponential back-off; honours ``Retry-After`` on 429 when it fits under the cap;
* never retries 401/403 (:class:`SourceUnauthorized`) or an answer it cannot parse
  (:class:`SourceBadResponse`: not JSON, HTML, truncated, larger than ``max_body_bytes``);
* parses JSON with ``parse_float=Decimal`` so BTC amounts stay exact, then runs the caller's
  ``check`` (normalisation) so an answer of the wrong shape, unit or account counts as
  ``bad_response`` (and SourceError raised by ``check``, e.g. an auth error envelope, counts
  with its own result);
* with ``post_json(json_error_statuses=...)``, hands a JSON body sent with one of those
  statuses to ``check`` (JSON-RPC error objects arrive with 404/500);
* counts every attempt in :class:`RequestCounters` with a bounded ``result`` label.

Error messages name the source, method, URL path and status, never headers or tokens.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from aiolimiter import AsyncLimiter

from collector.backoff import delay_s
from collector.errors import (
    SourceBadResponse,
    SourceError,
    SourceRateLimited,
    SourceServerError,
    SourceTimeout,
    SourceUnauthorized,
)

log = logging.getLogger(__name__)

RESULTS: Final = (
    "ok",
    "timeout",
    "rate_limited",
    "unauthorized",
    "bad_response",
    "server_error",
)
"""The bounded values of the ``result`` label of ``reservewatch_source_requests_total``."""

Sleep = Callable[[float], Awaitable[None]]
Check = Callable[[Any], Any]
"""Reads a parsed JSON answer into values, raising SourceBadResponse when it cannot; run
inside the request so a refused answer is counted ``bad_response``, not ``ok``."""


class RequestCounters:
    """``reservewatch_source_requests_total{source,result}``: one count per HTTP attempt.

    Exposes, for example::

        reservewatch_source_requests_total{source="pool",result="ok"} 42.0
        reservewatch_source_requests_total{source="pool",result="rate_limited"} 1.0
    """

    def __init__(self) -> None:
        self._counts: defaultdict[tuple[str, str], int] = defaultdict(int)

    def count(self, source: str, result: str) -> None:
        if result not in RESULTS:
            raise ValueError(f"unknown request result {result!r}; known: {', '.join(RESULTS)}")
        self._counts[(source, result)] += 1

    def value(self, source: str, result: str) -> int:
        return self._counts.get((source, result), 0)

    def totals(self) -> dict[tuple[str, str], int]:
        """Every (source, result) counted so far, and its count."""
        return dict(self._counts)


def _where(method: str, url: str) -> str:
    """``GET pool.braiins.com/accounts/profile/json/btc/``: no query string (it may carry keys)."""
    parts = urlsplit(url)
    return f"{method} {parts.netloc}{parts.path}"


def _retry_after_s(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: rare for APIs; fall back to our own back-off
    return seconds if seconds >= 0 else None


def _snippet(body: bytes) -> str:
    text = body[:80].decode("utf-8", "replace")
    return " ".join(text.split())


def _parse_json(where: str, body: bytes) -> Any:
    try:
        return json.loads(body, parse_float=Decimal)
    except InvalidOperation as err:  # 1e+99999999999999999999: beyond even Decimal's exponent
        raise SourceBadResponse(f"{where}: answer holds a number out of range") from err
    except (ValueError, RecursionError) as err:
        looks = "HTML" if body.lstrip()[:1] == b"<" else "not JSON (or truncated)"
        raise SourceBadResponse(f"{where}: answer is {looks}") from err


def _json_then(check: Check | None) -> Callable[[str, bytes], Any]:
    def parse(where: str, body: bytes) -> Any:
        document = _parse_json(where, body)
        if check is None:
            return document
        try:
            return check(document)
        except SourceBadResponse as err:
            raise SourceBadResponse(f"{where}: {err}", status=err.status) from err

    return parse


def _parse_text(where: str, body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SourceBadResponse(f"{where}: answer is not UTF-8 text") from err


def _status_error(where: str, status: int, body: bytes, retry_after: str | None) -> SourceError:
    """The error an answer with this (non-2xx) status stands for."""
    if status == 429:
        return SourceRateLimited(f"{where}: HTTP 429", _retry_after_s(retry_after))
    if status in (401, 403):
        return SourceUnauthorized(f"{where}: HTTP {status} (credentials refused): {_snippet(body)}")
    if status >= 500:
        return SourceServerError(f"{where}: HTTP {status}")
    return SourceBadResponse(f"{where}: HTTP {status}: {_snippet(body)}", status=status)


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body, parse_float=Decimal)
    except (ValueError, ArithmeticError, RecursionError):
        return False
    return True


class HttpSource:
    """HTTP for one source kind and host.

    Args:
        session: the application's shared ``aiohttp.ClientSession`` (not closed here).
        source: the ``source`` label counted (``pool``, ``network``, ``chain``).
        counters: where each attempt's result is counted.
        rate: the host's request-rate limiter; ``None`` for no limit.
        max_concurrency: requests in flight at once to this host.
        timeout_s: total time for one attempt, connect to last byte.
        retries: further attempts after a timeout, connection failure, 5xx or 429.
        backoff_base_s: the first back-off; doubled per attempt.
        backoff_cap_s: the longest back-off, and the longest ``Retry-After`` honoured.
        max_body_bytes: larger answers are refused as ``bad_response``.
        sleep: waits between attempts (tests pass a recorder).
        rng: a number in [0, 1) for jitter.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        source: str,
        counters: RequestCounters,
        rate: AsyncLimiter | None = None,
        max_concurrency: int = 4,
        timeout_s: float = 20,
        retries: int = 2,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30,
        max_body_bytes: int = 8 * 1024 * 1024,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._session = session
        self.source = source
        self._counters = counters
        self._rate = rate
        self._slots = asyncio.Semaphore(max_concurrency)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retries = retries
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._max_body_bytes = max_body_bytes
        self._sleep = sleep
        self._rng = rng

    # -- public calls ---------------------------------------------------------------------

    async def get_json(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        check: Check | None = None,
    ) -> Any:
        return await self._request("GET", url, _json_then(check), headers=headers, params=params)

    async def post_json(
        self,
        url: str,
        *,
        json_body: Any,
        headers: Mapping[str, str] | None = None,
        check: Check | None = None,
        json_error_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        """POST ``json_body``. A status in ``json_error_statuses`` whose body is JSON is
        handed to ``check`` like a 200 (JSON-RPC servers such as bitcoind answer an error
        object with 404 or 500); when its body is not JSON the status counts as usual."""
        data = json.dumps(json_body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return await self._request(
            "POST",
            url,
            _json_then(check),
            headers=all_headers,
            data=data,
            json_error_statuses=json_error_statuses,
        )

    async def post_form(
        self,
        url: str,
        *,
        form: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
        check: Check | None = None,
    ) -> Any:
        return await self._request("POST", url, _json_then(check), headers=headers, form=form)

    async def get_text(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> str:
        text: str = await self._request("GET", url, _parse_text, headers=headers, params=params)
        return text

    # -- internals ------------------------------------------------------------------------

    def _backoff_s(self, attempt: int) -> float:
        return delay_s(
            attempt, base_s=self._backoff_base_s, cap_s=self._backoff_cap_s, unit=self._rng()
        )

    async def _request(
        self,
        method: str,
        url: str,
        parse: Callable[[str, bytes], Any],
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        data: bytes | None = None,
        form: Mapping[str, str] | None = None,
        json_error_statuses: frozenset[int] = frozenset(),
    ) -> Any:
        attempt = 0
        where = _where(method, url)
        while True:
            try:
                status, body, retry_after = await self._attempt(
                    method, url, headers=headers, params=params, data=data, form=form
                )
                if not 200 <= status < 300 and (
                    status not in json_error_statuses or not _is_json(body)
                ):
                    raise _status_error(where, status, body, retry_after)
                parsed = parse(where, body)
            except (SourceTimeout, SourceServerError, SourceRateLimited) as err:
                self._counters.count(self.source, err.result)
                if attempt >= self._retries:
                    raise
                wait_s = self._backoff_s(attempt)
                if isinstance(err, SourceRateLimited) and err.retry_after_s is not None:
                    if err.retry_after_s > self._backoff_cap_s:
                        raise  # asked to wait longer than we may: let the poller reschedule
                    wait_s = err.retry_after_s
                log.debug("retrying %s in %.1fs after %s", _where(method, url), wait_s, err.result)
                attempt += 1
                await self._sleep(wait_s)
                continue
            except SourceError as err:
                self._counters.count(self.source, err.result)
                raise
            self._counters.count(self.source, "ok")
            return parsed

    async def _attempt(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        data: bytes | None,
        form: Mapping[str, str] | None,
    ) -> tuple[int, bytes, str | None]:
        """One attempt: ``(status, body, Retry-After)``, or a timeout/connection error."""
        where = _where(method, url)
        if self._rate is not None:
            await self._rate.acquire()
        async with self._slots:
            try:
                async with self._session.request(
                    method,
                    url,
                    headers=dict(headers or {}),
                    params=dict(params) if params else None,
                    data=aiohttp.FormData(dict(form)) if form is not None else data,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as response:
                    status = response.status
                    body = await self._read_body(response, where)
                    retry_after = response.headers.get("Retry-After")
            except TimeoutError as err:
                raise SourceTimeout(f"{where}: no answer within {self._timeout.total}s") from err
            except aiohttp.ClientPayloadError as err:
                raise SourceBadResponse(
                    f"{where}: body cut short ({err.__class__.__name__})"
                ) from err
            except aiohttp.ClientError as err:
                raise SourceServerError(
                    f"{where}: connection failed ({err.__class__.__name__})"
                ) from err
        return status, body, retry_after

    async def _read_body(self, response: aiohttp.ClientResponse, where: str) -> bytes:
        if (response.content_length or 0) > self._max_body_bytes:
            raise SourceBadResponse(f"{where}: answer larger than {self._max_body_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > self._max_body_bytes:
                raise SourceBadResponse(f"{where}: answer larger than {self._max_body_bytes} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
