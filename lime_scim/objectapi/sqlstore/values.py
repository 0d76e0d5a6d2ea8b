"""Check values against their columns before any statement runs.

Databases differ in what they accept: SQLite stores a string of any length in a
VARCHAR(10), while PostgreSQL rejects it. Checking here gives the same ValueRejected on both,
naming the limetype (or ``user`` / ``group``), the property and the limit.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Double, Integer, String

from ..port import ValueRejected
from .types import UtcDateTime

# Range of a 32-bit SQL INTEGER, the type of every record id and integer property.
MIN_INTEGER = -(2**31)
MAX_INTEGER = 2**31 - 1


def is_record_id(value: object) -> bool:
    """Return whether ``value`` can be a record id, so lookups can skip impossible ids."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and MIN_INTEGER <= value <= MAX_INTEGER
    )


def contains_nul(value: object) -> bool:
    """Return whether ``value`` is a string with a NUL character, which no stored value has."""
    return isinstance(value, str) and "\x00" in value


def check_value(
    entity: str,
    name: str,
    column: ColumnElement[Any],
    value: object,
    *,
    check_length: bool = True,
) -> object:
    """Return ``value`` in the form the column stores, or raise ValueRejected.

    ``None`` passes; whether a column may be empty is the caller's rule. Filters pass
    ``check_length=False``, because a value longer than the column simply matches nothing.
    """
    if value is None:
        return None
    column_type = column.type
    if isinstance(column_type, String):
        max_length = column_type.length if check_length else None
        return _check_text(entity, name, value, max_length)
    if isinstance(column_type, Boolean):
        return _check_boolean(entity, name, value)
    if isinstance(column_type, Integer):
        return _check_integer(entity, name, value)
    if isinstance(column_type, Double):
        return _check_number(entity, name, value)
    if isinstance(column_type, UtcDateTime):
        return _check_datetime(entity, name, value)
    raise TypeError(f"no value check for the column type {column_type!r} of {entity}.{name}")


def _check_text(entity: str, name: str, value: object, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise ValueRejected(entity, name, f"expected a string, got {type(value).__name__}")
    if "\x00" in value:
        # PostgreSQL cannot store NUL in text. SQLite could, but the store rejects it on both
        # databases so that they behave the same.
        raise ValueRejected(entity, name, "contains a NUL character, which cannot be stored")
    if max_length is not None and len(value) > max_length:
        raise ValueRejected(
            entity,
            name,
            f"is {len(value)} characters long, longer than the maximum of {max_length}",
        )
    return value


def _check_boolean(entity: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueRejected(entity, name, f"expected true or false, got {type(value).__name__}")
    return value


def _check_integer(entity: str, name: str, value: object) -> int:
    # bool is a subclass of int, but True is not an id or a count.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueRejected(entity, name, f"expected an integer, got {type(value).__name__}")
    if not MIN_INTEGER <= value <= MAX_INTEGER:
        raise ValueRejected(
            entity, name, f"{value} is outside the integer range {MIN_INTEGER} to {MAX_INTEGER}"
        )
    return value


def _check_number(entity: str, name: str, value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise ValueRejected(entity, name, f"expected a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueRejected(entity, name, f"{value} is not a finite number")
    return number


def _check_datetime(entity: str, name: str, value: object) -> datetime:
    if not isinstance(value, datetime):
        raise ValueRejected(entity, name, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueRejected(entity, name, "expected a timezone-aware datetime, got a naive one")
    return value
