"""The configuration file: one YAML document, validated by frozen pydantic models.

``load_config(path)`` returns a :class:`Config` or raises :class:`ConfigError` whose ``problems``
name the file and the field path of each problem, e.g.::

    site.yaml: operations[1].remittance.rate: must be between 0 and 1

Secrets never live in the file: pool tokens, MQTT and database passwords are references to an
environment variable (``*_env``) or a file (``*_file``), resolved only when a client is built
(:func:`resolve_secret`). Deployments override any field with ``RESERVEWATCH_`` environment
variables, nested with ``__`` (``RESERVEWATCH_HTTP__LISTEN=0.0.0.0:9108``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from collector.config.checks import _format_loc, _raw_cross_field
from collector.config.model import Config
from collector.errors import ConfigError

_MESSAGE_REWRITES = {
    "Extra inputs are not permitted": "unknown field",
    "Field required": "required",
}
_PATTERN_WORDS = {
    # Identifier: what the pattern allows, in words.
    r"^[a-z0-9][a-z0-9-]{0,62}$": "must be 1 to 63 lower-case letters, digits or hyphens, "
    "starting with a letter or digit (it names MQTT topics and metric labels)",
}


def _problem_lines(source: str, err: ValidationError) -> list[str]:
    lines: list[str] = []
    for error in err.errors():
        loc = tuple(part for part in error["loc"] if not str(part).startswith("function-"))
        # Drop pydantic's union/type tags from the path; keep field names and indexes.
        loc = tuple(p for p in loc if isinstance(p, int) or not str(p)[:1].isupper())
        message = str(error["msg"]).removeprefix("Value error, ")
        message = _MESSAGE_REWRITES.get(message, message)
        pattern = (error.get("ctx") or {}).get("pattern")
        if error["type"] == "string_pattern_mismatch" and pattern in _PATTERN_WORDS:
            message = f"{str(error.get('input'))[:40]!r} {_PATTERN_WORDS[pattern]}"
        if "\n" in message and not loc:
            lines.extend(f"{source}: {line}" for line in message.splitlines())
            continue
        where = _format_loc(loc)
        lines.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
    return lines


def parse_config(data: Any, source: str = "<config>") -> Config:
    """Validate an already-parsed YAML document; ``source`` names it in error lines."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: the file must hold a mapping of settings at the top level"])
    odd_keys = [key for key in data if not isinstance(key, str)]
    if odd_keys:  # YAML allows `1: x`; settings are named, and Config(**data) needs str keys
        raise ConfigError(
            [f"{source}: {str(key)[:40]!r}: setting names must be text" for key in odd_keys[:10]]
        )
    try:
        return Config(**data)
    except ValidationError as err:
        lines = _problem_lines(source, err)
        # Cross-field checks run only once every field is valid: read them from the raw
        # document too, so one run lists every problem (a duplicate id, a bad checksum…).
        for problem in _raw_cross_field(data):
            line = f"{source}: {problem}"
            if line not in lines:
                lines.append(line)
        raise ConfigError(lines) from err


def reference_problems(config: Config, source: str) -> list[str]:
    """What ``run`` would refuse that the file's own checks cannot see: every ``*_env`` that
    names an unset variable and every ``*_file`` that cannot be read, with its field path;
    a statement signing key that group or others may read. Never a secret's value."""
    problems: list[str] = []

    def walk(model: BaseModel, path: str) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            where = f"{path}.{name}" if path else name
            if isinstance(value, BaseModel):
                walk(value, where)
            elif isinstance(value, tuple):
                for index, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item, f"{where}[{index}]")
            elif name.endswith("_env") and isinstance(value, str) and value:
                if not os.environ.get(value):
                    problems.append(f"{source}: {where}: environment variable {value} is not set")
            elif name.endswith("_file") and isinstance(value, Path):
                try:
                    with value.open("rb"):
                        pass
                except OSError as err:
                    problems.append(f"{source}: {where}: cannot read {value}: {err.strerror}")
                    continue
                if name == "signing_key_file" and value.stat().st_mode & 0o077:
                    problems.append(
                        f"{source}: {where}: {value} is readable by group or others "
                        f"(mode {value.stat().st_mode & 0o777:o}); run: chmod 600 {value}"
                    )

    walk(config, "")
    return problems


def load_config(path: Path) -> Config:
    """Read and validate the YAML file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([f"{path}: cannot read: {err.strerror}"]) from err
    except UnicodeDecodeError as err:
        raise ConfigError([f"{path}: not UTF-8 text: {err.reason}"]) from err
    try:
        data = yaml.safe_load(text)
    except (ValueError, RecursionError) as err:
        # The resolver takes 2026-13-45 for a date, then the calendar refuses it.
        raise ConfigError([f"{path}: not valid YAML: {str(err)[:200]}"]) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            [f"{path}: not valid YAML{where}: {getattr(err, 'problem', err)}"]
        ) from err
    return parse_config(data, str(path))
