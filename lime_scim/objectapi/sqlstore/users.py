"""Unit-of-work operations on the ``[user]`` system table."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Table, func, select

from ..port import Criterion, Field, ObjectLink, Order, Page, UnknownLimetype, UserRecord
from . import statements
from .base import UnitOfWorkBase, checked_changes, utc_now
from .errors import unique_violations_translated
from .query import (
    CriterionCompiler,
    FieldSource,
    VisibleEquality,
    fetch_in_chunks,
    fetch_page,
    fetch_visible_equal_page,
    references_table,
    sort_columns,
    table_column,
    visible_equality,
)
from .records import user_record
from .values import contains_nul, is_record_id

USER_WRITABLE_COLUMNS = frozenset(
    {"username", "fullname", "active", "external_id", "scim_managed", "scim_deleted"}
)
# Columns a filter may name: every column of [user].
USER_FILTER_COLUMNS = USER_WRITABLE_COLUMNS | {"id", "scim_id", "created", "updated", "version"}


class UserOperations(UnitOfWorkBase):
    """Reads and writes of ``[user]`` rows."""

    def get_user(self, user_id: int, *, for_update: bool = False,
                 link: ObjectLink | None = None) -> UserRecord | None:
        if not is_record_id(user_id):
            return None
        return self._fetch_user("id", user_id, for_update=for_update, link=link)

    def get_user_by_scim_id(self, scim_id: str, *, for_update: bool = False,
                            link: ObjectLink | None = None) -> UserRecord | None:
        if contains_nul(scim_id):
            return None
        return self._fetch_user("scim_id", scim_id, for_update=for_update, link=link)

    def find_user_by_username(self, username: str) -> UserRecord | None:
        """Return the user whose username equals ``username`` ignoring letter case.

        On SQLite lower() is the store's Unicode-aware replacement (see engine.py); PostgreSQL
        folds letters by the database's locale.
        """
        if contains_nul(username):
            return None
        return self._fetch_user("username", username, ignore_case=True)

    def find_users_by_external_id(self, external_id: str) -> Sequence[UserRecord]:
        """Return the users whose external id equals ``external_id`` exactly, ordered by id."""
        if contains_nul(external_id):
            return ()
        statement = statements.select_ordered_by_id(self._tables.user, "external_id", match="equal")
        rows = self._connection.execute(statement, {statements.VALUE: external_id}).mappings()
        return tuple(user_record(row) for row in rows)

    def get_users(self, user_ids: Iterable[int]) -> Mapping[int, UserRecord]:
        """Return the existing users among ``user_ids`` by id; missing ids are left out."""
        ids = [user_id for user_id in user_ids if is_record_id(user_id)]
        rows = fetch_in_chunks(self._connection, self._tables.user, "id", ids)
        return {row["id"]: user_record(row) for row in rows}

    def get_users_by_scim_ids(self, scim_ids: Iterable[str]) -> Mapping[str, UserRecord]:
        """Return the existing users among ``scim_ids`` by SCIM id; missing ids are left out."""
        ids = [scim_id for scim_id in scim_ids if not contains_nul(scim_id)]
        rows = fetch_in_chunks(self._connection, self._tables.user, "scim_id", ids)
        return {row["scim_id"]: user_record(row) for row in rows}

    def query_users(
        self,
        where: Criterion | None,
        *,
        link: ObjectLink | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[Order] = (),
    ) -> Page:
        """Return matching users sorted by ``order``, then by id.

        ``Field("object", p)`` reads the linked object. The linked object is LEFT OUTER JOINed
        only when the criterion names one of its properties, so users without a linked object
        still match other conditions. A sort key on the linked object reads it through a
        correlated subquery, so it needs no join.
        """
        table = self._tables.user
        lookup = visible_equality(table, "user", where, columns=USER_FILTER_COLUMNS, offset=offset, limit=limit,
                                  order=order)
        if lookup is not None:
            found = self._fetch_visible_equal_page(lookup, link)
            if found is not None:
                return found
        user_source = FieldSource("user", table, columns=USER_FILTER_COLUMNS)
        sources = {"user": user_source}
        source: FromClause = table
        joined = link is not None and references_table(where, "object")
        if joined and link is not None:
            object_table = self._linked_table(link)
            sources["object"] = FieldSource(link.limetype, object_table, outer=True)
            source = table.outerjoin(object_table, object_table.c[link.user_property] == table.c.id)

        def sort_column(field: Field) -> ColumnElement[Any]:
            if field.table == "user":
                return table_column(user_source, field)
            if field.table == "object" and link is not None:
                object_table = self._linked_table(link)
                column = table_column(FieldSource(link.limetype, object_table), field)
                linked = select(func.min(column)).where(object_table.c[link.user_property] == table.c.id)
                return linked.scalar_subquery()
            raise UnknownLimetype(f"users cannot be sorted on Field({field.table!r}, {field.name!r})")

        condition = CriterionCompiler(sources, self._dialect_name).compile(where)
        total, rows = fetch_page(
            self._connection, table, source, condition, joined=joined, offset=offset, limit=limit,
            order_by=sort_columns(order, sort_column),
        )
        return Page(total=total, records=tuple(user_record(row) for row in rows))

    def insert_user(
        self,
        *,
        username: str,
        fullname: str = "",
        active: bool = True,
        external_id: str | None = None,
        scim_managed: bool = False,
    ) -> UserRecord:
        """Insert a user with a new SCIM id and version 1.

        Raises UniqueViolation when another user has the username in any letter case.
        """
        table = self._tables.user
        values = checked_changes(
            "user",
            table,
            {
                "username": username,
                "fullname": fullname,
                "active": active,
                "external_id": external_id,
                "scim_managed": scim_managed,
            },
            USER_WRITABLE_COLUMNS,
            not_empty={"username"},
        )
        now = utc_now()
        values.update(
            scim_id=str(uuid.uuid4()), scim_deleted=False, created=now, updated=now, version=1
        )
        with unique_violations_translated():
            row = (
                self._connection.execute(statements.insert_returning(table), values)
                .mappings()
                .one()
            )
        self._note_seen(table, row["id"])
        return user_record(row)

    def update_user(self, user_id: int, changes: Mapping[str, object]) -> UserRecord:
        """Set the given columns (username, fullname, active, external_id, scim_managed,
        scim_deleted), bump ``version`` and ``updated``; return the new record.

        Empty ``changes`` write nothing and return the current record. Raises LookupError
        when the user does not exist, and UniqueViolation on a taken username.
        """
        table = self._tables.user
        values = checked_changes(
            "user", table, changes, USER_WRITABLE_COLUMNS, not_empty={"username"}
        )
        if not values:
            return self._require_user(user_id)

        statement = statements.update_by_id(table, bump_version=True)
        parameters = {**values, "updated": utc_now(), statements.target_id_name(table): user_id}
        with unique_violations_translated():
            row = self._connection.execute(statement, parameters).mappings().one_or_none()
        if row is None:
            raise LookupError(f"user {user_id} not found")
        return user_record(row)

    def _fetch_user(self, column_name: str, value: object, *, ignore_case: bool = False,
                    for_update: bool = False, link: ObjectLink | None = None) -> UserRecord | None:
        table = self._tables.user
        if link is None:
            statement = statements.select_by(table, column_name, ignore_case=ignore_case, for_update=for_update)
            row = self._connection.execute(statement, {statements.VALUE: value}).mappings().one_or_none()
            if row is None:
                return None
        else:
            # One statement reads the user and its linked objects, and find_objects_in then
            # returns the objects read here.
            statement = statements.select_by_with_linked(
                table, self._linked_table(link), link.user_property, column_name, for_update=for_update
            )
            rows = self._connection.execute(statement, {statements.VALUE: value}).mappings().all()
            if not rows:
                return None
            self._remember_linked(link, rows)
            row = rows[0]
        self._note_seen(table, row["id"])
        return user_record(row)

    def _fetch_visible_equal_page(self, lookup: VisibleEquality, link: ObjectLink | None) -> Page | None:
        """Return the page of an Entra lookup, with the users' linked objects when ``link`` is given."""
        table = self._tables.user
        if link is None:
            found = fetch_visible_equal_page(self._connection, table, lookup)
            if found is None:
                return None
            return Page(total=found[0], records=tuple(user_record(row) for row in found[1]))
        statement = statements.select_visible_page_with_linked(
            table, self._linked_table(link), link.user_property, lookup.column_name, ignore_case=lookup.ignore_case
        )
        parameters = {statements.VALUE: lookup.value, statements.LIMIT: lookup.limit}
        rows = self._connection.execute(statement, parameters).mappings().all()
        if len(rows) >= lookup.limit:
            # The limit counts joined rows, so the page may miss users or their objects.
            return None
        self._remember_linked(link, rows)
        users = {row["id"]: row for row in rows}
        for user_id in users:
            self._note_seen(table, user_id)
        return Page(total=len(users), records=tuple(user_record(row) for row in users.values()))

    def _require_user(self, user_id: int) -> UserRecord:
        record = self.get_user(user_id)
        if record is None:
            raise LookupError(f"user {user_id} not found")
        return record

    def _linked_table(self, link: ObjectLink) -> Table:
        limetype = self._datamodel.get(link.limetype)
        if limetype is None:
            raise UnknownLimetype(f"unknown limetype '{link.limetype}' in the object link")
        prop = limetype.properties.get(link.user_property)
        if prop is None or prop.type != "user":
            raise UnknownLimetype(
                f"limetype '{link.limetype}' has no property '{link.user_property}' of type user"
            )
        return self._tables.objects[link.limetype]
