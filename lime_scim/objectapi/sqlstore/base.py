"""State and helpers shared by the parts of the unit of work."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Table

from ..port import LimetypeInfo, UnknownLimetype, ValueRejected
from .tables import StoreTables
from .values import check_value


class UnitOfWorkBase:
    """A transaction's connection plus the tables and datamodel it works on."""

    def __init__(
        self,
        connection: Connection,
        tables: StoreTables,
        datamodel: Mapping[str, LimetypeInfo],
    ) -> None:
        self._connection = connection
        self._tables = tables
        self._datamodel = datamodel
        # Ids of the rows this transaction has read or written, by table name. The store never
        # deletes a user or an object, so a row seen here still exists when the transaction
        # links another row to it, and that link needs no check of its own.
        self._seen_ids: dict[str, set[int]] = {}

    def _note_seen(self, table: Table, record_id: int) -> None:
        self._seen_ids.setdefault(table.name, set()).add(record_id)

    def _was_seen(self, table: Table, record_id: object) -> bool:
        return record_id in self._seen_ids.get(table.name, ())

    @property
    def _dialect_name(self) -> str:
        return self._connection.dialect.name


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def checked_changes(
    entity: str,
    table: Table,
    changes: Mapping[str, object],
    writable: Collection[str],
    *,
    not_empty: Collection[str] = (),
) -> dict[str, Any]:
    """Return ``changes`` checked against the columns of ``table``, or raise.

    Raises UnknownLimetype for a column outside ``writable`` and ValueRejected for a value
    that does not fit, or an empty or missing value in a ``not_empty`` column.
    """
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in writable:
            raise UnknownLimetype(
                f"{entity} has no writable column '{name}'; writable columns are "
                f"{', '.join(sorted(writable))}"
            )
        checked[name] = check_value(entity, name, table.c[name], value)
        if checked[name] is None and not table.c[name].nullable:
            raise ValueRejected(entity, name, "must have a value")
        if name in not_empty and checked[name] == "":
            raise ValueRejected(entity, name, "must not be empty")
    return checked
