"""Tests of POST /Bulk through the real app (RFC 7644 §3.7)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from lime_scim.scim.bulk import parse_bulk_request
from lime_scim.scim.errors import InvalidSyntax, InvalidValue, PayloadTooLarge
from tests.support.protocol_app import BASE, created

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _bulk(client: FlaskClient, operations: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    response = client.post(f"{BASE}/Bulk", json={"schemas": [BULK_REQUEST], "Operations": operations, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    assert body["schemas"] == [BULK_RESPONSE]
    return body


def _by_bulk_id(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["bulkId"]: result for result in body["Operations"] if "bulkId" in result}


def test_bulk_creates_user_and_group_with_reference(client: FlaskClient) -> None:
    body = _bulk(client, [
        {"method": "POST", "path": "/Groups", "bulkId": "group",
         "data": {"displayName": "Sales", "members": [{"value": "bulkId:user"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "user", "data": {"userName": "hanna"}},
    ])
    results = _by_bulk_id(body)
    group = client.get(BASE + results["group"]["location"].split("/scim", 1)[1]).get_json()

    assert results["user"]["status"] == "201"
    assert results["group"]["status"] == "201"
    assert results["user"]["version"].startswith('W/"')
    assert [member["value"] for member in group["members"]] == [results["user"]["location"].rsplit("/", 1)[1]]


def test_bulk_reference_in_path(client: FlaskClient) -> None:
    body = _bulk(client, [
        {"method": "POST", "path": "/Users", "bulkId": "ida", "data": {"userName": "ida"}},
        {"method": "PATCH", "path": "/Users/bulkId:ida", "data": {
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Buyer"}]}},
        {"method": "PUT", "path": "/Users/bulkId:ida", "data": {"userName": "ida", "title": "Seller"}},
    ])
    statuses = [result["status"] for result in body["Operations"]]
    user_id = _by_bulk_id(body)["ida"]["location"].rsplit("/", 1)[1]

    assert statuses == ["201", "200", "200"]
    assert client.get(f"{BASE}/Users/{user_id}").get_json()["title"] == "Seller"


def test_bulk_delete_and_per_operation_errors(client: FlaskClient) -> None:
    user = created(client, "/Users", {"userName": "jonas"})

    body = _bulk(client, [
        {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"userName": "JONAS"}},
        {"method": "DELETE", "path": f"/Users/{user['id']}"},
        {"method": "DELETE", "path": "/Users/no-such-user"},
    ])
    results = body["Operations"]

    assert results[0]["status"] == "409"
    assert results[0]["response"]["scimType"] == "uniqueness"
    assert results[1]["status"] == "204"
    assert results[2]["status"] == "404"
    assert client.get(f"{BASE}/Users/{user['id']}").status_code == 404


def test_bulk_fail_on_errors_stops(client: FlaskClient) -> None:
    body = _bulk(client, [
        {"method": "DELETE", "path": "/Users/missing-1"},
        {"method": "DELETE", "path": "/Users/missing-2"},
        {"method": "POST", "path": "/Users", "bulkId": "late", "data": {"userName": "late"}},
    ], failOnErrors=2)

    assert [result["status"] for result in body["Operations"]] == ["404", "404"]
    assert client.get(f'{BASE}/Users?filter=userName eq "late"').get_json()["totalResults"] == 0


def test_bulk_version_checked(client: FlaskClient) -> None:
    user = created(client, "/Users", {"userName": "karl"})

    body = _bulk(client, [{"method": "DELETE", "path": f"/Users/{user['id']}", "version": 'W/"999"'}])

    assert body["Operations"][0]["status"] == "412"


def test_bulk_failed_reference(client: FlaskClient) -> None:
    body = _bulk(client, [
        {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"title": "no userName"}},
        {"method": "POST", "path": "/Groups", "bulkId": "team", "data": {
            "displayName": "Team", "members": [{"value": "bulkId:bad"}]}},
    ])
    results = _by_bulk_id(body)

    assert results["bad"]["status"] == "400"
    assert results["team"]["status"] == "400"
    assert "failed" in results["team"]["response"]["detail"]


def test_bulk_circular_reference(client: FlaskClient) -> None:
    body = _bulk(client, [
        {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"displayName": "A", "externalId": "bulkId:b"}},
        {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"displayName": "B", "externalId": "bulkId:a"}},
    ])

    assert [result["status"] for result in body["Operations"]] == ["400", "400"]
    assert "circular" in body["Operations"][0]["response"]["detail"]


def test_bulk_too_many_operations_413(client: FlaskClient) -> None:
    operations = [{"method": "DELETE", "path": f"/Users/{index}"} for index in range(1001)]

    response = client.post(f"{BASE}/Bulk", json={"schemas": [BULK_REQUEST], "Operations": operations})

    assert response.status_code == 413
    assert "maxOperations" in response.get_json()["detail"]


def test_bulk_payload_too_large_413(client: FlaskClient) -> None:
    maximum = client.get(f"{BASE}/ServiceProviderConfig").get_json()["bulk"]["maxPayloadSize"]
    padding = "x" * maximum

    response = client.post(f"{BASE}/Bulk", json={"schemas": [BULK_REQUEST], "Operations": [], "pad": padding})

    assert response.status_code == 413


def test_bulk_advertised(client: FlaskClient) -> None:
    bulk = client.get(f"{BASE}/ServiceProviderConfig").get_json()["bulk"]

    assert bulk["supported"] is True
    assert bulk["maxOperations"] == 1000
    assert bulk["maxPayloadSize"] > 0


def test_bulk_get_405(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Bulk")

    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], InvalidSyntax),
        ({"Operations": "x"}, InvalidSyntax),
        ({"Operations": [{"method": "GET", "path": "/Users"}]}, InvalidSyntax),
        ({"Operations": [{"method": "POST", "path": "/Users", "data": {}}]}, InvalidSyntax),
        ({"Operations": [{"method": "PUT", "path": "/Users/1"}]}, InvalidSyntax),
        ({"Operations": [{"method": "POST", "path": "/Users", "bulkId": "x", "data": {}},
                         {"method": "POST", "path": "/Users", "bulkId": "x", "data": {}}]}, InvalidSyntax),
        ({"failOnErrors": 0, "Operations": []}, InvalidValue),
        ({"Operations": [{"method": "DELETE", "path": "/Users/1"}] * 3}, PayloadTooLarge),
    ],
    ids=["not-object", "operations-not-list", "method", "post-without-bulk-id", "put-without-data",
         "duplicate-bulk-id", "fail-on-errors-zero", "too-many"],
)
def test_parse_bulk_request_rejects(body: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_bulk_request(body, max_operations=2)
