"""Logging: one line per event, a short verb and key=value context (logfmt).

``log.info("poll failed", extra={"target": "ekibastuz-1/braiins/acct", "result": "timeout"})``
prints ``ts=… level=info logger=collector.sources event="poll failed" target=… result=timeout``.
Secrets never reach a log line: they live in ``SecretStr`` and are never passed as context.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable

from aiohttp.http_exceptions import HttpProcessingError

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "taskName",
}


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\n\t'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        parts = [
            f"ts={stamp}.{int(record.msecs):03d}Z",
            f"level={record.levelname.lower()}",
            f"logger={record.name}",
            f"event={_quote(record.getMessage())}",
        ]
        parts.extend(
            f"{key}={_quote(value)}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_")
        )
        if record.exc_info:
            parts.append(f"exc={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogfmtFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party chatter stays at warning unless asked for.
    for noisy in ("amqtt", "gmqtt", "aiohttp.access", "transitions", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class ClientErrorFilter(logging.Filter):
    """aiohttp's "Error handling request" records for a client's malformed request (a bad
    header, a line too long), made safe and quiet: no traceback, no request text (a header may
    hold a bearer token), at warning level, at most one per ``interval_s`` with a count of the
    others. Records of our own errors pass unchanged."""

    def __init__(
        self,
        clock: Callable[[], float],
        interval_s: float = 60.0,
        counted: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__()
        self._counted = counted  # told of every refusal, logged or not
        self._clock = clock
        self._interval_s = interval_s
        self._last: float | None = None
        self._suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        self._counted()
        now = self._clock()
        if self._last is not None and now - self._last < self._interval_s:
            self._suppressed += 1
            return False
        record.msg = "malformed request refused (%s %s)%s"
        record.args = (
            getattr(error, "code", 400),
            type(error).__name__,
            f"; {self._suppressed} more since the last" if self._suppressed else "",
        )
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        self._last, self._suppressed = now, 0
        return True


class FailureLog:
    """A repeating task's failures, logged once when they start and once when it works again
    (never once per attempt).

    >>> failures = FailureLog(logging.getLogger("x"), "mailing statements")
    >>> failures.failed("SMTP refused"); failures.failed("SMTP refused")  # one warning
    >>> failures.succeeded()  # one info line: "mailing statements works again"
    """

    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._logger = logger
        self._what = what
        self.failing = False

    def failed(self, error: object) -> None:
        if not self.failing:
            self._logger.warning(f"{self._what} failed", extra={"error": str(error)})
        self.failing = True

    def succeeded(self) -> None:
        if self.failing:
            self._logger.info(f"{self._what} works again")
        self.failing = False
