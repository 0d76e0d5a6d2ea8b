"""Fixtures for the use case tests: the user and group services on a real SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lime_scim.mapping.resolver import resolve_user_mapping
from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import LimetypeInfo
from lime_scim.objectapi.sqlstore import SqlObjectApi, create_object_api
from lime_scim.provisioning.binding import bind_user_mapping
from lime_scim.provisioning.groups import GroupService
from lime_scim.provisioning.ids import ResourceIds
from lime_scim.provisioning.users import UserService

MAX_RESULTS = 50


@pytest.fixture(scope="session")
def datamodel() -> dict[str, LimetypeInfo]:
    return load_datamodel(default_datamodel_path())


@pytest.fixture
def api(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> Iterator[SqlObjectApi]:
    store = create_object_api("sqlite:///" + str(tmp_path / "x.sqlite3"), datamodel)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=[False, True], ids=["opaque-ids", "legacy-ids"])
def ids(request: pytest.FixtureRequest) -> ResourceIds:
    return ResourceIds(legacy=request.param)


@pytest.fixture
def user_service(api: SqlObjectApi, ids: ResourceIds) -> UserService:
    binding = bind_user_mapping(resolve_user_mapping(api.limetypes))
    return UserService(api, binding, ids, max_results=MAX_RESULTS)


@pytest.fixture
def group_service(api: SqlObjectApi, ids: ResourceIds) -> GroupService:
    return GroupService(api, ids, max_results=MAX_RESULTS)
