"""The configuration's building blocks: frozen models, secrets as references, identifiers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
)

from collector.errors import SecretError

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
"""Operation and site ids: lower-case letters, digits, hyphens; used in topics and labels."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SecretRef(Frozen):
    """Where a secret lives: an environment variable or a file, never the config itself."""

    env: str | None = None
    file: Path | None = None


def resolve_secret(env: str | None, file: Path | None, what: str) -> SecretStr | None:
    """Read a secret from ``env`` or ``file``; ``None`` when neither is configured.

    Raises :class:`SecretError` (naming the variable or file, never the value) when the
    reference points nowhere.
    """
    if env:
        value = os.environ.get(env)
        if value is None or value == "":
            raise SecretError(f"{what}: environment variable {env} is not set")
        return SecretStr(value)
    if file:
        try:
            return SecretStr(file.read_text(encoding="utf-8").strip())
        except OSError as err:
            raise SecretError(f"{what}: cannot read secret file {file}: {err.strerror}") from err
    return None


CaseId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$")]
"""A seized-asset case id as the authority writes it (``KZ-2026-0042``, ``2-1234/2026``)."""
