"""Tests of the PATCH engine (RFC 7644 §3.5.2) with the request shapes Entra ID sends.

Case ids name the rule's source: an RFC section, or "entra" for a deviation that Entra ID (or
Microsoft's validator and test harness) needs.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lime_scim.scim.definitions import AttributeDef, ResourceDef, SchemaDef
from lime_scim.scim.errors import (
    InvalidFilter,
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    ScimError,
)
from lime_scim.scim.filter import AttrPath, Comparison
from lime_scim.scim.patch import (
    MemberChange,
    PatchOperation,
    apply_patch,
    parse_patch_request,
    split_member_operations,
)
from lime_scim.scim.paths import PatchPath

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ACME_URN = "urn:ietf:params:scim:schemas:extension:Acme:2.0:User"
BABS = "2819c223-7f76-453a-919d-413861904646"
JAMES = "08e1d05d-121c-4561-8b96-473d93df9210"

# ---------------------------------------------------------------------------------------------
# Definitions, built by hand after RFC 7643 §4 and §8.7


def _simple(name: str, **characteristics: Any) -> AttributeDef:
    return AttributeDef(name=name, **characteristics)


def _complex(name: str, *subs: AttributeDef, **characteristics: Any) -> AttributeDef:
    return AttributeDef(name=name, type="complex", sub_attributes=subs, **characteristics)


_META = _complex(
    "meta",
    _simple("resourceType", mutability="readOnly"),
    _simple("created", type="dateTime", mutability="readOnly"),
    _simple("lastModified", type="dateTime", mutability="readOnly"),
    mutability="readOnly",
)
_COMMON = (
    _simple("schemas", type="reference", multi_valued=True, case_exact=True),
    _simple("id", case_exact=True, mutability="readOnly"),
    _simple("externalId", case_exact=True),
    _META,
)
USER_CORE = SchemaDef(
    id=USER_URN,
    name="User",
    description="User account",
    attributes=(
        *_COMMON,
        _simple("userName", required=True, uniqueness="server"),
        _complex("name", _simple("familyName"), _simple("givenName")),
        _simple("displayName"),
        _simple("nickName"),
        _simple("title"),
        _simple("active", type="boolean"),
        _complex(
            "emails", _simple("value"), _simple("type"), _simple("primary", type="boolean"), multi_valued=True
        ),
        _complex(
            "phoneNumbers",
            _simple("value"),
            _simple("type"),
            _simple("primary", type="boolean"),
            multi_valued=True,
        ),
        # No "formatted": Entra sends addresses[type eq "work"].formatted, which this server ignores.
        _complex(
            "addresses",
            _simple("type"),
            _simple("streetAddress"),
            _simple("locality"),
            _simple("region"),
            _simple("postalCode"),
            _simple("country"),
            _simple("primary", type="boolean"),
            multi_valued=True,
        ),
        _complex(
            "groups",
            _simple("value", mutability="readOnly"),
            _simple("display", mutability="readOnly"),
            multi_valued=True,
            mutability="readOnly",
        ),
    ),
)
ENTERPRISE = SchemaDef(
    id=ENTERPRISE_URN,
    name="EnterpriseUser",
    description="Enterprise user",
    attributes=(
        _simple("employeeNumber"),
        _simple("costCenter"),
        _simple("department"),
        _complex(
            "manager",
            _simple("value", case_exact=True),
            _simple("$ref", type="reference", mutability="readOnly"),
            _simple("displayName", mutability="readOnly"),
        ),
    ),
    attribute="enterprise",
)
USER_DEFINITION = ResourceDef(name="User", endpoint="/Users", core=USER_CORE, extensions=(ENTERPRISE,))

GROUP_DEFINITION = ResourceDef(
    name="Group",
    endpoint="/Groups",
    core=SchemaDef(
        id=GROUP_URN,
        name="Group",
        description="Group",
        attributes=(
            *_COMMON,
            _simple("displayName", required=True),
            _complex(
                "members",
                _simple("value", case_exact=True, mutability="immutable", required=True),
                _simple("$ref", type="reference", mutability="immutable"),
                _simple("type", mutability="immutable"),
                _simple("display", mutability="readOnly"),
                multi_valued=True,
            ),
        ),
    ),
)

BADGE_DEFINITION = ResourceDef(
    name="Badge",
    endpoint="/Badges",
    core=SchemaDef(
        id="urn:example:params:scim:schemas:Badge",
        name="Badge",
        description="Door badge",
        attributes=(_simple("serial", mutability="immutable"), _simple("label")),
    ),
)

# ---------------------------------------------------------------------------------------------
# Resources and helpers

DELETE = object()


def karin(**changes: Any) -> dict[str, Any]:
    """Return the user of Entra's create sample as stored, with top-level ``changes``."""
    user: dict[str, Any] = {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "id": "U1",
        "externalId": "klindqvist",
        "userName": "karin.lindqvist@contoso-example.se",
        "active": True,
        "displayName": "Karin Lindqvist",
        "title": "Key Account Manager",
        "name": {"familyName": "Lindqvist", "givenName": "Karin"},
        "emails": [{"value": "karin.lindqvist@contoso-example.se", "type": "work", "primary": True}],
        "phoneNumbers": [{"type": "mobile", "value": "+46701234567"}],
        "addresses": [{"type": "work", "postalCode": "21119", "country": "SE"}],
        ENTERPRISE_URN: {"employeeNumber": "10442", "department": "Sales"},
        "meta": {
            "resourceType": "User",
            "created": "2025-03-02T09:14:00Z",
            "lastModified": "2025-03-02T09:14:00Z",
        },
    }
    for key, value in changes.items():
        if value is DELETE:
            del user[key]
        else:
            user[key] = value
    return user


def enterprise(**values: Any) -> dict[str, Any]:
    return {"employeeNumber": "10442", "department": "Sales", **values}


def key_accounts(*member_ids: str) -> dict[str, Any]:
    return {
        "schemas": [GROUP_URN],
        "id": "G1",
        "displayName": "Key Accounts South",
        "members": [{"value": member_id} for member_id in member_ids],
    }


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def body(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def patched(
    resource: dict[str, Any], request: Any, definition: ResourceDef = USER_DEFINITION
) -> tuple[dict[str, Any], bool]:
    """Apply ``request`` to a copy of ``resource``, as the caller does, and return both results."""
    working = copy.deepcopy(resource)
    changed = apply_patch(working, parse_patch_request(request), definition)
    return working, changed


# ---------------------------------------------------------------------------------------------
# parse_patch_request


def test_parse_entra_default_dialect() -> None:
    operations = parse_patch_request(fixture("entra/patch_user_default_dialect.json"))
    assert [operation.op for operation in operations] == ["replace", "replace", "replace", "add", "replace"]
    assert operations[0].path == PatchPath(
        None, "emails", Comparison(AttrPath(None, "type"), "eq", "work"), "value"
    )
    assert operations[3].path == PatchPath(ENTERPRISE_URN, "department")
    assert operations[4] == PatchOperation(
        "replace", PatchPath(None, "userName"), "karin.holm@contoso-example.se", True
    )


def test_parse_entra_pathless_operation() -> None:
    operations = parse_patch_request(fixture("entra/patch_user_aadoptscim062020.json"))
    assert operations[1].path is None
    assert operations[1].value["name.familyName"] == "Holm"


def test_parse_remove_without_value() -> None:
    operations = parse_patch_request(fixture("entra/patch_group_remove_member_filter_aadoptscim062020.json"))
    assert operations[0].has_value is False
    assert operations[0].value is None


def test_parse_null_value_counts_as_value() -> None:
    operations = parse_patch_request(body({"op": "replace", "path": "title", "value": None}))
    assert operations[0].has_value is True


def test_parse_operations_before_schemas() -> None:
    operations = parse_patch_request(fixture("entra/patch_user_disable_operations_first.json"))
    assert operations == [PatchOperation("replace", PatchPath(None, "active"), False, True)]


def test_parse_without_schemas() -> None:
    operations = parse_patch_request({"Operations": [{"op": "Add", "path": "title", "value": "x"}]})
    assert operations == [PatchOperation("add", PatchPath(None, "title"), "x", True)]


def test_parse_member_names_any_case() -> None:
    request = {
        "schemas": ["urn:example:Other"],
        "operations": [{"OP": "REPLACE", "Path": "title", "Value": "x"}],
    }
    assert parse_patch_request(request) == [PatchOperation("replace", PatchPath(None, "title"), "x", True)]


def test_parse_empty_operations_entra_validator() -> None:
    assert parse_patch_request(fixture("entra/patch_validator_empty_operations.json")) == []


@pytest.mark.parametrize("path", ["", "   ", None], ids=["empty", "whitespace", "null"])
def test_parse_blank_path_means_none(path: str | None) -> None:
    operations = parse_patch_request(body({"op": "replace", "path": path, "value": {"title": "x"}}))
    assert operations[0].path is None


def test_parse_max_operations_boundary() -> None:
    request = body(*[{"op": "add", "path": "title", "value": "x"}] * 3)
    assert len(parse_patch_request(request, max_operations=3)) == 3


PARSE_ERRORS = [
    pytest.param([], InvalidSyntax, "must be a JSON object", id="rfc7644-3.5.2-body-not-object"),
    pytest.param(
        {"schemas": [PATCH_OP_URN]}, InvalidSyntax, 'no "Operations"', id="rfc7644-3.5.2-missing-operations"
    ),
    pytest.param(
        {"Operations": {}},
        InvalidSyntax,
        "must be a list of operations, got an object",
        id="rfc7644-3.5.2-operations-not-list",
    ),
    pytest.param(
        {"Operations": ["add"]},
        InvalidSyntax,
        "Operations[0] must be an object",
        id="rfc7644-3.5.2-operation-not-object",
    ),
    pytest.param(
        body({"path": "title", "value": "x"}),
        InvalidSyntax,
        'Operations[0] has no "op"',
        id="rfc7644-3.5.2-missing-op",
    ),
    pytest.param(
        body(
            {"op": "add", "path": "title", "value": "a"},
            {"op": "add", "path": "title", "value": "b"},
            {"op": "merge", "path": "title", "value": "c"},
        ),
        InvalidSyntax,
        "Operations[2].op must be add, replace or remove, got 'merge'.",
        id="rfc7644-3.5.2-unknown-op",
    ),
    pytest.param(
        body({"op": 1, "path": "title", "value": "x"}),
        InvalidSyntax,
        "got 1",
        id="rfc7644-3.5.2-op-not-string",
    ),
    pytest.param(
        body({"op": "add", "path": 5, "value": "x"}),
        InvalidSyntax,
        "Operations[0].path must be a string, got a number",
        id="rfc7644-3.5.2-path-not-string",
    ),
    pytest.param(
        body({"op": "add", "path": "emails[type eq]", "value": "x"}),
        InvalidPath,
        "Operations[0].path: Invalid value filter",
        id="rfc7644-3.5.2-invalid-path",
    ),
    pytest.param(
        body({"op": "Remove"}),
        NoTarget,
        'Operations[0]: remove needs a "path"',
        id="rfc7644-3.5.2.2-remove-without-path",
    ),
    pytest.param(
        body({"op": "add", "path": "title"}),
        InvalidValue,
        'Operations[0]: add needs a "value"',
        id="rfc7644-3.5.2.1-add-without-value",
    ),
    pytest.param(
        body({"op": "replace"}),
        InvalidValue,
        'Operations[0]: replace needs a "value"',
        id="rfc7644-3.5.2.3-replace-without-value",
    ),
]


@pytest.mark.parametrize(("request_body", "error", "detail"), PARSE_ERRORS)
def test_parse_invalid(request_body: Any, error: type[ScimError], detail: str) -> None:
    with pytest.raises(error) as raised:
        parse_patch_request(request_body)
    assert detail in raised.value.detail


def test_parse_max_operations_exceeded() -> None:
    request = body(*[{"op": "add", "path": "title", "value": "x"}] * 4)
    with pytest.raises(InvalidValue) as raised:
        parse_patch_request(request, max_operations=3)
    assert "the maximum is 3" in raised.value.detail


# ---------------------------------------------------------------------------------------------
# Entra's request bodies applied to a user


def test_entra_default_dialect_applied() -> None:
    user, changed = patched(karin(), fixture("entra/patch_user_default_dialect.json"))
    expected = karin(
        userName="karin.holm@contoso-example.se",
        name={"familyName": "Holm", "givenName": "Karin"},
        emails=[{"value": "karin.holm@contoso-example.se", "type": "work", "primary": True}],
        **{ENTERPRISE_URN: enterprise(department="Key Accounts")},
    )
    assert user == expected
    assert changed is True


def test_entra_aadoptscim062020_applied() -> None:
    user, changed = patched(karin(), fixture("entra/patch_user_aadoptscim062020.json"))
    expected = karin(
        displayName="Karin Holm",
        name={"familyName": "Holm", "givenName": "Karin"},
        emails=[{"value": "karin.holm@contoso-example.se", "type": "work", "primary": True}],
        **{ENTERPRISE_URN: enterprise(department="Key Accounts")},
    )
    assert user == expected
    assert changed is True


@pytest.mark.parametrize(
    "name",
    [
        "entra/patch_user_disable_default_dialect.json",
        "entra/patch_user_disable_aadoptscim062020.json",
        "entra/patch_user_disable_lowercase_string.json",
        "entra/patch_user_disable_operations_first.json",
    ],
    ids=["entra-string-False", "entra-json-false", "entra-string-false", "entra-operations-first"],
)
def test_entra_disable_user(name: str) -> None:
    user, changed = patched(karin(), fixture(name))
    assert user == karin(active=False)
    assert changed is True


def test_entra_enable_user_string_true() -> None:
    user, changed = patched(karin(active=False), fixture("entra/patch_user_enable_default_dialect.json"))
    assert user == karin()
    assert changed is True


def test_entra_enable_already_active_unchanged() -> None:
    user, changed = patched(karin(), fixture("entra/patch_user_enable_default_dialect.json"))
    assert user == karin()
    assert changed is False


MANAGER_FIXTURES = [
    pytest.param(
        "entra/patch_manager_add_bare_id.json", None, {"value": "M1"}, id="entra-manager-add-bare-id"
    ),
    pytest.param(
        "entra/patch_manager_replace_bare_id_harness.json",
        {"value": "M1"},
        {"value": "M2"},
        id="entra-manager-replace-bare-id",
    ),
    pytest.param(
        "entra/patch_manager_pathless_aadoptscim062020.json",
        {"value": "M1"},
        {"value": "M2"},
        id="entra-manager-pathless-key",
    ),
    pytest.param(
        "entra/patch_manager_clear_empty_string_harness.json",
        {"value": "M1"},
        None,
        id="entra-manager-clear-empty-string",
    ),
    pytest.param("entra/patch_manager_remove.json", {"value": "M1"}, None, id="entra-manager-remove"),
    pytest.param(
        "entra/patch_manager_remove_value_filter.json",
        {"value": "M1"},
        None,
        id="entra-manager-remove-matching-filter",
    ),
    pytest.param(
        "entra/patch_manager_remove_value_filter.json",
        {"value": "M2"},
        {"value": "M2"},
        id="entra-manager-remove-other-filter",
    ),
]


@pytest.mark.parametrize(("name", "before", "after"), MANAGER_FIXTURES)
def test_entra_manager(name: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    extension = enterprise() if before is None else enterprise(manager=before)
    expected = enterprise() if after is None else enterprise(manager=after)
    user, _ = patched(karin(**{ENTERPRISE_URN: extension}), fixture(name))
    assert user == karin(**{ENTERPRISE_URN: expected})


def test_entra_null_update_harness() -> None:
    user, changed = patched(karin(), fixture("entra/patch_user_null_update_harness.json"))
    expected = karin(
        title=DELETE,
        displayName=DELETE,
        name={"familyName": "Lindqvist"},
        **{ENTERPRISE_URN: {"employeeNumber": "10442"}},
    )
    assert user == expected
    assert changed is True


def test_entra_validator_add_missing_work_email() -> None:
    user, _ = patched(karin(emails=DELETE), fixture("entra/patch_validator_add_missing_work_email.json"))
    assert user == karin(emails=[{"type": "work", "value": "karin.holm@contoso-example.se"}])


def test_entra_validator_empty_operations_unchanged() -> None:
    user, changed = patched(karin(), fixture("entra/patch_validator_empty_operations.json"))
    assert user == karin()
    assert changed is False


def test_entra_unstored_attributes_ignored() -> None:
    user, changed = patched(karin(), fixture("entra/patch_user_custom_extension.json"))
    assert user == karin()
    assert changed is False


# ---------------------------------------------------------------------------------------------
# PATCH rules, one case each

WORK_EMAIL = {"value": "karin.lindqvist@contoso-example.se", "type": "work", "primary": True}
HOME_EMAIL = {"value": "karin@example.org", "type": "home"}

PATCH_RULES = [
    # Single-valued simple attributes.
    pytest.param(
        karin(),
        [{"op": "replace", "path": "displayName", "value": "Karin Holm"}],
        karin(displayName="Karin Holm"),
        id="rfc7644-3.5.2.3-replace-simple",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": "title", "value": "Sales Director"}],
        karin(title="Sales Director"),
        id="rfc7644-3.5.2.1-add-simple-replaces-value",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": "nickName", "value": "Kajsa"}],
        karin(nickName="Kajsa"),
        id="rfc7644-3.5.2.1-add-absent-attribute",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": f"{USER_URN}:displayName", "value": "Karin Holm"}],
        karin(displayName="Karin Holm"),
        id="rfc7644-3.5.2-core-urn-qualified-path",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "DISPLAYNAME", "value": "Karin Holm"}],
        karin(displayName="Karin Holm"),
        id="rfc7643-2.1-path-any-case",
    ),
    pytest.param(
        karin(displayName=DELETE, DisplayName="Old"),
        [{"op": "replace", "path": "displayName", "value": "New"}],
        karin(displayName="New"),
        id="rfc7643-2.1-key-rewritten-canonical",
    ),
    pytest.param(
        karin(active=False),
        [{"op": "replace", "path": "active", "value": "TRUE"}],
        karin(),
        id="entra-boolean-string-stored-as-boolean",
    ),
    # Complex attributes.
    pytest.param(
        karin(),
        [{"op": "replace", "path": "name", "value": {"givenName": "Kajsa"}}],
        karin(name={"familyName": "Lindqvist", "givenName": "Kajsa"}),
        id="rfc7644-3.5.2.3-replace-complex-merges",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": "name", "value": {"familyName": "Holm"}}],
        karin(name={"familyName": "Holm", "givenName": "Karin"}),
        id="rfc7644-3.5.2.1-add-complex-merges",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "name.familyName", "value": "Holm"}],
        karin(name={"familyName": "Holm", "givenName": "Karin"}),
        id="rfc7644-3.5.2.3-replace-sub-attribute",
    ),
    pytest.param(
        karin(name=DELETE),
        [{"op": "add", "path": "name.givenName", "value": "Karin"}],
        karin(name={"givenName": "Karin"}),
        id="rfc7644-3.5.2.1-add-sub-attribute-creates-complex",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "Name.GivenName", "value": "Kajsa"}],
        karin(name={"familyName": "Lindqvist", "givenName": "Kajsa"}),
        id="rfc7643-2.1-sub-attribute-any-case",
    ),
    # Path-less objects: nested (RFC), flat dotted and URN-qualified keys (Entra), extension objects.
    pytest.param(
        karin(),
        [{"op": "add", "value": {"name": {"givenName": "Kajsa"}, "nickName": "KL"}}],
        karin(name={"familyName": "Lindqvist", "givenName": "Kajsa"}, nickName="KL"),
        id="rfc7644-3.5.2.1-pathless-nested-object",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "value": {"NAME": {"GIVENNAME": "Kajsa"}}}],
        karin(name={"familyName": "Lindqvist", "givenName": "Kajsa"}),
        id="rfc7643-2.1-pathless-keys-any-case",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "value": {"name.givenName": "Kajsa"}}],
        karin(name={"familyName": "Lindqvist", "givenName": "Kajsa"}),
        id="entra-pathless-dotted-key",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "value": {f"{ENTERPRISE_URN}:department": "Support"}}],
        karin(**{ENTERPRISE_URN: enterprise(department="Support")}),
        id="entra-pathless-urn-key",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "value": {ENTERPRISE_URN: {"department": "Support"}}}],
        karin(**{ENTERPRISE_URN: enterprise(department="Support")}),
        id="rfc7644-3.5.2.3-pathless-extension-object",
    ),
    pytest.param(
        karin(),
        [
            {
                "op": "add",
                "value": {
                    "title": "Director",
                    "name.familyName": "Holm",
                    ENTERPRISE_URN: {"costCenter": "4711"},
                    f"{ENTERPRISE_URN}:department": "Support",
                },
            }
        ],
        karin(
            title="Director",
            name={"familyName": "Holm", "givenName": "Karin"},
            **{ENTERPRISE_URN: enterprise(costCenter="4711", department="Support")},
        ),
        id="entra-pathless-mixed-forms",
    ),
    pytest.param(
        karin(),
        [
            {
                "op": "replace",
                "value": {
                    "schemas": [USER_URN],
                    "id": "U9",
                    "meta": {"resourceType": "Group"},
                    "displayName": "Karin Holm",
                },
            }
        ],
        karin(displayName="Karin Holm"),
        id="rfc7644-3.5.2.3-pathless-ignores-schemas-id-meta",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": ENTERPRISE_URN, "value": {"department": "Support"}}],
        karin(**{ENTERPRISE_URN: enterprise(department="Support")}),
        id="rfc7644-3.5.2.1-extension-urn-path",
    ),
    # Extension objects are created and dropped as needed.
    pytest.param(
        karin(**{ENTERPRISE_URN: DELETE}),
        [{"op": "Add", "path": f"{ENTERPRISE_URN}:department", "value": "Sales"}],
        karin(**{ENTERPRISE_URN: {"department": "Sales"}}),
        id="rfc7643-3.3-add-creates-extension-object",
    ),
    pytest.param(
        karin(),
        [
            {"op": "remove", "path": f"{ENTERPRISE_URN}:department"},
            {"op": "remove", "path": f"{ENTERPRISE_URN}:employeeNumber"},
        ],
        karin(**{ENTERPRISE_URN: DELETE}),
        id="rfc7644-3.5.2.2-empty-extension-object-dropped",
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": ENTERPRISE_URN}],
        karin(**{ENTERPRISE_URN: DELETE}),
        id="rfc7644-3.5.2.2-remove-extension-urn-path",
    ),
    pytest.param(
        karin(**{ENTERPRISE_URN: DELETE}),
        [{"op": "replace", "path": f"{ENTERPRISE_URN}:department", "value": ""}],
        karin(**{ENTERPRISE_URN: DELETE}),
        id="entra-clear-absent-extension-attribute",
    ),
    # Manager (enterprise extension, RFC 7643 §4.3): Entra sends a bare id and clears in several ways.
    pytest.param(
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}),
        [{"op": "replace", "path": f"{ENTERPRISE_URN}:manager", "value": {"value": "M2"}}],
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M2"})}),
        id="rfc7643-4.3-manager-object",
    ),
    pytest.param(
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}),
        [{"op": "replace", "path": f"{ENTERPRISE_URN}:manager", "value": None}],
        karin(**{ENTERPRISE_URN: enterprise()}),
        id="entra-manager-clear-null",
    ),
    pytest.param(
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}),
        [{"op": "replace", "path": f"{ENTERPRISE_URN}:manager", "value": {"value": ""}}],
        karin(**{ENTERPRISE_URN: enterprise()}),
        id="entra-manager-clear-value-empty-string",
    ),
    pytest.param(
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}),
        [{"op": "replace", "path": f"{ENTERPRISE_URN}:manager", "value": {"value": None}}],
        karin(**{ENTERPRISE_URN: enterprise()}),
        id="entra-manager-clear-value-null",
    ),
    pytest.param(
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}),
        [{"op": "replace", "value": {f"{ENTERPRISE_URN}:manager": ""}}],
        karin(**{ENTERPRISE_URN: enterprise()}),
        id="entra-manager-clear-pathless",
    ),
    pytest.param(
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}),
        [{"op": "Remove", "path": f"{ENTERPRISE_URN}:manager", "value": [{"value": "M9"}]}],
        karin(**{ENTERPRISE_URN: enterprise()}),
        id="rfc7644-3.5.2.2-remove-single-valued-ignores-value",
    ),
    pytest.param(
        karin(),
        [
            {
                "op": "replace",
                "path": f"{ENTERPRISE_URN}:manager",
                "value": {"value": "M2", "displayName": "Boss"},
            }
        ],
        karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M2"})}),
        id="rfc7643-7-read-only-sub-attribute-skipped",
    ),
    # Multi-valued attributes without a filter.
    pytest.param(
        karin(),
        [{"op": "add", "path": "emails", "value": [HOME_EMAIL]}],
        karin(emails=[WORK_EMAIL, HOME_EMAIL]),
        id="rfc7644-3.5.2.1-multi-add-appends",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": "emails", "value": HOME_EMAIL}],
        karin(emails=[WORK_EMAIL, HOME_EMAIL]),
        id="rfc7644-3.5.2.1-multi-add-single-object",
    ),
    pytest.param(
        karin(),
        [
            {
                "op": "add",
                "path": "emails",
                "value": [{"Value": WORK_EMAIL["value"], "TYPE": "work", "primary": "True"}],
            }
        ],
        karin(),
        id="rfc7644-3.5.2.1-multi-add-existing-element-unchanged",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "emails", "value": [HOME_EMAIL]}],
        karin(emails=[HOME_EMAIL]),
        id="rfc7644-3.5.2.3-multi-replace-whole-list",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "emails", "value": []}],
        karin(emails=DELETE),
        id="rfc7644-3.5.2.3-multi-replace-empty-list",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": "emails", "value": [{**HOME_EMAIL, "primary": True}]}],
        karin(emails=[{**WORK_EMAIL, "primary": False}, {**HOME_EMAIL, "primary": True}]),
        id="rfc7643-2.4-add-primary-clears-others",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": "emails", "value": [{**HOME_EMAIL, "primary": "True"}]}],
        karin(emails=[{**WORK_EMAIL, "primary": False}, {**HOME_EMAIL, "primary": True}]),
        id="entra-string-primary-clears-others",
    ),
    pytest.param(
        karin(emails=[WORK_EMAIL, HOME_EMAIL]),
        [{"op": "replace", "path": 'emails[type eq "home"].primary', "value": True}],
        karin(emails=[{**WORK_EMAIL, "primary": False}, {**HOME_EMAIL, "primary": True}]),
        id="rfc7643-2.4-filtered-primary-clears-others",
    ),
    # Filtered paths with a match (RFC 7644 §3.5.2.3).
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "k@contoso-example.se"}],
        karin(emails=[{**WORK_EMAIL, "value": "k@contoso-example.se"}]),
        id="rfc7644-3.5.2.3-filter-sub-attribute",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'emails[TYPE eq "WORK"].value', "value": "k@contoso-example.se"}],
        karin(emails=[{**WORK_EMAIL, "value": "k@contoso-example.se"}]),
        id="rfc7644-3.4.2.2-filter-ignores-case",
    ),
    pytest.param(
        karin(),
        [
            {
                "op": "replace",
                "path": 'phoneNumbers[type eq "mobile"]',
                "value": {"type": "mobile", "value": "+46709999999"},
            }
        ],
        karin(phoneNumbers=[{"type": "mobile", "value": "+46709999999"}]),
        id="rfc7644-3.5.2.3-filter-replaces-element",
    ),
    pytest.param(
        karin(
            phoneNumbers=[
                {"type": "work", "value": "+468123", "primary": True},
                {"type": "mobile", "value": "+46701", "primary": True},
            ]
        ),
        [{"op": "replace", "path": 'phoneNumbers[value sw "+46"].primary', "value": "False"}],
        karin(
            phoneNumbers=[
                {"type": "work", "value": "+468123", "primary": False},
                {"type": "mobile", "value": "+46701", "primary": False},
            ]
        ),
        id="rfc7644-3.5.2.3-filter-changes-every-match",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": 'emails[type eq "work"]', "value": {"primary": False}}],
        karin(emails=[{**WORK_EMAIL, "primary": False}]),
        id="rfc7644-3.5.2.1-filter-add-merges",
    ),
    # Filtered paths without a match: Entra expects the element to be created.
    pytest.param(
        karin(emails=DELETE),
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "k@contoso-example.se"}],
        karin(emails=[{"type": "work", "value": "k@contoso-example.se"}]),
        id="entra-filter-replace-creates-element",
    ),
    pytest.param(
        karin(),
        [{"op": "Replace", "path": 'emails[type eq "home"].value', "value": "karin@example.org"}],
        karin(emails=[WORK_EMAIL, {"type": "home", "value": "karin@example.org"}]),
        id="entra-filter-replace-appends-element",
    ),
    pytest.param(
        karin(),
        [
            {
                "op": "add",
                "path": 'phoneNumbers[type eq "work" and primary eq "True"].value',
                "value": "+468123",
            }
        ],
        karin(
            phoneNumbers=[
                {"type": "mobile", "value": "+46701234567"},
                {"type": "work", "primary": True, "value": "+468123"},
            ]
        ),
        id="entra-filter-and-creates-element",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": 'emails[type eq "home"]', "value": {"value": "karin@example.org"}}],
        karin(emails=[WORK_EMAIL, {"type": "home", "value": "karin@example.org"}]),
        id="entra-filter-add-object-creates-element",
    ),
    pytest.param(
        karin(emails=[WORK_EMAIL]),
        [
            {
                "op": "add",
                "path": 'emails[type eq "home" and primary eq true].value',
                "value": "karin@example.org",
            }
        ],
        karin(
            emails=[
                {**WORK_EMAIL, "primary": False},
                {"type": "home", "primary": True, "value": "karin@example.org"},
            ]
        ),
        id="entra-created-primary-clears-others",
    ),
    # Clearing with "" or null (Microsoft's validation harness).
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": ""}],
        karin(emails=DELETE),
        id="entra-clear-filtered-value-removes-element",
    ),
    pytest.param(
        karin(emails=[WORK_EMAIL, HOME_EMAIL]),
        [{"op": "replace", "path": 'emails[type eq "work"].value', "value": None}],
        karin(emails=[HOME_EMAIL]),
        id="entra-clear-filtered-value-null",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'addresses[type eq "work"].postalCode', "value": ""}],
        karin(addresses=[{"type": "work", "country": "SE"}]),
        id="entra-clear-filtered-sub-attribute-keeps-element",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'emails[type eq "home"].value', "value": ""}],
        karin(),
        id="entra-clear-filtered-no-match-no-op",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'emails[type eq "work"]', "value": None}],
        karin(emails=DELETE),
        id="entra-clear-filtered-element",
    ),
    pytest.param(
        karin(), [{"op": "add", "path": "title", "value": ""}], karin(title=DELETE), id="entra-clear-with-add"
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "emails", "value": None}],
        karin(emails=DELETE),
        id="entra-clear-multi-valued",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "name", "value": None}],
        karin(name=DELETE),
        id="entra-clear-complex",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "name.givenName", "value": ""}],
        karin(name={"familyName": "Lindqvist"}),
        id="entra-clear-sub-attribute",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "value": {"title": None}}],
        karin(title=DELETE),
        id="entra-clear-pathless-null",
    ),
    # Remove (RFC 7644 §3.5.2.2).
    pytest.param(
        karin(), [{"op": "remove", "path": "title"}], karin(title=DELETE), id="rfc7644-3.5.2.2-remove-simple"
    ),
    pytest.param(
        karin(), [{"op": "remove", "path": "name"}], karin(name=DELETE), id="rfc7644-3.5.2.2-remove-complex"
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": "name.givenName"}],
        karin(name={"familyName": "Lindqvist"}),
        id="rfc7644-3.5.2.2-remove-sub-attribute",
    ),
    pytest.param(
        karin(name={"givenName": "Karin"}),
        [{"op": "remove", "path": "name.givenName"}],
        karin(name=DELETE),
        id="rfc7644-3.5.2.2-complex-without-sub-attributes-removed",
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": "emails"}],
        karin(emails=DELETE),
        id="rfc7644-3.5.2.2-remove-multi-valued",
    ),
    pytest.param(
        karin(emails=[WORK_EMAIL, HOME_EMAIL]),
        [{"op": "remove", "path": 'emails[type eq "home"]'}],
        karin(emails=[WORK_EMAIL]),
        id="rfc7644-3.5.2.2-remove-matching-elements",
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": 'emails[type eq "work"]'}],
        karin(emails=DELETE),
        id="rfc7644-3.5.2.2-empty-list-removed",
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": 'emails[type eq "work"].value'}],
        karin(emails=DELETE),
        id="entra-remove-filtered-value-removes-element",
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": 'addresses[type eq "work"].country'}],
        karin(addresses=[{"type": "work", "postalCode": "21119"}]),
        id="rfc7644-3.5.2.2-remove-filtered-sub-attribute",
    ),
    pytest.param(
        karin(), [{"op": "remove", "path": "nickName"}], karin(), id="rfc7644-3.5.2.2-remove-absent-no-op"
    ),
    pytest.param(
        karin(),
        [{"op": "remove", "path": 'emails[type eq "home"]'}],
        karin(),
        id="rfc7644-3.5.2.2-remove-no-match-no-op",
    ),
    pytest.param(
        karin(emails=[WORK_EMAIL, HOME_EMAIL]),
        [{"op": "Remove", "path": "emails", "value": [{"value": "KARIN@example.org"}]}],
        karin(emails=[WORK_EMAIL]),
        id="entra-remove-value-list",
    ),
    pytest.param(
        karin(),
        [{"op": "Remove", "path": "emails", "value": [{"value": "nobody@example.org"}]}],
        karin(),
        id="entra-remove-value-list-no-match",
    ),
    pytest.param(
        karin(),
        [{"op": "Remove", "path": "emails", "value": []}],
        karin(),
        id="entra-remove-empty-value-list-keeps-all",
    ),
    # Attributes the definition lacks are accepted and ignored.
    pytest.param(
        karin(),
        [{"op": "replace", "path": "preferredLanguage", "value": "sv-SE"}],
        karin(),
        id="entra-unknown-attribute",
    ),
    pytest.param(
        karin(), [{"op": "remove", "path": "preferredLanguage"}], karin(), id="entra-unknown-attribute-remove"
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "name.formatted", "value": "Karin L"}],
        karin(),
        id="entra-unknown-sub-attribute",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": 'addresses[type eq "work"].formatted', "value": "Floor 4"}],
        karin(),
        id="entra-unknown-filtered-sub-attribute",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "path": f"{ACME_URN}:costCenter", "value": "4711"}],
        karin(),
        id="entra-unknown-extension",
    ),
    pytest.param(
        karin(),
        [{"op": "add", "value": {ACME_URN: {"costCenter": "4711"}, f"{ACME_URN}:region": "North"}}],
        karin(),
        id="entra-unknown-extension-pathless",
    ),
    pytest.param(
        karin(),
        [{"op": "replace", "path": "name", "value": {"formatted": "Karin L", "honorificPrefix": "Ms"}}],
        karin(),
        id="entra-unknown-sub-attributes-in-value",
    ),
    # RFC 7644 §3.5.2.1: a value that is already there changes nothing.
    pytest.param(
        karin(),
        [{"op": "replace", "path": "displayName", "value": "Karin Lindqvist"}],
        karin(),
        id="rfc7644-3.5.2.1-same-value",
    ),
]


@pytest.mark.parametrize(("resource", "operations", "expected"), PATCH_RULES)
def test_apply_patch_rule(
    resource: dict[str, Any], operations: list[dict[str, Any]], expected: dict[str, Any]
) -> None:
    result, changed = patched(resource, body(*operations))
    assert result == expected
    assert changed is (expected != resource)


def test_apply_patch_writes_canonical_keys() -> None:
    user, _ = patched(
        karin(emails=DELETE), body({"op": "add", "value": {"EMAILS": [{"VALUE": "a@x", "Type": "work"}]}})
    )
    assert list(user["emails"][0]) == ["value", "type"]


APPLY_ERRORS = [
    pytest.param(
        [{"op": "replace", "path": "id", "value": "U9"}],
        Mutability,
        "'id' is read-only",
        id="rfc7643-7-read-only-id",
    ),
    pytest.param(
        [{"op": "remove", "path": "meta"}], Mutability, "'meta' is read-only", id="rfc7643-7-read-only-remove"
    ),
    pytest.param(
        [{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}],
        Mutability,
        "'meta' is read-only",
        id="rfc7643-7-read-only-sub-attribute-path",
    ),
    pytest.param(
        [{"op": "add", "path": "groups", "value": [{"value": "G1"}]}],
        Mutability,
        "'groups' is read-only",
        id="rfc7643-7-read-only-groups",
    ),
    pytest.param(
        [{"op": "replace", "value": {"groups": [{"value": "G1"}]}}],
        Mutability,
        "'groups' is read-only",
        id="rfc7643-7-read-only-in-pathless-object",
    ),
    pytest.param(
        [{"op": "replace", "path": f"{ENTERPRISE_URN}:manager.displayName", "value": "Boss"}],
        Mutability,
        "'displayName' is read-only",
        id="rfc7643-7-read-only-manager-display-name",
    ),
    pytest.param(
        [{"op": "remove", "path": "userName"}],
        Mutability,
        "'userName' is required",
        id="rfc7644-3.5.2.2-remove-required",
    ),
    pytest.param(
        [{"op": "replace", "path": "userName", "value": ""}],
        Mutability,
        "'userName' is required",
        id="rfc7644-3.5.2.2-clear-required",
    ),
    pytest.param(
        [{"op": "replace", "value": {"userName": None}}],
        Mutability,
        "'userName' is required",
        id="rfc7644-3.5.2.2-clear-required-pathless",
    ),
    pytest.param(
        [{"op": "replace", "path": 'emails[value co "example.org"].value', "value": "x@y"}],
        NoTarget,
        "No element of 'emails' matches 'value co \"example.org\"'",
        id="rfc7644-3.5.2.3-no-match-not-equality",
    ),
    pytest.param(
        [{"op": "replace", "path": 'emails[type ne "work"].value', "value": "x@y"}],
        NoTarget,
        "No element of 'emails'",
        id="rfc7644-3.5.2.3-no-match-ne",
    ),
    pytest.param(
        [{"op": "replace", "path": 'emails[type eq "home" or type eq "other"].value', "value": "x@y"}],
        NoTarget,
        "only a filter of 'eq' comparisons joined by 'and'",
        id="rfc7644-3.5.2.3-no-match-or",
    ),
    pytest.param(
        [{"op": "replace", "path": 'emails[foo eq "x"].value', "value": "x@y"}],
        NoTarget,
        "No element of 'emails'",
        id="rfc7644-3.5.2.3-no-match-unknown-sub-attribute",
    ),
    pytest.param(
        [
            {"op": "replace", "path": "phoneNumbers.value", "value": "+46"},
            {"op": "remove", "path": "phoneNumbers"},
            {"op": "replace", "path": "phoneNumbers.value", "value": "+46"},
        ],
        NoTarget,
        "Operations[2]: 'phoneNumbers' has no elements",
        id="rfc7644-3.5.2.3-sub-attribute-of-empty-list",
    ),
    pytest.param(
        [{"op": "replace", "path": 'manager[value eq "M9"]', "value": "M2"}],
        NoTarget,
        "No element of 'manager'",
        id="rfc7644-3.5.2.3-no-match-single-valued",
    ),
    pytest.param(
        [{"op": "replace", "path": "userName", "value": {"a": 1}}],
        InvalidValue,
        "got an object",
        id="shape-object-for-simple",
    ),
    pytest.param(
        [{"op": "replace", "path": "title", "value": ["a"]}],
        InvalidValue,
        "got a list",
        id="shape-list-for-simple",
    ),
    pytest.param(
        [{"op": "replace", "path": "name", "value": [{"givenName": "x"}]}],
        InvalidValue,
        "takes an object",
        id="shape-list-for-complex",
    ),
    pytest.param(
        [{"op": "replace", "path": "name", "value": "Karin"}],
        InvalidValue,
        "got a string",
        id="shape-string-for-complex",
    ),
    pytest.param(
        [{"op": "replace", "value": ["title"]}],
        InvalidValue,
        "must be an object of attributes",
        id="rfc7644-3.5.2.3-pathless-list",
    ),
    pytest.param(
        [{"op": "add", "value": "title"}], InvalidValue, "got a string", id="rfc7644-3.5.2.1-pathless-string"
    ),
    pytest.param(
        [{"op": "add", "path": "emails", "value": [{"value": {"address": "x@y"}}]}],
        InvalidValue,
        "'value' takes a single",
        id="shape-object-for-sub-attribute",
    ),
    pytest.param(
        [{"op": "Remove", "path": "emails", "value": [{"type": "work"}]}],
        InvalidValue,
        'must be an object with a "value"',
        id="entra-remove-value-list-without-value",
    ),
    pytest.param(
        [{"op": "replace", "path": "userName.first", "value": "x"}],
        InvalidPath,
        "'userName' has no sub-attributes",
        id="rfc7644-3.5.2-sub-of-simple",
    ),
    pytest.param(
        [{"op": "replace", "path": 'title[value eq "x"]', "value": "x"}],
        InvalidPath,
        "cannot have a value filter",
        id="rfc7644-3.5.2-filter-on-simple",
    ),
    pytest.param(
        [{"op": "replace", "value": {"display name": "x"}}],
        InvalidPath,
        "The key 'display name' of the value object",
        id="rfc7644-3.5.2-pathless-key-not-a-path",
    ),
]


@pytest.mark.parametrize(("operations", "error", "detail"), APPLY_ERRORS)
def test_apply_patch_error(operations: list[dict[str, Any]], error: type[ScimError], detail: str) -> None:
    with pytest.raises(error) as raised:
        patched(karin(**{ENTERPRISE_URN: enterprise(manager={"value": "M1"})}), body(*operations))
    assert detail in raised.value.detail


def test_apply_patch_error_names_operation_index() -> None:
    operations = body(
        {"op": "replace", "path": "title", "value": "x"}, {"op": "replace", "path": "id", "value": "U9"}
    )
    with pytest.raises(Mutability) as raised:
        patched(karin(), operations)
    assert raised.value.detail.startswith("Operations[1]: ")


def test_apply_patch_failure_leaves_caller_copy() -> None:
    # The caller applies the PATCH to a deep copy and commits only when apply_patch returns.
    stored = karin()
    working = copy.deepcopy(stored)
    operations = parse_patch_request(
        body({"op": "replace", "path": "title", "value": "Director"}, {"op": "remove", "path": "userName"})
    )
    with pytest.raises(Mutability):
        apply_patch(working, operations, USER_DEFINITION)
    assert working["title"] == "Director"
    assert stored == karin()


def test_apply_patch_unknown_op_hand_built() -> None:
    with pytest.raises(InvalidSyntax, match="got 'merge'"):
        apply_patch(karin(), [PatchOperation("merge", None, {}, True)], USER_DEFINITION)


def test_apply_patch_remove_without_path_hand_built() -> None:
    with pytest.raises(NoTarget, match="remove needs a"):
        apply_patch(karin(), [PatchOperation("remove", None)], USER_DEFINITION)


IMMUTABLE_CASES = [
    pytest.param(
        {"label": "A"},
        {"op": "add", "path": "serial", "value": "S1"},
        {"label": "A", "serial": "S1"},
        id="rfc7643-7-immutable-set-once",
    ),
    pytest.param(
        {"serial": "S1"},
        {"op": "replace", "path": "serial", "value": "S1"},
        {"serial": "S1"},
        id="rfc7643-7-immutable-same-value",
    ),
]


@pytest.mark.parametrize(("resource", "operation", "expected"), IMMUTABLE_CASES)
def test_apply_patch_immutable_allowed(
    resource: dict[str, Any], operation: dict[str, Any], expected: dict[str, Any]
) -> None:
    result, _ = patched(resource, body(operation), BADGE_DEFINITION)
    assert result == expected


@pytest.mark.parametrize(
    "operation",
    [
        pytest.param({"op": "replace", "path": "serial", "value": "S2"}, id="rfc7643-7-immutable-replace"),
        pytest.param({"op": "remove", "path": "serial"}, id="rfc7643-7-immutable-remove"),
        pytest.param({"op": "replace", "value": {"serial": ""}}, id="rfc7643-7-immutable-clear"),
    ],
)
def test_apply_patch_immutable_rejected(operation: dict[str, Any]) -> None:
    with pytest.raises(Mutability, match="'serial' is immutable"):
        patched({"serial": "S1"}, body(operation), BADGE_DEFINITION)


def test_apply_patch_immutable_member_value() -> None:
    operation = {"op": "replace", "path": 'members[value eq "U1"].value', "value": "U2"}
    with pytest.raises(Mutability, match="'value' is immutable"):
        patched(key_accounts("U1"), body(operation), GROUP_DEFINITION)


# ---------------------------------------------------------------------------------------------
# Groups through apply_patch (the caller normally splits members off first)

BABS_MEMBER = {"$ref": f"https://example.com/v2/Users/{BABS}", "value": BABS}
JAMES_MEMBER = {"$ref": f"https://example.com/v2/Users/{JAMES}", "value": JAMES}

GROUP_CASES = [
    pytest.param(
        key_accounts("U1"),
        "rfc7644/patch_add_member_3.5.2.1.json",
        {**key_accounts("U1"), "members": [{"value": "U1"}, BABS_MEMBER]},
        id="rfc7644-3.5.2.1-add-member",
    ),
    pytest.param(
        key_accounts(BABS, "U1"),
        "rfc7644/patch_remove_member_3.5.2.2.json",
        key_accounts("U1"),
        id="rfc7644-3.5.2.2-remove-member",
    ),
    pytest.param(
        key_accounts(BABS, "U1"),
        "rfc7644/patch_remove_all_members_3.5.2.2.json",
        {key: value for key, value in key_accounts().items() if key != "members"},
        id="rfc7644-3.5.2.2-remove-all-members",
    ),
    pytest.param(
        key_accounts("U1"),
        "rfc7644/patch_remove_and_add_members_3.5.2.2.json",
        {**key_accounts(), "members": [BABS_MEMBER, JAMES_MEMBER]},
        id="rfc7644-3.5.2.2-remove-and-add-members",
    ),
    pytest.param(
        key_accounts("U1"),
        "rfc7644/patch_replace_members_3.5.2.3.json",
        {**key_accounts(), "members": [BABS_MEMBER, JAMES_MEMBER]},
        id="rfc7644-3.5.2.3-replace-members",
    ),
    pytest.param(
        key_accounts("U1", "U7"),
        "entra/remove_member_value_list.json",
        key_accounts("U1"),
        id="entra-remove-member-value-list",
    ),
    pytest.param(
        key_accounts("U1", "U7"),
        "entra/patch_group_remove_member_filter_aadoptscim062020.json",
        key_accounts("U1"),
        id="entra-remove-member-filter",
    ),
    pytest.param(
        key_accounts(),
        "entra/patch_group_display_name.json",
        {**key_accounts(), "displayName": "Key Accounts Nordics"},
        id="entra-group-display-name",
    ),
    pytest.param(
        key_accounts(),
        "entra/patch_group_display_name_pathless_aadoptscim062020.json",
        {**key_accounts(), "displayName": "Key Accounts Nordics"},
        id="entra-group-display-name-pathless",
    ),
]


@pytest.mark.parametrize(("group", "name", "expected"), GROUP_CASES)
def test_apply_patch_group(group: dict[str, Any], name: str, expected: dict[str, Any]) -> None:
    result, _ = patched(group, fixture(name), GROUP_DEFINITION)
    assert result == expected


# ---------------------------------------------------------------------------------------------
# RFC 7644 §3.5.2 examples applied to a user

RFC_USER_CASES = [
    pytest.param(
        karin(),
        "rfc7644/patch_add_pathless_3.5.2.1.json",
        karin(emails=[WORK_EMAIL, {"value": "babs@jensen.org", "type": "home"}], nickName="Babs"),
        id="rfc7644-3.5.2.1-add-pathless",
    ),
    pytest.param(
        karin(emails=[{"value": "bjensen@example.com", "type": "work"}, HOME_EMAIL]),
        "rfc7644/patch_remove_emails_filter_3.5.2.2.json",
        karin(emails=[HOME_EMAIL]),
        id="rfc7644-3.5.2.2-remove-emails-filter",
    ),
    pytest.param(
        karin(),
        "rfc7644/patch_replace_work_address_3.5.2.3.json",
        karin(
            addresses=[
                {
                    "type": "work",
                    "streetAddress": "911 Universal City Plaza",
                    "locality": "Hollywood",
                    "region": "CA",
                    "postalCode": "91608",
                    "country": "US",
                    "primary": True,
                }
            ]
        ),
        id="rfc7644-3.5.2.3-replace-work-address",
    ),
    pytest.param(
        karin(),
        "rfc7644/patch_replace_street_address_3.5.2.3.json",
        karin(
            addresses=[
                {"type": "work", "postalCode": "21119", "country": "SE", "streetAddress": "1010 Broadway Ave"}
            ]
        ),
        id="rfc7644-3.5.2.3-replace-street-address",
    ),
    pytest.param(
        karin(),
        "rfc7644/patch_replace_pathless_3.5.2.3.json",
        karin(
            emails=[
                {"value": "bjensen@example.com", "type": "work", "primary": True},
                {"value": "babs@jensen.org", "type": "home"},
            ],
            nickName="Babs",
        ),
        id="rfc7644-3.5.2.3-replace-pathless",
    ),
]


@pytest.mark.parametrize(("user", "name", "expected"), RFC_USER_CASES)
def test_apply_patch_rfc_example(user: dict[str, Any], name: str, expected: dict[str, Any]) -> None:
    result, _ = patched(user, fixture(name))
    assert result == expected


# ---------------------------------------------------------------------------------------------
# split_member_operations


def split(request: Any) -> tuple[list[PatchOperation], list[MemberChange]]:
    return split_member_operations(parse_patch_request(request))


MEMBER_FIXTURES = [
    pytest.param(
        "entra/patch_group_add_members_null_ref.json",
        [MemberChange("add", ("U1", "U7"))],
        id="entra-add-members",
    ),
    pytest.param(
        "entra/remove_member_value_list.json", [MemberChange("remove", ("U7",))], id="entra-remove-value-list"
    ),
    pytest.param(
        "entra/patch_group_remove_member_filter_aadoptscim062020.json",
        [MemberChange("remove", ("U7",))],
        id="entra-remove-filter",
    ),
    pytest.param(
        "entra/patch_group_remove_all_members_reference_tests.json",
        [MemberChange("remove_all")],
        id="entra-remove-all",
    ),
    pytest.param(
        "rfc7644/patch_add_member_3.5.2.1.json",
        [MemberChange("add", (BABS,))],
        id="rfc7644-3.5.2.1-add-member",
    ),
    pytest.param(
        "rfc7644/patch_remove_member_3.5.2.2.json",
        [MemberChange("remove", (BABS,))],
        id="rfc7644-3.5.2.2-remove-member",
    ),
    pytest.param(
        "rfc7644/patch_remove_all_members_3.5.2.2.json",
        [MemberChange("remove_all")],
        id="rfc7644-3.5.2.2-remove-all",
    ),
    pytest.param(
        "rfc7644/patch_remove_and_add_members_3.5.2.2.json",
        [MemberChange("remove_all"), MemberChange("add", (BABS, JAMES))],
        id="rfc7644-3.5.2.2-remove-and-add",
    ),
    pytest.param(
        "rfc7644/patch_replace_members_3.5.2.3.json",
        [MemberChange("replace", (BABS, JAMES))],
        id="rfc7644-3.5.2.3-replace",
    ),
]


@pytest.mark.parametrize(("name", "expected"), MEMBER_FIXTURES)
def test_split_member_fixture(name: str, expected: list[MemberChange]) -> None:
    remaining, changes = split(fixture(name))
    assert changes == expected
    assert remaining == []


MEMBER_CASES = [
    pytest.param(
        {"op": "remove", "path": 'members[value eq "U1" or value eq "U7"]'},
        [MemberChange("remove", ("U1", "U7"))],
        id="rfc7644-3.5.2.2-or-filter",
    ),
    pytest.param(
        {"op": "remove", "path": 'members[VALUE EQ "U1"]'},
        [MemberChange("remove", ("U1",))],
        id="rfc7643-2.1-filter-any-case",
    ),
    pytest.param(
        {"op": "Add", "path": "Members", "value": [{"value": "U1"}]},
        [MemberChange("add", ("U1",))],
        id="rfc7643-2.1-path-any-case",
    ),
    pytest.param(
        {"op": "add", "path": f"{GROUP_URN}:members", "value": [{"value": "U1"}]},
        [MemberChange("add", ("U1",))],
        id="rfc7644-3.5.2-urn-qualified-path",
    ),
    pytest.param(
        {"op": "add", "path": "members", "value": {"value": "U1"}},
        [MemberChange("add", ("U1",))],
        id="rfc7644-3.5.2.1-single-object",
    ),
    pytest.param(
        {
            "op": "add",
            "path": "members",
            "value": [{"value": "U1", "display": "Karin", "type": "User"}, {"value": "U1"}],
        },
        [MemberChange("add", ("U1",))],
        id="rfc7644-3.5.2.1-duplicates-and-extra-keys",
    ),
    pytest.param({"op": "add", "path": "members", "value": []}, [], id="rfc7644-3.5.2.1-add-nothing"),
    pytest.param(
        {"op": "replace", "path": "members", "value": []},
        [MemberChange("replace")],
        id="rfc7644-3.5.2.3-replace-with-none",
    ),
    pytest.param(
        {"op": "replace", "path": "members", "value": None},
        [MemberChange("replace")],
        id="entra-replace-null",
    ),
    pytest.param(
        {"op": "remove", "path": "members", "value": []}, [], id="entra-remove-empty-value-list-keeps-all"
    ),
    pytest.param(
        {"op": "remove", "path": "members", "value": None},
        [MemberChange("remove_all")],
        id="rfc7644-3.5.2.2-remove-null-value",
    ),
    pytest.param(
        {"op": "add", "value": {"members": [{"value": "U1"}]}},
        [MemberChange("add", ("U1",))],
        id="rfc7644-3.5.2.1-pathless-add",
    ),
    pytest.param(
        {"op": "replace", "value": {"Members": []}},
        [MemberChange("replace")],
        id="rfc7644-3.5.2.3-pathless-replace-empty",
    ),
]


@pytest.mark.parametrize(("operation", "expected"), MEMBER_CASES)
def test_split_member_operation(operation: dict[str, Any], expected: list[MemberChange]) -> None:
    remaining, changes = split(body(operation))
    assert changes == expected
    assert remaining == []


def test_split_pathless_keeps_other_keys() -> None:
    request = body(
        {"op": "replace", "value": {"id": "G1", "displayName": "Nordics", "members": [{"value": "U1"}]}}
    )
    remaining, changes = split(request)
    assert remaining == [PatchOperation("replace", None, {"id": "G1", "displayName": "Nordics"}, True)]
    assert changes == [MemberChange("replace", ("U1",))]


def test_split_keeps_order_and_other_operations() -> None:
    request = body(
        {"op": "Replace", "path": "displayName", "value": "Nordics"},
        {"op": "Add", "path": "members", "value": [{"value": "U1"}]},
        {"op": "replace", "path": "externalId", "value": "e1"},
        {"op": "remove", "path": 'members[value eq "U7"]'},
    )
    operations = parse_patch_request(request)
    remaining, changes = split_member_operations(operations)
    assert remaining == [operations[0], operations[2]]
    assert changes == [MemberChange("add", ("U1",)), MemberChange("remove", ("U7",))]


def test_split_without_members_returns_same_operations() -> None:
    operations = parse_patch_request(fixture("entra/patch_group_display_name.json"))
    assert split_member_operations(operations) == (operations, [])


MEMBER_ERRORS = [
    pytest.param(
        {"op": "add", "path": "members", "value": [{"value": "U1"}, {"display": "Karin"}]},
        InvalidValue,
        'members value[1] must be an object with the member\'s id as a string "value"',
        id="entra-member-without-value",
    ),
    pytest.param(
        {"op": "add", "path": "members", "value": [{"value": 7}]},
        InvalidValue,
        'got {"value": 7}',
        id="entra-member-value-number",
    ),
    pytest.param(
        {"op": "add", "path": "members", "value": ["U1"]},
        InvalidValue,
        'got "U1"',
        id="entra-member-bare-string",
    ),
    pytest.param(
        {"op": "add", "path": "members", "value": [{"value": ""}]},
        InvalidValue,
        "members value[0]",
        id="entra-member-empty-id",
    ),
    pytest.param(
        {"op": "Remove", "path": "members", "value": [{"$ref": None}]},
        InvalidValue,
        "members value[0]",
        id="entra-remove-without-value",
    ),
    pytest.param(
        {"op": "remove", "path": 'members[display eq "Karin"]'},
        InvalidFilter,
        "can only compare member ids",
        id="rfc7644-3.5.2.2-filter-other-attribute",
    ),
    pytest.param(
        {"op": "remove", "path": 'members[value ne "U1"]'},
        InvalidFilter,
        "can only compare member ids",
        id="rfc7644-3.5.2.2-filter-ne",
    ),
    pytest.param(
        {"op": "remove", "path": 'members[value eq "U1" and value eq "U2"]'},
        InvalidFilter,
        "can only compare member ids",
        id="rfc7644-3.5.2.2-filter-and",
    ),
    pytest.param(
        {"op": "remove", "path": "members[value eq 7]"},
        InvalidFilter,
        "can only compare member ids",
        id="rfc7644-3.5.2.2-filter-number",
    ),
    pytest.param(
        {"op": "remove", "path": "members.display"},
        InvalidPath,
        "is not supported for members",
        id="rfc7644-3.5.2-sub-attribute",
    ),
    pytest.param(
        {"op": "add", "path": 'members[value eq "U1"]', "value": [{"value": "U1"}]},
        InvalidPath,
        "is not supported for members",
        id="rfc7644-3.5.2.1-add-with-filter",
    ),
]


@pytest.mark.parametrize(("operation", "error", "detail"), MEMBER_ERRORS)
def test_split_member_error(operation: dict[str, Any], error: type[ScimError], detail: str) -> None:
    with pytest.raises(error) as raised:
        split(body({"op": "replace", "path": "displayName", "value": "x"}, operation))
    assert detail in raised.value.detail
    assert raised.value.detail.startswith("Operations[1]: ")
