"""Tests of sorting, paging, .search and projection through the real app (RFC 7644 §3.4, §3.9)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.protocol_app import BASE, MAX_RESULTS, created

SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


@pytest.fixture
def people(client: FlaskClient) -> dict[str, dict[str, Any]]:
    """Three users whose userName, family name and title sort in different orders."""
    rows = [("carol", "Andersson", "Engineer"), ("alice", "Carlsson", "Architect"), ("Bob", "Berg", None)]
    users = {}
    for user_name, family_name, title in rows:
        body: dict[str, Any] = {"userName": user_name, "name": {"familyName": family_name}}
        if title is not None:
            body["title"] = title
        users[user_name] = created(client, "/Users", body)
    return users


def _user_names(response: Any) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [resource["userName"] for resource in response.get_json()["Resources"]]


# ---------------------------------------------------------------------------------------------
# sortBy and sortOrder (RFC 7644 §3.4.2.3)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sortBy=userName", ["alice", "Bob", "carol"]),
        ("sortBy=userName&sortOrder=descending", ["carol", "Bob", "alice"]),
        ("sortBy=name.familyName", ["carol", "Bob", "alice"]),
        ("sortBy=title", ["alice", "carol", "Bob"]),
        ("sortBy=title&sortOrder=descending", ["Bob", "carol", "alice"]),
        ("sortBy=urn:ietf:params:scim:schemas:core:2.0:User:userName", ["alice", "Bob", "carol"]),
    ],
    ids=["userName", "descending", "coworker-field", "missing-last", "missing-first", "urn"],
)
def test_sort_users(client: FlaskClient, people: dict[str, Any], query: str, expected: list[str]) -> None:
    assert _user_names(client.get(f"{BASE}/Users?{query}")) == expected


def test_sort_users_pages_in_order(client: FlaskClient, people: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Users?sortBy=userName&startIndex=2&count=1")

    assert _user_names(response) == ["Bob"]
    assert response.get_json()["totalResults"] == 3


def test_sort_unknown_attribute_400(client: FlaskClient, people: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Users?sortBy=nickName")

    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"


def test_sort_groups_by_display_name(client: FlaskClient) -> None:
    for name in ("Sales", "admins", "Marketing"):
        created(client, "/Groups", {"displayName": name})

    response = client.get(f"{BASE}/Groups?sortBy=displayName&sortOrder=descending")

    assert [group["displayName"] for group in response.get_json()["Resources"]] == ["Sales", "Marketing", "admins"]


# ---------------------------------------------------------------------------------------------
# Paging edge cases (RFC 7644 §3.4.2.4)


def test_count_zero_returns_totals_only(client: FlaskClient, people: dict[str, Any]) -> None:
    body = client.get(f"{BASE}/Users?count=0").get_json()

    assert body["totalResults"] == 3
    assert body["itemsPerPage"] == 0
    assert body["Resources"] == []


def test_start_index_below_one_is_one(client: FlaskClient, people: dict[str, Any]) -> None:
    body = client.get(f"{BASE}/Users?startIndex=-4&count=1&sortBy=userName").get_json()

    assert body["startIndex"] == 1
    assert [resource["userName"] for resource in body["Resources"]] == ["alice"]


def test_count_capped_at_max_results(client: FlaskClient) -> None:
    for index in range(MAX_RESULTS + 2):
        created(client, "/Users", {"userName": f"user{index}"})

    body = client.get(f"{BASE}/Users?count=1000").get_json()

    assert body["totalResults"] == MAX_RESULTS + 2
    assert body["itemsPerPage"] == MAX_RESULTS


def test_max_results_advertised(client: FlaskClient) -> None:
    config = client.get(f"{BASE}/ServiceProviderConfig").get_json()

    assert config["filter"] == {"supported": True, "maxResults": MAX_RESULTS}
    assert config["sort"] == {"supported": True}
    assert config["etag"] == {"supported": True}


# ---------------------------------------------------------------------------------------------
# POST .search (RFC 7644 §3.4.3)


def test_search_users_with_body(client: FlaskClient, people: dict[str, Any]) -> None:
    response = client.post(f"{BASE}/Users/.search", json={
        "schemas": [SEARCH_URN], "filter": 'userName sw "a" or userName sw "b"', "sortBy": "userName",
        "sortOrder": "descending", "attributes": ["userName"], "startIndex": 1, "count": 10,
    })

    assert _user_names(response) == ["Bob", "alice"]
    assert set(response.get_json()["Resources"][0]) == {"schemas", "id", "userName"}


def test_search_groups_with_body(client: FlaskClient, people: dict[str, Any]) -> None:
    created(client, "/Groups", {"displayName": "Sales", "members": [{"value": people["alice"]["id"]}]})
    created(client, "/Groups", {"displayName": "Support"})

    response = client.post(f"{BASE}/Groups/.search", json={
        "schemas": [SEARCH_URN], "filter": f'members.value eq "{people["alice"]["id"]}"',
        "excludedAttributes": ["members"],
    })
    body = response.get_json()

    assert response.status_code == 200
    assert [group["displayName"] for group in body["Resources"]] == ["Sales"]
    assert "members" not in body["Resources"][0]


def test_search_root_lists_users_then_groups(client: FlaskClient, people: dict[str, Any]) -> None:
    created(client, "/Groups", {"displayName": "Sales"})

    response = client.post(f"{BASE}/.search", json={"schemas": [SEARCH_URN], "attributes": ["displayName"]})
    body = response.get_json()
    types = [resource["meta"]["resourceType"] if "meta" in resource else resource["schemas"][0]
             for resource in body["Resources"]]

    assert response.status_code == 200
    assert body["totalResults"] == 4
    assert types[:3] == ["urn:ietf:params:scim:schemas:core:2.0:User"] * 3
    assert types[3] == "urn:ietf:params:scim:schemas:core:2.0:Group"
    assert body["Resources"][3]["displayName"] == "Sales"


def test_search_root_pages_across_types(client: FlaskClient, people: dict[str, Any]) -> None:
    created(client, "/Groups", {"displayName": "Sales"})
    created(client, "/Groups", {"displayName": "Support"})

    body = client.post(f"{BASE}/.search", json={"startIndex": 3, "count": 2}).get_json()

    assert body["totalResults"] == 5
    assert body["startIndex"] == 3
    assert [resource.get("userName", resource.get("displayName")) for resource in body["Resources"]] == [
        "Bob", "Sales"]


def test_search_root_filter_for_one_type(client: FlaskClient, people: dict[str, Any]) -> None:
    created(client, "/Groups", {"displayName": "Sales"})

    body = client.post(f"{BASE}/.search", json={"filter": 'userName eq "alice"'}).get_json()

    assert body["totalResults"] == 1
    assert body["Resources"][0]["userName"] == "alice"


def test_search_both_attribute_lists_400(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/Users/.search", json={"attributes": ["userName"], "excludedAttributes": ["title"]})

    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidValue"


def test_search_get_not_allowed(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Users/.search")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_search_invalid_filter_points_at_position(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/Users/.search", json={"filter": 'userName eq "a" and'})
    body = response.get_json()

    assert response.status_code == 400
    assert body["scimType"] == "invalidFilter"
    assert "position 19" in body["detail"]


# ---------------------------------------------------------------------------------------------
# attributes and excludedAttributes on every endpoint that returns resources (RFC 7644 §3.9)


def _user_body() -> dict[str, Any]:
    return {"userName": "dana", "title": "Chef", "name": {"givenName": "Dana", "familyName": "Dahl"}}


def test_projection_on_post(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/Users?attributes=title", json=_user_body())

    assert response.status_code == 201
    assert set(response.get_json()) == {"schemas", "id", "userName", "title"}
    assert response.headers["Location"].endswith(f"/Users/{response.get_json()['id']}")
    assert response.headers["ETag"].startswith('W/"')


def test_projection_on_get(client: FlaskClient) -> None:
    user = created(client, "/Users", _user_body())

    body = client.get(f"{BASE}/Users/{user['id']}?excludedAttributes=name,title,meta").get_json()

    assert "name" not in body
    assert "title" not in body
    assert "meta" not in body
    assert body["userName"] == "dana"


def test_projection_on_put(client: FlaskClient) -> None:
    user = created(client, "/Users", _user_body())

    response = client.put(f"{BASE}/Users/{user['id']}?attributes=name.givenName", json=_user_body())

    assert response.status_code == 200
    assert response.get_json()["name"] == {"givenName": "Dana"}
    assert "title" not in response.get_json()


def test_projection_on_user_patch(client: FlaskClient) -> None:
    user = created(client, "/Users", _user_body())

    response = client.patch(f"{BASE}/Users/{user['id']}?excludedAttributes=name", json={
        "Operations": [{"op": "replace", "path": "title", "value": "Cook"}]})

    assert response.status_code == 200
    assert response.get_json()["title"] == "Cook"
    assert "name" not in response.get_json()


def test_group_patch_204_without_attributes(client: FlaskClient) -> None:
    group = created(client, "/Groups", {"displayName": "Sales"})

    response = client.patch(f"{BASE}/Groups/{group['id']}", json={
        "Operations": [{"op": "replace", "path": "displayName", "value": "Sales EMEA"}]})

    assert response.status_code == 204
    assert response.data == b""


def test_group_patch_200_with_attributes(client: FlaskClient) -> None:
    group = created(client, "/Groups", {"displayName": "Sales"})

    response = client.patch(f"{BASE}/Groups/{group['id']}?attributes=displayName", json={
        "Operations": [{"op": "replace", "path": "displayName", "value": "Sales EMEA"}]})

    assert response.status_code == 200
    assert response.get_json() == {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                   "id": group["id"], "displayName": "Sales EMEA"}


def test_projection_on_list(client: FlaskClient, people: dict[str, Any]) -> None:
    body = client.get(f"{BASE}/Users?attributes=urn:ietf:params:scim:schemas:core:2.0:User:name.familyName").get_json()

    for resource in body["Resources"]:
        assert set(resource) == {"schemas", "id", "userName", "name"}
        assert set(resource["name"]) == {"familyName"}


def test_search_root_filter_for_no_type_400(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/.search", json={"filter": 'nickName eq "x"'})

    assert response.status_code == 400
    assert response.get_json()["scimType"] == "invalidFilter"
