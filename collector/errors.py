"""The collector's exceptions.

ReservewatchError            base of everything we raise on purpose
├── ConfigError              the configuration file is unreadable or invalid (lists every problem)
├── SecretError              a referenced secret (env var or file) is missing or unsafe
├── StoreError               the database could not be reached or migrated
└── SourceError              an external source failed; the poller turns it into a result label
    ├── SourceTimeout        no answer in time
    ├── SourceRateLimited    HTTP 429 (carries Retry-After seconds when given)
    ├── SourceUnauthorized   HTTP 401/403: never retried
    ├── SourceServerError    HTTP 5xx
    └── SourceBadResponse    an untrustworthy answer: not JSON, wrong shape or unit,
                             another account's data, or an HTTP 3xx/4xx status (``status``)
"""

from __future__ import annotations

from typing import Self


class ReservewatchError(Exception):
    """Base of every error reservewatch raises on purpose."""


class ConfigError(ReservewatchError):
    """The configuration is invalid; ``problems`` holds one ``file: path: message`` line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class SecretError(ReservewatchError):
    """A secret reference points nowhere, or at a file others may read."""


class StoreError(ReservewatchError):
    """The store could not be opened, reached or migrated."""


class SourceError(ReservewatchError):
    """An external source failed. ``result`` is the bounded label counted in metrics;
    ``published``, what the failing poll published before it failed (its job's snapshot: the
    poller keeps it), or ``None``."""

    result = "bad_response"
    published: object = None

    def with_published(self, snapshot: object) -> Self:
        """This error, saying the poll published ``snapshot`` before failing."""
        self.published = snapshot
        return self


class SourceTimeout(SourceError):
    result = "timeout"


class SourceRateLimited(SourceError):
    result = "rate_limited"

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SourceUnauthorized(SourceError):
    result = "unauthorized"


class SourceServerError(SourceError):
    result = "server_error"


class SourceBadResponse(SourceError):
    """``status`` is the HTTP status when the answer was refused for it (404 means the
    route or the object is not there), ``None`` when the body itself was refused."""

    result = "bad_response"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class UnknownOperation(ReservewatchError):
    """No operation with that id."""


class StatementUnavailable(ReservewatchError):
    """The statement cannot be produced (bad period, no signing key, no data)."""


class AccountsNotReady(StatementUnavailable):
    """The accounts have not been computed yet (the collector has just started)."""


class OutputError(ReservewatchError):
    """A command's output cannot be written (a missing folder, no permission)."""


class ListenError(ReservewatchError):
    """The HTTP server cannot listen on its configured address (in use, not permitted)."""
