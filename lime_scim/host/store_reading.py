"""Reading a whole store page by page, for the commands that report on it (export, check)."""

from __future__ import annotations

from ..objectapi.port import GroupRecord, LimeObject, UnitOfWork, UserRecord

# Rows read per query, so a large store is never fetched in one result.
PAGE_SIZE = 1000


def read_all_users(uow: UnitOfWork) -> list[UserRecord]:
    """Return every [user] row, deleted ones included, ordered by id."""
    users: list[UserRecord] = []
    while True:
        page = uow.query_users(None, offset=len(users), limit=PAGE_SIZE)
        users.extend(page.records)  # type: ignore[arg-type]
        if len(page.records) < PAGE_SIZE:
            return users


def read_all_groups(uow: UnitOfWork) -> list[GroupRecord]:
    """Return every [group] row, deleted ones included, ordered by id."""
    groups: list[GroupRecord] = []
    while True:
        page = uow.query_groups(None, offset=len(groups), limit=PAGE_SIZE)
        groups.extend(page.records)  # type: ignore[arg-type]
        if len(page.records) < PAGE_SIZE:
            return groups


def read_all_objects(uow: UnitOfWork, limetype: str) -> list[LimeObject]:
    """Return every object of ``limetype``, ordered by id."""
    objects: list[LimeObject] = []
    while True:
        page = uow.list_objects(limetype, offset=len(objects), limit=PAGE_SIZE)
        objects.extend(page)
        if len(page) < PAGE_SIZE:
            return objects
