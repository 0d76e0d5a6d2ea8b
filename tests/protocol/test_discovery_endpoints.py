"""Tests of the discovery endpoints through the real app (RFC 7644 §4, RFC 7643 §5-§7)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support.protocol_app import BASE, created

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _attribute(schema: dict[str, Any], path: str) -> dict[str, Any]:
    name, _, sub = path.partition(".")
    attribute = next(item for item in schema["attributes"] if item["name"] == name)
    if sub:
        attribute = next(item for item in attribute["subAttributes"] if item["name"] == sub)
    return attribute


def test_type_canonical_values_are_stored_types(client: FlaskClient) -> None:
    schema = client.get(f"{BASE}/Schemas/{USER_URN}").get_json()

    assert _attribute(schema, "emails.type")["canonicalValues"] == ["work", "home"]
    assert _attribute(schema, "phoneNumbers.type")["canonicalValues"] == ["work", "mobile", "home"]


def test_read_only_display_names_returned(client: FlaskClient) -> None:
    enterprise = client.get(f"{BASE}/Schemas/{ENTERPRISE_URN}").get_json()
    group = client.get(f"{BASE}/Schemas/{GROUP_URN}").get_json()

    assert _attribute(enterprise, "manager.displayName")["returned"] == "default"
    assert _attribute(enterprise, "manager.$ref")["mutability"] == "readWrite"
    assert _attribute(group, "members.display")["returned"] == "request"


def test_member_display_only_when_requested(client: FlaskClient) -> None:
    user = created(client, "/Users", {"userName": "gustav", "displayName": "Gustav G"})
    group = created(client, "/Groups", {"displayName": "Sales", "members": [{"value": user["id"]}]})

    default = client.get(f"{BASE}/Groups/{group['id']}").get_json()
    requested = client.get(f"{BASE}/Groups/{group['id']}?attributes=members.display").get_json()

    assert default["members"] == [{"value": user["id"], "$ref": user["meta"]["location"], "type": "User"}]
    assert requested["members"] == [{"display": "Gustav G"}]


def test_manager_by_ref_alone(client: FlaskClient) -> None:
    boss = created(client, "/Users", {"userName": "boss"})
    body = {"userName": "worker", ENTERPRISE_URN: {"manager": {"$ref": boss["meta"]["location"]}}}

    worker = created(client, "/Users", body)

    assert worker[ENTERPRISE_URN]["manager"]["value"] == boss["id"]


@pytest.mark.parametrize("path", ["/Schemas/urn:example:unknown", "/ResourceTypes/Device"])
def test_unknown_discovery_id_404(client: FlaskClient, path: str) -> None:
    response = client.get(f"{BASE}{path}")

    assert response.status_code == 404
    assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes", f"/Schemas/{USER_URN}",
                                  "/ResourceTypes/User"])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_discovery_write_methods_405(client: FlaskClient, path: str, method: str) -> None:
    response = getattr(client, method)(f"{BASE}{path}", json={})

    assert response.status_code == 405
    assert response.get_json()["status"] == "405"
    assert response.headers["Allow"] == "GET"
