"""Translate database integrity errors into the port's errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from ..port import UniqueViolation
from .tables import (
    GROUP_NAME_INDEX,
    GROUP_SCIM_ID_INDEX,
    GROUP_TABLE,
    USER_SCIM_ID_INDEX,
    USER_TABLE,
    USERNAME_INDEX,
)

# Unique index name -> (entity, field) of the UniqueViolation it raises.
_UNIQUE_INDEXES = {
    USERNAME_INDEX: ("user", "username"),
    USER_SCIM_ID_INDEX: ("user", "scim_id"),
    GROUP_NAME_INDEX: ("group", "name"),
    GROUP_SCIM_ID_INDEX: ("group", "scim_id"),
}
# SQLite names an index on plain columns by its columns ("lime_user.scim_id") instead of
# by the index name, which it gives only for expression indexes such as lower(username).
_SQLITE_COLUMN_NAMES = {
    f"{USER_TABLE}.scim_id": USER_SCIM_ID_INDEX,
    f"{GROUP_TABLE}.scim_id": GROUP_SCIM_ID_INDEX,
}
_SQLITE_UNIQUE_INDEX = re.compile(r"UNIQUE constraint failed: index '([^']+)'")
_SQLITE_UNIQUE_COLUMNS = re.compile(r"UNIQUE constraint failed: (\S+)")


@contextmanager
def unique_violations_translated() -> Iterator[None]:
    """Raise UniqueViolation in place of an IntegrityError from a known unique index.

    Other integrity errors propagate unchanged.
    """
    try:
        yield
    except IntegrityError as exc:
        violation = unique_violation_of(exc)
        if violation is None:
            raise
        raise violation from exc


def unique_violation_of(error: IntegrityError) -> UniqueViolation | None:
    """Return the UniqueViolation that ``error`` stands for, or None if it is another error."""
    index_name = _violated_index_name(error)
    if index_name is None or index_name not in _UNIQUE_INDEXES:
        return None
    entity, field_name = _UNIQUE_INDEXES[index_name]
    return UniqueViolation(entity, field_name)


def _violated_index_name(error: IntegrityError) -> str | None:
    # psycopg reports the constraint or index name in the error's diagnostics.
    diagnostics = getattr(error.orig, "diag", None)
    if diagnostics is not None:
        name = getattr(diagnostics, "constraint_name", None)
        return name if isinstance(name, str) else None

    message = str(error.orig)
    match = _SQLITE_UNIQUE_INDEX.search(message)
    if match is not None:
        return match.group(1)
    match = _SQLITE_UNIQUE_COLUMNS.search(message)
    if match is not None:
        return _SQLITE_COLUMN_NAMES.get(match.group(1))
    return None
