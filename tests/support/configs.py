"""Config builders every test shares: the smallest valid document and its parts.

A test names only what it is about and takes the rest from here::

    build_config(operation("op", pools=[pool("a"), pool("b")]), reserve={"gap_limit": 3})

:func:`operation`, :func:`pool` and :func:`site` give entries of the raw YAML document (plain dicts
a test may still edit), :func:`api_token` an entry of the ``api`` section's tokens;
:func:`raw_config` puts them in a document with any other sections; :func:`build_config` parses it
as ``load_config`` would, :func:`reserve_only` a config of the reserve and no operation;
:func:`editing` changes a config file already written, as an operator edits it between two runs (or
writes the changed copy beside it). A test whose config is the point of the test (a refused field, a
deliberately odd document) keeps it written out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from collector.config.load import parse_config
from collector.config.model import Config

DEMO_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
OTHER_ADDRESS = "bc1q0xcqpzrky6eff2g52qdye53xkk9jxkvrh6yhyw"


def operation(
    operation_id: str = "op", *addresses: str, rate: str = "0.1", **fields: Any
) -> dict[str, Any]:
    """An operation entry: named after its id (``Op``), licence ``L-op``, remitting ``rate``
    (monthly, the defaults), paying its reserve at ``addresses`` (:data:`DEMO_ADDRESS` when
    none); ``fields`` add or replace any field (``pools=[pool()]``, ``remittance={...}``,
    ``reserve_addresses=[]`` with a ``reserve_descriptor``)."""
    return {
        "id": operation_id,
        "name": operation_id.title(),
        "license": f"L-{operation_id}",
        "remittance": {"rate": rate},
        "reserve_addresses": list(addresses) or [DEMO_ADDRESS],
    } | fields


def pool(
    account: str = "a", kind: str = "ocean", *, from_: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A pool account entry (OCEAN needs no token), counting from the day ``from_`` when
    given; ``fields`` add any other (``token_env``, ``base_url`` …)."""
    since = {"from": from_} if from_ is not None else {}
    return {"kind": kind, "account": account} | since | fields


def site(
    site_id: str = "s1", *, region: str = "r", power_quota_w: int = 30, **fields: Any
) -> dict[str, Any]:
    """A site entry (20 J/TH unless ``fields`` say otherwise)."""
    return {
        "id": site_id,
        "region": region,
        "power_quota_w": power_quota_w,
        "efficiency_j_per_th": 20,
    } | fields


def api_token(name: str, secret: str, *operations: str, role: str | None = None) -> dict[str, Any]:
    """An entry of the ``api`` section's ``tokens``: ``name``, holding ``secret`` (stored as
    its SHA-256), for ``operations`` or in ``role`` (``regulator``)."""
    digest = hashlib.sha256(secret.encode()).hexdigest()
    scope = {"role": role} if role is not None else {"operations": list(operations)}
    return {"name": name, "sha256": digest} | scope


def raw_config(*operations: dict[str, Any], **sections: Any) -> dict[str, Any]:
    """A config document of ``operations`` (one :func:`operation` when none) and ``sections``
    (``reserve={...}``, ``network={...}``, ``database=url`` …)."""
    return sections | {"operations": list(operations) or [operation()]}


def build_config(*operations: dict[str, Any], **sections: Any) -> Config:
    """:func:`raw_config`'s document, validated."""
    return parse_config(raw_config(*operations, **sections))


def reserve_only(**reserve: Any) -> Config:
    """A config of the reserve alone: the ``reserve`` section of these fields (``custody``,
    ``intake``, ``time_zone`` …), no operation, and an Esplora to watch it by (a closed
    loopback port: nothing is polled)."""
    network = {"esplora_url": "http://127.0.0.1:1/api"}
    return parse_config({"network": network, "reserve": reserve, "operations": []})


@contextmanager
def editing(path: Path, to: Path | None = None) -> Iterator[dict[str, Any]]:
    """The config file at ``path`` as a document for the ``with`` block to change, written
    back when the block ends, or to the file ``to`` (``path`` left as it was)."""
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    yield document
    written = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    (path if to is None else to).write_text(written, "utf-8")
