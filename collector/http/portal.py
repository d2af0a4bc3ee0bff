"""The operators' portal on the collector's HTTP server: server-rendered pages, no script.

Routes::

    GET  /portal/login                          the sign-in form (a CSRF token with it)
    POST /portal/login                          form fields token (an API token), csrf
    POST /portal/logout                         form field csrf
    GET  /portal/                               the operations the user may read
    GET  /portal/op/{id}                        balance, deadline, what to pay, statements
    GET  /portal/op/{id}/statements/{period}.{fmt}   a signed statement (pdf, csv, json)

Signing in exchanges an API token (the operator's, or the regulator's: it sees every
operation) for a session cookie: random, HttpOnly, SameSite=Strict, Secure whenever the
server speaks TLS, expiring after :data:`SESSION_SECONDS` (the server forgets it then too).
Every form carries a CSRF token: the login form's is a double-submitted cookie, a session's is
kept with the session. Another operation's page is 403. Figures come from the accounts'
snapshot (:mod:`collector.http.api`), never recomputed; statements are rendered off the
event loop there. Pages are in the operation's language.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import segno
from aiohttp import web
from babel.core import negotiate_locale

from collector.clock import Clock
from collector.config.model import Config
from collector.config.sections import ApiToken, OperationConfig
from collector.errors import AccountsNotReady, StatementUnavailable, UnknownOperation
from collector.http.portal_pages import (
    CONTENT_SECURITY_POLICY,
    error_page,
    login_page,
    operation_page,
    operations_page,
)
from collector.http.portal_view import OperationView, operation_view
from collector.http.server import STATEMENT_FORMATS, AuthThrottle, authorise, period_problem
from remittance.account import OperationAccount
from remittance.i18n import LANGUAGES, Wording, wording

SESSION_COOKIE = "reservewatch_session"
LOGIN_CSRF_COOKIE = "reservewatch_login_csrf"
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class PortalReports(Protocol):
    """What the portal reads (:class:`collector.http.api.AccountsApi`)."""

    def account(self, operation_id: str) -> OperationAccount: ...

    async def statement(self, operation_id: str, period: str, fmt: str) -> bytes: ...

    async def statement_digest(self, operation_id: str, period: str) -> str: ...


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in user: the token's name and scope, the form token, when it ends."""

    token: ApiToken
    csrf: str
    expires: datetime


class Portal:
    """The portal's routes over the accounts' snapshot."""

    def __init__(self, config: Config, reports: PortalReports, clock: Clock) -> None:
        self._config = config
        self._reports = reports
        self._clock = clock
        self._secure = config.http.tls is not None
        self._sessions: dict[str, Session] = {}
        self._throttle = AuthThrottle(clock)

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/portal/login", self._login_form)
        router.add_post("/portal/login", self._login)
        router.add_post("/portal/logout", self._logout)
        router.add_get("/portal/", self._operations)
        router.add_get("/portal", self._to_index)
        router.add_get("/portal/op/{operation}", self._operation)
        router.add_get("/portal/op/{operation}/statements/{period}.{fmt}", self._statement)

    # Sessions

    def _session(self, request: web.Request) -> Session | None:
        key = request.cookies.get(SESSION_COOKIE, "")
        session = self._sessions.get(key)
        if session is None:
            return None
        if self._clock.now() >= session.expires:
            del self._sessions[key]
            return None
        return session

    def _signed_in(self, request: web.Request) -> Session:
        session = self._session(request)
        if session is None:
            raise web.HTTPSeeOther("/portal/login", headers=_HEADERS)
        return session

    def _forget_expired(self) -> None:
        now = self._clock.now()
        for key in [key for key, session in self._sessions.items() if now >= session.expires]:
            del self._sessions[key]
        while len(self._sessions) >= MAX_SESSIONS:  # bound memory: the oldest go first
            self._sessions.pop(next(iter(self._sessions)))

    def _cookie(self, response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/portal",
            httponly=True,
            secure=self._secure,
            samesite="Strict",
        )

    # Pages

    def _words(self, request: web.Request, operations: list[OperationConfig]) -> Wording:
        """The operations' language when they share one, else the browser's first choice
        among Kazakh, Russian and English (Accept-Language), else English."""
        languages = {operation.language for operation in operations}
        if len(languages) == 1:
            return wording(languages.pop())
        return wording(browser_language(request.headers.get("Accept-Language", "")))

    def _readable(self, token: ApiToken) -> list[OperationConfig]:
        return [
            op
            for op in self._config.operations
            if token.role == "regulator" or op.id in token.operations
        ]

    def _html(self, text: str, status: int = 200) -> web.Response:
        return web.Response(text=text, status=status, content_type="text/html", headers=_HEADERS)

    async def _to_index(self, _request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/portal/", headers=_HEADERS)

    async def _login_form(self, request: web.Request) -> web.Response:
        if self._session(request) is not None:
            raise web.HTTPSeeOther("/portal/", headers=_HEADERS)
        csrf = secrets.token_urlsafe(32)
        response = self._html(login_page(self._words(request, list(self._config.operations)), csrf))
        self._cookie(response, LOGIN_CSRF_COOKIE, csrf, 3600)
        return response

    async def _login(self, request: web.Request) -> web.Response:
        client = request.remote or "unknown"
        form = await request.post()
        sent, kept = str(form.get("csrf", "")), request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
            words = self._words(request, list(self._config.operations))
            return self._html(error_page(words, words.text("The form has expired.")), 403)
        if self._throttle.blocked(client):
            words = self._words(request, list(self._config.operations))
            text = words.text("Too many failed sign-ins; try again in a minute.")
            return self._html(error_page(words, text), 429)
        token = authorise(self._config.api.tokens, f"Bearer {form.get('token', '')}")
        if token is None:
            self._throttle.failed(client)
            csrf = secrets.token_urlsafe(32)
            words = self._words(request, list(self._config.operations))
            response = self._html(login_page(words, csrf, failed=True), 401)
            self._cookie(response, LOGIN_CSRF_COOKIE, csrf, 3600)
            return response
        self._forget_expired()
        key = secrets.token_urlsafe(32)
        expires = self._clock.now() + timedelta(seconds=SESSION_SECONDS)
        self._sessions[key] = Session(token, secrets.token_urlsafe(32), expires)
        response = web.HTTPSeeOther("/portal/", headers=_HEADERS)
        self._cookie(response, SESSION_COOKIE, key, SESSION_SECONDS)
        response.del_cookie(LOGIN_CSRF_COOKIE, path="/portal")
        raise response

    async def _logout(self, request: web.Request) -> web.Response:
        session = self._signed_in(request)
        form = await request.post()
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), session.csrf.encode()):
            words = self._words(request, self._readable(session.token))
            return self._html(error_page(words, words.text("The form has expired.")), 403)
        self._sessions.pop(request.cookies.get(SESSION_COOKIE, ""), None)
        response = web.HTTPSeeOther("/portal/login", headers=_HEADERS)
        response.del_cookie(SESSION_COOKIE, path="/portal")
        raise response

    async def _operations(self, request: web.Request) -> web.Response:
        session = self._signed_in(request)
        operations = self._readable(session.token)
        views: list[OperationView] = []
        missing: list[str] = []
        for operation in operations:
            try:
                views.append(
                    operation_view(
                        operation, self._reports.account(operation.id), self._config.network.chain
                    )
                )
            except AccountsNotReady:
                missing.append(operation.id)
        words = self._words(request, operations)
        page = operations_page(words, session.token.name, session.csrf, views, missing)
        return self._html(page)

    def _operation_of(
        self, request: web.Request, session: Session, operation_id: str
    ) -> OperationConfig:
        """The operation, if this session may read it: else a 404 or 403 page."""
        try:
            operation = self._config.operation(operation_id)
        except KeyError:
            operation = None
        readable = self._readable(session.token)
        if operation is not None and operation in readable:
            return operation
        words = self._words(request, readable)
        refusal: type[web.HTTPException] = web.HTTPForbidden
        message = words.text("You may not read that operation.")
        if operation is None:
            refusal, message = web.HTTPNotFound, words.text("No such operation.")
        page = error_page(words, message, who=session.token.name, csrf=session.csrf)
        raise refusal(text=page, content_type="text/html", headers=_HEADERS)

    async def _operation(self, request: web.Request) -> web.Response:
        session = self._signed_in(request)
        operation = self._operation_of(request, session, request.match_info["operation"])
        words = wording(operation.language)
        try:
            view = operation_view(
                operation, self._reports.account(operation.id), self._config.network.chain
            )
        except AccountsNotReady:
            message = words.text("The accounts are not computed yet; try again in a minute.")
            page = error_page(words, message, who=session.token.name, csrf=session.csrf)
            return self._html(page, 503)
        digests: list[tuple[str, str]] = []
        for line in view.periods:
            try:
                digests.append(
                    (line.label, await self._reports.statement_digest(operation.id, line.label))
                )
            except StatementUnavailable:
                continue
        qr = await asyncio.to_thread(_qr_svg, view.uri)
        page = operation_page(
            words, view, who=session.token.name, csrf=session.csrf, qr_svg=qr, digests=digests
        )
        return self._html(page)

    async def _statement(self, request: web.Request) -> web.Response:
        session = self._signed_in(request)
        operation = self._operation_of(request, session, request.match_info["operation"])
        period, fmt = request.match_info["period"], request.match_info["fmt"]
        words = wording(operation.language)
        if fmt not in STATEMENT_FORMATS or period_problem(period) is not None:
            page = error_page(words, words.text("No such statement."), who=session.token.name,
                              csrf=session.csrf)  # fmt: skip
            return self._html(page, 404)
        try:
            body = await self._reports.statement(operation.id, period, fmt)
        except (StatementUnavailable, UnknownOperation, AccountsNotReady):
            page = error_page(words, words.text("No such statement."), who=session.token.name,
                              csrf=session.csrf)  # fmt: skip
            return self._html(page, 404)
        return web.Response(
            body=body,
            content_type=STATEMENT_FORMATS[fmt],
            headers={
                **_HEADERS,
                "Content-Disposition": f'attachment; filename="{operation.id}-{period}.{fmt}"',
            },
        )


def browser_language(accept_language: str) -> str:
    """The first of kk, ru, en an ``Accept-Language`` header asks for (Babel negotiates:
    ``kk-KZ`` is ``kk``), else ``en``.

    >>> browser_language("de-DE,ru;q=0.8,en;q=0.5")
    'ru'
    """
    preferred = [
        part.split(";")[0].strip().replace("-", "_") for part in accept_language.split(",")
    ]
    return negotiate_locale([p for p in preferred if p], list(LANGUAGES), sep="_") or "en"


def _qr_svg(uri: str) -> str:
    """The payment URI's QR code as inline SVG (segno: ISO/IEC 18004, error correction M)."""
    code = segno.make(uri, error="m", micro=False)
    return str(code.svg_inline(scale=4, title=uri))
