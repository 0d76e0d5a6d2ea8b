"""Statements that every request runs, built once per table and reused with bound parameters.

Building a SQLAlchemy statement and its cache key costs more Python time than SQLite takes to
run a primary-key lookup. Under cProfile, building took about a quarter of a user POST's CPU
time. A statement built here has its cache key memoized, so running it again only binds the
parameters, and the engine's compiled cache returns the SQL string.

The caches hold the tables of closed stores too, up to their size.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Delete,
    Insert,
    Select,
    Table,
    Update,
    bindparam,
    delete,
    false,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

# Names of the bound parameters. An UPDATE or INSERT rejects a bound parameter named like one
# of its table's columns, so those statements take theirs from _free_name().
VALUE = "value"
VALUES = "values"
TARGET_ID = "target_id"
GROUP_ID = "group_id"
LIMIT = "limit"

_CACHE_SIZE = 256


def _free_name(table: Table, name: str) -> str:
    """Return ``name``, with underscores appended until no column of ``table`` has it."""
    while name in table.c:
        name += "_"
    return name


def target_id_name(table: Table) -> str:
    """Return the parameter name that carries the row id in :func:`update_by_id`."""
    return _free_name(table, TARGET_ID)


def _equals_value(column: ColumnElement[Any], *, ignore_case: bool) -> ColumnElement[bool]:
    """Return ``column = :value``, through lower() on both sides with ``ignore_case``.

    The lower() form is the one that the lower() indexes serve.
    """
    parameter = bindparam(VALUE)
    return func.lower(column) == func.lower(parameter) if ignore_case else column == parameter


def _visible_page(statement: Select[Any], table: Table, column_name: str, *, ignore_case: bool,
                  order_by: Sequence[ColumnElement[Any]]) -> Select[Any]:
    """Return ``statement`` narrowed to a page of visible rows of ``table`` whose column is ``:value``.

    Visible rows are those not deleted through SCIM. The page is sorted by ``order_by`` and has at
    most ``:limit`` rows.
    """
    return (
        statement
        .where(_equals_value(table.c[column_name], ignore_case=ignore_case), table.c.scim_deleted == false())
        .order_by(*order_by)
        .limit(bindparam(LIMIT))
    )


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_by(table: Table, column_name: str, *, ignore_case: bool = False,
              for_update: bool = False) -> Select[Any]:
    """Return ``SELECT * FROM table WHERE column = :value``.

    With ``ignore_case`` both sides go through lower(). With ``for_update`` PostgreSQL locks
    the row. SQLite ignores FOR UPDATE, because a write unit of work there already holds the
    database write lock.
    """
    statement = select(table).where(_equals_value(table.c[column_name], ignore_case=ignore_case))
    return statement.with_for_update() if for_update else statement


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_ordered_by_id(table: Table, column_name: str, *, match: str,
                         limit: int | None = None) -> Select[Any]:
    """Return the rows whose column matches ``:value``, ordered by id, at most ``limit``.

    ``match`` is "equal", "equal_ignoring_case" or "null" (the column is empty and the
    statement takes no parameter).
    """
    column = table.c[column_name]
    if match == "null":
        statement = select(table).where(column.is_(None))
    elif match in ("equal", "equal_ignoring_case"):
        statement = select(table).where(_equals_value(column, ignore_case=match == "equal_ignoring_case"))
    else:
        raise ValueError(f"unknown match {match!r}")
    statement = statement.order_by(table.c.id)
    return statement if limit is None else statement.limit(limit)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_visible_page(table: Table, column_name: str, *, ignore_case: bool) -> Select[Any]:
    """Return the rows not deleted through SCIM whose column equals ``:value``, ordered by id.

    The statement takes at most ``:limit`` rows. ``table`` is ``[user]`` or ``[group]``.
    """
    return _visible_page(select(table), table, column_name, ignore_case=ignore_case, order_by=[table.c.id])


# Prefix of the labels of the linked object's columns in a statement that also reads [user].
LINKED_PREFIX = "linked_"


def _users_with_linked(user: Table, linked: Table, user_property: str) -> Select[Any]:
    """Return [user] rows LEFT OUTER JOINed with the objects that link to them.

    A user without a linked object has NULL in every ``linked_`` column, and a user with two
    has two rows.
    """
    labelled = [column.label(LINKED_PREFIX + column.name) for column in linked.c]
    joined = user.outerjoin(linked, linked.c[user_property] == user.c.id)
    return select(user, *labelled).select_from(joined)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_by_with_linked(user: Table, linked: Table, user_property: str, column_name: str, *,
                          for_update: bool = False) -> Select[Any]:
    """Return :func:`select_by` of [user] joined with its linked objects, ordered by object id.

    With ``for_update`` PostgreSQL locks the [user] row alone, because it cannot lock the
    nullable side of an outer join.
    """
    statement = (
        _users_with_linked(user, linked, user_property)
        .where(user.c[column_name] == bindparam(VALUE))
        .order_by(linked.c.id)
    )
    return statement.with_for_update(of=user) if for_update else statement


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_visible_page_with_linked(user: Table, linked: Table, user_property: str, column_name: str, *,
                                    ignore_case: bool) -> Select[Any]:
    """Return :func:`select_visible_page` of [user] joined with its linked objects.

    ``:limit`` counts joined rows, so a user with two linked objects takes two of them.
    """
    statement = _users_with_linked(user, linked, user_property)
    return _visible_page(statement, user, column_name, ignore_case=ignore_case, order_by=[user.c.id, linked.c.id])


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_id(table: Table) -> Select[Any]:
    """Return ``SELECT id FROM table WHERE id = :value``, to check that a row exists."""
    return select(table.c.id).where(table.c.id == bindparam(VALUE))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_existing_ids(table: Table) -> Select[Any]:
    """Return ``SELECT id FROM table WHERE id IN (:values)``, with an expanding parameter."""
    return select(table.c.id).where(table.c.id.in_(bindparam(VALUES, expanding=True)))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def insert_returning(table: Table) -> Insert:
    """Return ``INSERT INTO table ... RETURNING *``, which sets the columns that its parameters name."""
    return insert(table).returning(table)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def update_by_id(table: Table, *, bump_version: bool) -> Update:
    """Return ``UPDATE table SET ... WHERE id = :target_id RETURNING *``.

    The parameters other than the one named by :func:`target_id_name` name the columns to set.
    With ``bump_version`` the statement also adds 1 to the ``version`` column.
    """
    statement = update(table).where(table.c.id == bindparam(target_id_name(table)))
    if bump_version:
        statement = statement.values(version=table.c.version + 1)
    return statement.returning(table)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def insert_members_ignoring_conflicts(member: Table, dialect_name: str) -> Insert:
    """Return an INSERT of memberships that skips existing ones and returns the added user ids.

    ON CONFLICT DO NOTHING skips existing memberships in the database, without reading them
    first and without failing the transaction. Run it with one parameter set per membership.
    """
    dialect_insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return dialect_insert(member).on_conflict_do_nothing().returning(member.c.user_id)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def delete_members(member: Table) -> Delete:
    """Return a DELETE of one group's memberships of the users in ``:values``."""
    return delete(member).where(
        member.c.group_id == bindparam(GROUP_ID),
        member.c.user_id.in_(bindparam(VALUES, expanding=True)),
    )


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_members(user: Table, member: Table) -> Select[Any]:
    """Return the users who are members of the group ``:group_id``, ordered by user id."""
    return (
        select(user)
        .join(member, member.c.user_id == user.c.id)
        .where(member.c.group_id == bindparam(GROUP_ID))
        .order_by(user.c.id)
    )


@functools.lru_cache(maxsize=_CACHE_SIZE)
def select_groups_of_users(group: Table, member: Table, *, single: bool) -> Select[Any]:
    """Return ``(user_id, group row)`` pairs for the users in ``:values``, by user and group id.

    With ``single`` the statement takes one user id as ``:value``. An expanding IN renders its
    SQL again on every run, and most requests ask for the groups of one user.
    """
    if single:
        condition = member.c.user_id == bindparam(VALUE)
    else:
        condition = member.c.user_id.in_(bindparam(VALUES, expanding=True))
    return (
        select(member.c.user_id, group)
        .join(group, group.c.id == member.c.group_id)
        .where(condition)
        .order_by(member.c.user_id, group.c.id)
    )
