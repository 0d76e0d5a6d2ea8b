"""Unit-of-work operations on business objects, one table per limetype."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import RowMapping, String, Table, select

from ..port import LimeObject, LimetypeInfo, PropertyInfo, UnknownLimetype, ValueRejected
from . import statements
from .base import UnitOfWorkBase
from .query import fetch_in_chunks
from .records import lime_object
from .values import check_value, contains_nul, is_record_id

# Maximum number of objects that find_objects returns.
FIND_LIMIT = 100


class ObjectOperations(UnitOfWorkBase):
    """Reads and writes of business objects."""

    def get_object(self, limetype: str, object_id: int) -> LimeObject | None:
        info, table = self._limetype(limetype)
        if not is_record_id(object_id):
            return None
        statement = statements.select_by(table, "id")
        row = self._connection.execute(statement, {statements.VALUE: object_id}).mappings().one_or_none()
        return None if row is None else self._to_object(info, row)

    def get_objects(self, limetype: str, object_ids: Iterable[int]) -> Mapping[int, LimeObject]:
        """Return the existing objects among ``object_ids`` by id; missing ids are left out."""
        info, table = self._limetype(limetype)
        ids = [object_id for object_id in object_ids if is_record_id(object_id)]
        rows = fetch_in_chunks(self._connection, table, "id", ids)
        return {row["id"]: self._to_object(info, row) for row in rows}

    def find_objects(
        self, limetype: str, property_name: str, value: object, *, case_exact: bool = True
    ) -> Sequence[LimeObject]:
        """Return the objects whose property equals ``value`` (at most 100), ordered by id.

        ``value=None`` finds the objects where the property is empty. With
        ``case_exact=False`` strings compare as lower(column) = lower(value), which the
        lower() index of a labelled string property serves.
        """
        info, table = self._limetype(limetype)
        self._property(info, property_name)
        if contains_nul(value):
            return ()
        column = table.c[property_name]
        checked = check_value(limetype, property_name, column, value, check_length=False)

        if checked is None:
            match = "null"
        elif not case_exact and isinstance(column.type, String):
            match = "equal_ignoring_case"
        else:
            match = "equal"
        statement = statements.select_ordered_by_id(
            table, property_name, match=match, limit=FIND_LIMIT
        )
        rows = self._connection.execute(statement, {statements.VALUE: checked}).mappings()
        return tuple(self._to_object(info, row) for row in rows)

    def find_objects_in(
        self, limetype: str, property_name: str, values: Iterable[object]
    ) -> Sequence[LimeObject]:
        """Return the objects whose property equals one of ``values`` exactly, ordered by id.

        None and strings with a NUL character match nothing and are skipped.
        """
        info, table = self._limetype(limetype)
        self._property(info, property_name)
        requested = list(dict.fromkeys(values))
        read_with_users = self._linked_objects.get((limetype, property_name))
        if read_with_users is not None and all(
            isinstance(value, int) and value in read_with_users for value in requested
        ):
            found = {obj.id: obj for value in requested for obj in read_with_users[value]}  # type: ignore[index]
            return tuple(found[key] for key in sorted(found))
        column = table.c[property_name]
        checked = [
            check_value(limetype, property_name, column, value, check_length=False)
            for value in requested
            if value is not None and not contains_nul(value)
        ]
        rows = fetch_in_chunks(self._connection, table, property_name, checked)
        unique_rows = {row["id"]: row for row in rows}
        return tuple(self._to_object(info, unique_rows[key]) for key in sorted(unique_rows))

    def list_objects(
        self, limetype: str, *, offset: int = 0, limit: int | None = None
    ) -> Sequence[LimeObject]:
        """Return the limetype's objects ordered by id, skipping ``offset`` and at most ``limit``."""
        info, table = self._limetype(limetype)
        statement = select(table).order_by(table.c.id).offset(max(offset, 0))
        if limit is not None:
            statement = statement.limit(max(limit, 0))
        rows = self._connection.execute(statement).mappings()
        return tuple(self._to_object(info, row) for row in rows)

    def insert_object(self, limetype: str, values: Mapping[str, object]) -> LimeObject:
        """Create an object; properties left out take their datamodel default.

        Raises UnknownLimetype for an unknown limetype or property, and ValueRejected for a
        value that does not fit, a required property without a value, or a relation to a
        record that does not exist.
        """
        info, table = self._limetype(limetype)
        self._forget_linked(limetype)
        checked = self._checked_values(info, table, values)
        row_values = {
            name: prop.default
            for name, prop in info.properties.items()
            if prop.default is not None and name not in checked
        }
        row_values.update(checked)
        self._check_required(info, row_values, info.properties)
        self._check_relations(info, row_values)

        row = (
            self._connection.execute(statements.insert_returning(table), row_values)
            .mappings()
            .one()
        )
        return self._to_object(info, row)

    def update_object(
        self, limetype: str, object_id: int, values: Mapping[str, object]
    ) -> LimeObject:
        """Set the given properties and return the new object.

        Empty ``values`` write nothing. Raises LookupError when the object does not exist,
        and the errors of :meth:`insert_object` for the values.
        """
        info, table = self._limetype(limetype)
        self._forget_linked(limetype)
        checked = self._checked_values(info, table, values)
        self._check_required(info, checked, checked)
        self._check_relations(info, checked)

        if not checked:
            current = self.get_object(limetype, object_id)
            if current is None:
                raise LookupError(f"{limetype} {object_id} not found")
            return current
        if not is_record_id(object_id):
            raise LookupError(f"{limetype} {object_id} not found")
        # UPDATE ... RETURNING returns no row for a missing object, so no SELECT is needed first.
        statement = statements.update_by_id(table, bump_version=False)
        parameters = {**checked, statements.target_id_name(table): object_id}
        row = self._connection.execute(statement, parameters).mappings().one_or_none()
        if row is None:
            raise LookupError(f"{limetype} {object_id} not found")
        return self._to_object(info, row)

    def _limetype(self, name: str) -> tuple[LimetypeInfo, Table]:
        info = self._datamodel.get(name)
        if info is None:
            raise UnknownLimetype(
                f"unknown limetype '{name}'; the datamodel has {', '.join(sorted(self._datamodel))}"
            )
        return info, self._tables.objects[name]

    def _property(self, info: LimetypeInfo, name: str) -> PropertyInfo:
        prop = info.properties.get(name)
        if prop is None:
            raise UnknownLimetype(f"limetype '{info.name}' has no property '{name}'")
        return prop

    def _checked_values(
        self, info: LimetypeInfo, table: Table, values: Mapping[str, object]
    ) -> dict[str, Any]:
        checked: dict[str, Any] = {}
        for name, value in values.items():
            self._property(info, name)
            checked[name] = check_value(info.name, name, table.c[name], value)
        return checked

    def _check_required(
        self, info: LimetypeInfo, values: Mapping[str, object], names: Iterable[str]
    ) -> None:
        """Raise ValueRejected when one of ``names`` is a required property without a value."""
        for name in names:
            if info.properties[name].required and values.get(name) is None:
                raise ValueRejected(
                    info.name, name, "is required; give it a value or a default in the datamodel"
                )

    def _check_relations(self, info: LimetypeInfo, values: Mapping[str, object]) -> None:
        """Raise ValueRejected when a user or belongsto value names a missing record.

        The foreign keys would reject it too, but SQLite's error does not name the property.
        """
        for name, value in values.items():
            prop = info.properties[name]
            if value is None or prop.type not in ("user", "belongsto"):
                continue
            target = self._relation_target(prop)
            if self._was_seen(target, value):
                continue
            statement = statements.select_id(target)
            if self._connection.execute(statement, {statements.VALUE: value}).first() is None:
                raise ValueRejected(info.name, name, f"no {target.name} record with id {value}")

    def _relation_target(self, prop: PropertyInfo) -> Table:
        if prop.type == "user":
            return self._tables.user
        assert prop.related_limetype is not None  # the datamodel loader requires it
        return self._tables.objects[prop.related_limetype]

    def _to_object(self, info: LimetypeInfo, row: RowMapping) -> LimeObject:
        self._note_seen(self._tables.objects[info.name], row["id"])
        return lime_object(info.name, row, info.properties)
