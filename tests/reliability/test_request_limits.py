"""Configurable request limits: how they are read, how a breach is answered, and that the
largest legitimate Entra ID requests pass the defaults.
"""

from __future__ import annotations

import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lime_scim.config import ConfigError, RateLimit, RequestLimits, parse_config
from tests.reliability.live import (
    ERROR_URN,
    GROUP_URN,
    PATCH_URN,
    USER_URN,
    LiveApp,
    ScimClient,
    require_created,
    serve_app,
    unique_name,
)

SMALL_LIMITS = {
    "max_body_bytes": 2000,
    "max_json_depth": 6,
    "max_filter_length": 100,
    "max_filter_depth": 3,
    "max_patch_operations": 5,
    "max_members": 4,
    "max_results": 5,
}


def parse_scim(lines: str) -> Any:
    text = "app:\n  config:\n    scim:\n" + textwrap.indent(textwrap.dedent(lines), " " * 6)
    return parse_config(text, source="test.yaml", base_dir=Path("/srv")).applications["app"]


# ---------------------------------------------------------------------------------------------
# Config


def test_limits_default_without_keys() -> None:
    settings = parse_scim("enabled: false\n")

    assert settings.limits == RequestLimits()
    assert settings.rate_limit is None
    assert settings.busy_timeout_ms == 10000


def test_limits_read_from_keys() -> None:
    settings = parse_scim("\n".join(f"{key}: {value}" for key, value in SMALL_LIMITS.items()) + "\n")

    assert settings.limits == RequestLimits(**{k: v for k, v in SMALL_LIMITS.items() if k != "max_results"})
    assert settings.max_results == 5


def test_rate_limit_burst_defaults_to_rate() -> None:
    assert parse_scim("rate_limit_per_second: 2.5\n").rate_limit == RateLimit(per_second=2.5, burst=3)
    assert parse_scim("rate_limit_per_second: 50\n").rate_limit == RateLimit(per_second=50.0, burst=50)
    assert parse_scim("rate_limit_per_second: 0.2\n").rate_limit == RateLimit(per_second=0.2, burst=1)


def test_rate_limit_burst_read() -> None:
    settings = parse_scim("rate_limit_per_second: 10\nrate_limit_burst: 40\n")

    assert settings.rate_limit == RateLimit(per_second=10.0, burst=40)


def test_busy_timeout_read() -> None:
    assert parse_scim("busy_timeout_ms: 250\n").busy_timeout_ms == 250


@pytest.mark.parametrize("key", [*RequestLimits.__dataclass_fields__, "busy_timeout_ms", "rate_limit_burst"])
@pytest.mark.parametrize("value", ["0", "-1", "true", "'10'", "1.5"])
def test_limit_key_rejects_value(key: str, value: str) -> None:
    extra = "rate_limit_per_second: 5\n" if key == "rate_limit_burst" else ""

    with pytest.raises(ConfigError) as caught:
        parse_scim(f"{extra}{key}: {value}\n")

    assert f"app.config.scim.{key} must be a positive whole number" in str(caught.value)


@pytest.mark.parametrize("value", ["0", "-3", "true", "'5'", ".inf"])
def test_rate_limit_rejects_value(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scim(f"rate_limit_per_second: {value}\n")

    assert "app.config.scim.rate_limit_per_second must be a positive number" in str(caught.value)


def test_rate_limit_burst_needs_rate() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scim("rate_limit_burst: 5\n")

    assert "rate_limit_burst is set, but rate_limit_per_second is not" in str(caught.value)


def test_limit_key_misspelled_suggests_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_scim("max_member: 5\n")

    assert "Did you mean max_members?" in str(caught.value)


# ---------------------------------------------------------------------------------------------
# Breaches, against a server with small limits


@pytest.fixture(scope="module")
def small_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    folder = tmp_path_factory.mktemp("small-limits")
    with serve_app(folder, database_url=None, workers=1, threads=4, scim=SMALL_LIMITS) as app:
        yield app


def assert_limit_error(reply: Any, status: int, scim_type: str | None, limit: str, value: int) -> None:
    assert reply.status == status, reply.body
    assert reply.body["schemas"] == [ERROR_URN]
    assert reply.scim_type == scim_type
    assert limit in reply.detail
    assert str(value) in reply.detail


def user_body(user_name: str, size: int = 0) -> dict[str, Any]:
    """Return a User whose JSON text is exactly ``size`` bytes long, when ``size`` is given."""
    body: dict[str, Any] = {"schemas": [USER_URN], "userName": user_name, "nickName": ""}
    if size:
        body["nickName"] = "x" * (size - len(json.dumps(body)))
        assert len(json.dumps(body)) == size
    return body


def test_body_over_limit_413(small_app: LiveApp) -> None:
    reply = small_app.client().request("POST", "/Users", body=user_body(unique_name("big"), 2001))

    assert_limit_error(reply, 413, None, "max_body_bytes", 2000)


def test_body_at_limit_accepted(small_app: LiveApp) -> None:
    reply = small_app.client().request("POST", "/Users", body=user_body(unique_name("fits"), 2000))

    assert reply.status == 201, reply.body


def test_chunked_body_over_limit_413(small_app: LiveApp) -> None:
    """A body sent without Content-Length is cut off at the limit too."""
    body = json.dumps(user_body(unique_name("chunked"), 5000)).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:3000], body[3000:]))
    request = (
        f"POST /crm/api/v1/scim/Users HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {small_app.token}\r\nContent-Type: application/scim+json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode() + chunks + b"0\r\n\r\n"

    with socket.create_connection(("127.0.0.1", small_app.server.port), timeout=30) as connection:
        connection.sendall(request)
        response = b""
        while chunk := connection.recv(65536):
            response += chunk

    status_line, _, rest = response.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 413"), response[:300]
    assert b"max_body_bytes" in rest


def nested(depth: int) -> dict[str, Any]:
    """Return a User body whose deepest array sits at nesting level ``depth``."""
    value: Any = []
    for _ in range(depth - 2):
        value = [value]
    return {"schemas": [USER_URN], "userName": unique_name("deep"), "x": value}


def test_json_depth_over_limit_rejected(small_app: LiveApp) -> None:
    reply = small_app.client().request("POST", "/Users", body=nested(7))

    assert_limit_error(reply, 400, "invalidSyntax", "max_json_depth", 6)


def test_json_depth_at_limit_accepted(small_app: LiveApp) -> None:
    reply = small_app.client().request("POST", "/Users", body=nested(6))

    assert reply.status == 201, reply.body


def test_very_deep_json_rejected(small_app: LiveApp) -> None:
    reply = small_app.client().request("POST", "/Users", data=b"[" * 900 + b"]" * 900)

    assert_limit_error(reply, 400, "invalidSyntax", "max_json_depth", 6)


def test_filter_over_length_rejected(small_app: LiveApp) -> None:
    filter_text = 'userName eq "' + "a" * 87 + '"'
    assert len(filter_text) == 101

    reply = small_app.client().request("GET", "/Users", params={"filter": filter_text})

    assert_limit_error(reply, 400, "invalidFilter", "max_filter_length", 100)


def test_filter_at_length_accepted(small_app: LiveApp) -> None:
    filter_text = 'userName eq "' + "a" * 86 + '"'
    assert len(filter_text) == 100

    reply = small_app.client().request("GET", "/Users", params={"filter": filter_text})

    assert reply.status == 200, reply.body


def test_filter_over_depth_rejected(small_app: LiveApp) -> None:
    reply = small_app.client().request("GET", "/Users", params={"filter": '((((userName eq "a"))))'})

    assert_limit_error(reply, 400, "invalidFilter", "max_filter_depth", 3)


def test_filter_at_depth_accepted(small_app: LiveApp) -> None:
    reply = small_app.client().request("GET", "/Users", params={"filter": '(((userName eq "a")))'})

    assert reply.status == 200, reply.body


def replace_title(count: int) -> list[dict[str, Any]]:
    return [{"op": "replace", "path": "title", "value": f"title {number}"} for number in range(count)]


def test_patch_operations_over_limit_rejected(small_app: LiveApp) -> None:
    client = small_app.client()
    user_id = require_created(client.create_user(unique_name("ops")))

    reply = client.patch(f"/Users/{user_id}", replace_title(6))

    assert_limit_error(reply, 400, "invalidValue", "max_patch_operations", 5)
    assert client.request("GET", f"/Users/{user_id}").body.get("title") is None


def test_patch_operations_at_limit_accepted(small_app: LiveApp) -> None:
    client = small_app.client()
    user_id = require_created(client.create_user(unique_name("ops")))

    reply = client.patch(f"/Users/{user_id}", replace_title(5))

    assert reply.status == 200, reply.body
    assert reply.body["title"] == "title 4"


@pytest.fixture(scope="module")
def five_users(small_app: LiveApp) -> list[str]:
    client = small_app.client()
    return [require_created(client.create_user(unique_name("member"))) for _ in range(5)]


def test_group_post_members_over_limit(small_app: LiveApp, five_users: list[str]) -> None:
    members = [{"value": user_id} for user_id in five_users]

    reply = small_app.client().create_group(unique_name("Too Many"), members=members)

    assert_limit_error(reply, 400, "invalidValue", "max_members", 4)


def test_group_patch_members_over_limit(small_app: LiveApp, five_users: list[str]) -> None:
    """Members count across all operations of one PATCH."""
    client = small_app.client()
    group_id = require_created(client.create_group(unique_name("Patched")))
    operations = [
        {"op": "add", "path": "members", "value": [{"value": user_id} for user_id in five_users[:3]]},
        {"op": "add", "path": "members", "value": [{"value": user_id} for user_id in five_users[3:]]},
    ]

    reply = client.patch(f"/Groups/{group_id}", operations)

    assert_limit_error(reply, 400, "invalidValue", "max_members", 4)
    group = client.request("GET", f"/Groups/{group_id}")
    assert group.body.get("members", []) == []


def test_group_members_at_limit_accepted(small_app: LiveApp, five_users: list[str]) -> None:
    client = small_app.client()
    members = [{"value": user_id} for user_id in five_users[:4]]

    reply = client.create_group(unique_name("Four"), members=members)

    assert reply.status == 201, reply.body
    assert len(reply.body["members"]) == 4


def test_page_size_capped_at_max_results(small_app: LiveApp, five_users: list[str]) -> None:
    client = small_app.client()
    require_created(client.create_user(unique_name("sixth")))

    reply = client.request("GET", "/Users", params={"count": "100"})

    assert reply.status == 200
    assert reply.body["itemsPerPage"] == 5
    assert len(reply.body["Resources"]) == 5
    assert reply.body["totalResults"] > 5


def test_max_results_advertised(small_app: LiveApp) -> None:
    reply = small_app.client().request("GET", "/ServiceProviderConfig")

    assert reply.status == 200
    assert reply.body["filter"] == {"supported": True, "maxResults": 5}


# ---------------------------------------------------------------------------------------------
# The defaults let the largest legitimate Entra ID requests through


@pytest.fixture(scope="module")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    folder = tmp_path_factory.mktemp("default-limits")
    with serve_app(folder, database_url=None, workers=1, threads=4) as app:
        yield app


def full_entra_user(user_name: str) -> dict[str, Any]:
    """Return a User with every attribute of Entra ID's default mapping, plus long values."""
    return {
        "schemas": [USER_URN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "x" * 200,
        "userName": user_name,
        "active": True,
        "displayName": "D" * 250,
        "title": "T" * 120,
        "preferredLanguage": "sv-SE",
        "name": {"formatted": "F" * 200, "familyName": "L" * 120, "givenName": "G" * 120},
        "emails": [{"primary": True, "type": "work", "value": f"{user_name}@contoso.example"}],
        "phoneNumbers": [
            {"type": "work", "value": "+46 8 123 456 78"},
            {"type": "mobile", "value": "+46 70 123 45 67"},
            {"type": "fax", "value": "+46 8 123 456 79"},
        ],
        "addresses": [{"type": "work", "formatted": "A" * 300, "streetAddress": "S" * 200, "locality": "Lund",
                       "region": "Skåne", "postalCode": "222 22", "country": "SE"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "12345", "department": "Sales", "costCenter": "CC1",
            "organization": "Contoso", "division": "North",
        },
    }


def test_full_entra_user_accepted(default_app: LiveApp) -> None:
    reply = default_app.client().request("POST", "/Users", body=full_entra_user(unique_name("full")))

    assert reply.status == 201, reply.body


def test_long_entra_filter_accepted(default_app: LiveApp) -> None:
    """Entra looks users up by userName and externalId; both can be a few hundred characters."""
    client = default_app.client()
    user_name = unique_name("u" * 240)
    require_created(client.create_user(user_name))

    reply = client.request("GET", "/Users", params={"filter": f'userName eq "{user_name}"'})

    assert reply.status == 200
    assert reply.body["totalResults"] == 1


def test_entra_user_patch_every_attribute(default_app: LiveApp) -> None:
    """Entra's user update sends one operation per changed attribute."""
    client = default_app.client()
    user_id = require_created(client.create_user(unique_name("patch.all")))
    paths = ["displayName", "title", "name.givenName", "name.familyName", "externalId",
             'emails[type eq "work"].value', 'phoneNumbers[type eq "work"].value',
             'phoneNumbers[type eq "mobile"].value', "preferredLanguage",
             'addresses[type eq "work"].streetAddress', 'addresses[type eq "work"].locality',
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"]
    operations = [{"op": "Replace", "path": path, "value": f"new {number}"} for number, path in enumerate(paths)]
    operations.append({"op": "Replace", "path": "active", "value": "False"})

    reply = client.patch(f"/Users/{user_id}", operations)

    assert reply.status == 200, reply.body


def test_ten_thousand_members_pass_limits(default_app: LiveApp) -> None:
    """A member PATCH of 10 000 ids is within every default limit.

    The ids name no users, so the request fails on them: the detail shows that the ids were
    looked up, which happens only after the body, operation and member limits passed.
    """
    client = default_app.client()
    group_id = require_created(client.create_group(unique_name("Big Group")))
    members = [{"value": f"00000000-0000-4000-8000-{number:012d}"} for number in range(10000)]
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "Add", "path": "members", "value": members}]}
    assert len(json.dumps(body)) < RequestLimits().max_body_bytes

    reply = client.request("PATCH", f"/Groups/{group_id}", body=body)

    assert reply.status == 400
    assert "do not name users" in reply.detail


def test_group_post_with_members_accepted(default_app: LiveApp) -> None:
    client = default_app.client()
    user_ids = [require_created(client.create_user(unique_name("m"))) for _ in range(3)]
    body = {"schemas": [GROUP_URN], "displayName": unique_name("With Members"),
            "members": [{"value": user_id} for user_id in user_ids]}

    reply = client.request("POST", "/Groups", body=body)

    assert reply.status == 201, reply.body


def test_default_server_advertises_max_results(default_app: LiveApp) -> None:
    reply = ScimClient(default_app.tenant_url, default_app.token).request("GET", "/ServiceProviderConfig")

    assert reply.body["filter"]["maxResults"] == 1000
