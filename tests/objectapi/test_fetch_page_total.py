"""Paged queries report the whole result's size, with or without a COUNT."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import Compare, Field
from lime_scim.objectapi.sqlstore import SqlObjectApi, create_object_api

USERS = 5


@pytest.fixture
def api(tmp_path: Path) -> Iterator[SqlObjectApi]:
    store = create_object_api(f"sqlite:///{tmp_path / 's.sqlite3'}", load_datamodel(default_datamodel_path()))
    with store.unit_of_work(write=True) as uow:
        for index in range(USERS):
            uow.insert_user(username=f"user-{index}")
    yield store
    store.close()


@pytest.mark.parametrize(
    ("offset", "limit", "expected_records"),
    [
        (0, 10, USERS),  # a first page that is not full: no COUNT
        (0, 2, 2),  # a full first page: COUNT
        (0, None, USERS),
        (3, 10, USERS - 3),
        (USERS, 10, 0),
        (10, 10, 0),
        (0, 0, 0),
    ],
)
def test_page_total_is_whole_result(api: SqlObjectApi, offset: int, limit: int | None,
                                    expected_records: int) -> None:
    with api.unit_of_work() as uow:
        page = uow.query_users(None, offset=offset, limit=limit)

    assert page.total == USERS
    assert len(page.records) == expected_records


def test_empty_result_total_zero(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        page = uow.query_users(Compare(Field("user", "username"), "eq", "nobody"), offset=0, limit=10)

    assert page.total == 0
    assert list(page.records) == []
