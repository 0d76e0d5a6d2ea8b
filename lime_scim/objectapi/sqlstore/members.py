"""Unit-of-work operations on group memberships.

Adding and removing members touches only the given memberships: the statements never read
the group's other members, so one change costs the same in a group of 5 or of 50 000.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Table, delete

from ..port import GroupRecord, UserRecord, ValueRejected
from . import statements
from .base import UnitOfWorkBase
from .query import chunks
from .records import group_record, user_record
from .values import is_record_id


class MembershipOperations(UnitOfWorkBase):
    """Reads and writes of ``[group]`` memberships."""

    def list_members(self, group_id: int) -> Sequence[UserRecord]:
        """Return the group's members ordered by user id."""
        if not is_record_id(group_id):
            return ()
        statement = statements.select_members(self._tables.user, self._tables.member)
        rows = self._connection.execute(statement, {statements.GROUP_ID: group_id}).mappings()
        return tuple(user_record(row) for row in rows)

    def add_members(self, group_id: int, user_ids: Iterable[int]) -> int:
        """Add memberships that do not exist yet; return how many were added.

        Raises LookupError when the group does not exist and ValueRejected when a user
        does not exist, before anything is written.
        """
        ids = list(dict.fromkeys(user_ids))
        if not ids:
            return 0
        self._check_group_exists(group_id)
        self._check_users_exist(ids)

        statement = statements.insert_members_ignoring_conflicts(
            self._tables.member, self._dialect_name
        )
        added = 0
        for batch in chunks(ids):
            rows = [{"group_id": group_id, "user_id": user_id} for user_id in batch]
            # RETURNING yields only the inserted rows; the driver's rowcount of a multi-row
            # INSERT is not reliable on every dialect (psycopg with SQLAlchemy 2.1 gives -1).
            added += len(self._connection.execute(statement, rows).all())
        return added

    def remove_members(self, group_id: int, user_ids: Iterable[int]) -> int:
        """Remove the given memberships where they exist; return how many were removed."""
        ids = [user_id for user_id in dict.fromkeys(user_ids) if is_record_id(user_id)]
        if not is_record_id(group_id):
            return 0
        statement = statements.delete_members(self._tables.member)
        removed = 0
        for batch in chunks(ids):
            parameters = {statements.GROUP_ID: group_id, statements.VALUES: batch}
            removed += self._connection.execute(statement, parameters).rowcount
        return removed

    def remove_all_members(self, group_id: int) -> int:
        """Remove every membership of the group; return how many were removed."""
        if not is_record_id(group_id):
            return 0
        member = self._tables.member
        statement = delete(member).where(member.c.group_id == group_id)
        return self._connection.execute(statement).rowcount

    def groups_of_users(self, user_ids: Iterable[int]) -> Mapping[int, Sequence[GroupRecord]]:
        """Return, per user id, the groups the user is a member of, ordered by group id.

        Every requested user id is a key, with an empty sequence when it has no groups.
        """
        ids = [user_id for user_id in dict.fromkeys(user_ids) if is_record_id(user_id)]
        found: dict[int, list[GroupRecord]] = {user_id: [] for user_id in ids}
        for batch in chunks(ids):
            single = len(batch) == 1
            statement = statements.select_groups_of_users(self._tables.group, self._tables.member, single=single)
            parameters = {statements.VALUE: batch[0]} if single else {statements.VALUES: batch}
            for row in self._connection.execute(statement, parameters).mappings():
                found[row["user_id"]].append(group_record(row))
        return {user_id: tuple(groups) for user_id, groups in found.items()}

    def _check_group_exists(self, group_id: int) -> None:
        statement = statements.select_id(self._tables.group)
        if (
            not is_record_id(group_id)
            or self._connection.execute(statement, {statements.VALUE: group_id}).first() is None
        ):
            raise LookupError(f"group {group_id} not found")

    def _check_users_exist(self, user_ids: list[int]) -> None:
        invalid = [user_id for user_id in user_ids if not is_record_id(user_id)]
        if invalid:
            raise ValueRejected("group", "members", f"{invalid[0]!r} is not a user id")
        for batch in chunks(user_ids):
            existing = self._existing_ids(self._tables.user, batch)
            missing = [user_id for user_id in batch if user_id not in existing]
            if missing:
                raise ValueRejected("group", "members", f"no user with id {missing[0]}")

    def _existing_ids(self, table: Table, ids: list[int]) -> set[int]:
        statement = statements.select_existing_ids(table)
        return set(self._connection.execute(statement, {statements.VALUES: ids}).scalars())
