"""Unit-of-work operations on the ``[group]`` system table."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence


from ..port import Criterion, GroupRecord, Order, Page
from . import statements
from .base import UnitOfWorkBase, checked_changes, utc_now
from .errors import unique_violations_translated
from .query import (
    CriterionCompiler,
    FieldSource,
    MembershipSource,
    fetch_in_chunks,
    fetch_page,
    fetch_visible_equal_page,
    sort_columns,
    table_column,
    visible_equality,
)
from .records import group_record
from .values import contains_nul, is_record_id

GROUP_WRITABLE_COLUMNS = frozenset(
    {"name", "active", "external_id", "scim_managed", "scim_deleted"}
)
# Columns a filter may name: every column of [group].
GROUP_FILTER_COLUMNS = GROUP_WRITABLE_COLUMNS | {"id", "scim_id", "created", "updated", "version"}


class GroupOperations(UnitOfWorkBase):
    """Reads and writes of ``[group]`` rows."""

    def get_group(self, group_id: int, *, for_update: bool = False) -> GroupRecord | None:
        if not is_record_id(group_id):
            return None
        return self._fetch_group("id", group_id, for_update=for_update)

    def get_group_by_scim_id(self, scim_id: str, *, for_update: bool = False) -> GroupRecord | None:
        if contains_nul(scim_id):
            return None
        return self._fetch_group("scim_id", scim_id, for_update=for_update)

    def find_group_by_name(self, name: str) -> GroupRecord | None:
        """Return the group whose name equals ``name`` ignoring letter case."""
        if contains_nul(name):
            return None
        return self._fetch_group("name", name, ignore_case=True)

    def get_groups(self, group_ids: Iterable[int]) -> Mapping[int, GroupRecord]:
        """Return the existing groups among ``group_ids`` by id; missing ids are left out."""
        ids = [group_id for group_id in group_ids if is_record_id(group_id)]
        rows = fetch_in_chunks(self._connection, self._tables.group, "id", ids)
        return {row["id"]: group_record(row) for row in rows}

    def get_groups_by_scim_ids(self, scim_ids: Iterable[str]) -> Mapping[str, GroupRecord]:
        """Return the existing groups among ``scim_ids`` by SCIM id; missing ids are left out."""
        ids = [scim_id for scim_id in scim_ids if not contains_nul(scim_id)]
        rows = fetch_in_chunks(self._connection, self._tables.group, "scim_id", ids)
        return {row["scim_id"]: group_record(row) for row in rows}

    def query_groups(
        self,
        where: Criterion | None,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[Order] = (),
    ) -> Page:
        """Return matching groups sorted by ``order``, then by id.

        ``Field("member", "user_id")`` or ``Field("member", "user_scim_id")`` with ``eq`` tests
        for one member through the membership table's indexes, and ``pr`` for any member.
        """
        table = self._tables.group
        lookup = visible_equality(table, "group", where, columns=GROUP_FILTER_COLUMNS, offset=offset, limit=limit,
                                  order=order)
        found = fetch_visible_equal_page(self._connection, table, lookup) if lookup is not None else None
        if found is not None:
            return Page(total=found[0], records=tuple(group_record(row) for row in found[1]))
        group_source = FieldSource("group", table, columns=GROUP_FILTER_COLUMNS)
        membership = MembershipSource(table, self._tables.member, self._tables.user)
        compiler = CriterionCompiler({"group": group_source}, self._dialect_name, membership)
        condition = compiler.compile(where)
        total, rows = fetch_page(
            self._connection, table, table, condition, joined=False, offset=offset, limit=limit,
            order_by=sort_columns(order, lambda field: table_column(group_source, field)),
        )
        return Page(total=total, records=tuple(group_record(row) for row in rows))

    def insert_group(
        self,
        *,
        name: str,
        active: bool = True,
        external_id: str | None = None,
        scim_managed: bool = False,
    ) -> GroupRecord:
        """Insert a group with a new SCIM id and version 1.

        Raises UniqueViolation when another group has the name in any letter case.
        """
        table = self._tables.group
        values = checked_changes(
            "group",
            table,
            {
                "name": name,
                "active": active,
                "external_id": external_id,
                "scim_managed": scim_managed,
            },
            GROUP_WRITABLE_COLUMNS,
            not_empty={"name"},
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
        return group_record(row)

    def update_group(self, group_id: int, changes: Mapping[str, object]) -> GroupRecord:
        """Set the given columns (name, active, external_id, scim_managed, scim_deleted), bump
        ``version`` and ``updated``; return the new record.

        Empty ``changes`` write nothing and return the current record. Raises LookupError
        when the group does not exist, and UniqueViolation on a taken name.
        """
        table = self._tables.group
        values = checked_changes(
            "group", table, changes, GROUP_WRITABLE_COLUMNS, not_empty={"name"}
        )
        if not values:
            return self._require_group(group_id)

        statement = statements.update_by_id(table, bump_version=True)
        parameters = {**values, "updated": utc_now(), statements.target_id_name(table): group_id}
        with unique_violations_translated():
            row = self._connection.execute(statement, parameters).mappings().one_or_none()
        if row is None:
            raise LookupError(f"group {group_id} not found")
        return group_record(row)

    def _fetch_group(self, column_name: str, value: object, *, ignore_case: bool = False,
                     for_update: bool = False) -> GroupRecord | None:
        statement = statements.select_by(
            self._tables.group, column_name, ignore_case=ignore_case, for_update=for_update
        )
        row = self._connection.execute(statement, {statements.VALUE: value}).mappings().one_or_none()
        return None if row is None else group_record(row)

    def _require_group(self, group_id: int) -> GroupRecord:
        record = self.get_group(group_id)
        if record is None:
            raise LookupError(f"group {group_id} not found")
        return record
