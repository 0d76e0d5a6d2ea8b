"""Tests of routing, request bodies, paging, responses and request logging, through the real app.

Every test sends requests with Flask's test client to the host's app, which serves on SQLite
files in a temporary folder.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from lime_scim.provisioning.application import ScimApplication
from lime_scim.web.routes import MAX_BODY_BYTES
from tests.support.webapp import BASE, DISABLED_BASE, MAX_RESULTS, auth

SCIM_JSON = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
REQUEST_LOGGER = "lime_scim.web.blueprint"


def body_of(response: TestResponse) -> Any:
    return json.loads(response.get_data(as_text=True))


def create_user(client: FlaskClient, user_name: str) -> dict[str, Any]:
    response = client.post(f"{BASE}/Users", json={"userName": user_name}, headers=auth())
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = body_of(response)
    return created


def create_group(client: FlaskClient, name: str) -> dict[str, Any]:
    response = client.post(f"{BASE}/Groups", json={"displayName": name}, headers=auth())
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = body_of(response)
    return created


def post_raw(client: FlaskClient, data: bytes | str, content_type: str | None = SCIM_JSON) -> TestResponse:
    headers = auth()
    if content_type is not None:
        headers["Content-Type"] = content_type
    return client.post(f"{BASE}/Users", data=data, headers=headers)


def assert_scim_error(response: TestResponse, status: int, scim_type: str | None = None) -> str:
    """Check that ``response`` is a SCIM Error with ``status`` and return its detail."""
    assert response.status_code == status
    assert response.mimetype == SCIM_JSON
    body = body_of(response)
    assert body["schemas"] == [ERROR_URN]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    detail: str = body["detail"]
    return detail


# ---------------------------------------------------------------------------------------------
# Paths: slashes, letter case and unknown endpoints


@pytest.mark.parametrize(
    "path",
    [f"{BASE}/Users", f"{BASE}/Users/", f"{BASE}//Users", f"{BASE}//Users/", "/myapp/api/v1/scim///Users"],
    ids=["plain", "trailing-slash", "doubled-slash", "doubled-and-trailing", "tripled-slash"],
)
def test_list_path_variants_same_handler(client: FlaskClient, path: str) -> None:
    response = client.get(path, headers=auth())

    assert response.status_code == 200
    assert "Location" not in response.headers
    assert body_of(response)["schemas"] == [LIST_URN]


@pytest.mark.parametrize(
    "path",
    [f"{BASE}/Users", f"{BASE}/Users/", f"{BASE}//Users"],
    ids=["plain", "trailing-slash", "doubled-slash"],
)
def test_post_path_variants_keep_body(client: FlaskClient, path: str) -> None:
    response = client.post(path, json={"userName": "karin"}, headers=auth())

    assert response.status_code == 201
    assert body_of(response)["userName"] == "karin"


def test_member_path_trailing_slash(client: FlaskClient) -> None:
    user = create_user(client, "karin")

    response = client.get(f"{BASE}//Users/{user['id']}/", headers=auth())

    assert response.status_code == 200
    assert body_of(response)["id"] == user["id"]


def test_endpoint_names_ignore_case(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/users", headers=auth())

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"{BASE}/Nowhere", "/Nowhere"),
        (f"{BASE}/Users/1/groups", "/Users/1/groups"),
        (f"{BASE}", "/"),
        (f"{BASE}/", "/"),
    ],
    ids=["unknown-endpoint", "too-deep", "tenant-root", "tenant-root-slash"],
)
def test_unknown_path_scim_404(client: FlaskClient, path: str, shown: str) -> None:
    response = client.get(path, headers=auth())

    detail = assert_scim_error(response, 404)
    assert f"'{shown}'" in detail
    for endpoint in ("/Users", "/Groups", "/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        assert endpoint in detail


def test_unknown_user_id_404(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Users/9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d", headers=auth())

    detail = assert_scim_error(response, 404)
    assert "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d" in detail


def test_disabled_application_404(client: FlaskClient) -> None:
    response = client.get(f"{DISABLED_BASE}/Users", headers=auth())

    detail = assert_scim_error(response, 404)
    assert "'offapp'" in detail


def test_unknown_application_404(client: FlaskClient) -> None:
    response = client.get("/noapp/api/v1/scim/Users", headers=auth())

    detail = assert_scim_error(response, 404)
    assert "'noapp'" in detail


def test_path_outside_tenant_scim_404(client: FlaskClient) -> None:
    response = client.get("/favicon.ico")

    assert_scim_error(response, 404)


def test_unknown_query_parameter_ignored(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Users?aadOptscim062020", headers=auth())

    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# Methods


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/Users", "GET, POST"),
        ("PUT", "/Users", "GET, POST"),
        ("POST", "/Users/1001", "DELETE, GET, PATCH, PUT"),
        ("PATCH", "/Groups", "GET, POST"),
        ("POST", "/Schemas", "GET"),
        ("DELETE", "/ServiceProviderConfig", "GET"),
        ("OPTIONS", "/Users", "GET, POST"),
    ],
)
def test_wrong_method_scim_405(client: FlaskClient, method: str, path: str, allowed: str) -> None:
    response = client.open(f"{BASE}{path}", method=method, headers=auth())

    detail = assert_scim_error(response, 405)
    assert response.headers["Allow"] == allowed
    assert method in detail


def test_head_answers_like_get(client: FlaskClient) -> None:
    response = client.head(f"{BASE}/Users", headers=auth())

    assert response.status_code == 200
    assert response.mimetype == SCIM_JSON
    assert response.get_data() == b""


# ---------------------------------------------------------------------------------------------
# Request bodies


def test_malformed_json_invalid_syntax(client: FlaskClient) -> None:
    response = post_raw(client, '{"userName": ')

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert "line 1 column 14" in detail


def test_malformed_json_reports_line(client: FlaskClient) -> None:
    response = post_raw(client, '{\n  "userName": "karin",\n  "active": tru\n}')

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert "line 3 column 13" in detail


def test_json_array_body_rejected(client: FlaskClient) -> None:
    response = post_raw(client, '[{"userName": "karin"}]')

    detail = assert_scim_error(response, 400, "invalidValue")
    assert "must be a JSON object" in detail


@pytest.mark.parametrize("data", [b"", b"  \n"], ids=["empty", "whitespace"])
def test_empty_body_invalid_syntax(client: FlaskClient, data: bytes) -> None:
    response = post_raw(client, data)

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert "empty" in detail


def test_invalid_utf8_invalid_syntax(client: FlaskClient) -> None:
    response = post_raw(client, b'{"userName": "\xff\xfe"}')

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert "UTF-8" in detail


def test_deeply_nested_body_rejected(client: FlaskClient) -> None:
    response = post_raw(client, "[" * 100_000 + "]" * 100_000)

    assert_scim_error(response, 400, "invalidSyntax")


def test_body_over_limit_413(client: FlaskClient) -> None:
    padding = "x" * MAX_BODY_BYTES
    response = post_raw(client, json.dumps({"userName": "karin", "title": padding}))

    detail = assert_scim_error(response, 413)
    assert str(MAX_BODY_BYTES) in detail


def test_body_at_limit_accepted(client: FlaskClient) -> None:
    prefix = '{"userName": "karin", "preferredLanguage": "'
    data = prefix + "x" * (MAX_BODY_BYTES - len(prefix) - 2) + '"}'
    assert len(data) == MAX_BODY_BYTES

    response = post_raw(client, data)

    assert response.status_code == 201


def test_over_limit_creates_nothing(client: FlaskClient) -> None:
    post_raw(client, json.dumps({"userName": "karin", "title": "x" * MAX_BODY_BYTES}))

    listed = body_of(client.get(f"{BASE}/Users", headers=auth()))

    assert listed["totalResults"] == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x"],
)
def test_unsupported_content_type_415(client: FlaskClient, content_type: str) -> None:
    response = post_raw(client, '{"userName": "karin"}', content_type)

    detail = assert_scim_error(response, 415)
    assert content_type.split(";")[0] in detail
    assert "application/scim+json" in detail


@pytest.mark.parametrize(
    "content_type",
    ["application/scim+json", "application/scim+json; charset=utf-8", "application/json",
     "Application/JSON; charset=UTF-8", None],
    ids=["scim-json", "scim-json-charset", "json", "json-upper-case", "no-content-type"],
)
def test_json_content_types_accepted(client: FlaskClient, content_type: str | None) -> None:
    response = post_raw(client, '{"userName": "karin"}', content_type)

    assert response.status_code == 201


def test_patch_body_content_type_checked(client: FlaskClient) -> None:
    user = create_user(client, "karin")
    patch = json.dumps({"schemas": [PATCH_OP_URN], "Operations": [{"op": "replace", "path": "title", "value": "X"}]})

    response = client.patch(f"{BASE}/Users/{user['id']}", data=patch,
                            headers={**auth(), "Content-Type": "text/plain"})

    assert_scim_error(response, 415)


# ---------------------------------------------------------------------------------------------
# Query parameters and paging


@pytest.mark.parametrize("query", ["startIndex=abc", "count=abc", "startIndex=1.5", "count=ten"])
def test_non_integer_paging_400(client: FlaskClient, query: str) -> None:
    response = client.get(f"{BASE}/Users?{query}", headers=auth())

    detail = assert_scim_error(response, 400, "invalidValue")
    name, _, value = query.partition("=")
    assert f"'{name}'" in detail
    assert f"'{value}'" in detail


def test_non_integer_group_paging_400(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Groups?startIndex=abc", headers=auth())

    assert_scim_error(response, 400, "invalidValue")


@pytest.fixture
def four_users(client: FlaskClient) -> list[str]:
    """Create four users (one more than MAX_RESULTS) and return their ids in creation order."""
    return [create_user(client, f"user{number}")["id"] for number in range(1, 5)]


def list_users(client: FlaskClient, query: str) -> dict[str, Any]:
    response = client.get(f"{BASE}/Users?{query}", headers=auth())
    assert response.status_code == 200, response.get_data(as_text=True)
    listed: dict[str, Any] = body_of(response)
    return listed


def test_count_zero_gives_totals(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, "count=0")

    assert listed["totalResults"] == 4
    assert listed["itemsPerPage"] == 0
    assert listed["Resources"] == []


def test_negative_count_gives_totals(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, "count=-5")

    assert listed["totalResults"] == 4
    assert listed["Resources"] == []


def test_count_above_max_capped(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, "count=100")

    assert listed["totalResults"] == 4
    assert listed["itemsPerPage"] == MAX_RESULTS
    assert len(listed["Resources"]) == MAX_RESULTS


def test_default_count_is_max(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, "")

    assert listed["itemsPerPage"] == MAX_RESULTS


@pytest.mark.parametrize("start", ["0", "-3"])
def test_start_index_below_one(client: FlaskClient, four_users: list[str], start: str) -> None:
    listed = list_users(client, f"startIndex={start}&count=2")

    assert listed["startIndex"] == 1
    assert [user["id"] for user in listed["Resources"]] == four_users[:2]


def test_start_index_pages_through(client: FlaskClient, four_users: list[str]) -> None:
    first = list_users(client, "startIndex=1&count=2")
    second = list_users(client, "startIndex=3&count=2")

    assert [user["id"] for user in first["Resources"]] == four_users[:2]
    assert [user["id"] for user in second["Resources"]] == four_users[2:]
    assert second["startIndex"] == 3


def test_start_index_past_end(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, "startIndex=10")

    assert listed["totalResults"] == 4
    assert listed["startIndex"] == 10
    assert listed["Resources"] == []


@pytest.mark.parametrize("start", ["99999999999999999999", "9223372036854775807"])
def test_huge_start_index_empty_page(client: FlaskClient, four_users: list[str], start: str) -> None:
    listed = list_users(client, f"startIndex={start}")

    assert listed["totalResults"] == 4
    assert listed["Resources"] == []


def test_huge_count_capped(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, "count=99999999999999999999")

    assert listed["itemsPerPage"] == MAX_RESULTS


@pytest.mark.parametrize("query", ["filter=", "filter=+"], ids=["empty", "blank"])
def test_empty_filter_lists_all(client: FlaskClient, four_users: list[str], query: str) -> None:
    listed = list_users(client, query)

    assert listed["totalResults"] == 4


def test_filter_and_paging_combined(client: FlaskClient, four_users: list[str]) -> None:
    listed = list_users(client, 'filter=userName+eq+%22USER3%22&startIndex=1&count=1')

    assert listed["totalResults"] == 1
    assert listed["Resources"][0]["id"] == four_users[2]


def test_invalid_filter_400(client: FlaskClient) -> None:
    response = client.get(f'{BASE}/Users?filter=userName+eq', headers=auth())

    assert_scim_error(response, 400, "invalidFilter")


def test_excluded_members_on_list(client: FlaskClient) -> None:
    create_group(client, "Sales")

    response = client.get(f"{BASE}/Groups?excludedAttributes=members", headers=auth())

    group = body_of(response)["Resources"][0]
    assert group["displayName"] == "Sales"
    assert "members" not in group


def test_attributes_on_get_user(client: FlaskClient) -> None:
    user = create_user(client, "karin")

    response = client.get(f"{BASE}/Users/{user['id']}?attributes=userName", headers=auth())

    assert set(body_of(response)) == {"schemas", "id", "userName"}


def test_service_provider_config_max_results(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/ServiceProviderConfig", headers=auth())

    config = body_of(response)
    assert config["filter"] == {"supported": True, "maxResults": MAX_RESULTS}
    assert config["meta"]["location"].endswith(f"{BASE}/ServiceProviderConfig")


def test_schemas_list_three_documents(client: FlaskClient) -> None:
    listed = body_of(client.get(f"{BASE}/Schemas", headers=auth()))

    assert listed["totalResults"] == 3
    assert [schema["id"] for schema in listed["Resources"]] == [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:core:2.0:Group",
    ]


def test_unknown_schema_id_404(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Schemas/urn:example:nothing", headers=auth())

    detail = assert_scim_error(response, 404)
    assert "urn:example:nothing" in detail


# ---------------------------------------------------------------------------------------------
# Response headers


def test_long_integer_body_invalid_syntax(client: FlaskClient) -> None:
    response = post_raw(client, '{"userName": "long", "active": %s}' % ("1" * 5000))

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert "4300 digits" in detail


def test_bad_utf16_body_names_encoding(client: FlaskClient) -> None:
    body = '{"userName": "x"}'.encode("utf-16-le") + b"\x00"  # an odd number of bytes

    response = post_raw(client, body)

    detail = assert_scim_error(response, 400, "invalidSyntax")
    assert "UTF-16" in detail


def test_created_user_location_and_etag(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/Users", json={"userName": "karin"}, headers=auth())

    body = body_of(response)
    assert response.headers["Location"] == body["meta"]["location"]
    assert response.headers["Location"].endswith(f"{BASE}/Users/{body['id']}")
    assert response.headers["ETag"] == body["meta"]["version"]


def test_location_keeps_mount_prefix(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/Users", json={"userName": "karin"}, headers=auth(),
                           environ_overrides={"SCRIPT_NAME": "/crm"})

    body = body_of(response)
    assert response.status_code == 201
    assert response.headers["Location"] == f"http://localhost/crm{BASE}/Users/{body['id']}"
    assert body["meta"]["location"] == response.headers["Location"]


def test_created_group_location(client: FlaskClient) -> None:
    response = client.post(f"{BASE}/Groups", json={"displayName": "Sales"}, headers=auth())

    assert response.status_code == 201
    assert response.headers["Location"] == body_of(response)["meta"]["location"]


REQUESTS: dict[str, tuple[str, str, Any]] = {
    "list-users": ("GET", "/Users", None),
    "list-groups": ("GET", "/Groups", None),
    "create-user": ("POST", "/Users", {"userName": "new"}),
    "create-group": ("POST", "/Groups", {"displayName": "New"}),
    "get-user": ("GET", "/Users/{user}", None),
    "get-group": ("GET", "/Groups/{group}", None),
    "replace-user": ("PUT", "/Users/{user}", {"userName": "karin"}),
    "patch-user": ("PATCH", "/Users/{user}",
                   {"schemas": [PATCH_OP_URN], "Operations": [{"op": "replace", "path": "title", "value": "X"}]}),
    "replace-group": ("PUT", "/Groups/{group}", {"displayName": "Sales"}),
    "service-provider-config": ("GET", "/ServiceProviderConfig", None),
    "resource-types": ("GET", "/ResourceTypes", None),
    "resource-type": ("GET", "/ResourceTypes/User", None),
    "schemas": ("GET", "/Schemas", None),
    "schema": ("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group", None),
    "not-found": ("GET", "/Users/nobody", None),
    "conflict": ("POST", "/Users", {"userName": "KARIN"}),
    "bad-request": ("POST", "/Users", {"displayName": "no userName"}),
    "method-not-allowed": ("DELETE", "/Users", None),
    "unknown-endpoint": ("GET", "/Nowhere", None),
}


@pytest.mark.parametrize("request_key", REQUESTS)
def test_every_response_scim_json(client: FlaskClient, request_key: str) -> None:
    user = create_user(client, "karin")
    group = create_group(client, "Sales")
    method, path, body = REQUESTS[request_key]

    response = client.open(f"{BASE}{path.format(user=user['id'], group=group['id'])}",
                           method=method, json=body, headers=auth())

    assert response.status_code != 204
    assert response.mimetype == SCIM_JSON
    assert body_of(response)


@pytest.mark.parametrize(
    ("method", "resource", "body"),
    [
        ("DELETE", "user", None),
        ("DELETE", "group", None),
        ("PATCH", "group", {"schemas": [PATCH_OP_URN],
                            "Operations": [{"op": "replace", "path": "displayName", "value": "Team"}]}),
    ],
    ids=["delete-user", "delete-group", "patch-group"],
)
def test_no_content_without_type(client: FlaskClient, method: str, resource: str, body: Any) -> None:
    created = create_user(client, "karin") if resource == "user" else create_group(client, "Sales")
    path = f"{BASE}/{'Users' if resource == 'user' else 'Groups'}/{created['id']}"

    response = client.open(path, method=method, json=body, headers=auth())

    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    assert response.get_data() == b""


def test_patch_group_with_attributes_200(client: FlaskClient) -> None:
    group = create_group(client, "Sales")
    patch = {"schemas": [PATCH_OP_URN], "Operations": [{"op": "replace", "path": "displayName", "value": "Team"}]}

    response = client.patch(f"{BASE}/Groups/{group['id']}?excludedAttributes=members", json=patch, headers=auth())

    assert response.status_code == 200
    assert response.mimetype == SCIM_JSON
    assert body_of(response)["displayName"] == "Team"


# ---------------------------------------------------------------------------------------------
# Unexpected errors


def fail_unexpectedly(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("simulated failure: secret-internal-state")


def test_unexpected_error_scim_500(
    client: FlaskClient, myapp: ScimApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(myapp.users, "search", fail_unexpectedly)

    response = client.get(f"{BASE}/Users", headers=auth())

    detail = assert_scim_error(response, 500)
    assert "logged" in detail
    text = response.get_data(as_text=True)
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert "secret-internal-state" not in text


def test_unexpected_error_logs_traceback(
    client: FlaskClient, myapp: ScimApplication, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(myapp.groups, "create", fail_unexpectedly)
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    client.post(f"{BASE}/Groups", json={"displayName": "Sales"}, headers=auth())

    errors = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert errors[0].name == REQUEST_LOGGER
    assert errors[0].exc_info is not None
    assert errors[0].exc_info[0] is RuntimeError
    assert "POST" in errors[0].getMessage()
    assert f"{BASE}/Groups" in errors[0].getMessage()


def test_unexpected_error_next_request_works(
    client: FlaskClient, myapp: ScimApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(myapp.users, "create", fail_unexpectedly)
    client.post(f"{BASE}/Users", json={"userName": "karin"}, headers=auth())
    monkeypatch.undo()

    response = client.get(f"{BASE}/Users", headers=auth())

    assert response.status_code == 200
    assert body_of(response)["totalResults"] == 0


def test_scim_error_not_logged_error(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=REQUEST_LOGGER)

    client.get(f"{BASE}/Users/nobody", headers=auth())

    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


# ---------------------------------------------------------------------------------------------
# Request log


REQUEST_LINE = re.compile(
    r"^(?P<application>\S+) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<duration>\d+\.\d)ms id=(?P<id>\S+)$"
)


def request_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    lines = []
    for record in caplog.records:
        if record.name == REQUEST_LOGGER and record.levelno == logging.INFO:
            match = REQUEST_LINE.match(record.getMessage())
            if match:
                lines.append(match)
    return lines


def test_request_log_one_line(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    user = create_user(client, "karin")
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    client.get(f"{BASE}/Users/{user['id']}", headers=auth())

    lines = request_lines(caplog)
    assert len(lines) == 1
    assert lines[0]["application"] == "myapp"
    assert lines[0]["method"] == "GET"
    assert lines[0]["path"] == f"{BASE}/Users/{user['id']}"
    assert lines[0]["status"] == "200"
    assert float(lines[0]["duration"]) >= 0
    assert lines[0]["id"] == user["id"]


def test_request_log_collection_id(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    client.get(f"{BASE}/Users?filter=userName+eq+%22karin%22", headers=auth())

    lines = request_lines(caplog)
    assert len(lines) == 1
    assert lines[0]["id"] == "-"


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/Users/nobody", auth(), "404"),
        ("DELETE", "/Users", auth(), "405"),
        ("GET", "/Users", {}, "401"),
    ],
    ids=["not-found", "method-not-allowed", "unauthorized"],
)
def test_request_log_error_status(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, method: str, path: str, headers: dict[str, str],
    status: str,
) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    client.open(f"{BASE}{path}", method=method, headers=headers)

    lines = request_lines(caplog)
    assert len(lines) == 1
    assert lines[0]["method"] == method
    assert lines[0]["status"] == status


def test_request_log_unexpected_error(
    client: FlaskClient, myapp: ScimApplication, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(myapp.users, "search", fail_unexpectedly)
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    client.get(f"{BASE}/Users", headers=auth())

    lines = request_lines(caplog)
    assert len(lines) == 1
    assert lines[0]["status"] == "500"


def test_request_log_per_request(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    for _ in range(3):
        client.get(f"{BASE}/Users", headers=auth())

    assert len(request_lines(caplog)) == 3
