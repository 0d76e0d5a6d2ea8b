"""Tests of entity tags, If-Match and If-None-Match through the real app (RFC 7644 §3.14)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.protocol_app import BASE, created


@pytest.fixture
def user(client: FlaskClient) -> dict[str, Any]:
    return created(client, "/Users", {"userName": "erik", "title": "Chef"})


@pytest.fixture
def group(client: FlaskClient) -> dict[str, Any]:
    return created(client, "/Groups", {"displayName": "Sales"})


def _patch_title(title: str) -> dict[str, Any]:
    return {"Operations": [{"op": "replace", "path": "title", "value": title}]}


def test_etag_header_matches_meta_version(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Users/{user['id']}")

    assert response.headers["ETag"] == response.get_json()["meta"]["version"]
    assert response.headers["ETag"].startswith('W/"')


def test_etag_header_without_meta_in_body(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Users/{user['id']}?attributes=userName")

    assert "meta" not in response.get_json()
    assert response.headers["ETag"] == user["meta"]["version"]


@pytest.mark.parametrize("method", ["post", "put", "patch"])
def test_etag_header_on_writes(client: FlaskClient, user: dict[str, Any], method: str) -> None:
    if method == "post":
        response = client.post(f"{BASE}/Users", json={"userName": "frida"})
    elif method == "put":
        response = client.put(f"{BASE}/Users/{user['id']}", json={"userName": "erik"})
    else:
        response = client.patch(f"{BASE}/Users/{user['id']}", json=_patch_title("Cook"))

    assert response.headers["ETag"] == response.get_json()["meta"]["version"]


def test_version_changes_on_coworker_change(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.patch(f"{BASE}/Users/{user['id']}", json=_patch_title("Cook"))

    assert response.headers["ETag"] != user["meta"]["version"]


def test_if_none_match_current_304(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Users/{user['id']}", headers={"If-None-Match": user["meta"]["version"]})

    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == user["meta"]["version"]


def test_if_none_match_stale_200(client: FlaskClient, user: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Users/{user['id']}", headers={"If-None-Match": 'W/"999"'})

    assert response.status_code == 200
    assert response.get_json()["userName"] == "erik"


def test_if_none_match_group_304(client: FlaskClient, group: dict[str, Any]) -> None:
    response = client.get(f"{BASE}/Groups/{group['id']}", headers={"If-None-Match": group["meta"]["version"]})

    assert response.status_code == 304


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_if_match_stale_412(client: FlaskClient, user: dict[str, Any], method: str) -> None:
    stale = {"If-Match": 'W/"999"'}
    if method == "put":
        response = client.put(f"{BASE}/Users/{user['id']}", json={"userName": "erik"}, headers=stale)
    elif method == "patch":
        response = client.patch(f"{BASE}/Users/{user['id']}", json=_patch_title("Cook"), headers=stale)
    else:
        response = client.delete(f"{BASE}/Users/{user['id']}", headers=stale)
    after = client.get(f"{BASE}/Users/{user['id']}").get_json()

    assert response.status_code == 412
    assert response.get_json()["status"] == "412"
    assert after["title"] == "Chef"
    assert after["meta"]["version"] == user["meta"]["version"]


@pytest.mark.parametrize("tag", ['W/"{v}"', '"{v}"', '*', 'W/"0", W/"{v}"'],
                         ids=["weak", "strong-form", "any", "list"])
def test_if_match_current_passes(client: FlaskClient, user: dict[str, Any], tag: str) -> None:
    version = user["meta"]["version"][3:-1]

    response = client.patch(f"{BASE}/Users/{user['id']}", json=_patch_title("Cook"),
                            headers={"If-Match": tag.format(v=version)})

    assert response.status_code == 200
    assert response.get_json()["title"] == "Cook"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_group_if_match_stale_412(client: FlaskClient, group: dict[str, Any], method: str) -> None:
    stale = {"If-Match": 'W/"999"'}
    rename = {"Operations": [{"op": "replace", "path": "displayName", "value": "Other"}]}
    if method == "put":
        response = client.put(f"{BASE}/Groups/{group['id']}", json={"displayName": "Other"}, headers=stale)
    elif method == "patch":
        response = client.patch(f"{BASE}/Groups/{group['id']}", json=rename, headers=stale)
    else:
        response = client.delete(f"{BASE}/Groups/{group['id']}", headers=stale)

    assert response.status_code == 412
    assert client.get(f"{BASE}/Groups/{group['id']}").get_json()["displayName"] == "Sales"


def test_group_delete_with_current_etag(client: FlaskClient, group: dict[str, Any]) -> None:
    response = client.delete(f"{BASE}/Groups/{group['id']}", headers={"If-Match": group["meta"]["version"]})

    assert response.status_code == 204
    assert client.get(f"{BASE}/Groups/{group['id']}").status_code == 404
