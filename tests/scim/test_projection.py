"""Tests of the attributes and excludedAttributes projection (RFC 7644 §3.4.2.5, §3.9, §3.10)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lime_scim.scim.constants import ENTERPRISE_URN, GROUP_URN, USER_URN
from lime_scim.scim.definitions import AttributeDef, ResourceDef, SchemaDef
from lime_scim.scim.projection import Projection
from lime_scim.scim.schemas import GROUP_DEFINITION

# A User definition with the characteristics RFC 7643 §8.7.1 gives these attributes. It is built
# here because the served User schema depends on each application's mapping.
_USER_CORE = SchemaDef(
    id=USER_URN,
    name="User",
    description="User account",
    attributes=(
        AttributeDef("schemas", type="reference", multi_valued=True, returned="always"),
        AttributeDef("id", mutability="readOnly", returned="always", case_exact=True),
        AttributeDef("externalId", case_exact=True),
        AttributeDef("meta", type="complex", mutability="readOnly", sub_attributes=(
            AttributeDef("resourceType", mutability="readOnly"),
            AttributeDef("created", type="dateTime", mutability="readOnly"),
            AttributeDef("location", type="reference", mutability="readOnly"),
        )),
        AttributeDef("userName", required=True, returned="always", uniqueness="server"),
        AttributeDef("name", type="complex", sub_attributes=(
            AttributeDef("givenName"),
            AttributeDef("familyName"),
        )),
        AttributeDef("displayName"),
        AttributeDef("title"),
        AttributeDef("active", type="boolean"),
        AttributeDef("emails", type="complex", multi_valued=True, sub_attributes=(
            AttributeDef("value"),
            AttributeDef("type"),
            AttributeDef("primary", type="boolean"),
        )),
        AttributeDef("groups", type="complex", multi_valued=True, mutability="readOnly", sub_attributes=(
            AttributeDef("value", mutability="readOnly"),
            AttributeDef("display", mutability="readOnly"),
        )),
    ),
)
_ENTERPRISE = SchemaDef(
    id=ENTERPRISE_URN,
    name="EnterpriseUser",
    description="Enterprise user",
    attributes=(
        AttributeDef("department"),
        AttributeDef("manager", type="complex", sub_attributes=(
            AttributeDef("value"),
            AttributeDef("$ref", type="reference", mutability="readOnly"),
            AttributeDef("displayName", mutability="readOnly"),
        )),
    ),
    attribute="enterprise",
)
USER = ResourceDef(name="User", endpoint="/Users", core=_USER_CORE, extensions=(_ENTERPRISE,))

KARIN: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "id": "1001",
    "externalId": "klindqvist",
    "meta": {"resourceType": "User", "created": "2025-03-02T09:14:00Z", "location": "https://x/Users/1001"},
    "userName": "karin@example.com",
    "name": {"givenName": "Karin", "familyName": "Lindqvist"},
    "displayName": "Karin Lindqvist",
    "title": "Key Account Manager",
    "active": True,
    "emails": [{"value": "karin@example.com", "type": "work", "primary": True},
               {"value": "karin@home.example", "type": "home"}],
    "groups": [{"value": "2001", "display": "Sales"}],
    ENTERPRISE_URN: {
        "department": "Sales",
        "manager": {"value": "1002", "$ref": "https://x/Users/1002", "displayName": "Boss"},
    },
}

SALES: dict[str, Any] = {
    "schemas": [GROUP_URN],
    "id": "2001",
    "externalId": "0f1e2d3c",
    "meta": {"resourceType": "Group"},
    "displayName": "Sales",
    "members": [{"value": "1001", "$ref": "https://x/Users/1001", "display": "Karin", "type": "User"}],
}


def project_user(attributes: str | None = None, excluded: str | None = None) -> dict[str, Any]:
    return Projection.from_query(attributes, excluded).apply(copy.deepcopy(KARIN), USER)


def project_group(attributes: str | None = None, excluded: str | None = None) -> dict[str, Any]:
    return Projection.from_query(attributes, excluded).apply(copy.deepcopy(SALES), GROUP_DEFINITION)


# ---------------------------------------------------------------------------------------------
# from_query


def test_from_query_splits_and_lowers() -> None:
    projection = Projection.from_query(" userName , name.givenName,,", "Members")

    assert projection.attributes == ("username", "name.givenname")
    assert projection.excluded == ("members",)


@pytest.mark.parametrize("text", [None, "", " , "])
def test_from_query_empty_parameter(text: str | None) -> None:
    assert Projection.from_query(text, text) == Projection()


def test_projection_without_parameters_unchanged() -> None:
    assert project_user() == KARIN


# ---------------------------------------------------------------------------------------------
# attributes


def test_attributes_keeps_always_returned() -> None:
    projected = project_user("title")

    assert projected == {"schemas": [USER_URN], "id": "1001", "userName": "karin@example.com",
                         "title": "Key Account Manager"}


def test_attributes_names_ignore_case() -> None:
    projected = project_user("DISPLAYNAME")

    assert projected["displayName"] == "Karin Lindqvist"
    assert "title" not in projected


def test_attributes_selects_sub_attribute() -> None:
    projected = project_user("name.givenName")

    assert projected["name"] == {"givenName": "Karin"}


def test_attributes_selects_multi_valued_sub() -> None:
    projected = project_user("emails.value")

    assert projected["emails"] == [{"value": "karin@example.com"}, {"value": "karin@home.example"}]


def test_attributes_whole_and_sub_attribute() -> None:
    projected = project_user("name,name.givenName")

    assert projected["name"] == KARIN["name"]


def test_attributes_sub_attribute_absent() -> None:
    resource = copy.deepcopy(KARIN)
    resource["name"] = {"familyName": "Lindqvist"}

    projected = Projection.from_query("name.givenName", None).apply(resource, USER)

    assert "name" not in projected


@pytest.mark.parametrize(
    "path",
    [f"{USER_URN}:userName", f"{USER_URN.upper()}:USERNAME", f"{USER_URN}:displayName"],
)
def test_attributes_core_urn_qualified(path: str) -> None:
    projected = project_user(path)

    assert projected["userName"] == "karin@example.com"
    assert "title" not in projected


def test_attributes_core_urn_display_name() -> None:
    projected = project_user(f"{USER_URN}:displayName")

    assert projected["displayName"] == "Karin Lindqvist"


def test_attributes_core_urn_sub_attribute() -> None:
    projected = project_user(f"{USER_URN}:name.givenName")

    assert projected["name"] == {"givenName": "Karin"}


def test_attributes_other_core_urn_ignored() -> None:
    projected = project_user(f"{GROUP_URN}:displayName")

    assert "displayName" not in projected


def test_attributes_extension_urn_whole() -> None:
    projected = project_user(ENTERPRISE_URN)

    assert projected[ENTERPRISE_URN] == KARIN[ENTERPRISE_URN]
    assert projected["schemas"] == [USER_URN, ENTERPRISE_URN]


def test_attributes_extension_attribute() -> None:
    projected = project_user(f"{ENTERPRISE_URN}:manager")

    assert projected[ENTERPRISE_URN] == {"manager": KARIN[ENTERPRISE_URN]["manager"]}


def test_attributes_extension_sub_attribute() -> None:
    projected = project_user(f"{ENTERPRISE_URN}:manager.value")

    assert projected[ENTERPRISE_URN] == {"manager": {"value": "1002"}}


def test_attributes_drops_unselected_extension() -> None:
    projected = project_user("title")

    assert ENTERPRISE_URN not in projected
    assert ENTERPRISE_URN not in projected["schemas"]


def test_attributes_meta_sub_attribute() -> None:
    projected = project_user("meta.created")

    assert projected["meta"] == {"created": "2025-03-02T09:14:00Z"}


def test_attributes_unknown_name_ignored() -> None:
    projected = project_user("nickName")

    assert projected == {"schemas": [USER_URN], "id": "1001", "userName": "karin@example.com"}


def test_attributes_group_members_only() -> None:
    projected = project_group("members")

    assert projected == {"schemas": [GROUP_URN], "id": "2001", "displayName": "Sales",
                         "members": SALES["members"]}


def test_attributes_group_member_value() -> None:
    projected = project_group("members.value")

    assert projected["members"] == [{"value": "1001"}]


# ---------------------------------------------------------------------------------------------
# excludedAttributes


def test_excluded_removes_attribute() -> None:
    projected = project_user(excluded="title")

    assert "title" not in projected
    assert projected["displayName"] == "Karin Lindqvist"


def test_excluded_names_ignore_case() -> None:
    projected = project_user(excluded="GROUPS")

    assert "groups" not in projected


@pytest.mark.parametrize("name", ["id", "userName", "schemas"])
def test_excluded_cannot_remove_always(name: str) -> None:
    projected = project_user(excluded=name)

    assert projected[name] == KARIN[name]


def test_excluded_cannot_remove_group_name() -> None:
    projected = project_group(excluded="displayName,members")

    assert projected["displayName"] == "Sales"
    assert "members" not in projected


def test_excluded_group_id_kept() -> None:
    projected = project_group(excluded="id")

    assert projected["id"] == "2001"


def test_excluded_sub_attribute() -> None:
    projected = project_user(excluded="name.givenName")

    assert projected["name"] == {"familyName": "Lindqvist"}


def test_excluded_multi_valued_sub() -> None:
    projected = project_user(excluded="emails.primary")

    assert projected["emails"] == [{"value": "karin@example.com", "type": "work"},
                                   {"value": "karin@home.example", "type": "home"}]


def test_excluded_core_urn_qualified() -> None:
    projected = project_user(excluded=f"{USER_URN}:displayName")

    assert "displayName" not in projected


def test_excluded_core_urn_always() -> None:
    projected = project_user(excluded=f"{USER_URN}:userName")

    assert projected["userName"] == "karin@example.com"


def test_excluded_extension_attribute() -> None:
    projected = project_user(excluded=f"{ENTERPRISE_URN}:manager")

    assert projected[ENTERPRISE_URN] == {"department": "Sales"}


def test_excluded_whole_extension() -> None:
    projected = project_user(excluded=ENTERPRISE_URN)

    assert ENTERPRISE_URN not in projected
    assert projected["schemas"] == [USER_URN]


def test_excluded_last_extension_attribute() -> None:
    resource = copy.deepcopy(KARIN)
    del resource[ENTERPRISE_URN]["department"]

    projected = Projection.from_query(None, f"{ENTERPRISE_URN}:manager").apply(resource, USER)

    assert ENTERPRISE_URN not in projected
    assert projected["schemas"] == [USER_URN]


def test_excluded_other_core_urn_ignored() -> None:
    projected = project_user(excluded=f"{GROUP_URN}:displayName")

    assert projected["displayName"] == "Karin Lindqvist"


def test_attributes_win_over_excluded() -> None:
    projected = project_user("title", "title")

    assert projected["title"] == "Key Account Manager"


# ---------------------------------------------------------------------------------------------
# excludes: whether a top-level attribute needs loading at all


@pytest.mark.parametrize(
    ("attributes", "excluded", "name", "expected"),
    [
        (None, None, "members", False),
        (None, "members", "members", True),
        (None, "MEMBERS", "members", True),
        (None, f"{GROUP_URN}:members", "members", True),
        (None, "members.display", "members", False),
        (None, "displayName", "members", False),
        ("displayName", None, "members", True),
        ("members", None, "members", False),
        ("members.value", None, "members", False),
        (f"{GROUP_URN}:members", None, "members", False),
        ("userName", None, "groups", True),
        (f"{USER_URN}:groups.display", None, "groups", False),
        (f"{ENTERPRISE_URN}:manager", None, "groups", True),
    ],
)
def test_excludes_top_level_attribute(
    attributes: str | None, excluded: str | None, name: str, expected: bool
) -> None:
    assert Projection.from_query(attributes, excluded).excludes(name) is expected
