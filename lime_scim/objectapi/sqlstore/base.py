"""State and helpers shared by the parts of the unit of work."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, RowMapping, Table

from ..port import LimeObject, LimetypeInfo, ObjectLink, UnknownLimetype, ValueRejected
from . import statements
from .records import lime_object
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

        # Objects read together with their users, by (limetype, user property) and then by user
        # id. A user id that is present maps to all of that user's linked objects. Any write to
        # the limetype drops its entries, so they never outlive a change in this transaction.
        self._linked_objects: dict[tuple[str, str], dict[int, list[LimeObject]]] = {}

    def _remember_linked(self, link: ObjectLink, rows: Sequence[RowMapping]) -> None:
        """Keep the linked objects in rows of :func:`statements.select_by_with_linked`."""
        info = self._datamodel[link.limetype]
        by_user = self._linked_objects.setdefault((link.limetype, link.user_property), {})
        prefix = statements.LINKED_PREFIX
        for row in rows:
            objects = by_user.setdefault(row["id"], [])
            object_id = row[prefix + "id"]
            if object_id is None or any(known.id == object_id for known in objects):
                continue
            values = {"id": object_id, **{name: row[prefix + name] for name in info.properties}}
            objects.append(lime_object(info.name, values, info.properties))
            self._note_seen(self._tables.objects[info.name], object_id)

    def _forget_linked(self, limetype: str) -> None:
        for key in [key for key in self._linked_objects if key[0] == limetype]:
            del self._linked_objects[key]

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
