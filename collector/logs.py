"""Logging: one line per event, a short verb and key=value context (logfmt).

``log.info("poll failed", extra={"target": "ekibastuz-1/braiins/acct", "result": "timeout"})``
prints ``ts=… level=info logger=collector.sources event="poll failed" target=… result=timeout``.
Secrets never reach a log line: they live in ``SecretStr`` and are never passed as context.
"""

from __future__ import annotations

import logging
import sys
import time

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
