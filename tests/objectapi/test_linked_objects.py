"""A user read with its link returns the linked objects too, so find_objects_in needs no statement."""

from __future__ import annotations

from lime_scim.objectapi.port import AllOf, Compare, Field, ObjectLink
from lime_scim.objectapi.sqlstore import SqlObjectApi
from tests.support.sql import captured_statements

LINK = ObjectLink("coworker", "username")


def _user_with_coworkers(api: SqlObjectApi, username: str, names: list[str]) -> tuple[int, str, list[int]]:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username=username)
        ids = [uow.insert_object("coworker", {"name": name, "username": user.id}).id for name in names]
    return user.id, user.scim_id, ids


def test_linked_objects_read_with_user(api: SqlObjectApi) -> None:
    user_id, scim_id, coworker_ids = _user_with_coworkers(api, "two@example.com", ["First", "Second"])

    with api.unit_of_work() as uow, captured_statements(api.engine) as recorded:
        user = uow.get_user_by_scim_id(scim_id, link=LINK)
        objects = uow.find_objects_in("coworker", "username", [user_id])

    assert user is not None and user.id == user_id
    assert [obj.id for obj in objects] == sorted(coworker_ids)
    assert [obj.values["name"] for obj in objects] == ["First", "Second"]
    assert len([sql for sql, _ in recorded if sql.startswith("SELECT")]) == 1


def test_user_without_linked_objects(api: SqlObjectApi) -> None:
    user_id, _, _ = _user_with_coworkers(api, "alone@example.com", [])

    with api.unit_of_work() as uow, captured_statements(api.engine) as recorded:
        uow.get_user(user_id, link=LINK)
        objects = uow.find_objects_in("coworker", "username", [user_id])

    assert objects == ()
    assert len([sql for sql, _ in recorded if sql.startswith("SELECT")]) == 1


def test_write_to_limetype_rereads_objects(api: SqlObjectApi) -> None:
    user_id, _, (coworker_id,) = _user_with_coworkers(api, "changed@example.com", ["Before"])

    with api.unit_of_work(write=True) as uow:
        uow.get_user(user_id, for_update=True, link=LINK)
        uow.update_object("coworker", coworker_id, {"name": "After"})
        objects = uow.find_objects_in("coworker", "username", [user_id])

    assert [obj.values["name"] for obj in objects] == ["After"]


def test_other_users_still_read(api: SqlObjectApi) -> None:
    first_id, _, _ = _user_with_coworkers(api, "first@example.com", ["One"])
    second_id, _, (second_coworker,) = _user_with_coworkers(api, "second@example.com", ["Two"])

    with api.unit_of_work() as uow:
        uow.get_user(first_id, link=LINK)
        objects = uow.find_objects_in("coworker", "username", [first_id, second_id])

    assert second_coworker in [obj.id for obj in objects]
    assert len(objects) == 2


def test_lookup_reads_linked_objects(api: SqlObjectApi) -> None:
    user_id, _, (coworker_id,) = _user_with_coworkers(api, "lookup@example.com", ["Looked Up"])
    criterion = AllOf((Compare(Field("user", "username"), "eq", "LOOKUP@example.com", case_exact=False),
                       Compare(Field("user", "scim_deleted"), "eq", False)))

    with api.unit_of_work() as uow, captured_statements(api.engine) as recorded:
        page = uow.query_users(criterion, link=LINK, limit=10)
        objects = uow.find_objects_in("coworker", "username", [user_id])

    assert page.total == 1
    assert [record.id for record in page.records] == [user_id]
    assert [obj.id for obj in objects] == [coworker_id]
    assert len([sql for sql, _ in recorded if sql.startswith("SELECT")]) == 1


def test_lookup_with_full_joined_page(api: SqlObjectApi) -> None:
    """A user whose linked objects fill the page is still counted once."""
    user_id, _, coworker_ids = _user_with_coworkers(api, "full@example.com", ["A", "B", "C"])
    criterion = AllOf((Compare(Field("user", "username"), "eq", "full@example.com", case_exact=False),
                       Compare(Field("user", "scim_deleted"), "eq", False)))

    with api.unit_of_work() as uow:
        page = uow.query_users(criterion, link=LINK, limit=2)
        objects = uow.find_objects_in("coworker", "username", [user_id])

    assert page.total == 1
    assert [record.id for record in page.records] == [user_id]
    assert [obj.id for obj in objects] == sorted(coworker_ids)
