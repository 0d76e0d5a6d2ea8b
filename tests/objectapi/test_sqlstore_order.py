"""Tests of sorted queries and group membership criteria in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from lime_scim.objectapi.port import Compare, Field, Negate, ObjectLink, Order
from lime_scim.objectapi.sqlstore import SqlObjectApi

LINK = ObjectLink("coworker", "username")


def _usernames(api: SqlObjectApi, *order: Order, where: Compare | None = None) -> list[str]:
    with api.unit_of_work() as uow:
        page = uow.query_users(where, link=LINK, order=order)
    return [record.username for record in page.records]  # type: ignore[union-attr]


def test_sort_users_by_column_ignoring_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for name in ("bravo", "Charlie", "alpha"):
            uow.insert_user(username=name)

    ascending = _usernames(api, Order(Field("user", "username"), case_exact=False))
    descending = _usernames(api, Order(Field("user", "username"), descending=True, case_exact=False))

    assert ascending == ["alpha", "bravo", "Charlie"]
    assert descending == ["Charlie", "bravo", "alpha"]


def test_sort_users_missing_values_last_ascending(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="empty", fullname="")
        uow.insert_user(username="zed", fullname="Zed")
        uow.insert_user(username="amy", fullname="Amy")

    ascending = _usernames(api, Order(Field("user", "fullname"), case_exact=False))
    descending = _usernames(api, Order(Field("user", "fullname"), descending=True, case_exact=False))

    assert ascending == ["amy", "zed", "empty"]
    assert descending == ["empty", "zed", "amy"]


def test_sort_users_by_linked_object_property(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        first = uow.insert_user(username="first")
        second = uow.insert_user(username="second")
        uow.insert_user(username="no-coworker")
        uow.insert_object("coworker", {"username": first.id, "title": "Zoologist"})
        uow.insert_object("coworker", {"username": second.id, "title": "Architect"})

    order = Order(Field("object", "title"), case_exact=False)
    where = Negate(Compare(Field("object", "title"), "eq", "Nobody"))

    assert _usernames(api, order) == ["second", "first", "no-coworker"]
    assert _usernames(api, order, where=where) == ["second", "first", "no-coworker"]  # type: ignore[arg-type]


def test_sort_ties_broken_by_id(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for name in ("c", "a", "b"):
            uow.insert_user(username=name, fullname="Same")

    assert _usernames(api, Order(Field("user", "fullname"))) == ["c", "a", "b"]


def test_sort_page_offset_and_limit(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for name in ("d", "b", "a", "c"):
            uow.insert_user(username=name)

    with api.unit_of_work() as uow:
        page = uow.query_users(None, order=[Order(Field("user", "username"))], offset=1, limit=2)

    assert page.total == 4
    assert [record.username for record in page.records] == ["b", "c"]  # type: ignore[union-attr]


def test_sort_groups_by_name_descending(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for name in ("Sales", "admins", "Marketing"):
            uow.insert_group(name=name)

    with api.unit_of_work() as uow:
        page = uow.query_groups(None, order=[Order(Field("group", "name"), descending=True, case_exact=False)])

    assert [record.name for record in page.records] == ["Sales", "Marketing", "admins"]  # type: ignore[union-attr]


def test_group_member_criterion_by_record_and_scim_id(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        alice = uow.insert_user(username="alice")
        bob = uow.insert_user(username="bob")
        sales = uow.insert_group(name="Sales")
        uow.insert_group(name="Empty")
        support = uow.insert_group(name="Support")
        uow.add_members(sales.id, [alice.id, bob.id])
        uow.add_members(support.id, [bob.id])

    def names(criterion: Compare) -> list[str]:
        with api.unit_of_work() as uow:
            page = uow.query_groups(criterion)
        return [record.name for record in page.records]  # type: ignore[union-attr]

    assert names(Compare(Field("member", "user_id"), "eq", alice.id)) == ["Sales"]
    assert names(Compare(Field("member", "user_scim_id"), "eq", bob.scim_id)) == ["Sales", "Support"]
    assert names(Compare(Field("member", "user_scim_id"), "eq", "no-such-id")) == []
    assert names(Compare(Field("member", "user_id"), "pr")) == ["Sales", "Support"]
