"""Tests of the marshmallow resource schemas: loading, dumping and the derived definitions."""

from __future__ import annotations

from typing import Any

import pytest

from lime_scim.scim.constants import ENTERPRISE_URN, GROUP_URN, USER_URN
from lime_scim.scim.definitions import AttributeDef
from lime_scim.scim.errors import InvalidValue
from lime_scim.scim.schemas import (
    GROUP_DEFINITION,
    GROUP_SCHEMA,
    USER_DEFINITION,
    USER_SCHEMA,
    load_resource,
    parse_boolean,
    resource_definition,
)
from lime_scim.scim.user_schema import Selection, build_user_resource

# A User schema with the primary flags, which the default mapping does not store.
FULL_USER = build_user_resource(Selection({
    (USER_URN, "userName"): None,
    (USER_URN, "name"): frozenset({"givenName", "familyName"}),
    (USER_URN, "displayName"): None,
    (USER_URN, "title"): None,
    (USER_URN, "active"): None,
    (USER_URN, "emails"): frozenset({"value", "primary"}),
    (USER_URN, "phoneNumbers"): frozenset({"value", "primary"}),
    (ENTERPRISE_URN, "manager"): None,
}))


def load_user(body: Any) -> dict[str, Any]:
    return load_resource(FULL_USER.schema, body)


def load_group(body: Any) -> dict[str, Any]:
    return load_resource(GROUP_SCHEMA, body)


def user_error(body: Any) -> str:
    with pytest.raises(InvalidValue) as caught:
        load_user(body)
    return caught.value.detail


def group_error(body: Any) -> str:
    with pytest.raises(InvalidValue) as caught:
        load_group(body)
    return caught.value.detail


# ---------------------------------------------------------------------------------------------
# parse_boolean


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("True", True),
        ("False", False),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        (" False ", False),
    ],
)
def test_parse_boolean_accepts_booleans_and_strings(value: object, expected: bool) -> None:
    assert parse_boolean(value) is expected


@pytest.mark.parametrize("value", ["yes", "no", "1", "0", "", 1, 0, None, [], {}])
def test_parse_boolean_rejects_other_values(value: object) -> None:
    with pytest.raises(ValueError):
        parse_boolean(value)


# ---------------------------------------------------------------------------------------------
# Loading users: lenient booleans


@pytest.mark.parametrize(
    ("sent", "expected"),
    [("True", True), ("False", False), ("false", False), ("true", True), (True, True), (False, False)],
)
def test_load_user_active_string_boolean(sent: object, expected: bool) -> None:
    loaded = load_user({"userName": "karin", "active": sent})

    assert loaded["active"] is expected


def test_load_user_primary_string_boolean() -> None:
    loaded = load_user({"userName": "karin", "emails": [{"value": "k@example.com", "primary": "True"}]})

    assert loaded["emails"][0]["primary"] is True


def test_load_user_rejects_active_yes() -> None:
    detail = user_error({"userName": "karin", "active": "yes"})

    assert "'active'" in detail
    assert "'yes'" in detail


def test_load_user_rejects_primary_yes() -> None:
    detail = user_error({"userName": "karin", "emails": [{"value": "k@example.com", "primary": "yes"}]})

    assert "'emails[0].primary'" in detail


def test_load_user_rejects_numeric_active() -> None:
    detail = user_error({"userName": "karin", "active": 1})

    assert "'active'" in detail


# ---------------------------------------------------------------------------------------------
# Loading users: attribute names in any letter case (RFC 7643 §2.1)


def test_load_user_upper_case_user_name() -> None:
    loaded = load_user({"USERNAME": "karin"})

    assert loaded["user_name"] == "karin"


def test_load_user_mixed_case_top_level() -> None:
    loaded = load_user({
        "UserName": "karin",
        "DISPLAYNAME": "Karin Lindqvist",
        "Active": "False",
        "ExternalID": "klindqvist",
        "phonenumbers": [{"value": "+46701234567", "type": "mobile"}],
    })

    assert loaded["display_name"] == "Karin Lindqvist"
    assert loaded["active"] is False
    assert loaded["external_id"] == "klindqvist"
    assert loaded["phone_numbers"] == [{"value": "+46701234567", "type": "mobile"}]


def test_load_user_capitalised_sub_attributes() -> None:
    loaded = load_user({
        "userName": "karin",
        "Emails": [{"Primary": "true", "Value": "k@example.com", "TYPE": "work"}],
        "Name": {"GivenName": "Karin", "familyname": "Lindqvist"},
    })

    assert loaded["emails"] == [{"primary": True, "value": "k@example.com", "type": "work"}]
    assert loaded["name"] == {"given_name": "Karin", "family_name": "Lindqvist"}


def test_load_user_extension_urn_any_case() -> None:
    loaded = load_user({"userName": "karin", ENTERPRISE_URN.lower(): {"MANAGER": {"Value": "1002"}}})

    assert loaded["enterprise"] == {"manager": {"value": "1002"}}


def test_load_group_member_value_any_case() -> None:
    loaded = load_group({"DisplayName": "Sales", "Members": [{"VALUE": "1001"}]})

    assert loaded["display_name"] == "Sales"
    assert loaded["members"] == [{"value": "1001"}]


# ---------------------------------------------------------------------------------------------
# Loading users: unknown and read-only attributes


def test_load_user_drops_unknown_attributes() -> None:
    loaded = load_user({
        "userName": "karin",
        "preferredLanguage": "sv-SE",
        "addresses": [{"type": "work", "postalCode": "21119"}],
        "roles": [],
        "urn:ietf:params:scim:schemas:extension:acme:2.0:User": {"costCenter": "42"},
    })

    assert loaded == {"user_name": "karin"}


def test_load_user_drops_unknown_sub_attributes() -> None:
    loaded = load_user({"userName": "karin", "name": {"givenName": "Karin", "formatted": "Karin L"}})

    assert loaded["name"] == {"given_name": "Karin"}


def test_default_user_drops_primary() -> None:
    loaded = load_resource(USER_SCHEMA, {"userName": "karin", "emails": [{"value": "k@x", "primary": "yes"}]})

    assert loaded["emails"] == [{"value": "k@x"}]


def test_load_user_drops_read_only_attributes() -> None:
    loaded = load_user({
        "userName": "karin",
        "id": "client-chosen",
        "meta": {"resourceType": "User"},
        "groups": [{"value": "2001"}],
    })

    assert "id" not in loaded
    assert "meta" not in loaded
    assert "groups" not in loaded


def test_load_group_drops_member_display() -> None:
    loaded = load_group({"displayName": "Sales", "members": [{"value": "1001", "display": "Karin"}]})

    assert loaded["members"] == [{"value": "1001"}]


# ---------------------------------------------------------------------------------------------
# Loading users: the enterprise manager


def test_load_user_manager_bare_string() -> None:
    loaded = load_user({"userName": "karin", ENTERPRISE_URN: {"manager": "1002"}})

    assert loaded["enterprise"]["manager"] == {"value": "1002"}


def test_load_user_manager_as_object() -> None:
    loaded = load_user({"userName": "karin", ENTERPRISE_URN: {"manager": {"value": "1002"}}})

    assert loaded["enterprise"]["manager"] == {"value": "1002"}


def test_load_user_manager_drops_read_only() -> None:
    body = {"userName": "karin", ENTERPRISE_URN: {
        "manager": {"value": "1002", "$ref": "https://x/Users/1002", "displayName": "Boss"},
    }}

    loaded = load_user(body)

    assert loaded["enterprise"]["manager"] == {"value": "1002", "ref": "https://x/Users/1002"}


def test_load_user_manager_id_from_ref() -> None:
    body = {"userName": "karin", ENTERPRISE_URN: {"manager": {"$ref": "https://x/Users/2819c223"}}}

    loaded = load_user(body)

    assert loaded["enterprise"]["manager"]["value"] == "2819c223"


def test_load_user_manager_null() -> None:
    loaded = load_user({"userName": "karin", ENTERPRISE_URN: {"manager": None}})

    assert loaded["enterprise"] == {"manager": None}


def test_load_user_rejects_numeric_manager() -> None:
    detail = user_error({"userName": "karin", ENTERPRISE_URN: {"manager": 1002}})

    assert f"'{ENTERPRISE_URN}.manager'" in detail


# ---------------------------------------------------------------------------------------------
# Loading: required attributes


@pytest.mark.parametrize("body", [{}, {"displayName": "Karin"}], ids=["empty", "display-name-only"])
def test_load_user_requires_user_name(body: dict[str, Any]) -> None:
    detail = user_error(body)

    assert detail == "The attribute 'userName' is required."


def test_load_user_rejects_null_user_name() -> None:
    detail = user_error({"userName": None})

    assert "'userName'" in detail


@pytest.mark.parametrize("body", [{}, {"members": []}], ids=["empty", "members-only"])
def test_load_group_requires_display_name(body: dict[str, Any]) -> None:
    detail = group_error(body)

    assert detail == "The attribute 'displayName' is required."


def test_load_group_requires_member_value() -> None:
    detail = group_error({"displayName": "Sales", "members": [{"type": "User"}]})

    assert detail == "The attribute 'members[0].value' is required."


# ---------------------------------------------------------------------------------------------
# Loading: values of the wrong type name the path of the attribute


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"userName": 42}, "userName"),
        ({"userName": ["karin"]}, "userName"),
        ({"userName": "k", "displayName": {"text": "Karin"}}, "displayName"),
        ({"userName": "k", "title": 7}, "title"),
        ({"userName": "k", "externalId": 7}, "externalId"),
        ({"userName": "k", "emails": "k@example.com"}, "emails"),
        ({"userName": "k", "emails": [{"value": 5}]}, "emails[0].value"),
        ({"userName": "k", "emails": [{"value": "a@x"}, {"type": ["work"]}]}, "emails[1].type"),
        ({"userName": "k", "emails": ["k@example.com"]}, "emails[0]"),
        ({"userName": "k", "phoneNumbers": [{"value": 46701234567}]}, "phoneNumbers[0].value"),
        ({"userName": "k", "name": "Karin Lindqvist"}, "name"),
        ({"userName": "k", "name": {"givenName": 3}}, "name.givenName"),
        ({"userName": "k", ENTERPRISE_URN: "1002"}, ENTERPRISE_URN),
    ],
    ids=[
        "userName-number",
        "userName-list",
        "displayName-object",
        "title-number",
        "externalId-number",
        "emails-string",
        "email-value-number",
        "second-email-type-list",
        "email-element-string",
        "phone-value-number",
        "name-string",
        "givenName-number",
        "extension-string",
    ],
)
def test_load_user_wrong_type_names_path(body: dict[str, Any], path: str) -> None:
    detail = user_error(body)

    assert f"'{path}'" in detail


def test_load_user_reports_every_bad_attribute() -> None:
    detail = user_error({"userName": 1, "title": 2})

    assert "'userName'" in detail
    assert "'title'" in detail


def test_load_group_member_value_number() -> None:
    detail = group_error({"displayName": "Sales", "members": [{"value": 1001}]})

    assert "'members[0].value'" in detail


@pytest.mark.parametrize(
    ("body", "kind"),
    [([{"userName": "k"}], "list"), ("karin", "str"), (42, "int"), (None, "NoneType")],
    ids=["array", "string", "number", "null"],
)
def test_load_user_rejects_non_object_body(body: Any, kind: str) -> None:
    detail = user_error(body)

    assert detail == f"The request body must be a JSON object, got {kind}."


def test_load_group_rejects_array_body() -> None:
    detail = group_error([{"displayName": "Sales"}])

    assert "must be a JSON object" in detail


def test_load_user_error_is_invalid_value() -> None:
    with pytest.raises(InvalidValue) as caught:
        load_user({"userName": 42})

    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidValue"


# ---------------------------------------------------------------------------------------------
# Dumping


def test_dump_user_uses_wire_names() -> None:
    dumped = USER_SCHEMA.dump({
        "schemas": [USER_URN],
        "id": "1001",
        "user_name": "karin",
        "display_name": "Karin",
        "external_id": "klindqvist",
        "name": {"given_name": "Karin", "family_name": "Lindqvist"},
        "phone_numbers": [{"value": "+46701234567", "type": "mobile"}],
        "meta": {"resource_type": "User", "last_modified": "2025-03-02T09:14:00Z"},
    })

    assert dumped == {
        "schemas": [USER_URN],
        "id": "1001",
        "userName": "karin",
        "displayName": "Karin",
        "externalId": "klindqvist",
        "name": {"givenName": "Karin", "familyName": "Lindqvist"},
        "phoneNumbers": [{"value": "+46701234567", "type": "mobile"}],
        "meta": {"resourceType": "User", "lastModified": "2025-03-02T09:14:00Z"},
    }


def test_dump_user_leaves_out_unset() -> None:
    dumped = USER_SCHEMA.dump({"user_name": "karin"})

    assert dumped == {"userName": "karin"}


def test_dump_user_manager_reference() -> None:
    dumped = USER_SCHEMA.dump({"user_name": "karin", "enterprise": {"manager": {
        "value": "1002", "ref": "https://x/Users/1002", "display_name": "Boss",
    }}})

    assert dumped[ENTERPRISE_URN] == {
        "manager": {"value": "1002", "$ref": "https://x/Users/1002", "displayName": "Boss"},
    }


def test_dump_user_groups_reference() -> None:
    dumped = USER_SCHEMA.dump({"user_name": "karin", "groups": [
        {"value": "2001", "ref": "https://x/Groups/2001", "display": "Sales", "type": "direct"},
    ]})

    assert dumped["groups"] == [
        {"value": "2001", "$ref": "https://x/Groups/2001", "display": "Sales", "type": "direct"},
    ]


def test_dump_user_active_boolean() -> None:
    dumped = USER_SCHEMA.dump({"user_name": "karin", "active": True})

    assert dumped["active"] is True


def test_dump_group_members() -> None:
    dumped = GROUP_SCHEMA.dump({
        "schemas": [GROUP_URN],
        "id": "2001",
        "display_name": "Sales",
        "members": [{"value": "1001", "ref": "https://x/Users/1001", "display": "Karin", "type": "User"}],
    })

    assert dumped == {
        "schemas": [GROUP_URN],
        "id": "2001",
        "displayName": "Sales",
        "members": [{"value": "1001", "$ref": "https://x/Users/1001", "display": "Karin", "type": "User"}],
    }


def test_load_dump_round_trip_user() -> None:
    body = {
        "userName": "karin",
        "displayName": "Karin Lindqvist",
        "active": False,
        "emails": [{"value": "k@example.com", "type": "work", "primary": True}],
        "name": {"givenName": "Karin", "familyName": "Lindqvist"},
        ENTERPRISE_URN: {"manager": {"value": "1002"}},
    }

    assert FULL_USER.schema.dump(load_user(body)) == body


# ---------------------------------------------------------------------------------------------
# resource_definition


def attribute(path: str, definition: Any = USER_DEFINITION) -> AttributeDef:
    """Return the definition at ``path`` ("emails.value", or "URN:manager.value")."""
    schema = definition.core
    if path.startswith("urn:"):
        urn, _, path = path.rpartition(":")
        schema = definition.extension(urn)
    name, _, sub = path.partition(".")
    found = schema.attribute_named(name)
    assert found is not None, f"no attribute {name}"
    if sub:
        found = found.sub(sub)
        assert found is not None, f"no sub-attribute {path}"
    return found


def test_user_definition_names_schemas() -> None:
    assert USER_DEFINITION.core.id == USER_URN
    assert USER_DEFINITION.schema_ids == (USER_URN, ENTERPRISE_URN)
    assert USER_DEFINITION.endpoint == "/Users"


def test_group_definition_names_schema() -> None:
    assert GROUP_DEFINITION.core.id == GROUP_URN
    assert GROUP_DEFINITION.extensions == ()
    assert GROUP_DEFINITION.endpoint == "/Groups"


def test_resource_definition_unknown_resource() -> None:
    with pytest.raises(KeyError):
        resource_definition("Device")


def test_user_name_characteristics() -> None:
    user_name = attribute("userName")

    assert user_name.type == "string"
    assert user_name.required is True
    assert user_name.case_exact is False
    assert user_name.uniqueness == "server"
    assert user_name.returned == "always"
    assert user_name.mutability == "readWrite"
    assert user_name.multi_valued is False
    assert user_name.attribute == "user_name"


def test_id_attribute_characteristics() -> None:
    resource_id = attribute("id")

    assert resource_id.mutability == "readOnly"
    assert resource_id.returned == "always"
    assert resource_id.case_exact is True
    assert resource_id.uniqueness == "server"
    assert resource_id.required is False


def test_external_id_case_exact() -> None:
    external_id = attribute("externalId")

    assert external_id.case_exact is True
    assert external_id.mutability == "readWrite"


def test_groups_attribute_characteristics() -> None:
    groups = attribute("groups")

    assert groups.type == "complex"
    assert groups.multi_valued is True
    assert groups.mutability == "readOnly"
    assert [sub.name for sub in groups.sub_attributes] == ["value", "$ref", "display", "type"]
    assert attribute("groups.$ref").type == "reference"
    assert attribute("groups.$ref").reference_types == ("Group",)
    assert attribute("groups.type").canonical_values == ("direct",)


def test_members_attribute_characteristics() -> None:
    members = attribute("members", GROUP_DEFINITION)

    assert members.type == "complex"
    assert members.multi_valued is True
    assert members.mutability == "readWrite"
    assert members.attribute == "members"
    assert attribute("members.value", GROUP_DEFINITION).mutability == "immutable"
    assert attribute("members.value", GROUP_DEFINITION).required is True
    assert attribute("members.value", GROUP_DEFINITION).case_exact is True
    assert attribute("members.$ref", GROUP_DEFINITION).reference_types == ("User",)
    assert attribute("members.display", GROUP_DEFINITION).mutability == "readOnly"


def test_group_display_name_characteristics() -> None:
    display_name = attribute("displayName", GROUP_DEFINITION)

    assert display_name.required is True
    assert display_name.returned == "always"
    assert display_name.uniqueness == "server"
    assert display_name.case_exact is False


def test_enterprise_manager_characteristics() -> None:
    manager = attribute(f"{ENTERPRISE_URN}:manager")

    assert manager.type == "complex"
    assert manager.multi_valued is False
    assert manager.mutability == "readWrite"
    assert [sub.name for sub in manager.sub_attributes] == ["value", "$ref", "displayName"]
    assert attribute(f"{ENTERPRISE_URN}:manager.value").case_exact is True
    assert attribute(f"{ENTERPRISE_URN}:manager.value").mutability == "readWrite"
    assert attribute(f"{ENTERPRISE_URN}:manager.$ref").mutability == "readWrite"
    assert attribute(f"{ENTERPRISE_URN}:manager.$ref").reference_types == ("User",)
    assert attribute(f"{ENTERPRISE_URN}:manager.displayName").mutability == "readOnly"
    assert attribute(f"{ENTERPRISE_URN}:manager.displayName").returned == "default"


def test_enterprise_extension_loaded_key() -> None:
    extension = USER_DEFINITION.extension(ENTERPRISE_URN.upper())

    assert extension is not None
    assert extension.attribute == "enterprise"


def test_core_excludes_extension_attribute() -> None:
    assert USER_DEFINITION.core.attribute_named(ENTERPRISE_URN) is None


def test_boolean_attributes_typed_boolean() -> None:
    assert attribute("active").type == "boolean"
    assert attribute("emails.primary", FULL_USER.definition).type == "boolean"
    assert attribute("phoneNumbers.primary", FULL_USER.definition).type == "boolean"


def test_emails_canonical_types() -> None:
    assert attribute("emails").multi_valued is True
    assert {"work", "home"} <= set(attribute("emails.type").canonical_values)
    assert {"work", "mobile", "home"} <= set(attribute("phoneNumbers.type").canonical_values)


def test_meta_sub_attributes_read_only() -> None:
    meta = attribute("meta")

    assert meta.mutability == "readOnly"
    assert {sub.name for sub in meta.sub_attributes} == {
        "resourceType", "created", "lastModified", "location", "version",
    }
    assert all(sub.mutability == "readOnly" for sub in meta.sub_attributes)
    assert attribute("meta.created").type == "dateTime"


def test_attribute_lookup_ignores_case() -> None:
    assert USER_DEFINITION.core.attribute_named("USERNAME") is attribute("userName")
    assert attribute("name").sub("GIVENNAME") is attribute("name.givenName")
