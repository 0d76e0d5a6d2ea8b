"""Translate database integrity errors, lock conflicts and lost connections into the port's errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from ..port import ObjectApiError, StoreBusy, StoreUnavailable, UniqueViolation
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


# SQLite result codes (https://www.sqlite.org/rescode.html). The primary code is the low byte
# of the extended code that Python's sqlite3 reports as ``sqlite_errorcode``.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
# PostgreSQL SQLSTATE codes (PostgreSQL 15 manual, appendix A): serialization_failure,
# deadlock_detected and lock_not_available (lock_timeout expired) mean "try again".
_POSTGRESQL_RETRYABLE = frozenset({"40001", "40P01", "55P03"})
# too_many_connections, admin_shutdown, crash_shutdown and cannot_connect_now, besides
# every connection_exception of class 08.
_POSTGRESQL_UNAVAILABLE = frozenset({"53300", "57P01", "57P02", "57P03"})


def transient_error_of(error: DBAPIError) -> ObjectApiError | None:
    """Return StoreBusy or StoreUnavailable when ``error`` is worth retrying later, else None."""
    original = error.orig
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        if sqlite_code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED):
            return StoreBusy(f"the SQLite database is locked by another transaction: {original}")
        return None

    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _POSTGRESQL_RETRYABLE:
        return StoreBusy(f"PostgreSQL ended the transaction (SQLSTATE {sqlstate}): {_first_line(original)}")
    if (
        error.connection_invalidated
        or (isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _POSTGRESQL_UNAVAILABLE))
        # psycopg gives no SQLSTATE when it cannot connect at all.
        or (sqlstate is None and isinstance(error, OperationalError))
    ):
        return StoreUnavailable(f"the database cannot be reached: {_first_line(original)}")
    return None


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
