"""HttpSource against a local aiohttp server: results, retries, back-off, exact decimals."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiolimiter import AsyncLimiter

from collector.errors import (
    SourceBadResponse,
    SourceRateLimited,
    SourceServerError,
    SourceTimeout,
    SourceUnauthorized,
)
from collector.sources.http import HttpSource, RequestCounters


class Script:
    """Answers queued per path; the last answer repeats."""

    def __init__(self) -> None:
        self.answers: list[Callable[[], web.StreamResponse] | float] = []
        self.calls = 0
        self.seen_forms: list[dict[str, str]] = []
        self.seen_headers: list[dict[str, str]] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        self.seen_headers.append(dict(request.headers))
        if request.method == "POST" and request.content_type.startswith("application/x-www"):
            self.seen_forms.append({k: str(v) for k, v in (await request.post()).items()})
        answer = self.answers[min(self.calls - 1, len(self.answers) - 1)]
        if isinstance(answer, float):
            await asyncio.sleep(answer)
            return web.json_response({})
        return answer()


@pytest.fixture
async def server() -> AsyncIterator[tuple[TestServer, Script]]:
    script = Script()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", script.handle)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield test_server, script
    await test_server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def make_source(
    session: aiohttp.ClientSession, counters: RequestCounters, sleeps: list[float], **kwargs: float
) -> HttpSource:
    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return HttpSource(
        session,
        source="pool",
        counters=counters,
        sleep=record_sleep,
        rng=lambda: 0.5,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_json_floats_are_parsed_as_exact_decimals(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [lambda: web.Response(text='{"amount": 0.00012345, "big": 1.123456789}')]
    counters = RequestCounters()
    http = make_source(session, counters, [])
    body = await http.get_json(str(test_server.make_url("/x")))
    assert body == {"amount": Decimal("0.00012345"), "big": Decimal("1.123456789")}
    assert counters.value("pool", "ok") == 1


async def test_server_errors_are_retried_with_capped_backoff_then_succeed(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [
        lambda: web.Response(status=502),
        lambda: web.Response(status=503),
        lambda: web.json_response([1]),
    ]
    counters = RequestCounters()
    sleeps: list[float] = []
    http = make_source(session, counters, sleeps, retries=2, backoff_base_s=1, backoff_cap_s=1.5)
    assert await http.get_json(str(test_server.make_url("/x"))) == [1]
    assert sleeps == [0.75, 1.125]  # equal jitter with rng=0.5: base 1 then capped 1.5
    assert counters.value("pool", "server_error") == 2
    assert counters.value("pool", "ok") == 1


async def test_server_errors_past_the_retries_raise_server_error(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [lambda: web.Response(status=500)]
    counters = RequestCounters()
    http = make_source(session, counters, [], retries=1)
    with pytest.raises(SourceServerError, match="HTTP 500"):
        await http.get_json(str(test_server.make_url("/x")))
    assert script.calls == 2


async def test_rate_limited_answer_honours_retry_after(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [
        lambda: web.Response(status=429, headers={"Retry-After": "7"}),
        lambda: web.json_response({"ok": True}),
    ]
    counters = RequestCounters()
    sleeps: list[float] = []
    http = make_source(session, counters, sleeps)
    assert await http.get_json(str(test_server.make_url("/x"))) == {"ok": True}
    assert sleeps == [7.0]
    assert counters.value("pool", "rate_limited") == 1


async def test_retry_after_longer_than_the_cap_is_left_to_the_poller(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [lambda: web.Response(status=429, headers={"Retry-After": "3600"})]
    http = make_source(session, RequestCounters(), [])
    with pytest.raises(SourceRateLimited) as caught:
        await http.get_json(str(test_server.make_url("/x")))
    assert caught.value.retry_after_s == 3600
    assert script.calls == 1


async def test_forbidden_is_never_retried_and_never_names_the_token(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [lambda: web.Response(status=403, text="Invalid Access Profile token")]
    counters = RequestCounters()
    http = make_source(session, counters, [])
    with pytest.raises(SourceUnauthorized) as caught:
        await http.get_json(
            str(test_server.make_url("/x")), headers={"Pool-Auth-Token": "s3cr3t-token"}
        )
    assert script.calls == 1
    assert "s3cr3t-token" not in str(caught.value)
    assert "Invalid Access Profile token" in str(caught.value)
    assert counters.value("pool", "unauthorized") == 1


@pytest.mark.parametrize(
    ("body", "looks"),
    [
        ('{"btc": {"hash_rate_5m": 1', "not JSON"),
        ("<html><body>Cloudflare</body></html>", "HTML"),
    ],
)
async def test_truncated_or_html_bodies_are_bad_responses_counted_once(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession, body: str, looks: str
) -> None:
    test_server, script = server
    script.answers = [lambda: web.Response(text=body)]
    counters = RequestCounters()
    http = make_source(session, counters, [])
    with pytest.raises(SourceBadResponse, match=looks):
        await http.get_json(str(test_server.make_url("/x")))
    assert counters.value("pool", "bad_response") == 1
    assert counters.value("pool", "ok") == 0


async def test_oversized_body_is_refused(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [lambda: web.Response(text="[" + "1," * 1000 + "1]")]
    http = make_source(session, RequestCounters(), [], max_body_bytes=100)
    with pytest.raises(SourceBadResponse, match="larger than 100 bytes"):
        await http.get_json(str(test_server.make_url("/x")))


async def test_slow_answer_times_out(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [2.0]
    counters = RequestCounters()
    http = make_source(session, counters, [], timeout_s=0.1, retries=0)
    with pytest.raises(SourceTimeout):
        await http.get_json(str(test_server.make_url("/x")))
    assert counters.value("pool", "timeout") == 1


async def test_form_posts_and_json_posts_reach_the_server(
    server: tuple[TestServer, Script], session: aiohttp.ClientSession
) -> None:
    test_server, script = server
    script.answers = [lambda: web.json_response({"code": 0})]
    http = make_source(session, RequestCounters(), [], rate=AsyncLimiter(100, 1))  # type: ignore[arg-type]
    await http.post_form(str(test_server.make_url("/f")), form={"key": "k", "nonce": "1"})
    await http.post_json(str(test_server.make_url("/j")), json_body={"currency": "bitcoin"})
    assert script.seen_forms == [{"key": "k", "nonce": "1"}]
    assert script.seen_headers[1]["Content-Type"] == "application/json"


async def test_connection_refused_is_a_server_error(session: aiohttp.ClientSession) -> None:
    http = make_source(session, RequestCounters(), [], retries=0)
    with pytest.raises(SourceServerError, match="connection failed"):
        await http.get_json("http://127.0.0.1:9/")


def test_unknown_result_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown request result"):
        RequestCounters().count("pool", "kaboom")
