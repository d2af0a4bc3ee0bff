"""Typed reading of a statement's parsed JSON: every failure a StatementFormatError naming
the field (:func:`remittance.statement_json.statement_from_dict` reads with it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from remittance.errors import StatementFormatError
from remittance.obligations import Basis, MissingReason
from remittance.periods import PeriodKind

_Choice = TypeVar("_Choice", PeriodKind, Basis, MissingReason)


class StatementReader:
    """Typed access to parsed JSON, every failure a StatementFormatError naming the field."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self._data = data
        self._path = path

    def _get(self, key: str) -> Any:
        if key not in self._data:
            msg = f"statement field {self._path}{key} is missing"
            raise StatementFormatError(msg)
        return self._data[key]

    def _fail(self, key: str, wanted: str) -> StatementFormatError:
        return StatementFormatError(f"statement field {self._path}{key} must be {wanted}")

    def child(self, key: str) -> StatementReader:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._fail(key, "an object")
        return StatementReader(value, f"{self._path}{key}.")

    def children(self, key: str) -> list[StatementReader]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self._fail(key, "a list of objects")
        return [StatementReader(item, f"{self._path}{key}[{i}].") for i, item in enumerate(value)]

    def optional_children(self, key: str) -> list[StatementReader]:
        """Like :meth:`children`; absent (written before the field existed) is []."""
        return self.children(key) if key in self._data else []

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        """A string, or None when absent (a statement written before the field existed) or
        null."""
        return self.text(key) if self._data.get(key) is not None else None

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._fail(key, "a list of strings")
        return tuple(value)

    def days(self, key: str) -> tuple[date, ...]:
        """A list of ISO days; absent (a statement written before the field existed) is ()."""
        if key not in self._data:
            return ()
        try:
            return tuple(date.fromisoformat(text) for text in self.texts(key))
        except ValueError as err:
            raise self._fail(key, "a list of YYYY-MM-DD days") from err

    def integer(self, key: str) -> int:
        value = self._get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._fail(key, "an integer")
        return value

    def optional_integer(self, key: str) -> int | None:
        return None if self._get(key) is None else self.integer(key)

    def optional_scalar(self, key: str) -> int | str | None:
        """An integer, a string or null."""
        value = self._get(key)
        return value if isinstance(value, str) or value is None else self.integer(key)

    def has(self, key: str) -> bool:
        return key in self._data

    def optional_boolean(self, key: str, *, default: bool) -> bool:
        """true or false; absent (written before the field existed) is `default`."""
        return self.boolean(key) if key in self._data else default

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value

    def decimal(self, key: str) -> Decimal:
        text = self.text(key)
        try:
            value = Decimal(text)
        except ArithmeticError as error:
            raise self._fail(key, "a decimal number in a string") from error
        if not value.is_finite():
            raise self._fail(key, "a finite decimal number")
        return value

    def optional_decimal(self, key: str) -> Decimal | None:
        return None if self._get(key) is None else self.decimal(key)

    def day(self, key: str) -> date:
        try:
            return date.fromisoformat(self.text(key))
        except ValueError as error:
            raise self._fail(key, "a YYYY-MM-DD date") from error

    def instant(self, key: str) -> datetime:
        try:
            value = datetime.fromisoformat(self.text(key))
        except ValueError as error:
            raise self._fail(key, "an ISO 8601 instant") from error
        if value.utcoffset() is None:
            raise self._fail(key, "an instant with a UTC offset")
        return value

    def choice(self, key: str, kind: type[_Choice]) -> _Choice:
        text = self.text(key)
        try:
            return kind(text)
        except ValueError as error:
            allowed = ", ".join(member.value for member in kind)
            raise self._fail(key, f"one of {allowed}") from error

    def optional_choice(self, key: str, kind: type[_Choice]) -> _Choice | None:
        return None if self._get(key) is None else self.choice(key, kind)
