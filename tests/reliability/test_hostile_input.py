"""Hostile values against a live server on SQLite and PostgreSQL.

Filter values, attribute paths and ids are data, never SQL. Quotes, backslashes, SQL comments,
LIKE and GLOB wildcards, NUL and control characters, characters outside the Basic Multilingual
Plane and homoglyphs either round-trip exactly or get a SCIM 4xx, never a 500.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.reliability.live import (
    ERROR_URN,
    PATCH_URN,
    USER_URN,
    LiveApp,
    ScimClient,
    consistency_problems,
    require_created,
)

# Values that break naive SQL, LIKE patterns, GLOB patterns, JSON or log lines.
TRICKY_SUFFIXES = [
    "o'brien",
    'quote"inside',
    "back\\slash",
    "trailing\\",
    "semi;colon",
    "comment--dash",
    "/*block*/",
    "x' OR '1'='1",
    "Robert'); DROP TABLE lime_user;--",
    "percent%sign",
    "under_score",
    "star*glob",
    "question?glob",
    "[bracket]glob",
    "caret^[!a]",
    "tab\tname",
    "new\nline",
    "carriage\rreturn",
    "bell\x07escape\x1b",
    "delete\x7f",
    "line\u2028separator",
    "zero\u200bwidth",
    "rtl\u202eoverride",
    "emoji😀",
    "math𝒜𝓑",
    "cjk漢字",
    "combining e\u0301",
]
# Look-alikes: Latin "paypal", and the same word with Cyrillic "а" (U+0430) and Greek "ο".
HOMOGLYPHS = ["paypal", "p\u0430ypal", "payp\u0430l", "p\u03bfypal"]


def scim_string(value: str, *, ascii_only: bool) -> str:
    """Return ``value`` as a quoted filter string, escaped as JSON."""
    return json.dumps(value, ensure_ascii=ascii_only)


def search(client: ScimClient, filter_text: str, path: str = "/Users") -> Any:
    return client.request("GET", path, params={"filter": filter_text})


@pytest.fixture(scope="module")
def run_id() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def tricky_users(shared_app: LiveApp, run_id: str) -> dict[str, str]:
    """Create one user per tricky suffix; return the id of each user by its userName."""
    client = shared_app.client()
    created = {}
    for suffix in TRICKY_SUFFIXES:
        user_name = f"{run_id}.{suffix}"
        reply = client.create_user(user_name, displayName=suffix, externalId=f"ext.{run_id}.{suffix}",
                                   title=suffix)
        assert reply.status == 201, (suffix, reply.body)
        assert reply.body["userName"] == user_name
        created[user_name] = reply.body["id"]
    return created


@pytest.mark.parametrize("ascii_only", [True, False], ids=["escaped", "raw-utf8"])
def test_tricky_names_found_exactly(shared_app: LiveApp, tricky_users: dict[str, str], ascii_only: bool) -> None:
    client = shared_app.client()

    for user_name, user_id in tricky_users.items():
        reply = search(client, f"userName eq {scim_string(user_name, ascii_only=ascii_only)}")
        assert reply.status == 200, (user_name, reply.body)
        assert [resource["id"] for resource in reply.body["Resources"]] == [user_id], user_name
        assert reply.body["Resources"][0]["userName"] == user_name


def test_tricky_values_round_trip(shared_app: LiveApp, tricky_users: dict[str, str], run_id: str) -> None:
    client = shared_app.client()

    for user_name, user_id in tricky_users.items():
        suffix = user_name.removeprefix(f"{run_id}.")
        reply = client.request("GET", f"/Users/{user_id}")
        assert reply.status == 200
        assert reply.body["displayName"] == suffix
        assert reply.body["title"] == suffix
        assert reply.body["externalId"] == f"ext.{run_id}.{suffix}"


@pytest.mark.parametrize(
    ("operator", "fragment", "expected_suffixes"),
    [
        ("co", "%", ["percent%sign"]),
        ("co", "_", ["under_score", "Robert'); DROP TABLE lime_user;--"]),
        ("co", "*", ["star*glob", "/*block*/"]),
        ("co", "?", ["question?glob"]),
        ("co", "[", ["[bracket]glob", "caret^[!a]"]),
        ("co", "'", ["o'brien", "x' OR '1'='1", "Robert'); DROP TABLE lime_user;--"]),
        ("co", "\\", ["back\\slash", "trailing\\"]),
        ("co", "--", ["comment--dash", "Robert'); DROP TABLE lime_user;--"]),
        ("ew", "\\", ["trailing\\"]),
        ("co", "\n", ["new\nline"]),
        ("co", "😀", ["emoji😀"]),
    ],
)
@pytest.mark.parametrize("attribute", ["userName", "externalId", "title"])
def test_pattern_characters_literal(
    shared_app: LiveApp, tricky_users: dict[str, str], run_id: str,
    attribute: str, operator: str, fragment: str, expected_suffixes: list[str],
) -> None:
    """LIKE and GLOB wildcards in co, sw and ew match only themselves, case-exact or not."""
    client = shared_app.client()
    prefixes = {"externalId": f"ext.{run_id}.", "userName": f"{run_id}.", "title": ""}
    prefix = prefixes[attribute]
    scope = f'userName sw "{run_id}."'

    reply = search(client, f"{scope} and {attribute} {operator} {scim_string(fragment, ascii_only=True)}")

    assert reply.status == 200, reply.body
    found = sorted(resource[attribute].removeprefix(prefix) for resource in reply.body["Resources"])
    assert found == sorted(expected_suffixes)


@pytest.mark.parametrize(
    "value",
    [
        "' OR 1=1 --",
        "\" or \"1\"=\"1",
        "x\") or (userName pr",
        "'; DELETE FROM lime_user; --",
        "*",
        "%",
        "[a-z]*",
    ],
)
def test_injection_values_match_nothing(shared_app: LiveApp, tricky_users: dict[str, str], value: str) -> None:
    client = shared_app.client()

    for operator in ("eq", "sw"):
        reply = search(client, f"userName {operator} {scim_string(value, ascii_only=True)}")
        assert reply.status == 200, reply.body
        assert reply.body["totalResults"] == 0, (operator, value)


@pytest.mark.parametrize(
    "filter_text",
    [
        'userName;DROP TABLE lime_user eq "x"',
        '"userName" eq "x"',
        "userName eq 'x'",
        'userName eq "x" --',
        'userName eq "x" ; DELETE FROM lime_user',
        "userName eq x' OR '1'='1",
        'urn:x\' OR 1=1:userName eq "x"',
        'userName--comment eq "x"',
        'userName/**/eq "x"',
        'lime_user.username eq "x"',
        'id eq "1" or 1=1',
        'emails[value eq "x" or 1 eq 1]',
        'userName eq "\\u0000"',
        'userName eq "a\\ud800"',
        'userName eq "unterminated',
        'userName eq "bad \\x escape"',
        "\x00",
        "userName\x00 eq \"x\"",
    ],
)
@pytest.mark.parametrize("resource", ["/Users", "/Groups"])
def test_hostile_filter_rejected_or_empty(
    shared_app: LiveApp, tricky_users: dict[str, str], filter_text: str, resource: str
) -> None:
    reply = search(shared_app.client(), filter_text, resource)

    assert reply.status in (200, 400), reply.body
    if reply.status == 400:
        assert reply.body["schemas"] == [ERROR_URN]
        assert reply.scim_type == "invalidFilter"
    else:
        assert reply.body["totalResults"] == 0


@pytest.mark.parametrize(
    ("resource", "filter_text"),
    [
        ("/Users", "userName eq false"),
        ("/Users", "title ne true"),
        ("/Users", "userName ew null"),
        ("/Users", "externalId co null"),
        ("/Users", 'active co "t"'),
        ("/Users", 'meta.created sw "2020"'),
        ("/Users", "emails.value sw false"),
        ("/Groups", "displayName eq true"),
        ("/Groups", "displayName co null"),
        ("/Groups", 'meta.lastModified ew "Z"'),
    ],
)
def test_mismatched_value_type_invalid_filter(
    shared_app: LiveApp, tricky_users: dict[str, str], resource: str, filter_text: str
) -> None:
    """A value of the wrong type for the attribute or operator is the client's error."""
    reply = search(shared_app.client(), filter_text, resource)

    assert reply.status == 400, reply.body
    assert reply.scim_type == "invalidFilter"


def test_homoglyph_names_distinct(shared_app: LiveApp, run_id: str) -> None:
    client = shared_app.client()
    ids = {}
    for name in HOMOGLYPHS:
        ids[name] = require_created(client.create_user(f"{run_id}.{name}"))

    assert len(set(ids.values())) == len(HOMOGLYPHS)
    for name, user_id in ids.items():
        reply = search(client, f"userName eq {scim_string(f'{run_id}.{name}', ascii_only=False)}")
        assert [resource["id"] for resource in reply.body["Resources"]] == [user_id], repr(name)
    # The Latin name still conflicts with itself in other letter case.
    assert client.create_user(f"{run_id}.PAYPAL").status == 409


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("userName", "nul\x00inside"),
        ("displayName", "nul\x00inside"),
        ("title", "\x00"),
        ("externalId", "ext\x00"),
    ],
)
def test_nul_in_value_rejected(shared_app: LiveApp, run_id: str, attribute: str, value: str) -> None:
    body = {"userName": f"{run_id}.nul.{attribute}", attribute: value}

    reply = shared_app.client().request("POST", "/Users", body={"schemas": [USER_URN], **body})

    assert reply.status == 400, reply.body
    assert reply.body["schemas"] == [ERROR_URN]
    assert reply.scim_type == "invalidValue"


def test_unpaired_surrogate_body_rejected(shared_app: LiveApp, run_id: str) -> None:
    data = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' + run_id.encode() + b'\\ud800"}'

    reply = shared_app.client().request("POST", "/Users", data=data)

    assert reply.status == 400, reply.body
    assert reply.scim_type == "invalidSyntax"


@pytest.mark.parametrize(
    "path",
    [
        'title"; DROP TABLE lime_user; --',
        "title' OR '1'='1",
        "name.givenName.extra",
        "emails[type eq \"work\" or 1 eq 1].value",
        'emails[type eq "work"]].value',
        "urn:ietf:params:scim:schemas:core:2.0:User:title;--",
        "",
        "\x00",
        "title\x00",
    ],
)
def test_hostile_patch_path_rejected(shared_app: LiveApp, run_id: str, path: str) -> None:
    client = shared_app.client()
    user_id = require_created(client.create_user(f"{run_id}.patch.{uuid.uuid4().hex[:6]}", title="before"))

    reply = client.request("PATCH", f"/Users/{user_id}", body={
        "schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": path, "value": "after"}],
    })

    assert 400 <= reply.status < 500, reply.body
    assert reply.body["schemas"] == [ERROR_URN]
    assert client.request("GET", f"/Users/{user_id}").body["title"] == "before"


@pytest.mark.parametrize(
    "resource_id",
    [
        "1 OR 1=1",
        "'; DROP TABLE lime_user; --",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        "99999999999999999999999999",
        "-1",
        "0x10",
        "%F0%9F%98%80",
        "%ED%A0%80",
        "a" * 3000,
    ],
)
@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_hostile_id_not_found(shared_app: LiveApp, resource_id: str, resource: str) -> None:
    client = shared_app.client()

    for method in ("GET", "DELETE"):
        reply = client.request(method, f"/{resource}/{resource_id}")
        assert reply.status == 404, (method, reply.body)
        assert reply.body["schemas"] == [ERROR_URN]


@pytest.mark.parametrize(
    "params",
    [
        {"attributes": "userName;DROP TABLE lime_user"},
        {"excludedAttributes": "' OR 1=1 --"},
        {"sortBy": "userName; DROP TABLE lime_user"},
        {"sortBy": "userName", "sortOrder": "descending; --"},
        {"startIndex": "1 OR 1=1"},
        {"count": "1e9"},
        {"count": "99999999999999999999999"},
        {"startIndex": "99999999999999999999999"},
        {"count": "-99999999999999999999999"},
    ],
)
def test_hostile_query_parameters(shared_app: LiveApp, tricky_users: dict[str, str], params: dict[str, str]) -> None:
    reply = shared_app.client().request("GET", "/Users", params=params)

    assert reply.status in (200, 400), reply.body
    assert reply.body["schemas"] in ([ERROR_URN], ["urn:ietf:params:scim:api:messages:2.0:ListResponse"])


def test_store_intact_after_hostile_input(shared_app: LiveApp, tricky_users: dict[str, str]) -> None:
    client = shared_app.client()

    listed = client.request("GET", "/Users", params={"count": "0"})

    assert listed.status == 200
    assert listed.body["totalResults"] >= len(tricky_users)
    store = shared_app.export()
    assert consistency_problems(store) == []
    for user_name in tricky_users:
        assert len(store.users_named(user_name)) == 1
