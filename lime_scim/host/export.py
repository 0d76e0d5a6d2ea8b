"""``lime-scim export``: what an application's embedded store holds, as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from ..config import ConfigFile
from ..mapping.resolver import find_coworker_limetype
from ..objectapi.datamodel import default_datamodel_path, load_datamodel
from ..objectapi.port import GroupRecord, LimeObject, LimetypeInfo, UserRecord
from ..objectapi.sqlstore import create_object_api
from ..objectapi.sqlstore.engine import normalize_url
from ..objectapi.sqlstore.tables import build_tables
from .check_data import missing_tables
from .store_reading import read_all_groups, read_all_objects, read_all_users


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def _user(record: UserRecord) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in record.__dataclass_fields__}


def _group(record: GroupRecord) -> dict[str, Any]:
    return {name: _plain(getattr(record, name)) for name in record.__dataclass_fields__}


def _object(record: LimeObject) -> dict[str, Any]:
    return {"id": record.id, **{key: _plain(value) for key, value in record.values.items()}}


class StoreIncomplete(Exception):
    """The database has some of the store's tables but not all, so export would have to create them."""


@dataclass(frozen=True)
class StoreExport:
    """The export document, and why it is empty when the store does not exist yet.

    ``absent`` is None when the store was read.
    """

    document: dict[str, Any]
    absent: str | None = None


def _absent_store(database_url: str, datamodel: Mapping[str, LimetypeInfo]) -> str | None:
    """Return why the store does not exist yet, or None when all its tables exist.

    Only reads, unlike create_object_api, which creates the SQLite file and missing tables.
    Raises StoreIncomplete when only some tables exist.
    """
    url = normalize_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return f"the SQLite file {url.database} does not exist"

    missing = missing_tables(url, datamodel)
    if not missing:
        return None
    expected = build_tables(datamodel).metadata.sorted_tables
    display_url = make_url(database_url).render_as_string(hide_password=True)
    if len(missing) == len(expected):
        return f"the database {display_url} has none of its tables"
    raise StoreIncomplete(
        f"the database {display_url} lacks the tables {', '.join(missing)}, and export does not "
        "create them. Start lime-scim serve once, which creates them, and export again."
    )


def export_application(config: ConfigFile, application: str) -> StoreExport:
    """Return the users, groups, memberships and coworkers of ``application``'s store.

    Writes nothing. When the database or all of its tables do not exist yet, the lists are
    empty and ``absent`` contains the reason. Raises KeyError for an application the file does not have,
    and StoreIncomplete when only some tables exist.
    """
    settings = config.applications[application]
    datamodel = load_datamodel(settings.datamodel or default_datamodel_path())
    coworker = find_coworker_limetype(datamodel, settings.coworker_limetype)
    document: dict[str, Any] = {
        "application": application,
        "users": [],
        "groups": [],
        "memberships": [],
        "coworkers": {"limetype": coworker.name, "objects": []},
    }
    database_url = config.database_url_for(application)
    absent = _absent_store(database_url, datamodel)
    if absent is not None:
        return StoreExport(document, absent)

    api = create_object_api(database_url, datamodel)
    try:
        with api.unit_of_work() as uow:
            groups = read_all_groups(uow)
            document["memberships"] = [
                {"group_id": group.id, "user_id": member.id}
                for group in groups for member in uow.list_members(group.id)
            ]
            document["users"] = [_user(user) for user in read_all_users(uow)]
            document["groups"] = [_group(group) for group in groups]
            document["coworkers"]["objects"] = [_object(obj) for obj in read_all_objects(uow, coworker.name)]
    finally:
        api.close()
    return StoreExport(document)
