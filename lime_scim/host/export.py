"""``lime-scim export``: what an application's embedded store holds, as JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..config import ConfigFile
from ..mapping.resolver import find_coworker_limetype
from ..objectapi.datamodel import default_datamodel_path, load_datamodel
from ..objectapi.port import GroupRecord, LimeObject, UnitOfWork, UserRecord
from ..objectapi.sqlstore import create_object_api

# Rows read per query, so exporting a large store does not hold every row twice.
_PAGE = 1000


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _user(record: UserRecord) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in record.__dataclass_fields__}


def _group(record: GroupRecord) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in record.__dataclass_fields__}


def _object(record: LimeObject) -> dict[str, Any]:
    return {"id": record.id, **{key: _plain(value) for key, value in record.values.items()}}


def _all_users(uow: UnitOfWork) -> list[UserRecord]:
    users: list[UserRecord] = []
    while True:
        page = uow.query_users(None, offset=len(users), limit=_PAGE)
        users.extend(page.records)  # type: ignore[arg-type]
        if len(page.records) < _PAGE:
            return users


def _all_groups(uow: UnitOfWork) -> list[GroupRecord]:
    groups: list[GroupRecord] = []
    while True:
        page = uow.query_groups(None, offset=len(groups), limit=_PAGE)
        groups.extend(page.records)  # type: ignore[arg-type]
        if len(page.records) < _PAGE:
            return groups


def _all_objects(uow: UnitOfWork, limetype: str) -> list[LimeObject]:
    objects: list[LimeObject] = []
    while True:
        page = uow.list_objects(limetype, offset=len(objects), limit=_PAGE)
        objects.extend(page)
        if len(page) < _PAGE:
            return objects


def export_application(config: ConfigFile, application: str) -> dict[str, Any]:
    """Return the users, groups, memberships and coworkers of ``application``'s store.

    Raises KeyError for an application the file does not have.
    """
    settings = config.applications[application]
    datamodel = load_datamodel(settings.datamodel or default_datamodel_path())
    coworker = find_coworker_limetype(datamodel, settings.coworker_limetype)
    api = create_object_api(config.database_url_for(application), datamodel)
    try:
        with api.unit_of_work() as uow:
            groups = _all_groups(uow)
            memberships = [
                {"group_id": group.id, "user_id": member.id}
                for group in groups for member in uow.list_members(group.id)
            ]
            return {
                "application": application,
                "users": [_user(user) for user in _all_users(uow)],
                "groups": [_group(group) for group in groups],
                "memberships": memberships,
                "coworkers": {
                    "limetype": coworker.name,
                    "objects": [_object(obj) for obj in _all_objects(uow, coworker.name)],
                },
            }
    finally:
        api.close()
