"""Tests of the PATCH path parser (RFC 7644 §3.5.2)."""

from __future__ import annotations

import pytest

from lime_scim.scim.errors import InvalidPath
from lime_scim.scim.filter import And, AttrPath, Comparison, Or
from lime_scim.scim.paths import PatchPath, parse_path, render_path

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def eq(attribute: str, value: str) -> Comparison:
    return Comparison(AttrPath(None, attribute), "eq", value)


VALID_PATHS = [
    pytest.param("displayName", PatchPath(None, "displayName"), id="rfc-attribute"),
    pytest.param("name.familyName", PatchPath(None, "name", None, "familyName"), id="rfc-sub-attribute"),
    pytest.param(
        f"{ENTERPRISE_URN}:department", PatchPath(ENTERPRISE_URN, "department"), id="rfc-urn-attribute"
    ),
    pytest.param(
        f"{USER_URN}:name.givenName",
        PatchPath(USER_URN, "name", None, "givenName"),
        id="rfc-urn-sub-attribute",
    ),
    pytest.param(
        'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
        PatchPath(None, "members", eq("value", "2819c223-7f76-453a-919d-413861904646")),
        id="rfc-value-filter",
    ),
    pytest.param(
        'emails[type eq "work" and value ew "example.com"]',
        PatchPath(
            None, "emails", And(eq("type", "work"), Comparison(AttrPath(None, "value"), "ew", "example.com"))
        ),
        id="rfc-value-filter-and",
    ),
    pytest.param(
        'addresses[type eq "work"].streetAddress',
        PatchPath(None, "addresses", eq("type", "work"), "streetAddress"),
        id="rfc-value-filter-sub-attribute",
    ),
    pytest.param(
        f'{USER_URN}:emails[type eq "work"].value',
        PatchPath(USER_URN, "emails", eq("type", "work"), "value"),
        id="urn-value-filter-sub-attribute",
    ),
    pytest.param(
        'emails[value eq "a]b[c"].type',
        PatchPath(None, "emails", eq("value", "a]b[c"), "type"),
        id="bracket-inside-string",
    ),
    pytest.param(
        r'emails[value eq "a\"]"]',
        PatchPath(None, "emails", eq("value", 'a"]')),
        id="escaped-quote-inside-string",
    ),
    pytest.param("members.$ref", PatchPath(None, "members", None, "$ref"), id="ref-sub-attribute"),
    pytest.param("  title  ", PatchPath(None, "title"), id="surrounding-whitespace"),
    # Paths from Entra ID's default mappings and request samples.
    pytest.param(
        'emails[type eq "work"].value',
        PatchPath(None, "emails", eq("type", "work"), "value"),
        id="entra-work-email",
    ),
    pytest.param(
        'addresses[type eq "work"].formatted',
        PatchPath(None, "addresses", eq("type", "work"), "formatted"),
        id="entra-work-address-formatted",
    ),
    pytest.param(
        'phoneNumbers[type eq "mobile"].value',
        PatchPath(None, "phoneNumbers", eq("type", "mobile"), "value"),
        id="entra-mobile-phone",
    ),
    pytest.param(
        'roles[primary eq "True"].value',
        PatchPath(None, "roles", eq("primary", "True"), "value"),
        id="entra-string-boolean-filter",
    ),
    pytest.param(f"{ENTERPRISE_URN}:manager", PatchPath(ENTERPRISE_URN, "manager"), id="entra-manager"),
    pytest.param(
        f"{ENTERPRISE_URN}:employeeNumber",
        PatchPath(ENTERPRISE_URN, "employeeNumber"),
        id="entra-employee-number",
    ),
    pytest.param(
        'manager[value eq "M1"]',
        PatchPath(None, "manager", eq("value", "M1")),
        id="entra-manager-value-filter",
    ),
    pytest.param(
        'members[value eq "U7"]',
        PatchPath(None, "members", eq("value", "U7")),
        id="entra-remove-member-filter",
    ),
    pytest.param(
        'members[value eq "U1" or value eq "U7"]',
        PatchPath(None, "members", Or(eq("value", "U1"), eq("value", "U7"))),
        id="members-or-filter",
    ),
    pytest.param(
        "urn:ietf:params:scim:schemas:extension:Acme:2.0:User:costCenter",
        PatchPath("urn:ietf:params:scim:schemas:extension:Acme:2.0:User", "costCenter"),
        id="entra-custom-extension",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID_PATHS)
def test_parse_path_valid(text: str, expected: PatchPath) -> None:
    assert parse_path(text) == expected


@pytest.mark.parametrize(("text", "expected"), VALID_PATHS)
def test_render_path_round_trip(text: str, expected: PatchPath) -> None:
    assert parse_path(render_path(expected)) == expected


def test_render_path_text() -> None:
    path = PatchPath(USER_URN, "emails", eq("type", "work"), "value")
    assert render_path(path) == f'{USER_URN}:emails[type eq "work"].value'


INVALID_PATHS = [
    pytest.param("", "The PATCH path is empty", id="empty"),
    pytest.param("   ", "The PATCH path is empty", id="whitespace"),
    pytest.param('emails[type eq "work"', "has no matching ']'", id="unclosed-bracket"),
    pytest.param('emails[type eq "work].value', "has no matching ']'", id="unterminated-string"),
    pytest.param("emails[type eq]", "Invalid value filter 'type eq'", id="filter-missing-value"),
    pytest.param("emails[]", "The filter is empty", id="empty-filter"),
    pytest.param(
        'emails[type eq "work"]value',
        "expected '.subAttribute' or nothing after ']'",
        id="suffix-without-dot",
    ),
    pytest.param('emails[type eq "work"].', "Invalid attribute name ''", id="empty-suffix"),
    pytest.param(
        'emails[type eq "work"].value.x',
        "expected one sub-attribute name after '].', found 'value.x'",
        id="suffix-two-levels",
    ),
    pytest.param(
        f'emails[type eq "work"].{USER_URN}:value', "expected one sub-attribute name", id="suffix-with-urn"
    ),
    pytest.param('emails[type eq "work"][value pr]', "expected '.subAttribute'", id="two-filters"),
    pytest.param(
        "name.familyName[value pr]", "follows an attribute, not a sub-attribute", id="filter-after-sub"
    ),
    pytest.param("foo:bar", "only a schema URN", id="colon-without-urn"),
    pytest.param("1abc", "Invalid attribute name '1abc'", id="name-starts-with-digit"),
    pytest.param("a.b.c", "Invalid attribute name 'b.c'", id="two-sub-attributes"),
    pytest.param("display name", "Invalid attribute name", id="space-in-name"),
    pytest.param(f"{ENTERPRISE_URN}:", "Invalid attribute name ''", id="urn-without-attribute"),
]


@pytest.mark.parametrize(("text", "detail"), INVALID_PATHS)
def test_parse_path_invalid(text: str, detail: str) -> None:
    with pytest.raises(InvalidPath) as raised:
        parse_path(text)
    assert detail in raised.value.detail
    assert raised.value.scim_type == "invalidPath"
    assert raised.value.status == 400


def test_parse_path_invalid_detail_quotes_the_path() -> None:
    with pytest.raises(InvalidPath) as raised:
        parse_path("emails[type eq]")
    assert raised.value.detail == (
        "Invalid value filter 'type eq' in PATCH path 'emails[type eq]': Missing operand: expected "
        "a value after 'eq' (a quoted string, a number, true, false or null), found the end of the "
        "filter. (at position 7)"
    )
