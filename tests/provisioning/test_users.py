"""Tests of the user use cases on a real SQLite store, in both id modes.

Checks of what was stored read the store in a fresh unit of work, never the response alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from lime_scim.mapping.resolver import resolve_user_mapping
from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import LimeObject, UserRecord
from lime_scim.objectapi.sqlstore import SqlObjectApi, create_object_api
from lime_scim.provisioning.binding import bind_user_mapping
from lime_scim.provisioning.groups import GroupService
from lime_scim.provisioning.ids import ResourceIds
from lime_scim.provisioning.users import UserService
from lime_scim.scim.constants import ENTERPRISE_URN, USER_URN
from lime_scim.scim.errors import InvalidValue, Mutability, NotFound, Uniqueness
from lime_scim.scim.projection import Projection
from tests.support.sql import captured_statements

BASE_URL = "https://crm.example.com/myapp/api/v1/scim"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MANAGER = f"{ENTERPRISE_URN}:manager"

KARIN: dict[str, Any] = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "externalId": "klindqvist",
    "userName": "karin.lindqvist@contoso-example.se",
    "active": True,
    "displayName": "Karin Lindqvist",
    "title": "Key Account Manager",
    "emails": [{"primary": True, "type": "work", "value": "karin.lindqvist@contoso-example.se"}],
    "phoneNumbers": [{"type": "mobile", "value": "+46 (0)70-123 45 67"}],
    "name": {"formatted": "Karin Lindqvist", "familyName": "Lindqvist", "givenName": "Karin"},
}


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


@dataclass
class Stored:
    """A user as stored: the [user] row and its coworker."""

    user: UserRecord
    coworker: LimeObject | None


def stored(api: SqlObjectApi, resource_id: str) -> Stored:
    """Read the [user] row that ``resource_id`` names, and its coworker, in a fresh unit of work."""
    with api.unit_of_work() as uow:
        user = uow.get_user(int(resource_id)) if resource_id.isdigit() else uow.get_user_by_scim_id(resource_id)
        assert user is not None, f"no [user] row for {resource_id}"
        coworkers = uow.find_objects("coworker", "username", user.id)
    assert len(coworkers) <= 1
    return Stored(user, coworkers[0] if coworkers else None)


def count_users(api: SqlObjectApi) -> int:
    with api.unit_of_work() as uow:
        return uow.query_users(None).total


def count_coworkers(api: SqlObjectApi) -> int:
    with api.unit_of_work() as uow:
        return len(uow.list_objects("coworker"))


def create(service: UserService, body: dict[str, Any]) -> dict[str, Any]:
    return service.create(body, base_url=BASE_URL)


def get(service: UserService, resource_id: str) -> dict[str, Any]:
    return service.get(resource_id, base_url=BASE_URL)


def patch(service: UserService, resource_id: str, *operations: dict[str, Any]) -> dict[str, Any]:
    return service.patch(resource_id, patch_op(*operations), base_url=BASE_URL)


@pytest.fixture
def karin(user_service: UserService) -> dict[str, Any]:
    return create(user_service, KARIN)


@pytest.fixture
def boss(user_service: UserService) -> dict[str, Any]:
    return create(user_service, {"userName": "boss@contoso-example.se", "displayName": "Berit Boss"})


def add_crm_user(api: SqlObjectApi, username: str, **coworker: object) -> UserRecord:
    """Create a user and coworker the way the CRM does: not managed by SCIM."""
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username=username, fullname="From CRM")
        uow.insert_object("coworker", {"username": user.id, **coworker})
    return user


# ---------------------------------------------------------------------------------------------
# Create


def test_create_returns_resource(karin: dict[str, Any], ids: ResourceIds) -> None:
    assert karin["schemas"] == [USER_URN]
    assert karin["userName"] == KARIN["userName"]
    assert karin["externalId"] == "klindqvist"
    assert karin["active"] is True
    assert karin["meta"]["resourceType"] == "User"
    assert karin["meta"]["location"] == f"{BASE_URL}/Users/{karin['id']}"
    assert karin["groups"] == []


def test_create_id_follows_mode(api: SqlObjectApi, karin: dict[str, Any], ids: ResourceIds) -> None:
    record = stored(api, karin["id"]).user

    assert karin["id"] == (str(record.id) if ids.legacy else record.scim_id)


def test_create_stores_user_row(api: SqlObjectApi, karin: dict[str, Any]) -> None:
    user = stored(api, karin["id"]).user

    assert user.username == KARIN["userName"]
    assert user.fullname == "Karin Lindqvist"
    assert user.active is True
    assert user.external_id == "klindqvist"
    assert user.scim_managed is True
    assert user.scim_deleted is False


def test_create_stores_coworker_by_label(api: SqlObjectApi, karin: dict[str, Any]) -> None:
    coworker = stored(api, karin["id"]).coworker

    assert coworker is not None
    assert coworker.values["name"] == "Karin Lindqvist"
    assert coworker.values["firstname"] == "Karin"
    assert coworker.values["lastname"] == "Lindqvist"
    assert coworker.values["email"] == "karin.lindqvist@contoso-example.se"
    assert coworker.values["title"] == "Key Account Manager"
    assert coworker.values["mobilephone"] == "+46 (0)70-123 45 67"
    assert coworker.values["inactive"] is False


def test_create_values_returned_as_sent(karin: dict[str, Any]) -> None:
    assert karin["phoneNumbers"] == [{"type": "mobile", "value": "+46 (0)70-123 45 67"}]
    assert karin["emails"] == [{"type": "work", "value": "karin.lindqvist@contoso-example.se"}]
    assert karin["name"] == {"familyName": "Lindqvist", "givenName": "Karin"}


def test_create_string_active_false(api: SqlObjectApi, user_service: UserService) -> None:
    created = create(user_service, {"userName": "karin", "active": "False"})

    assert created["active"] is False
    assert stored(api, created["id"]).user.active is False
    assert stored(api, created["id"]).coworker.values["inactive"] is True  # type: ignore[union-attr]


def test_create_without_active_is_active(api: SqlObjectApi, user_service: UserService) -> None:
    created = create(user_service, {"userName": "karin"})

    assert created["active"] is True
    assert stored(api, created["id"]).user.active is True


@pytest.mark.parametrize(
    "user_name",
    ["karin.lindqvist@contoso-example.se", "KARIN.LINDQVIST@CONTOSO-EXAMPLE.SE", "Karin.Lindqvist@Contoso-Example.se"],
    ids=["same-case", "upper-case", "mixed-case"],
)
def test_create_managed_user_conflict(user_service: UserService, karin: dict[str, Any], user_name: str) -> None:
    with pytest.raises(Uniqueness) as caught:
        create(user_service, {"userName": user_name, "title": "Intruder"})

    assert caught.value.status == 409
    assert caught.value.scim_type == "uniqueness"
    assert f"'{karin['id']}'" in caught.value.detail


def test_create_conflict_changes_nothing(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    with pytest.raises(Uniqueness):
        create(user_service, {"userName": KARIN["userName"].upper(), "title": "Intruder"})

    assert count_users(api) == 1
    assert get(user_service, karin["id"])["title"] == "Key Account Manager"


def test_create_adopts_crm_user(api: SqlObjectApi, user_service: UserService) -> None:
    crm_user = add_crm_user(api, "karin.lindqvist@contoso-example.se", title="Seller", office="Lund")

    created = create(user_service, {**KARIN, "userName": "KARIN.LINDQVIST@contoso-example.se"})

    found = stored(api, created["id"])
    assert found.user.id == crm_user.id
    assert found.user.scim_managed is True
    assert found.user.username == "KARIN.LINDQVIST@contoso-example.se"
    assert found.coworker is not None
    assert found.coworker.values["title"] == "Key Account Manager"
    assert found.coworker.values["office"] == "Lund"
    assert count_users(api) == 1
    assert count_coworkers(api) == 1


def test_create_links_unlinked_coworker(api: SqlObjectApi, user_service: UserService) -> None:
    with api.unit_of_work(write=True) as uow:
        existing = uow.insert_object("coworker", {"name": "Karin", "email": "KARIN.lindqvist@contoso-example.se",
                                                  "office": "Lund"})

    created = create(user_service, KARIN)

    coworker = stored(api, created["id"]).coworker
    assert coworker is not None
    assert coworker.id == existing.id
    assert coworker.values["office"] == "Lund"
    assert count_coworkers(api) == 1


def test_create_after_adoption_conflicts(api: SqlObjectApi, user_service: UserService) -> None:
    add_crm_user(api, "karin")
    create(user_service, {"userName": "karin"})

    with pytest.raises(Uniqueness):
        create(user_service, {"userName": "KARIN"})


def test_create_unmapped_attributes_ignored(api: SqlObjectApi, user_service: UserService) -> None:
    created = create(user_service, {
        **KARIN,
        "preferredLanguage": "sv-SE",
        "addresses": [{"type": "work", "formatted": "Floor 3", "postalCode": "21119", "country": "SE"}],
        "roles": [],
        "meta": {"resourceType": "User"},
        ENTERPRISE_URN: {"employeeNumber": "10442", "department": "Sales"},
        "urn:ietf:params:scim:schemas:extension:contoso:2.0:User": {"costCenter": "4711"},
    })

    assert created["userName"] == KARIN["userName"]
    for ignored in ("preferredLanguage", "addresses", "roles", ENTERPRISE_URN,
                    "urn:ietf:params:scim:schemas:extension:contoso:2.0:User"):
        assert ignored not in created
    assert count_users(api) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"displayName": "Karin"}, {"userName": ""}, {"userName": "   "}, {"userName": None}],
    ids=["empty", "no-user-name", "empty-user-name", "blank-user-name", "null-user-name"],
)
def test_create_requires_user_name(api: SqlObjectApi, user_service: UserService, body: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        create(user_service, body)

    assert "userName" in caught.value.detail
    assert count_users(api) == 0


def test_create_rejects_bad_type(api: SqlObjectApi, user_service: UserService) -> None:
    with pytest.raises(InvalidValue) as caught:
        create(user_service, {"userName": "karin", "emails": [{"type": "work", "value": 42}]})

    assert "'emails[0].value'" in caught.value.detail
    assert count_users(api) == 0


def test_create_value_too_long(api: SqlObjectApi, user_service: UserService) -> None:
    with pytest.raises(InvalidValue) as caught:
        create(user_service, {"userName": "karin", "title": "x" * 129})

    assert "'title'" in caught.value.detail
    assert count_users(api) == 0
    assert count_coworkers(api) == 0


# ---------------------------------------------------------------------------------------------
# Revival


def test_revive_by_user_name(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    coworker_id = stored(api, karin["id"]).coworker.id  # type: ignore[union-attr]
    user_service.delete(karin["id"])

    revived = create(user_service, {"userName": KARIN["userName"].upper(), "displayName": "Karin L"})

    found = stored(api, revived["id"])
    assert revived["id"] == karin["id"]
    assert found.user.scim_deleted is False
    assert found.coworker is not None
    assert found.coworker.id == coworker_id
    assert revived["displayName"] == "Karin L"
    assert count_users(api) == 1


def test_revived_user_is_active(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.delete(karin["id"])

    revived = create(user_service, {"userName": KARIN["userName"]})

    found = stored(api, revived["id"])
    assert revived["active"] is True
    assert found.user.active is True
    assert found.coworker.values["inactive"] is False  # type: ignore[union-attr]


def test_revive_clears_unsent_data(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.delete(karin["id"])

    revived = create(user_service, {"userName": KARIN["userName"], "title": "Buyer"})

    coworker = stored(api, revived["id"]).coworker
    assert revived["id"] == karin["id"]
    assert revived["title"] == "Buyer"
    assert "phoneNumbers" not in revived
    assert coworker is not None
    assert coworker.values["mobilephone"] is None


def test_revive_by_external_id(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.delete(karin["id"])

    revived = create(user_service, {"userName": "karin.holm@contoso-example.se", "externalId": "klindqvist"})

    assert revived["id"] == karin["id"]
    assert revived["userName"] == "karin.holm@contoso-example.se"
    assert count_users(api) == 1


def test_external_id_case_exact_revival(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.delete(karin["id"])

    created = create(user_service, {"userName": "karin.holm@contoso-example.se", "externalId": "KLINDQVIST"})

    assert created["id"] != karin["id"]
    assert count_users(api) == 2


def test_external_id_of_live_user(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    created = create(user_service, {"userName": "other@contoso-example.se", "externalId": "klindqvist"})

    assert created["id"] != karin["id"]
    assert get(user_service, karin["id"])["userName"] == KARIN["userName"]


# ---------------------------------------------------------------------------------------------
# Replace (PUT)


def test_replace_clears_left_out(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    replaced = user_service.replace(karin["id"], {"userName": KARIN["userName"], "displayName": "Karin"},
                                    base_url=BASE_URL)

    coworker = stored(api, karin["id"]).coworker
    assert coworker is not None
    for attribute in ("title", "emails", "phoneNumbers", "name", "externalId"):
        assert attribute not in replaced
    for property_name in ("title", "email", "mobilephone", "firstname", "lastname"):
        assert coworker.values[property_name] is None
    assert stored(api, karin["id"]).user.external_id is None
    assert replaced["displayName"] == "Karin"


def test_replace_fresh_read_matches(user_service: UserService, karin: dict[str, Any]) -> None:
    replaced = user_service.replace(karin["id"], {"userName": "karin", "title": "CEO"}, base_url=BASE_URL)

    assert get(user_service, karin["id"]) == replaced


def test_replace_active_false(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.replace(karin["id"], {"userName": "karin", "active": False}, base_url=BASE_URL)

    assert stored(api, karin["id"]).user.active is False
    assert stored(api, karin["id"]).coworker.values["inactive"] is True  # type: ignore[union-attr]


def test_replace_rejects_other_id(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        user_service.replace(karin["id"], {"id": "someone-else", "userName": "karin", "title": "CEO"},
                             base_url=BASE_URL)

    assert "'someone-else'" in caught.value.detail
    assert get(user_service, karin["id"])["title"] == "Key Account Manager"


def test_replace_accepts_same_id(user_service: UserService, karin: dict[str, Any]) -> None:
    replaced = user_service.replace(karin["id"], {"id": karin["id"], "userName": "karin"}, base_url=BASE_URL)

    assert replaced["id"] == karin["id"]


def test_replace_unknown_user_404(user_service: UserService) -> None:
    with pytest.raises(NotFound):
        user_service.replace("9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d", {"userName": "x"}, base_url=BASE_URL)


def test_replace_taken_user_name(user_service: UserService, karin: dict[str, Any], boss: dict[str, Any]) -> None:
    with pytest.raises(Uniqueness):
        user_service.replace(karin["id"], {"userName": "BOSS@contoso-example.se"}, base_url=BASE_URL)

    assert get(user_service, karin["id"])["userName"] == KARIN["userName"]


@pytest.mark.parametrize("method", ["patch", "replace"])
def test_rename_to_deleted_user_name(user_service: UserService, karin: dict[str, Any], boss: dict[str, Any],
                                     method: str) -> None:
    user_service.delete(boss["id"])

    with pytest.raises(Uniqueness) as caught:
        if method == "patch":
            patch(user_service, karin["id"], {"op": "Replace", "path": "userName", "value": "boss@contoso-example.se"})
        else:
            user_service.replace(karin["id"], {"userName": "boss@contoso-example.se"}, base_url=BASE_URL)

    assert "deleted" in caught.value.detail


# ---------------------------------------------------------------------------------------------
# Patch


def test_patch_replaces_attribute(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    patched = patch(user_service, karin["id"], {"op": "Replace", "path": "title", "value": "CEO"})

    assert patched["title"] == "CEO"
    assert stored(api, karin["id"]).coworker.values["title"] == "CEO"  # type: ignore[union-attr]


def test_patch_entra_default_dialect(user_service: UserService, karin: dict[str, Any]) -> None:
    patch(
        user_service, karin["id"],
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "karin.holm@contoso-example.se"},
        {"op": "Replace", "path": "name.familyName", "value": "Holm"},
        {"op": "Add", "path": f"{ENTERPRISE_URN}:department", "value": "Key Accounts"},
        {"op": "Replace", "path": "userName", "value": "karin.holm@contoso-example.se"},
    )

    fresh = get(user_service, karin["id"])
    assert fresh["emails"] == [{"type": "work", "value": "karin.holm@contoso-example.se"}]
    assert fresh["name"]["familyName"] == "Holm"
    assert fresh["userName"] == "karin.holm@contoso-example.se"


def test_patch_pathless_dotted_keys(user_service: UserService, karin: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "replace", "value": {
        "name.familyName": "Holm", "displayName": "Karin Holm", f"{ENTERPRISE_URN}:department": "Key Accounts",
    }})

    fresh = get(user_service, karin["id"])
    assert fresh["name"]["familyName"] == "Holm"
    assert fresh["displayName"] == "Karin Holm"


@pytest.mark.parametrize("value", [False, "False", "false"], ids=["boolean", "capitalised-string", "string"])
def test_patch_active_false(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any],
                            value: object) -> None:
    patched = patch(user_service, karin["id"], {"op": "Replace", "path": "active", "value": value})

    found = stored(api, karin["id"])
    assert patched["active"] is False
    assert found.user.active is False
    assert found.user.scim_deleted is False
    assert found.coworker.values["inactive"] is True  # type: ignore[union-attr]
    assert get(user_service, karin["id"])["active"] is False


def test_patch_reactivates_user(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "Replace", "path": "active", "value": False})

    patch(user_service, karin["id"], {"op": "Replace", "path": "active", "value": "True"})

    assert stored(api, karin["id"]).user.active is True
    assert stored(api, karin["id"]).coworker.values["inactive"] is False  # type: ignore[union-attr]


def test_patch_failing_last_op_atomic(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    before = stored(api, karin["id"])

    with pytest.raises(Mutability):
        patch(user_service, karin["id"],
              {"op": "Replace", "path": "title", "value": "CEO"},
              {"op": "Replace", "path": "displayName", "value": "Someone Else"},
              {"op": "Replace", "path": "id", "value": "new-id"})

    after = stored(api, karin["id"])
    assert get(user_service, karin["id"])["title"] == "Key Account Manager"
    assert after.coworker == before.coworker
    assert after.user == before.user


def test_patch_failing_manager_atomic(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    before = stored(api, karin["id"])

    with pytest.raises(InvalidValue):
        patch(user_service, karin["id"],
              {"op": "Replace", "path": "title", "value": "CEO"},
              {"op": "Add", "path": MANAGER, "value": "no-such-user"})

    after = stored(api, karin["id"])
    assert after.coworker == before.coworker
    assert after.user == before.user


def test_patch_unmapped_attribute_ignored(user_service: UserService, karin: dict[str, Any]) -> None:
    patched = patch(user_service, karin["id"],
                    {"op": "Add", "path": "preferredLanguage", "value": "sv-SE"},
                    {"op": "Replace", "path": 'addresses[type eq "work"].formatted', "value": "Floor 4"},
                    {"op": "Replace", "path": "title", "value": "CEO"})

    assert patched["title"] == "CEO"
    assert "preferredLanguage" not in patched
    assert "addresses" not in patched


def test_patch_without_change_keeps_version(api: SqlObjectApi, user_service: UserService,
                                            karin: dict[str, Any]) -> None:
    before = stored(api, karin["id"]).user.version

    patch(user_service, karin["id"], {"op": "Replace", "path": "title", "value": "Key Account Manager"})

    assert stored(api, karin["id"]).user.version == before


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "Replace", "path": "title", "value": "CEO"},
        {"op": "Add", "path": 'emails[type eq "home"].value', "value": "karin@home.example"},
        {"op": "Replace", "path": "userName", "value": "karin.holm@contoso-example.se"},
    ],
    ids=["coworker-property", "coworker-new-value", "user-column"],
)
def test_patch_change_bumps_version(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any],
                                    operation: dict[str, Any]) -> None:
    before = stored(api, karin["id"]).user

    patched = patch(user_service, karin["id"], operation)

    after = stored(api, karin["id"]).user
    assert after.version == before.version + 1
    assert after.updated > before.updated
    assert patched["meta"]["version"] == f'W/"{after.version}"'
    assert patched["meta"]["lastModified"] != karin["meta"]["lastModified"]


def test_patch_unknown_user_404(user_service: UserService) -> None:
    with pytest.raises(NotFound):
        patch(user_service, "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d", {"op": "Replace", "path": "title", "value": "X"})


def test_patch_clear_by_empty_string(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    patched = patch(user_service, karin["id"], {"op": "Replace", "path": "title", "value": ""})

    assert "title" not in patched
    assert stored(api, karin["id"]).coworker.values["title"] is None  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Manager


def manager_coworker_id(api: SqlObjectApi, resource_id: str) -> object:
    return stored(api, resource_id).coworker.values["manager"]  # type: ignore[union-attr]


@pytest.mark.parametrize("op", ["Add", "Replace", "add"])
def test_manager_set_by_bare_id(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any],
                                boss: dict[str, Any], op: str) -> None:
    patched = patch(user_service, karin["id"], {"op": op, "path": MANAGER, "value": boss["id"]})

    assert patched[ENTERPRISE_URN]["manager"] == {
        "value": boss["id"],
        "$ref": f"{BASE_URL}/Users/{boss['id']}",
        "displayName": "Berit Boss",
    }
    assert ENTERPRISE_URN in patched["schemas"]
    assert manager_coworker_id(api, karin["id"]) == stored(api, boss["id"]).coworker.id  # type: ignore[union-attr]


def test_manager_set_as_object(user_service: UserService, karin: dict[str, Any], boss: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": {"value": boss["id"]}})

    assert get(user_service, karin["id"])[ENTERPRISE_URN]["manager"]["value"] == boss["id"]


def test_manager_set_pathless(user_service: UserService, karin: dict[str, Any], boss: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "replace", "value": {MANAGER: boss["id"]}})

    assert get(user_service, karin["id"])[ENTERPRISE_URN]["manager"]["value"] == boss["id"]


def test_manager_set_on_create(user_service: UserService, boss: dict[str, Any]) -> None:
    created = create(user_service, {"userName": "karin", ENTERPRISE_URN: {"manager": boss["id"]}})

    assert created[ENTERPRISE_URN]["manager"]["value"] == boss["id"]


def test_manager_change(user_service: UserService, karin: dict[str, Any], boss: dict[str, Any]) -> None:
    other = create(user_service, {"userName": "other.boss@contoso-example.se"})
    patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": boss["id"]})

    patched = patch(user_service, karin["id"], {"op": "replace", "path": MANAGER, "value": other["id"]})

    assert patched[ENTERPRISE_URN]["manager"]["value"] == other["id"]
    assert patched[ENTERPRISE_URN]["manager"]["displayName"] == "other.boss@contoso-example.se"


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "replace", "path": MANAGER, "value": ""},
        {"op": "replace", "path": MANAGER, "value": None},
        {"op": "Remove", "path": MANAGER},
        {"op": "replace", "path": f"{MANAGER}.value", "value": ""},
        {"op": "replace", "value": {MANAGER: ""}},
    ],
    ids=["empty-string", "null", "remove", "empty-sub-value", "pathless-empty"],
)
def test_manager_cleared(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any],
                         boss: dict[str, Any], operation: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": boss["id"]})

    patched = patch(user_service, karin["id"], operation)

    assert ENTERPRISE_URN not in patched
    assert ENTERPRISE_URN not in patched["schemas"]
    assert manager_coworker_id(api, karin["id"]) is None


def test_self_manager_shows_new_name(user_service: UserService, karin: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": karin["id"]})

    patched = patch(user_service, karin["id"], {"op": "Replace", "path": "displayName", "value": "Karin Renamed"})

    assert patched[ENTERPRISE_URN]["manager"]["value"] == karin["id"]
    assert patched[ENTERPRISE_URN]["manager"]["displayName"] == "Karin Renamed"


def test_manager_patch_reads_manager_once(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any],
                                          boss: dict[str, Any]) -> None:
    with captured_statements(api.engine) as statements:
        patched = patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": boss["id"]})

    assert patched[ENTERPRISE_URN]["manager"]["displayName"] == "Berit Boss"
    # Two reads of [user]: the patched user, then the manager. The response reuses the
    # manager's record instead of reading it again.
    user_reads = [sql for sql, _ in statements if "FROM lime_user" in sql]
    assert len(user_reads) == 2


def test_manager_unknown_id_rejected(user_service: UserService, karin: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": "no-such-user"})

    assert "'no-such-user'" in caught.value.detail
    assert caught.value.scim_type == "invalidValue"


def test_manager_deleted_user_rejected(user_service: UserService, karin: dict[str, Any],
                                       boss: dict[str, Any]) -> None:
    user_service.delete(boss["id"])

    with pytest.raises(InvalidValue) as caught:
        patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": boss["id"]})

    assert f"'{boss['id']}'" in caught.value.detail


def test_manager_hidden_once_deleted(user_service: UserService, karin: dict[str, Any], boss: dict[str, Any]) -> None:
    patch(user_service, karin["id"], {"op": "Add", "path": MANAGER, "value": boss["id"]})

    user_service.delete(boss["id"])

    assert ENTERPRISE_URN not in get(user_service, karin["id"])


# ---------------------------------------------------------------------------------------------
# Delete


def test_delete_hides_user(user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.delete(karin["id"])

    with pytest.raises(NotFound):
        get(user_service, karin["id"])
    listed = user_service.search(f'userName eq "{KARIN["userName"]}"', start_index=None, count=None,
                                 base_url=BASE_URL)
    assert listed["totalResults"] == 0


def test_delete_keeps_crm_data(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    user_service.delete(karin["id"])

    found = stored(api, karin["id"])
    assert found.user.active is False
    assert found.user.scim_deleted is True
    assert found.user.username == KARIN["userName"]
    assert found.coworker is not None
    assert found.coworker.values["inactive"] is True
    assert found.coworker.values["title"] == "Key Account Manager"


@pytest.mark.parametrize("action", ["delete", "patch", "replace"])
def test_deleted_user_404(user_service: UserService, karin: dict[str, Any], action: str) -> None:
    user_service.delete(karin["id"])

    with pytest.raises(NotFound):
        if action == "delete":
            user_service.delete(karin["id"])
        elif action == "patch":
            patch(user_service, karin["id"], {"op": "Replace", "path": "title", "value": "X"})
        else:
            user_service.replace(karin["id"], {"userName": "karin"}, base_url=BASE_URL)


# ---------------------------------------------------------------------------------------------
# Reads


def test_get_by_record_id_any_mode(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any]) -> None:
    record_id = stored(api, karin["id"]).user.id

    assert get(user_service, str(record_id))["userName"] == KARIN["userName"]


def test_get_unknown_id_404(user_service: UserService) -> None:
    with pytest.raises(NotFound) as caught:
        get(user_service, "99999")

    assert "'99999'" in caught.value.detail


def test_search_user_name_any_case(user_service: UserService, karin: dict[str, Any]) -> None:
    listed = user_service.search(f'userName eq "{KARIN["userName"].upper()}"', start_index=None, count=None,
                                 base_url=BASE_URL)

    assert listed["totalResults"] == 1
    assert listed["Resources"][0]["id"] == karin["id"]


def test_search_guid_probe_empty(user_service: UserService, karin: dict[str, Any]) -> None:
    listed = user_service.search('userName eq "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d"', start_index=1, count=100,
                                 base_url=BASE_URL)

    assert listed == {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                      "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}


def test_search_pages_capped(user_service: UserService) -> None:
    for number in range(3):
        create(user_service, {"userName": f"user{number}"})

    listed = user_service.search(None, start_index=2, count=1, base_url=BASE_URL)

    assert listed["totalResults"] == 3
    assert [user["userName"] for user in listed["Resources"]] == ["user1"]


def test_user_lists_groups(user_service: UserService, group_service: GroupService, karin: dict[str, Any]) -> None:
    group = group_service.create({"displayName": "Sales", "members": [{"value": karin["id"]}]}, base_url=BASE_URL)

    fresh = get(user_service, karin["id"])

    assert fresh["groups"] == [{"value": group["id"], "$ref": f"{BASE_URL}/Groups/{group['id']}",
                                "display": "Sales", "type": "direct"}]


def test_excluded_groups_not_loaded(api: SqlObjectApi, user_service: UserService, karin: dict[str, Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[int]] = []
    unit_of_work = api.unit_of_work

    @contextmanager
    def counting_unit_of_work(**options: Any) -> Iterator[Any]:
        with unit_of_work(**options) as uow:
            groups_of_users = uow.groups_of_users

            def counted(user_ids: Any) -> Any:
                calls.append(list(user_ids))
                return groups_of_users(user_ids)

            monkeypatch.setattr(uow, "groups_of_users", counted)
            yield uow

    monkeypatch.setattr(api, "unit_of_work", counting_unit_of_work)

    user_service.get(karin["id"], base_url=BASE_URL, projection=Projection.from_query(None, "groups"))
    user_service.get(karin["id"], base_url=BASE_URL, projection=Projection.from_query("userName", None))
    assert calls == []

    user_service.get(karin["id"], base_url=BASE_URL)
    assert len(calls) == 1


# ---------------------------------------------------------------------------------------------
# A required coworker property that no attribute fills


def required_property_service(tmp_path: Path) -> tuple[SqlObjectApi, UserService]:
    document = yaml.safe_load(default_datamodel_path().read_text(encoding="utf-8"))
    document["limetypes"]["coworker"]["properties"]["costcenter"] = {
        "type": "string", "required": True, "length": 32,
    }
    path = tmp_path / "datamodel.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    datamodel = load_datamodel(path)
    api = create_object_api("sqlite:///" + str(tmp_path / "required.sqlite3"), datamodel)
    binding = bind_user_mapping(resolve_user_mapping(datamodel))
    return api, UserService(api, binding, ResourceIds(legacy=False), max_results=10)


def test_required_property_fails_create(tmp_path: Path) -> None:
    api, service = required_property_service(tmp_path)
    try:
        with pytest.raises(InvalidValue) as caught:
            create(service, {"userName": "karin"})

        assert "'costcenter'" in caught.value.detail
        assert "default value" in caught.value.detail
        assert "field label" in caught.value.detail
        assert count_users(api) == 0
        assert count_coworkers(api) == 0
    finally:
        api.close()

