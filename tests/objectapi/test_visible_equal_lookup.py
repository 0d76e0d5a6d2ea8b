"""Entra's lookups (one field eq a value, deleted rows hidden) return what the general query does.

Those lookups run a prebuilt statement. These tests compare its results with the statement
that the criterion compiler builds for the same criterion wrapped in one more AllOf, which the
prebuilt path does not take.
"""

from __future__ import annotations

from lime_scim.objectapi.port import AllOf, Compare, Criterion, Field, Page
from lime_scim.objectapi.sqlstore import SqlObjectApi


def _visible(entity: str, match: Compare) -> AllOf:
    return AllOf((match, Compare(Field(entity, "scim_deleted"), "eq", False)))


def _both_paths(api: SqlObjectApi, entity: str, criterion: AllOf, *, limit: int | None = 10) -> tuple[Page, Page]:
    general: Criterion = AllOf((criterion,))
    with api.unit_of_work() as uow:
        query = uow.query_users if entity == "user" else uow.query_groups
        return query(criterion, offset=0, limit=limit), query(general, offset=0, limit=limit)


def _ids(page: Page) -> list[int]:
    return [record.id for record in page.records]


def test_username_lookup_ignores_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="Åsa.Berg@example.com")
    criterion = _visible("user", Compare(Field("user", "username"), "eq", "åsa.berg@EXAMPLE.com", case_exact=False))

    fast, general = _both_paths(api, "user", criterion)

    assert _ids(fast) == [user.id]
    assert fast.total == 1
    assert _ids(general) == _ids(fast)


def test_lookup_hides_deleted_user(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="gone@example.com")
        uow.update_user(user.id, {"scim_deleted": True})
    criterion = _visible("user", Compare(Field("user", "username"), "eq", "gone@example.com", case_exact=False))

    fast, general = _both_paths(api, "user", criterion)

    assert fast.total == 0
    assert _ids(fast) == []
    assert general.total == 0


def test_case_exact_lookup_misses_other_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="someone@example.com", external_id="Ext-1")
    criterion = _visible("user", Compare(Field("user", "external_id"), "eq", "ext-1", case_exact=True))

    fast, general = _both_paths(api, "user", criterion)

    assert fast.total == 0
    assert general.total == 0


def test_full_page_lookup_counts_all(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ids = [uow.insert_user(username=f"twin{index}@example.com", external_id="shared").id for index in range(3)]
    criterion = _visible("user", Compare(Field("user", "external_id"), "eq", "shared"))

    fast, general = _both_paths(api, "user", criterion, limit=2)

    assert fast.total == 3
    assert _ids(fast) == ids[:2]
    assert general.total == 3
    assert _ids(general) == ids[:2]


def test_group_name_lookup_ignores_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales Nordic")
        deleted = uow.insert_group(name="Sales Old")
        uow.update_group(deleted.id, {"scim_deleted": True})
    found = _visible("group", Compare(Field("group", "name"), "eq", "SALES NORDIC", case_exact=False))
    hidden = _visible("group", Compare(Field("group", "name"), "eq", "sales old", case_exact=False))

    fast_found, general_found = _both_paths(api, "group", found)
    fast_hidden, _ = _both_paths(api, "group", hidden)

    assert _ids(fast_found) == [group.id]
    assert _ids(general_found) == [group.id]
    assert fast_hidden.total == 0


def test_lookup_of_empty_value_finds_nothing(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="no-external-id@example.com")
    criterion = _visible("user", Compare(Field("user", "external_id"), "eq", None))

    fast, general = _both_paths(api, "user", criterion)

    assert _ids(fast) == _ids(general)
    assert fast.total == general.total
