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
A valid token always signs in; wrong ones are throttled per client (behind a proxy listed in
``http.trusted_proxies``, the client its X-Forwarded-For names). A token keeps at most
:data:`SESSIONS_PER_TOKEN` sessions (its oldest ends first), so no user can sign another out.
Every form carries a CSRF token: the login form's is a double-submitted cookie, signed by the
server, that signs in once (a new one for the next form); a session's is kept with the
session. An operation the session may not read is 403 whether it exists or not. Figures come
from the accounts' snapshot (:mod:`collector.http.api`), never recomputed; statements are
rendered off the event loop there. Pages (and the PDFs downloaded from them) are in the
language chosen on them (``?lang=kk|ru|en``, remembered in a cookie), else the operation's,
else the browser's; times in the regulator's zone.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import segno
from aiohttp import web
from babel.core import negotiate_locale

from collector.accounts.mandatory_sale import OperationSales
from collector.accounts.mining_fee import OperationFees
from collector.clock import Clock
from collector.config.model import Config, regulator_zone
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
from collector.http.server import (
    STATEMENT_FORMATS,
    AuthThrottle,
    authorise,
    client_address,
    period_problem,
    proxy_networks,
)
from remittance.account import OperationAccount
from remittance.i18n import LANGUAGES, Wording, wording
from remittance.pool_reports import Reconciliation

SESSION_COOKIE = "reservewatch_session"
LOGIN_CSRF_COOKIE = "reservewatch_login_csrf"
LANGUAGE_COOKIE = "reservewatch_lang"
SESSION_SECONDS = 8 * 3600
LOGIN_FORM_SECONDS = 3600
SESSIONS_PER_TOKEN = 50
"""A token's sessions at most: signing in once more ends that token's oldest session, never
another token's (the sessions kept are at most this many per configured token)."""
LANGUAGE_SECONDS = 365 * 86_400
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

    async def statement(
        self, operation_id: str, period: str, fmt: str, language: str | None = None
    ) -> bytes: ...

    async def statement_digest(self, operation_id: str, period: str) -> str: ...

    def fees(self, operation_id: str) -> OperationFees | None:
        """The operation's digital-mining fee of the last pass (None: it owes none)."""

    def pool_reports(self, operation_id: str) -> tuple[Reconciliation, ...]:
        """The operation's months of the pools' reports, reconciled in the last pass."""

    def sales(self, operation_id: str) -> OperationSales | None:
        """The operation's mandatory sale of the last pass (None: its terms set none)."""


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
        self._proxies = proxy_networks(config.http.trusted_proxies)
        self._zone = str(regulator_zone(config))
        self._form_key = secrets.token_bytes(32)  # signs the login forms' CSRF tokens
        self._forms_used: OrderedDict[str, datetime] = OrderedDict()  # until they expire

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

    def _forget_expired(self, token: ApiToken) -> None:
        """Forget the sessions that have ended, and ``token``'s oldest beyond
        :data:`SESSIONS_PER_TOKEN` - 1 (room for the one about to start)."""
        now = self._clock.now()
        for key in [key for key, session in self._sessions.items() if now >= session.expires]:
            del self._sessions[key]
        own = [key for key, session in self._sessions.items() if session.token == token]
        for key in own[: max(len(own) - SESSIONS_PER_TOKEN + 1, 0)]:  # oldest first
            del self._sessions[key]

    # Login forms: a CSRF token signed by the server, good for one sign-in

    def _login_form_token(self) -> str:
        expires = int((self._clock.now() + timedelta(seconds=LOGIN_FORM_SECONDS)).timestamp())
        body = f"{expires}.{secrets.token_urlsafe(24)}"
        return f"{body}.{self._form_mac(body)}"

    def _form_mac(self, body: str) -> str:
        return hmac.new(self._form_key, body.encode(), hashlib.sha256).hexdigest()

    def _take_login_form(self, request: web.Request, sent: str) -> bool:
        """Whether ``sent`` is the login form's CSRF token this browser was given (its cookie),
        signed here, not expired and not used before; it is used from now on."""
        kept = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not kept or not hmac.compare_digest(sent.encode(), kept.encode()):
            return False
        body, _, mac = sent.rpartition(".")
        expires_text = body.partition(".")[0]
        if not hmac.compare_digest(mac.encode(), self._form_mac(body).encode()):
            return False
        now = self._clock.now()
        expires = datetime.fromtimestamp(int(expires_text), now.tzinfo)
        for used in [k for k, until in self._forms_used.items() if until <= now]:
            del self._forms_used[used]
        if now >= expires or sent in self._forms_used:
            return False
        self._forms_used[sent] = expires
        return True

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
        """The language chosen on the portal (its cookie), else the operations' language when
        they share one, else the browser's first choice among Kazakh, Russian and English
        (Accept-Language), else English."""
        chosen = request.cookies.get(LANGUAGE_COOKIE, "")
        if chosen in LANGUAGES:
            return wording(chosen)
        languages = {operation.language for operation in operations}
        if len(languages) == 1:
            return wording(languages.pop())
        return wording(browser_language(request.headers.get("Accept-Language", "")))

    def _choose_language(self, request: web.Request) -> None:
        """``?lang=kk`` (ru, en) on a page: remember it in a cookie and show the page again
        without the query."""
        chosen = request.query.get("lang")
        if chosen is None:
            return
        response = web.HTTPSeeOther(request.path, headers=_HEADERS)
        if chosen in LANGUAGES:
            response.set_cookie(
                LANGUAGE_COOKIE,
                chosen,
                max_age=LANGUAGE_SECONDS,
                path="/portal",
                httponly=True,
                secure=self._secure,
                samesite="Lax",  # a preference, not a credential: kept on a link from a mail
            )
        raise response

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

    def _login_response(self, request: web.Request, status: int = 200) -> web.Response:
        """The sign-in form with a fresh CSRF token (in the page and its cookie)."""
        csrf = self._login_form_token()
        words = self._words(request, list(self._config.operations))
        response = self._html(login_page(words, csrf, failed=status == 401), status)
        self._cookie(response, LOGIN_CSRF_COOKIE, csrf, LOGIN_FORM_SECONDS)
        return response

    async def _login_form(self, request: web.Request) -> web.Response:
        self._choose_language(request)
        if self._session(request) is not None:
            raise web.HTTPSeeOther("/portal/", headers=_HEADERS)
        return self._login_response(request)

    async def _login(self, request: web.Request) -> web.Response:
        client = client_address(request, self._proxies)
        form = await request.post()
        if not self._take_login_form(request, str(form.get("csrf", ""))):
            words = self._words(request, list(self._config.operations))
            return self._html(error_page(words, words.text("The form has expired.")), 403)
        token = authorise(self._config.api.tokens, f"Bearer {form.get('token', '')}")
        # A valid token always signs in: the throttle slows guessing from a client, it must
        # not lock out the operator behind the same address (as the API's, server.py).
        if token is None and self._throttle.blocked(client):
            words = self._words(request, list(self._config.operations))
            text = words.text("Too many failed sign-ins; try again in a minute.")
            return self._html(error_page(words, text), 429)
        if token is None:
            self._throttle.failed(client)
            return self._login_response(request, 401)
        self._forget_expired(token)
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

    def _view(self, operation: OperationConfig, words: Wording) -> OperationView:
        return operation_view(
            operation,
            self._reports.account(operation.id),
            words,
            zone=self._zone,
            chain=self._config.network.chain,
        )

    async def _operations(self, request: web.Request) -> web.Response:
        self._choose_language(request)
        session = self._signed_in(request)
        operations = self._readable(session.token)
        words = self._words(request, operations)
        views: list[OperationView] = []
        missing: list[str] = []
        for operation in operations:
            try:
                views.append(self._view(operation, words))
            except AccountsNotReady:
                missing.append(operation.id)
        page = operations_page(words, session.token.name, session.csrf, views, missing)
        return self._html(page)

    def _operation_of(
        self, request: web.Request, session: Session, operation_id: str
    ) -> OperationConfig:
        """The operation, if this session may read it. Else 403 whether it exists or not (so
        the answer tells an operator nothing of others' ids, as the API's), and 404 only to a
        regulator (it may read every operation: there is nothing to hide from it)."""
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
        if operation is None and session.token.role == "regulator":
            refusal, message = web.HTTPNotFound, words.text("No such operation.")
        page = error_page(words, message, who=session.token.name, csrf=session.csrf)
        raise refusal(text=page, content_type="text/html", headers=_HEADERS)

    async def _operation(self, request: web.Request) -> web.Response:
        self._choose_language(request)
        session = self._signed_in(request)
        operation = self._operation_of(request, session, request.match_info["operation"])
        words = self._words(request, [operation])
        try:
            view = self._view(operation, words)
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
            words,
            view,
            who=session.token.name,
            csrf=session.csrf,
            qr_svg=qr,
            digests=digests,
            fees=self._reports.fees(operation.id),
            reconciled=self._reports.pool_reports(operation.id),
            sales=self._reports.sales(operation.id),
        )
        return self._html(page)

    async def _statement(self, request: web.Request) -> web.Response:
        session = self._signed_in(request)
        operation = self._operation_of(request, session, request.match_info["operation"])
        period, fmt = request.match_info["period"], request.match_info["fmt"]
        words = self._words(request, [operation])
        if fmt not in STATEMENT_FORMATS or period_problem(period) is not None:
            page = error_page(words, words.text("No such statement."), who=session.token.name,
                              csrf=session.csrf)  # fmt: skip
            return self._html(page, 404)
        try:
            body = await self._reports.statement(operation.id, period, fmt, words.language)
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
