"""The config the reserve's end-to-end tests share: the one operation that remits to a
descriptor vault, and a signing key for the documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from remittance.signing import new_private_key, private_key_pem, public_key_of, public_key_pem
from tests.support.configs import operation, raw_config


def descriptor_operation(descriptor: str) -> dict[str, Any]:
    """``ekibastuz-1``, remitting 10 % to ``descriptor``'s addresses."""
    return operation(
        "ekibastuz-1",
        name="Екібастұз Майнинг ЖШС",
        license="KZ-DM-001",
        reserve_addresses=[],
        reserve_descriptor=descriptor,
    )


def write_descriptor_config(root: Path, descriptor: str, **sections: Any) -> Path:
    """``root/config.yaml``: :func:`descriptor_operation` of ``descriptor``, a fresh signing
    key under ``root``, and ``sections``."""
    key = {"signing_key_file": str(signing_key_file(root))}
    document = raw_config(descriptor_operation(descriptor), statement=key, **sections)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


def signing_key_file(root: Path) -> Path:
    """A fresh statement-signing key under ``root`` (mode 0600), its public half beside it."""
    key = root / "statement-key.pem"
    private = new_private_key()
    key.write_bytes(private_key_pem(private))
    key.chmod(0o600)
    (root / "statement-key.pub.pem").write_bytes(public_key_pem(public_key_of(private)))
    return key
