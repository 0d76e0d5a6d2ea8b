"""Case-insensitive uniqueness and lookups for non-ASCII letters on both databases."""

from __future__ import annotations

import pytest

from lime_scim.objectapi.port import UniqueViolation
from lime_scim.objectapi.sqlstore import SqlObjectApi


def test_username_unique_across_non_ascii_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="Åsa.Öberg@contoso.se")

    with pytest.raises(UniqueViolation) as raised:
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="åsa.öberg@contoso.se")

    assert raised.value.field == "username"


def test_username_lookup_folds_non_ascii(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="Åsa.Öberg@contoso.se")

    with api.unit_of_work() as uow:
        found = uow.find_user_by_username("ÅSA.öBERG@contoso.se")

    assert found is not None
    assert found.username == "Åsa.Öberg@contoso.se"


def test_group_name_unique_across_non_ascii_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_group(name="Säljare Malmö")

    with pytest.raises(UniqueViolation) as raised:
        with api.unit_of_work(write=True) as uow:
            uow.insert_group(name="SÄLJARE MALMÖ")

    assert raised.value.field == "name"
