"""Tests of PUT, PATCH errors and store-translated filters through the real app (RFC 7644 §3.4.2.2, §3.5)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.protocol_app import BASE, created

ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _full_user() -> dict[str, Any]:
    return {
        "userName": "lisa", "displayName": "Lisa L", "title": "Chef", "externalId": "Ext-1",
        "name": {"givenName": "Lisa", "familyName": "Lind"},
        "emails": [{"type": "work", "value": "lisa@example.com"}, {"type": "home", "value": "lisa@home.example"}],
        "phoneNumbers": [{"type": "mobile", "value": "+46 70 000 00 00"}],
    }


def _patch(client: FlaskClient, user_id: str, *operations: dict[str, Any]) -> Any:
    return client.patch(f"{BASE}/Users/{user_id}", json={"Operations": list(operations)})


# ---------------------------------------------------------------------------------------------
# PUT replaces (RFC 7644 §3.5.1)


def test_put_clears_attributes_left_out(client: FlaskClient) -> None:
    user = created(client, "/Users", _full_user())

    response = client.put(f"{BASE}/Users/{user['id']}", json={"userName": "lisa", "name": {"givenName": "Lisa"}})
    body = response.get_json()

    assert response.status_code == 200
    for attribute in ("title", "displayName", "emails", "phoneNumbers", "externalId"):
        assert attribute not in body, attribute
    assert body["name"] == {"givenName": "Lisa"}
    assert client.get(f"{BASE}/Users/{user['id']}").get_json() == body


def test_put_ignores_read_only_attributes(client: FlaskClient) -> None:
    user = created(client, "/Users", _full_user())
    body = {**_full_user(), "id": user["id"], "meta": {"created": "2000-01-01T00:00:00Z"},
            "groups": [{"value": "x"}]}

    response = client.put(f"{BASE}/Users/{user['id']}", json=body)

    assert response.status_code == 200
    assert response.get_json()["meta"]["created"] == user["meta"]["created"]
    assert response.get_json().get("groups", []) == []


def test_put_id_mismatch_400(client: FlaskClient) -> None:
    user = created(client, "/Users", _full_user())

    response = client.put(f"{BASE}/Users/{user['id']}", json={**_full_user(), "id": "another-id"})

    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"


# ---------------------------------------------------------------------------------------------
# PATCH errors (RFC 7644 §3.5.2 and §3.12)


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "remove"}, "noTarget"),
        ({"op": "replace", "path": 'emails[value co "nobody"]', "value": "x"}, "noTarget"),
        ({"op": "replace", "path": "emails[type eq", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "title[value eq \"x\"]", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "id", "value": "new-id"}, "mutability"),
        ({"op": "replace", "path": "meta.created", "value": "2000-01-01T00:00:00Z"}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
        ({"op": "replace", "path": "active", "value": "sometimes"}, "invalidValue"),
        ({"op": "add", "path": "title"}, "invalidValue"),
        ({"op": "move", "path": "title", "value": "x"}, "invalidSyntax"),
    ],
    ids=["remove-without-path", "filter-matches-nothing", "malformed-path", "filter-on-simple", "read-only-id",
         "read-only-meta", "required-userName", "not-a-boolean", "add-without-value", "unknown-op"],
)
def test_patch_error_types(client: FlaskClient, operation: dict[str, Any], scim_type: str) -> None:
    user = created(client, "/Users", _full_user())

    response = _patch(client, user["id"], operation)

    assert response.status_code == 400
    assert response.get_json()["scimType"] == scim_type


def test_patch_is_atomic(client: FlaskClient) -> None:
    user = created(client, "/Users", _full_user())

    response = _patch(client, user["id"], {"op": "replace", "path": "title", "value": "Cook"},
                      {"op": "replace", "path": "id", "value": "x"})

    assert response.status_code == 400
    assert client.get(f"{BASE}/Users/{user['id']}").get_json()["title"] == "Chef"


def test_patch_value_filter_and_sub_attribute(client: FlaskClient) -> None:
    user = created(client, "/Users", _full_user())

    response = _patch(client, user["id"],
                      {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@example.com"},
                      {"op": "remove", "path": 'emails[type eq "home"]'},
                      {"op": "add", "path": "name.familyName", "value": "Lund"})
    body = response.get_json()

    assert response.status_code == 200
    assert body["emails"] == [{"type": "work", "value": "new@example.com"}]
    assert body["name"] == {"givenName": "Lisa", "familyName": "Lund"}


def test_patch_group_members_add_remove(client: FlaskClient) -> None:
    first = created(client, "/Users", {"userName": "m1"})
    second = created(client, "/Users", {"userName": "m2"})
    group = created(client, "/Groups", {"displayName": "Sales", "members": [{"value": first["id"]}]})

    response = client.patch(f"{BASE}/Groups/{group['id']}?attributes=members", json={"Operations": [
        {"op": "add", "path": "members", "value": [{"value": second["id"]}]},
        {"op": "remove", "path": f'members[value eq "{first["id"]}"]'},
    ]})

    assert response.status_code == 200
    assert [member["value"] for member in response.get_json()["members"]] == [second["id"]]


# ---------------------------------------------------------------------------------------------
# Filters translated to the store (RFC 7644 §3.4.2.2)


@pytest.fixture
def lisa(client: FlaskClient) -> dict[str, Any]:
    created(client, "/Users", {"userName": "other", "title": "Clerk"})
    return created(client, "/Users", _full_user())


@pytest.mark.parametrize(
    "expression",
    [
        'title eq "CHEF"',
        'name.familyName sw "li"',
        'emails.value ew "@EXAMPLE.COM"',
        'emails[type eq "work" and value co "lisa"]',
        'phoneNumbers[type eq "mobile"].value pr',
        'displayName eq "lisa l"',
        'externalId eq "Ext-1"',
        'active eq true and not (title eq "Clerk")',
        'userName eq "LISA"',
    ],
    ids=["coworker-case-insensitive", "coworker-sub-attribute", "multi-valued", "value-path", "entra-suffix",
         "user-column", "external-id", "boolean-and-not", "userName-case-insensitive"],
)
def test_filter_matches_lisa(client: FlaskClient, lisa: dict[str, Any], expression: str) -> None:
    body = client.get(f"{BASE}/Users", query_string={"filter": expression}).get_json()

    assert [resource["id"] for resource in body["Resources"]] == [lisa["id"]]


@pytest.mark.parametrize("expression", ['externalId eq "ext-1"', 'emails[type eq "home" and value co "work"]'],
                         ids=["external-id-case-exact", "value-path-no-match"])
def test_filter_matches_nobody(client: FlaskClient, lisa: dict[str, Any], expression: str) -> None:
    body = client.get(f"{BASE}/Users", query_string={"filter": expression}).get_json()

    assert body["totalResults"] == 0


@pytest.mark.parametrize(
    ("expression", "detail"),
    [
        ("active gt true", "position 10"),
        ('userName eq "a" or', "position 18"),
        ('nickName eq "x"', "nickName"),
        ("active lt false", "position 10"),
    ],
    ids=["gt-boolean", "missing-operand", "not-stored", "lt-boolean"],
)
def test_invalid_filter_400(client: FlaskClient, expression: str, detail: str) -> None:
    response = client.get(f"{BASE}/Users", query_string={"filter": expression})
    body = response.get_json()

    assert response.status_code == 400
    assert body["scimType"] == "invalidFilter"
    assert detail in body["detail"]


def test_group_filter_by_member_and_name(client: FlaskClient) -> None:
    member = created(client, "/Users", {"userName": "n1"})
    created(client, "/Groups", {"displayName": "Sales", "externalId": "S-1", "members": [{"value": member["id"]}]})
    created(client, "/Groups", {"displayName": "Support"})

    def names(expression: str) -> list[str]:
        body = client.get(f"{BASE}/Groups", query_string={"filter": expression, "excludedAttributes": "members"})
        return [group["displayName"] for group in body.get_json()["Resources"]]

    assert names(f'members.value eq "{member["id"]}"') == ["Sales"]
    assert names('displayName sw "SU"') == ["Support"]
    assert names('externalId eq "S-1"') == ["Sales"]
    assert names('meta.created gt "2000-01-01T00:00:00Z"') == ["Sales", "Support"]
