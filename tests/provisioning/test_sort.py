"""Tests of sortBy translation into store order keys (RFC 7644 §3.4.2.3)."""

from __future__ import annotations

import pytest

from lime_scim.mapping.resolver import resolve_user_mapping
from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import Field, Order
from lime_scim.provisioning.binding import bind_user_mapping
from lime_scim.provisioning.query import group_order, user_order
from lime_scim.scim.errors import InvalidValue
from lime_scim.scim.search import parse_sort

BINDING = bind_user_mapping(resolve_user_mapping(load_datamodel(default_datamodel_path())))


@pytest.mark.parametrize(
    ("sort_by", "expected"),
    [
        ("userName", Order(Field("user", "username"), False, False)),
        ("urn:ietf:params:scim:schemas:core:2.0:User:userName", Order(Field("user", "username"), False, False)),
        ("externalId", Order(Field("user", "external_id"), False, True)),
        ("displayName", Order(Field("user", "fullname"), False, False)),
        ("name.familyName", Order(Field("object", "lastname"), False, False)),
        ("title", Order(Field("object", "title"), False, False)),
        ("emails", Order(Field("object", "email"), False, False)),
        ("emails.value", Order(Field("object", "email"), False, False)),
        ("phoneNumbers", Order(Field("object", "phone"), False, False)),
        ("active", Order(Field("user", "active"), False, False)),
        ("id", Order(Field("user", "scim_id"), False, True)),
        ("meta.created", Order(Field("user", "created"), False, True)),
        ("meta.lastModified", Order(Field("user", "updated"), False, True)),
    ],
)
def test_user_order_uses_stored_column(sort_by: str, expected: Order) -> None:
    assert user_order(parse_sort(sort_by, None), BINDING, legacy_ids=False) == (expected,)


def test_user_order_descending() -> None:
    order = user_order(parse_sort("userName", "DESCENDING"), BINDING, legacy_ids=True)

    assert order == (Order(Field("user", "username"), True, False),)


def test_user_order_legacy_id_column() -> None:
    assert user_order(parse_sort("id", None), BINDING, legacy_ids=True) == (Order(Field("user", "id")),)


@pytest.mark.parametrize(
    "sort_by",
    ["nickName", "name", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "groups"],
)
def test_user_order_rejects_unsortable(sort_by: str) -> None:
    with pytest.raises(InvalidValue, match="sortBy"):
        user_order(parse_sort(sort_by, None), BINDING, legacy_ids=False)


def test_no_sort_gives_no_order() -> None:
    assert user_order(parse_sort(None, "descending"), BINDING, legacy_ids=False) == ()
    assert group_order(parse_sort("", None), legacy_ids=False) == ()


@pytest.mark.parametrize(
    ("sort_by", "expected"),
    [
        ("displayName", Order(Field("group", "name"), False, False)),
        ("externalId", Order(Field("group", "external_id"), False, True)),
        ("id", Order(Field("group", "scim_id"), False, True)),
        ("meta.lastModified", Order(Field("group", "updated"), False, True)),
    ],
)
def test_group_order_uses_stored_column(sort_by: str, expected: Order) -> None:
    assert group_order(parse_sort(sort_by, None), legacy_ids=False) == (expected,)


def test_group_order_rejects_members() -> None:
    with pytest.raises(InvalidValue, match="sortBy"):
        group_order(parse_sort("members", None), legacy_ids=False)


def test_sort_order_invalid_value() -> None:
    with pytest.raises(InvalidValue, match="sortOrder"):
        parse_sort("userName", "upwards")
