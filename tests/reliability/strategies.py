"""Hypothesis strategies for hostile SCIM requests: filters, bodies, paths and headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from lime_scim.scim.filter import (
    COMPARISON_OPERATORS,
    And,
    AttrPath,
    Comparison,
    Expr,
    Not,
    Or,
    ValuePath,
    render_filter,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Strings that break naive SQL, LIKE and GLOB patterns, JSON, logs or Unicode handling.
HOSTILE_STRINGS = [
    "", " ", "'", '"', "\\", "\\\\", "' OR '1'='1", "'; DROP TABLE lime_user; --", "/* */", "--",
    "%", "_", "*", "?", "[a-z]", "[!a]", "\x00", "a\x00b", "\t", "\n", "\r\n", "\x1b[31m", "\x7f",
    "\u2028", "\u200b", "\u202e", "\ufeff", "😀", "𝒜", "漢字", "p\u0430ypal", "e\u0301", "Å", "ß",
    "null", "true", "0", "-1", "1e999", "NaN", "${jndi:ldap://127.0.0.1/x}", "../../etc/passwd",
    "<script>", "a" * 300, "userName", "members", "urn:ietf:params:scim:schemas:core:2.0:User",
]
# SCIM attribute names and paths that the server maps, mixed into generated bodies and filters.
ATTRIBUTE_PATHS = [
    "userName", "displayName", "name.givenName", "name.familyName", "title", "externalId", "active",
    "emails", "emails.value", 'emails[type eq "work"].value', 'emails[type eq "home"].value',
    "phoneNumbers", 'phoneNumbers[type eq "mobile"].value', "members", 'members[value eq "1"]',
    "id", "meta.created", "meta.lastModified", "groups", "preferredLanguage", "nickName",
    f"{ENTERPRISE_URN}:manager", f"{ENTERPRISE_URN}:department", f"{USER_URN}:title",
]
USER_KEYS = [
    "schemas", "userName", "displayName", "name", "title", "externalId", "active", "emails",
    "phoneNumbers", "password", "id", "meta", "groups", "preferredLanguage", ENTERPRISE_URN, "members",
]

hostile_text = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=40))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(USER_KEYS), hostile_text), children, max_size=4),
    ),
    max_leaves=10,
)


# ---------------------------------------------------------------------------------------------
# Filters

# "and" and "or" are left out of attribute names, because the parser reads them as operators.
attribute_names = st.from_regex(r"\$?[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True).filter(
    lambda name: name.lower() not in {"and", "or"}
)
schemas = st.one_of(st.none(), st.sampled_from([USER_URN, ENTERPRISE_URN, "URN:example:Custom.Schema-1"]))
known_paths = st.sampled_from([
    AttrPath(None, "userName"), AttrPath(None, "displayName"), AttrPath(None, "externalId"),
    AttrPath(None, "title"), AttrPath(None, "active"), AttrPath(None, "id"),
    AttrPath(None, "name", "givenName"), AttrPath(None, "emails", "value"),
    AttrPath(None, "meta", "lastModified"), AttrPath(None, "members", "value"),
    AttrPath(USER_URN, "userName"), AttrPath(ENTERPRISE_URN, "manager"),
])
attribute_paths = st.one_of(
    known_paths,
    st.builds(AttrPath, schemas, attribute_names, st.one_of(st.none(), attribute_names)),
)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
ordered_values = st.one_of(hostile_text, st.integers(), finite_floats)
any_values = st.one_of(ordered_values, st.booleans(), st.none())


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    path = draw(attribute_paths)
    operator = draw(st.sampled_from(COMPARISON_OPERATORS))
    if operator == "pr":
        return Comparison(path, operator, None)
    if operator in ("gt", "ge", "lt", "le"):
        return Comparison(path, operator, draw(ordered_values))
    return Comparison(path, operator, draw(any_values))


def combine(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(And, children, children),
        st.builds(Or, children, children),
        st.builds(Not, children),
    )


# Expressions without value paths, which is what a value path may contain.
flat_expressions = st.recursive(comparisons(), combine, max_leaves=8)


@st.composite
def value_paths(draw: st.DrawFn) -> ValuePath:
    path = draw(attribute_paths)
    return ValuePath(AttrPath(path.schema, path.attribute, None), draw(flat_expressions))


expressions = st.recursive(st.one_of(comparisons(), value_paths()), combine, max_leaves=12)

# Text built from the parser's own vocabulary reaches deeper than arbitrary characters.
filter_tokens = st.one_of(
    st.sampled_from(["(", ")", "[", "]", '"', "\\", ".", " ", "and", "or", "not", "pr", "eq", "gt",
                     "co", "sw", "true", "null", "-", "1e400", "0.5", "userName", "emails", ".value",
                     "members", "id", f"{USER_URN}:name.givenName", "\\u0000", "\\ud800", '\\"',
                     "\x00", "\u2028", "𝒜", "9" * 50]),
    st.text(max_size=5),
    st.from_regex(r'"([^"\\]|\\.){0,8}"', fullmatch=True),
)
token_soup = st.lists(filter_tokens, max_size=40).map("".join)


# ---------------------------------------------------------------------------------------------
# Requests


@dataclass
class HostileRequest:
    """One generated request: method, path under the tenant URL, query, headers and body bytes."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None
    # False sends a wrong or malformed Authorization header instead of the token.
    authorized: bool = True

    def describe(self) -> str:
        body = "" if self.data is None else f" body={self.data[:300]!r}"
        return f"{self.method} {self.path} params={self.params!r} headers={self.headers!r}{body}"


def encode(value: Any) -> bytes:
    """Encode ``value`` as JSON; non-finite floats become NaN or Infinity, which Python reads back."""
    return json.dumps(value).encode()


@st.composite
def user_bodies(draw: st.DrawFn) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": draw(st.sampled_from([[USER_URN], [USER_URN, ENTERPRISE_URN], []]))}
    body["userName"] = draw(st.one_of(hostile_text, json_values))
    for key in draw(st.lists(st.sampled_from(USER_KEYS), max_size=6, unique=True)):
        body[key] = draw(st.one_of(
            hostile_text,
            json_values,
            st.builds(lambda v, t: [{"value": v, "type": t, "primary": True}], hostile_text,
                      st.sampled_from(["work", "home", "mobile", "other"])),
            st.builds(lambda g, f: {"givenName": g, "familyName": f}, hostile_text, hostile_text),
            st.builds(lambda v: {"manager": {"value": v}}, hostile_text),
        ))
    return body


@st.composite
def group_bodies(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    members = draw(st.lists(st.one_of(st.sampled_from(ids), hostile_text, json_values), max_size=6))
    body: dict[str, Any] = {
        "schemas": draw(st.sampled_from([[GROUP_URN], [], ["garbage"]])),
        "displayName": draw(st.one_of(hostile_text, json_values)),
    }
    if draw(st.booleans()):
        body["members"] = [{"value": member} if draw(st.booleans()) else member for member in members]
    return body


@st.composite
def patch_bodies(draw: st.DrawFn, ids: list[str]) -> dict[str, Any]:
    operations = []
    for _ in range(draw(st.sampled_from(range(6)))):
        operation: dict[str, Any] = {
            draw(st.sampled_from(["op", "Op", "OP"])): draw(st.one_of(
                st.sampled_from(["add", "Add", "replace", "Replace", "remove", "Remove", "REPLACE"]), hostile_text,
            )),
        }
        if draw(st.sampled_from(range(10))) < 8:
            operation["path"] = draw(st.one_of(
                st.sampled_from(ATTRIBUTE_PATHS),
                hostile_text,
                token_soup,
                st.builds(lambda value_id: f'members[value eq "{value_id}"]', st.sampled_from(ids)),
            ))
        if draw(st.sampled_from(range(10))) < 8:
            operation["value"] = draw(st.one_of(
                json_values,
                st.lists(st.builds(lambda v: {"value": v}, st.one_of(st.sampled_from(ids), hostile_text)),
                         max_size=5),
                st.dictionaries(st.sampled_from(ATTRIBUTE_PATHS), json_values, max_size=4),
            ))
        operations.append(operation)
    schemas = draw(st.sampled_from([[PATCH_URN], [], ["urn:x"], None]))
    body: dict[str, Any] = {draw(st.sampled_from(["Operations", "operations", "ops"])): operations}
    if schemas is not None:
        body["schemas"] = schemas
    return body


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """Bodies that are not plain JSON objects: broken JSON, bad UTF-8, escapes, deep or big."""
    kind = draw(st.sampled_from(range(10)))
    if kind == 0:
        return draw(st.binary(max_size=200))
    if kind == 1:
        return b'{"schemas":["' + USER_URN.encode() + b'"],"userName":"x\\ud800' + draw(st.binary(max_size=8)) + b'"}'
    if kind == 2:
        depth = draw(st.integers(1, 3000))
        return b"[" * depth + b"]" * depth
    if kind == 3:
        depth = draw(st.integers(1, 200))
        return b'{"a":' * depth + b"1" + b"}" * depth
    if kind == 4:
        # Just past the default max_body_bytes of 4 MiB.
        return b'{"userName":"' + b"x" * (4 * 1024 * 1024) + b'"}'
    if kind == 5:
        return encode(draw(json_values))[: draw(st.sampled_from(range(51)))]
    if kind == 6:
        return '{"userName":"\udcff"}'.encode("utf-8", "surrogateescape")
    if kind == 7:
        return b'{"userName": NaN, "active": Infinity, "title": -Infinity}'
    if kind == 8:
        return draw(st.text(max_size=100)).encode("utf-16")
    return encode(draw(json_values))


non_empty_text = hostile_text.filter(lambda text: text.strip() != "")


@st.composite
def well_formed_writes(draw: st.DrawFn, user_ids: list[str], group_ids: list[str]) -> HostileRequest:
    """Draw a write in the shape Entra ID sends, with hostile values, aimed at existing ids."""
    kind = draw(st.sampled_from(range(6)))
    if kind == 0:
        body: dict[str, Any] = {
            "schemas": [USER_URN], "userName": draw(non_empty_text), "active": draw(st.booleans()),
            "displayName": draw(hostile_text), "title": draw(hostile_text),
            "name": {"givenName": draw(hostile_text), "familyName": draw(hostile_text)},
            "emails": [{"type": "work", "primary": True, "value": draw(hostile_text)}],
            "externalId": draw(hostile_text),
        }
        return HostileRequest("POST", "/Users", data=encode(body))
    if kind == 1:
        members = draw(st.lists(st.sampled_from(user_ids), max_size=3, unique=True))
        body = {"schemas": [GROUP_URN], "displayName": draw(non_empty_text),
                "members": [{"value": member} for member in members]}
        return HostileRequest("POST", "/Groups", data=encode(body))
    if kind == 2:
        operations = [{"op": draw(st.sampled_from(["Replace", "Add", "replace"])),
                       "path": draw(st.sampled_from(ATTRIBUTE_PATHS[:12])),
                       "value": draw(st.one_of(hostile_text, st.booleans(), st.sampled_from(["True", "False"])))}
                      for _ in range(draw(st.integers(1, 4)))]
        body = {"schemas": [PATCH_URN], "Operations": operations}
        return HostileRequest("PATCH", f"/Users/{draw(st.sampled_from(user_ids))}", data=encode(body))
    if kind == 3:
        members = [{"value": member} for member in draw(st.lists(st.sampled_from(user_ids), min_size=1, max_size=3))]
        operation = draw(st.sampled_from([
            {"op": "Add", "path": "members", "value": members},
            {"op": "Remove", "path": "members", "value": members},
            {"op": "remove", "path": f'members[value eq "{members[0]["value"]}"]'},
            {"op": "Replace", "path": "displayName", "value": draw(non_empty_text)},
        ]))
        body = {"schemas": [PATCH_URN], "Operations": [operation]}
        return HostileRequest("PATCH", f"/Groups/{draw(st.sampled_from(group_ids))}", data=encode(body))
    if kind == 4:
        value = draw(st.one_of(hostile_text, st.sampled_from(HOSTILE_STRINGS)))
        attribute = draw(st.sampled_from(["userName", "externalId", "displayName", "title", "emails.value"]))
        operator = draw(st.sampled_from(["eq", "co", "sw", "ew", "ne", "gt"]))
        return HostileRequest("GET", "/Users", params={"filter": f"{attribute} {operator} {json.dumps(value)}"})
    resource = draw(st.sampled_from(["Users", "Groups"]))
    ids = user_ids if resource == "Users" else group_ids
    return HostileRequest("DELETE", f"/{resource}/{draw(st.sampled_from(ids))}")


@st.composite
def hostile_requests(draw: st.DrawFn, user_ids: list[str], group_ids: list[str]) -> HostileRequest:
    """Draw one request: a third are well-formed writes and filters, the rest anything."""
    ids = user_ids + group_ids
    some_id = st.one_of(st.sampled_from(ids), hostile_text.map(lambda text: quote(text, safe="")))
    resource = draw(st.sampled_from(["Users", "Groups"]))
    kind = draw(st.sampled_from(range(100)))
    request = HostileRequest("GET", f"/{resource}")

    if kind >= 67:
        request = draw(well_formed_writes(user_ids, group_ids))
    elif kind < 10:
        request.method, request.data = "POST", encode(draw(user_bodies()))
        request.path = "/Users"
    elif kind < 15:
        request.method, request.data = "POST", encode(draw(group_bodies(ids)))
        request.path = "/Groups"
    elif kind < 25:
        request.method = "PATCH"
        request.path = f"/{resource}/{draw(some_id)}"
        request.data = encode(draw(patch_bodies(ids)))
    elif kind < 28:
        request.method = "PUT"
        request.path = f"/{resource}/{draw(some_id)}"
        request.data = encode(draw(user_bodies() if resource == "Users" else group_bodies(ids)))
    elif kind < 40:
        request.params["filter"] = draw(st.one_of(expressions.map(render_filter), token_soup, hostile_text))
    elif kind < 45:
        request.path = f"/{resource}/{draw(some_id)}"
        request.method = draw(st.sampled_from(["GET", "DELETE", "HEAD"]))
    elif kind < 52:
        request.method = draw(st.sampled_from(["POST", "PATCH", "PUT"]))
        request.path = draw(st.sampled_from(["/Users", "/Groups", f"/{resource}/{ids[0]}", "/Users/.search"]))
        request.data = draw(raw_bodies())
    elif kind < 57:
        request.method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]))
        request.path = draw(st.one_of(
            st.sampled_from(["/", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/ResourceTypes/User",
                             f"/Schemas/{USER_URN}", "/Users/.search", "//Users", "/Users/", "/Bulk", "/Me"]),
            hostile_text.map(lambda text: "/" + quote(text, safe="/")),
        ))
        if request.method in ("POST", "PUT", "PATCH"):
            request.data = encode(draw(json_values))
    elif kind < 62:
        request.params.update(draw(st.dictionaries(
            st.sampled_from(["attributes", "excludedAttributes", "count", "startIndex", "sortBy", "sortOrder",
                             "filter", "aadOptscim062020"]),
            st.one_of(hostile_text, st.integers().map(str), st.sampled_from(ATTRIBUTE_PATHS)),
            max_size=4,
        )))
    else:
        request.authorized = False
        request.headers["Authorization"] = draw(st.one_of(
            st.sampled_from(["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer x y"]),
            hostile_text.map(lambda text: header_text("Bearer " + text)),
        ))

    if request.data is not None and draw(st.sampled_from(range(10))) == 0:
        request.headers["Content-Type"] = draw(st.sampled_from([
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "",
            "application/json; charset=latin-1", "application/scim+json; charset=utf-16",
        ]))
    elif request.data is not None:
        request.headers.setdefault("Content-Type", draw(st.sampled_from([
            "application/scim+json", "application/json; charset=utf-8", "application/scim+json; charset=utf-8",
        ])))
    if draw(st.sampled_from(range(20))) == 0:
        request.headers[draw(st.sampled_from(["If-Match", "If-None-Match"]))] = draw(st.one_of(
            st.sampled_from(["*", 'W/"1"', '"1"', "W/", ""]),
            hostile_text.map(header_text),
        ))
    return request


def header_text(text: str) -> str:
    """Return ``text`` as a header value that HTTP clients send: Latin-1, no line breaks, no NUL.

    requests rejects other values before sending them, so they would never reach the server.
    """
    cleaned = text.encode("latin-1", "replace").decode("latin-1")
    for character in "\r\n\x00":
        cleaned = cleaned.replace(character, "")
    return cleaned.lstrip()
