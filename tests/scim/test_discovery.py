"""Tests of the discovery documents: ServiceProviderConfig, ResourceType and Schema (RFC 7643 §5-§7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lime_scim.scim import discovery
from lime_scim.scim.constants import (
    ENTERPRISE_URN,
    GROUP_URN,
    RESOURCE_TYPE_URN,
    SCHEMA_URN,
    SERVICE_PROVIDER_CONFIG_URN,
    USER_URN,
)
from lime_scim.scim.definitions import ResourceDef, SchemaDef
from lime_scim.scim.schemas import GROUP_DEFINITION
from lime_scim.scim.user_schema import (
    CORE_CATALOGUE,
    ENTERPRISE_CATALOGUE,
    USER_DEFINITION,
    Selection,
    build_user_resource,
)

BASE_URL = "https://crm.example.com/myapp/api/v1/scim"
CUSTOM_URN = "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"

# Every attribute of the catalogue and one custom extension attribute: the widest User schema
# an application can serve.
_EVERYTHING: dict[tuple[str, str], frozenset[str] | None] = {
    (USER_URN, entry.name): None if entry.sub_attributes is None else frozenset(entry.sub_attributes)
    for entry in CORE_CATALOGUE.values()
}
_EVERYTHING.update({
    (ENTERPRISE_URN, entry.name): None if entry.sub_attributes is None else frozenset(entry.sub_attributes)
    for entry in ENTERPRISE_CATALOGUE.values()
})
_EVERYTHING[(CUSTOM_URN, "costCode")] = None
WIDEST_USER = build_user_resource(Selection(_EVERYTHING)).definition

RESOURCE_SETS = {
    "default": (USER_DEFINITION, GROUP_DEFINITION),
    "widest": (WIDEST_USER, GROUP_DEFINITION),
}

# RFC 7643 §2.3 and §7.
TYPES = {"string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"}
MUTABILITIES = {"readOnly", "readWrite", "immutable", "writeOnly"}
RETURNED = {"always", "never", "default", "request"}
UNIQUENESS = {"none", "server", "global"}


def schema_documents(resources: tuple[ResourceDef, ...]) -> list[dict[str, Any]]:
    return [discovery.schema(definition, BASE_URL) for definition in discovery.all_schemas(resources)]


def walk(attributes: list[dict[str, Any]], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield every attribute and sub-attribute document with its dotted path."""
    for attribute in attributes:
        path = f"{prefix}{attribute['name']}"
        yield path, attribute
        yield from walk(attribute.get("subAttributes", []), f"{path}.")


def every_attribute() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for resources in RESOURCE_SETS.values():
        for document in schema_documents(resources):
            for path, attribute in walk(document["attributes"]):
                found.append((f"{document['id']}:{path}", attribute))
    return found


EVERY_ATTRIBUTE = every_attribute()


def find(document: dict[str, Any], path: str) -> dict[str, Any]:
    for found_path, attribute in walk(document["attributes"]):
        if found_path == path:
            return attribute
    raise AssertionError(f"no attribute {path} in {document['id']}")


def document_of(urn: str, resources: tuple[ResourceDef, ...] = RESOURCE_SETS["default"]) -> dict[str, Any]:
    for document in schema_documents(resources):
        if document["id"] == urn:
            return document
    raise AssertionError(f"no schema {urn}")


# ---------------------------------------------------------------------------------------------
# ServiceProviderConfig


@pytest.fixture
def config() -> dict[str, Any]:
    return discovery.service_provider_config(discovery.ProviderFeatures(max_results=250), BASE_URL)


def test_config_schema_urn(config: dict[str, Any]) -> None:
    assert config["schemas"] == [SERVICE_PROVIDER_CONFIG_URN]


def test_config_patch_supported(config: dict[str, Any]) -> None:
    assert config["patch"] == {"supported": True}


def test_config_change_password_unsupported(config: dict[str, Any]) -> None:
    assert config["changePassword"]["supported"] is False


@pytest.mark.parametrize("feature", ["sort", "etag", "bulk"])
def test_config_feature_supported(config: dict[str, Any], feature: str) -> None:
    assert config[feature]["supported"] is True


def test_config_bulk_limits(config: dict[str, Any]) -> None:
    assert config["bulk"]["maxOperations"] == 1000
    assert config["bulk"]["maxPayloadSize"] == 4 * 1024 * 1024


def test_config_filter_max_results(config: dict[str, Any]) -> None:
    assert config["filter"] == {"supported": True, "maxResults": 250}


def test_config_bearer_authentication(config: dict[str, Any]) -> None:
    schemes = config["authenticationSchemes"]

    assert len(schemes) == 1
    assert schemes[0]["type"] == "oauthbearertoken"
    assert schemes[0]["name"]
    assert schemes[0]["description"]
    assert schemes[0]["primary"] is True


def test_config_meta_location(config: dict[str, Any]) -> None:
    assert config["meta"] == {"resourceType": "ServiceProviderConfig",
                              "location": f"{BASE_URL}/ServiceProviderConfig"}


def test_config_has_no_id(config: dict[str, Any]) -> None:
    # RFC 7643 §5: the ServiceProviderConfig is a singleton without an id.
    assert "id" not in config


# ---------------------------------------------------------------------------------------------
# ResourceType


def test_user_resource_type() -> None:
    document = discovery.resource_type(USER_DEFINITION, BASE_URL)

    assert document["schemas"] == [RESOURCE_TYPE_URN]
    assert document["id"] == "User"
    assert document["name"] == "User"
    assert document["endpoint"] == "/Users"
    assert document["schema"] == USER_URN
    assert document["schemaExtensions"] == [{"schema": ENTERPRISE_URN, "required": False}]
    assert document["meta"] == {"resourceType": "ResourceType", "location": f"{BASE_URL}/ResourceTypes/User"}


def test_group_resource_type() -> None:
    document = discovery.resource_type(GROUP_DEFINITION, BASE_URL)

    assert document["id"] == "Group"
    assert document["endpoint"] == "/Groups"
    assert document["schema"] == GROUP_URN
    assert document["schemaExtensions"] == []


def test_resource_type_lists_custom_extension() -> None:
    document = discovery.resource_type(WIDEST_USER, BASE_URL)

    assert {"schema": CUSTOM_URN, "required": False} in document["schemaExtensions"]


# ---------------------------------------------------------------------------------------------
# Schema documents


def test_all_schemas_each_once() -> None:
    schemas = discovery.all_schemas((USER_DEFINITION, GROUP_DEFINITION, USER_DEFINITION))

    assert [schema.id for schema in schemas] == [USER_URN, ENTERPRISE_URN, GROUP_URN]


def test_schema_document_envelope() -> None:
    document = document_of(USER_URN)

    assert document["schemas"] == [SCHEMA_URN]
    assert document["id"] == USER_URN
    assert document["name"] == "User"
    assert document["description"]
    assert document["meta"] == {"resourceType": "Schema", "location": f"{BASE_URL}/Schemas/{USER_URN}"}


@pytest.mark.parametrize("urn", [USER_URN, GROUP_URN])
@pytest.mark.parametrize("common", ["id", "externalId", "meta", "schemas"])
def test_common_attributes_not_listed(urn: str, common: str) -> None:
    names = [attribute["name"] for attribute in document_of(urn)["attributes"]]

    assert common not in names


def test_default_user_lists_stored_attributes() -> None:
    names = {attribute["name"] for attribute in document_of(USER_URN)["attributes"]}

    assert names == {"userName", "name", "displayName", "title", "active", "emails", "phoneNumbers", "groups"}


def test_default_enterprise_lists_manager() -> None:
    names = [attribute["name"] for attribute in document_of(ENTERPRISE_URN)["attributes"]]

    assert names == ["manager"]


@pytest.mark.parametrize(("path", "attribute"), EVERY_ATTRIBUTE, ids=[path for path, _ in EVERY_ATTRIBUTE])
def test_attribute_has_rfc_characteristics(path: str, attribute: dict[str, Any]) -> None:
    assert isinstance(attribute["name"], str)
    assert attribute["type"] in TYPES
    assert isinstance(attribute["multiValued"], bool)
    assert isinstance(attribute["required"], bool)
    assert isinstance(attribute["caseExact"], bool)
    assert attribute["mutability"] in MUTABILITIES
    assert attribute["returned"] in RETURNED
    assert attribute["uniqueness"] in UNIQUENESS
    assert isinstance(attribute["description"], str)
    assert attribute["description"].strip()


@pytest.mark.parametrize(("path", "attribute"), EVERY_ATTRIBUTE, ids=[path for path, _ in EVERY_ATTRIBUTE])
def test_sub_attributes_only_complex(path: str, attribute: dict[str, Any]) -> None:
    if attribute["type"] == "complex":
        assert attribute["subAttributes"]
    else:
        assert "subAttributes" not in attribute


@pytest.mark.parametrize(("path", "attribute"), EVERY_ATTRIBUTE, ids=[path for path, _ in EVERY_ATTRIBUTE])
def test_reference_types_only_references(path: str, attribute: dict[str, Any]) -> None:
    if attribute["type"] == "reference":
        assert attribute["referenceTypes"]
    else:
        assert "referenceTypes" not in attribute


def test_descriptions_spell_plurals() -> None:
    emails = find(document_of(USER_URN, RESOURCE_SETS["widest"]), "emails")
    addresses = find(document_of(USER_URN, RESOURCE_SETS["widest"]), "addresses")

    assert emails["description"] == "Email addresses."
    assert addresses["description"] == "Addresses."


def test_user_name_document() -> None:
    user_name = find(document_of(USER_URN), "userName")

    assert user_name["required"] is True
    assert user_name["caseExact"] is False
    assert user_name["uniqueness"] == "server"
    assert user_name["returned"] == "always"


def test_groups_document_read_only() -> None:
    groups = find(document_of(USER_URN), "groups")

    assert groups["multiValued"] is True
    assert groups["mutability"] == "readOnly"
    assert [sub["name"] for sub in groups["subAttributes"]] == ["value", "$ref", "display", "type"]


def test_members_document_characteristics() -> None:
    members = find(document_of(GROUP_URN), "members")

    assert members["multiValued"] is True
    assert members["mutability"] == "readWrite"
    assert find(document_of(GROUP_URN), "members.value")["mutability"] == "immutable"
    assert find(document_of(GROUP_URN), "members.$ref")["referenceTypes"] == ["User"]
    assert find(document_of(GROUP_URN), "members.type")["canonicalValues"] == ["User"]


def test_manager_document_characteristics() -> None:
    manager = find(document_of(ENTERPRISE_URN), "manager")

    assert manager["type"] == "complex"
    assert [sub["name"] for sub in manager["subAttributes"]] == ["value", "$ref", "displayName"]
    assert find(document_of(ENTERPRISE_URN), "manager.$ref")["mutability"] == "readWrite"
    assert find(document_of(ENTERPRISE_URN), "manager.$ref")["referenceTypes"] == ["User"]


def test_custom_extension_document() -> None:
    document = document_of(CUSTOM_URN, RESOURCE_SETS["widest"])

    assert [attribute["name"] for attribute in document["attributes"]] == ["costCode"]
    assert document["attributes"][0]["type"] == "string"


def test_canonical_values_listed() -> None:
    email_type = find(document_of(USER_URN), "emails.type")

    assert "work" in email_type["canonicalValues"]
    assert "home" in email_type["canonicalValues"]


def test_schema_from_definition_alone() -> None:
    definition = SchemaDef(id="urn:example:1", name="Example", description="An example", attributes=())

    document = discovery.schema(definition, BASE_URL)

    assert document["attributes"] == []
    assert document["meta"]["location"] == f"{BASE_URL}/Schemas/urn:example:1"
