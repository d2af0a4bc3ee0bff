"""The regulator's Ed25519 key (``statement.signing_key_file``): it signs statements, reports
and the regulator's journal; its public half verifies them."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector.errors import SecretError, StatementUnavailable
from remittance.errors import RemittanceError
from remittance.signing import load_private_key


def load_signing_key(path: Path | None) -> Ed25519PrivateKey:
    """The regulator's statement key; refused when group or others may read the file."""
    if path is None:
        raise StatementUnavailable("no statement.signing_key_file is configured")
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(
                f"statement signing key {path} is readable by group or others "
                f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
            )
        return load_private_key(path.read_bytes())
    except OSError as err:
        raise SecretError(f"cannot read statement signing key {path}: {err.strerror}") from err
    except RemittanceError as err:
        raise SecretError(f"statement signing key {path}: {err}") from err
