"""The service's own families: whether the store answers, what the HTTP server refused for
the client's fault, and the statements served whose digests are not yet on record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from collector.metrics.contract import Metric, family


def store_families(up: bool) -> Iterator[Metric]:
    yield family("reservewatch_store_up", int(up))


def http_families(rejected: Iterable[tuple[str, int]]) -> Iterator[Metric]:
    """``rejected``: (reason, count) of each reason the server counts."""
    built = family("reservewatch_http_rejected")
    for reason, count in rejected:
        built.add_metric([reason], float(count))
    yield built


def api_families(pending_records: int) -> Iterator[Metric]:
    yield family("reservewatch_api_statement_records_pending", pending_records)
