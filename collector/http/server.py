"""The collector's HTTP server: /metrics, /healthz, /readyz and the operators' API.

Routes::

    GET /metrics                                           Prometheus exposition (no auth; bind
                                                           it to loopback or a scrape network)
    GET /healthz                                           200 while the process serves
    GET /readyz                                            200 when every readiness check passes,
                                                           else 503 with the failing checks
    GET /api/v1/operations/{id}/balance                    bearer token: the operation's or a
    GET /api/v1/operations/{id}/statements/{period}.{fmt}  regulator's; fmt json, csv or pdf
    /portal/...                                            the operators' portal, when given
                                                           (:mod:`collector.http.portal`)

API tokens are stored in the config only as SHA-256 hex digests and compared in constant time.
A missing or wrong token is 401, another operation's data 403. Clients that keep failing
authentication are slowed down (429) per address. Errors never carry a stack trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler, Middleware
from aiohttp.web_protocol import RequestHandler
from prometheus_client import CollectorRegistry
from prometheus_client.aiohttp import make_aiohttp_handler
from prometheus_client.exposition import choose_encoder, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics

from collector.clock import Clock
from collector.config.sections import ApiToken, HttpConfig
from collector.errors import (
    AccountsNotReady,
    ListenError,
    ReservewatchError,
    StatementUnavailable,
    UnknownOperation,
)
from collector.http.connections import ClientFaults, ConnectionGuard
from collector.metrics import ExpositionRenderer
from collector.metrics.contract import Metric
from collector.metrics.service import http_families
from remittance.errors import RemittanceError
from remittance.periods import parse_period_label

log = logging.getLogger(__name__)

STATEMENT_FORMATS = {"json": "application/json", "csv": "text/csv", "pdf": "application/pdf"}
_PERIOD = re.compile(r"\d{4}-(\d{2}|W\d{2})(-\d{2})?")


class Reports(Protocol):
    """What the API serves (:class:`collector.http.api.AccountsApi`)."""

    async def balance(self, operation_id: str) -> Mapping[str, object]: ...

    async def statement(self, operation_id: str, period: str, fmt: str) -> bytes: ...

    async def close(self) -> None:
        """After the last request: write what is still pending (served statements' records)."""


class PortalRoutes(Protocol):
    """The operators' portal (:class:`collector.http.portal.Portal`): its pages under /portal/."""

    def add_routes(self, router: web.UrlDispatcher) -> None: ...


ReadinessCheck = Callable[[], Awaitable[tuple[bool, str]]]


@dataclass
class AuthThrottle:
    """Counts failed authentications per client address in a sliding window."""

    clock: Clock
    max_failures: int = 10
    window_s: float = 60.0
    _failures: dict[str, list[float]] = field(default_factory=dict)

    def blocked(self, client: str) -> bool:
        now = self.clock.monotonic()
        recent = [t for t in self._failures.get(client, []) if now - t < self.window_s]
        if recent:
            self._failures[client] = recent
        else:
            self._failures.pop(client, None)
        return len(recent) >= self.max_failures

    def failed(self, client: str) -> None:
        self._failures.setdefault(client, []).append(self.clock.monotonic())
        if len(self._failures) > 10_000:  # bound memory under a spray of addresses
            self._failures.pop(next(iter(self._failures)))


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    """``http.trusted_proxies`` as networks (an address is a network of one)."""
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """Who a request is from, for the failed-authentication throttle: the peer's address;
    when the peer is a trusted proxy, the last address in ``X-Forwarded-For`` that is not
    one (the proxy appends the address it was reached from, so a client cannot name
    another by sending the header itself). An entry that is no address ends the walk at
    the address before it.

    >>> from aiohttp.test_utils import make_mocked_request
    >>> forwarded = {"X-Forwarded-For": "6.6.6.6, 203.0.113.7"}
    >>> request = make_mocked_request("GET", "/", headers=forwarded).clone(remote="10.0.0.2")
    >>> client_address(request, proxy_networks(["10.0.0.0/24"]))
    '203.0.113.7'
    >>> client_address(request, proxy_networks(["127.0.0.1"]))  # not through a trusted proxy
    '10.0.0.2'
    """
    peer = request.remote or "unknown"
    if not trusted or not _within(peer, trusted):
        return peer
    client = peer
    hops = ",".join(request.headers.getall(hdrs.X_FORWARDED_FOR, ())).split(",")
    for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        client = hop
        if not _within(hop, trusted):
            break
    return client


def _within(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authorise(tokens: tuple[ApiToken, ...], header: str | None) -> ApiToken | None:
    """The token the ``Authorization: Bearer …`` header carries, or None. The scheme is
    case-insensitive (RFC 9110 §11.1). Compares every configured digest in constant time, so
    timing says nothing about which one nearly matched."""
    scheme, _, credentials = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    try:
        digest = token_digest(credentials.strip())
    except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as surrogates: no token's text
        return None
    found: ApiToken | None = None
    for token in tokens:
        if hmac.compare_digest(digest, token.sha256):
            found = token
    return found


@contextlib.contextmanager
def _answers_for_api_errors() -> Iterator[None]:
    """The API's errors as HTTP answers: unknown operation 404, accounts not computed yet 503
    (with ``Retry-After``), a statement that cannot be made 404."""
    try:
        yield
    except UnknownOperation as err:
        raise web.HTTPNotFound(
            text='{"error": "unknown operation"}', content_type="application/json"
        ) from err
    except AccountsNotReady as err:
        raise web.HTTPServiceUnavailable(
            text='{"error": "accounts not computed yet"}',
            content_type="application/json",
            headers={"Retry-After": "10"},
        ) from err
    except StatementUnavailable as err:
        raise web.HTTPNotFound(
            text='{"error": "statement unavailable"}', content_type="application/json"
        ) from err


def period_problem(label: str) -> str | None:
    """Why ``label`` names no period (``2026-10``, ``2026-W43``, ``2026-10-05``), or None."""
    if not _PERIOD.fullmatch(label):
        return "expected YYYY-MM, YYYY-Www or YYYY-MM-DD"
    try:
        parse_period_label(label)
    except RemittanceError as err:
        return str(err)
    return None


def _may_read(token: ApiToken, operation_id: str) -> bool:
    return token.role == "regulator" or operation_id in token.operations


_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def _is_plain_openmetrics(encoder: object) -> bool:
    """Whether prometheus_client chose OpenMetrics 1.0.0 with underscore escaping."""
    return (
        isinstance(encoder, functools.partial)
        and encoder.func is openmetrics.generate_latest
        and encoder.keywords == {"escaping": openmetrics.UNDERSCORES, "version": "1.0.0"}
    )


SERVER = "reservewatch"
"""The ``Server`` header: no Python or aiohttp version for a scanner to match."""


def _error_body(status: int) -> str:
    """An error's JSON body: its status phrase, never anything of the request."""
    try:
        phrase = HTTPStatus(status).phrase.lower()
    except ValueError:
        phrase = "error"
    return json.dumps({"error": phrase})


async def _stamp(_request: web.Request, response: web.StreamResponse) -> None:
    """Every answer names no versions and carries the security headers (a page that sets its
    own, the portal's stylesheet-allowing policy, keeps them)."""
    response.headers[hdrs.SERVER] = SERVER
    for name, value in _SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


@web.middleware
async def _harden(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as short JSON: aiohttp's own (an unknown route's 404, a wrong method's 405, a
    bare ``HTTPException``) are plain text; a failure of ours is 503, no trace."""
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status >= 400 and err.content_type == "text/plain":
            err.text = _error_body(err.status)
            err.content_type = "application/json"
        raise
    except ReservewatchError as err:
        log.warning("request failed", extra={"path": request.path, "error": str(err)})
        return web.json_response({"error": "unavailable"}, status=503)


class _Protocol(RequestHandler):
    """aiohttp's connection protocol, with its own error answers made safe: aiohttp answers a
    request its parser refused (a bad header) before any middleware runs, in plain text
    quoting the offending line (a bearer token with it) and with a traceback in the log. Here
    every such answer is short JSON naming only the status, with the security headers; a
    client's fault is counted and logged quietly (:class:`ClientFaults`), a failure of ours is
    logged with its traceback."""

    __slots__ = ("_faults",)

    def __init__(self, manager: web.Server, faults: ClientFaults, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._faults = faults

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, HttpProcessingError):
            self._faults.record("malformed")
        elif isinstance(exc, ConnectionError):
            self._faults.record("hung_up")
        else:
            self.log_exception("Error handling request", exc_info=exc)
        if request.writer.output_size > 0:  # as aiohttp: an answer was begun, none can follow
            raise ConnectionError("an answer was already begun, cannot send an error")
        response = web.Response(
            status=status,
            text=_error_body(status),
            content_type="application/json",
            headers={hdrs.SERVER: SERVER, **_SECURITY_HEADERS},
        )
        response.force_close()
        return response


def _body_deadline(
    faults: ClientFaults,
    timeout_s: float,
    body_read: Callable[[asyncio.BaseTransport | None], None],
) -> Middleware:
    """Reads a request's body in full (at most ``client_max_size`` bytes) before any handler
    runs, within ``timeout_s`` of its headers: a body that does not arrive in time is answered
    408 and its connection closed, a client hanging up mid-body is counted, not traced (the
    handler's ``read()``, ``post()`` and ``json()`` answer from what was read). ``body_read``
    is told of each body read in full (the connection guard's header deadline)."""

    @web.middleware
    async def read_body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body:
            try:
                async with asyncio.timeout(timeout_s):
                    await request.read()
            except TimeoutError:
                faults.record("body_timeout")
                request.content.feed_eof()  # nothing more to wait for: closed once answered
                response = web.json_response({"error": "request body too slow"}, status=408)
                response.force_close()
                return response
            except web.HTTPRequestEntityTooLarge:
                faults.record("too_large")
                raise
            except (ConnectionError, web.RequestPayloadError):
                faults.record("hung_up")  # no one left to answer
                response = web.json_response({"error": "request body incomplete"}, status=400)
                response.force_close()
                return response
            body_read(request.transport)
        return await handler(request)

    return read_body_in_time


class HttpServer:
    """Builds the aiohttp application and serves it until stopped."""

    def __init__(  # noqa: PLR0917 - the server's parts, each named at the call site
        self,
        config: HttpConfig,
        tokens: tuple[ApiToken, ...],
        registry: CollectorRegistry,
        clock: Clock,
        reports: Reports | None = None,
        readiness: Mapping[str, ReadinessCheck] | None = None,
        portal: PortalRoutes | None = None,
    ) -> None:
        self._config = config
        self._tokens = tokens
        self._reports = reports
        self._readiness = dict(readiness or {})
        self._throttle = AuthThrottle(clock)
        self._proxies = proxy_networks(config.trusted_proxies)
        # Clients' faults (slow, malformed, gone): counted for /metrics, one quiet log line.
        self.faults = ClientFaults(clock.monotonic)
        self.app = web.Application(
            client_max_size=config.max_request_bytes,
            middlewares=[
                _harden,
                _body_deadline(self.faults, config.body_timeout_s, self._body_read),
            ],
        )
        self.app.on_response_prepare.append(_stamp)
        self._registry = registry
        self._negotiated_metrics = make_aiohttp_handler(registry)
        self._renderer = ExpositionRenderer()
        self.app.router.add_get("/metrics", self._metrics)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/api/v1/operations/{operation}/balance", self._balance)
        self.app.router.add_get(
            "/api/v1/operations/{operation}/statements/{period}.{fmt}", self._statement
        )
        if portal is not None:
            portal.add_routes(self.app.router)
        self._runner: web.AppRunner | None = None
        self._listener: asyncio.Server | None = None
        self.guard: ConnectionGuard | None = None

    def add_readiness(self, name: str, check: ReadinessCheck) -> None:
        self._readiness[name] = check

    def _body_read(self, transport: asyncio.BaseTransport | None) -> None:
        if self.guard is not None:
            self.guard.body_read(transport)

    NAMES = ("reservewatch_http_rejected",)

    def metric_families(self) -> Iterator[Metric]:
        return http_families(self.faults.counts.items())

    async def start(self) -> None:
        ssl_context = None
        if self._config.tls is not None:
            import ssl  # noqa: PLC0415 - only when TLS is configured

            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
            ssl_context.load_cert_chain(self._config.tls.cert_file, self._config.tls.key_file)
        config = self._config
        protocol_options: dict[str, Any] = {
            "access_log": None,
            "keepalive_timeout": config.keepalive_timeout_s,
            # After an answer given before the body was read (a 413): what is still coming
            # is read and dropped for at most the body's deadline, then the connection closes.
            "lingering_time": config.body_timeout_s,
        }
        self._runner = web.AppRunner(self.app, shutdown_timeout=5, **protocol_options)
        await self._runner.setup()
        server = self._runner.server
        if server is None:  # setup() makes it
            raise RuntimeError("aiohttp's runner has no server after setup")
        loop = asyncio.get_running_loop()
        faults = self.faults

        def protocol() -> _Protocol:  # what server() makes, with our error answers
            return _Protocol(server, faults, loop=loop, **protocol_options)

        self.guard = ConnectionGuard(
            protocol,
            header_timeout_s=config.header_timeout_s,
            send_timeout_s=config.send_timeout_s,
            max_connections=config.max_connections,
            faults=self.faults,
        )
        try:
            self._listener = await loop.create_server(
                self.guard,
                config.host,
                config.port,
                ssl=ssl_context,
                ssl_handshake_timeout=config.header_timeout_s if ssl_context else None,
                reuse_address=True,
                backlog=128,
            )
        except OSError as err:  # in use, not permitted, no such address here
            raise ListenError(f"cannot listen on {config.listen}: {err.strerror or err}") from err
        log.info("http listening", extra={"listen": config.listen})

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
            self._listener = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._reports is not None:
            await self._reports.close()

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        """The exposition in the format the scraper negotiates, by our fast renderers.

        Text 0.0.4 and OpenMetrics 1.0.0 with underscore escaping (what Prometheus and curl
        get) are rendered by our `ExpositionRenderer`, byte for byte what
        prometheus_client writes, ``name[]`` filtering as it does; any other negotiation is
        left to prometheus_client's own handler.
        """
        accept = ",".join(request.headers.getall(hdrs.ACCEPT, []))
        encoder, content_type = choose_encoder(accept)
        wanted = set(request.query.getall("name[]", []))
        families = self._registry.collect()
        if wanted:  # as prometheus_client filters: a family named, or one of its samples
            families = (
                f for f in families if f.name in wanted or any(x.name in wanted for x in f.samples)
            )
        body: bytes | None = None
        if encoder is generate_latest:
            body = self._renderer.text(families)
        elif _is_plain_openmetrics(encoder):
            body = self._renderer.openmetrics(families)
        if body is None:
            return await self._negotiated_metrics(request)
        response = web.Response(body=body, headers={"Content-Type": content_type})
        response.enable_compression()
        return response

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _readyz(self, _request: web.Request) -> web.Response:
        failing: dict[str, str] = {}
        for name, check in self._readiness.items():
            ok, detail = await check()
            if not ok:
                failing[name] = detail
        if failing:
            return web.json_response({"ready": False, "failing": failing}, status=503)
        return web.json_response({"ready": True})

    def _authorised(self, request: web.Request, operation_id: str) -> ApiToken:
        client = client_address(request, self._proxies)
        token = authorise(self._tokens, request.headers.get("Authorization"))
        # A valid token is always let through: the limit slows guessing from an address, it
        # must not lock out the operator sharing that address (a NAT, a proxy). Guesses stay
        # blocked, and a valid token costs a guesser nothing it did not already have.
        if token is None and self._throttle.blocked(client):
            raise web.HTTPTooManyRequests(
                text='{"error": "too many failed authentications"}',
                content_type="application/json",
                headers={"Retry-After": str(int(self._throttle.window_s))},
            )
        if token is None:
            self._throttle.failed(client)
            raise web.HTTPUnauthorized(
                text='{"error": "missing or invalid bearer token"}',
                content_type="application/json",
                headers={"WWW-Authenticate": 'Bearer realm="reservewatch"'},
            )
        if not _may_read(token, operation_id):
            raise web.HTTPForbidden(
                text='{"error": "this token may not read that operation"}',
                content_type="application/json",
            )
        return token

    async def _balance(self, request: web.Request) -> web.Response:
        operation_id = request.match_info["operation"]
        self._authorised(request, operation_id)
        if self._reports is None:
            raise web.HTTPServiceUnavailable()
        with _answers_for_api_errors():
            balance = await self._reports.balance(operation_id)
        return web.json_response(balance)

    async def _statement(self, request: web.Request) -> web.Response:
        operation_id = request.match_info["operation"]
        period, fmt = request.match_info["period"], request.match_info["fmt"]
        self._authorised(request, operation_id)
        if fmt not in STATEMENT_FORMATS:
            raise web.HTTPNotFound(
                text='{"error": "unknown statement format"}', content_type="application/json"
            )
        problem = period_problem(period)
        if problem is not None:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": f"invalid period {period[:20]!r}: {problem}"}),
                content_type="application/json",
            )
        if self._reports is None:
            raise web.HTTPServiceUnavailable()
        with _answers_for_api_errors():
            body = await self._reports.statement(operation_id, period, fmt)
        return web.Response(
            body=body,
            content_type=STATEMENT_FORMATS[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="{operation_id}-{period}.{fmt}"'
            },
        )
