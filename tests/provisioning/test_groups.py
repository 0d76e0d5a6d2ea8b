"""Tests of the group use cases on a real SQLite store, in both id modes.

Checks of what was stored read the store in a fresh unit of work, never the response alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from lime_scim.objectapi.port import GroupRecord, UserRecord
from lime_scim.objectapi.sqlstore import SqlObjectApi
from lime_scim.provisioning.groups import GroupService
from lime_scim.provisioning.ids import ResourceIds
from lime_scim.provisioning.users import UserService
from lime_scim.scim.constants import GROUP_URN
from lime_scim.scim.errors import InvalidFilter, InvalidValue, NotFound, Uniqueness
from lime_scim.scim.projection import Projection

BASE_URL = "https://crm.example.com/myapp/api/v1/scim"
PATCH_OP_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MICROSOFT_GROUP_URI = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_URN], "Operations": list(operations)}


def add_members(*ids: str) -> dict[str, Any]:
    return {"op": "Add", "path": "members", "value": [{"value": member} for member in ids]}


def remove_members(*ids: str) -> dict[str, Any]:
    return {"op": "Remove", "path": "members", "value": [{"value": member} for member in ids]}


def record_of(api: SqlObjectApi, resource_id: str) -> GroupRecord:
    with api.unit_of_work() as uow:
        group = uow.get_group(int(resource_id)) if resource_id.isdigit() else uow.get_group_by_scim_id(resource_id)
    assert group is not None, f"no [group] row for {resource_id}"
    return group


def member_names(api: SqlObjectApi, resource_id: str) -> list[str]:
    """Return the usernames of the group's members in the store, deleted users included."""
    group = record_of(api, resource_id)
    with api.unit_of_work() as uow:
        return [user.username for user in uow.list_members(group.id)]


def count_groups(api: SqlObjectApi) -> int:
    with api.unit_of_work() as uow:
        return uow.query_groups(None).total


def create(service: GroupService, body: dict[str, Any]) -> dict[str, Any]:
    return service.create(body, base_url=BASE_URL)


def get(service: GroupService, resource_id: str, projection: Projection = Projection()) -> dict[str, Any]:
    return service.get(resource_id, base_url=BASE_URL, projection=projection)


def patch(service: GroupService, resource_id: str, *operations: dict[str, Any]) -> None:
    result = service.patch(resource_id, patch_op(*operations), base_url=BASE_URL)
    assert result is None


def member_values(group: dict[str, Any]) -> list[str]:
    return [member["value"] for member in group.get("members", [])]


@pytest.fixture
def people(user_service: UserService) -> dict[str, str]:
    """Create three users and return their SCIM ids by first name."""
    return {
        name: user_service.create({"userName": f"{name}@contoso-example.se", "displayName": name.title()},
                                  base_url=BASE_URL)["id"]
        for name in ("karin", "olle", "stina")
    }


@pytest.fixture
def sales(group_service: GroupService) -> dict[str, Any]:
    return create(group_service, {"schemas": [GROUP_URN, MICROSOFT_GROUP_URI], "displayName": "Sales",
                                  "externalId": "0f1e2d3c-aaaa-bbbb-cccc-000000000001"})


# ---------------------------------------------------------------------------------------------
# Create


def test_create_returns_group(sales: dict[str, Any], ids: ResourceIds) -> None:
    assert sales["schemas"] == [GROUP_URN]
    assert sales["displayName"] == "Sales"
    assert sales["externalId"] == "0f1e2d3c-aaaa-bbbb-cccc-000000000001"
    assert sales["members"] == []
    assert sales["meta"]["resourceType"] == "Group"
    assert sales["meta"]["location"] == f"{BASE_URL}/Groups/{sales['id']}"


def test_create_id_follows_mode(api: SqlObjectApi, sales: dict[str, Any], ids: ResourceIds) -> None:
    record = record_of(api, sales["id"])

    assert sales["id"] == (str(record.id) if ids.legacy else record.scim_id)
    assert record.scim_managed is True
    assert record.active is True


def test_create_with_members(api: SqlObjectApi, group_service: GroupService, people: dict[str, str]) -> None:
    created = create(group_service, {"displayName": "Team", "members": [{"value": people["karin"]},
                                                                        {"value": people["olle"]}]})

    assert member_values(created) == [people["karin"], people["olle"]]
    assert created["members"][0] == {"value": people["karin"], "$ref": f"{BASE_URL}/Users/{people['karin']}",
                                     "display": "Karin", "type": "User"}
    assert member_names(api, created["id"]) == ["karin@contoso-example.se", "olle@contoso-example.se"]


@pytest.mark.parametrize("name", ["Sales", "SALES", "sales"])
def test_create_managed_group_conflict(group_service: GroupService, sales: dict[str, Any], name: str) -> None:
    with pytest.raises(Uniqueness) as caught:
        create(group_service, {"displayName": name})

    assert caught.value.status == 409
    assert f"'{sales['id']}'" in caught.value.detail


def test_create_adopts_crm_group(api: SqlObjectApi, group_service: GroupService, people: dict[str, str]) -> None:
    with api.unit_of_work(write=True) as uow:
        crm_group = uow.insert_group(name="SALES")

    adopted = create(group_service, {"displayName": "Sales", "members": [{"value": people["stina"]}]})

    record = record_of(api, adopted["id"])
    assert record.id == crm_group.id
    assert record.scim_managed is True
    assert record.name == "Sales"
    assert member_values(adopted) == [people["stina"]]
    assert count_groups(api) == 1


def test_adoption_syncs_crm_members(api: SqlObjectApi, group_service: GroupService,
                                    people: dict[str, str]) -> None:
    with api.unit_of_work(write=True) as uow:
        crm_group = uow.insert_group(name="Sales")
        crm_only = uow.insert_user(username="crm.only@contoso-example.se")
        uow.add_members(crm_group.id, [crm_only.id])

    create(group_service, {"displayName": "sales", "members": [{"value": people["karin"]}]})

    assert member_names(api, str(crm_group.id)) == ["karin@contoso-example.se"]


def test_adoption_without_members_keeps_them(api: SqlObjectApi, group_service: GroupService) -> None:
    with api.unit_of_work(write=True) as uow:
        crm_group = uow.insert_group(name="Sales")
        crm_user = uow.insert_user(username="crm.user@contoso-example.se")
        uow.add_members(crm_group.id, [crm_user.id])

    create(group_service, {"displayName": "Sales"})

    assert member_names(api, str(crm_group.id)) == ["crm.user@contoso-example.se"]


def test_create_revives_deleted_group(api: SqlObjectApi, group_service: GroupService,
                                      sales: dict[str, Any]) -> None:
    group_service.delete(sales["id"])

    revived = create(group_service, {"displayName": "SALES"})

    record = record_of(api, revived["id"])
    assert revived["id"] == sales["id"]
    assert record.active is True
    assert record.scim_deleted is False
    assert count_groups(api) == 1


@pytest.mark.parametrize(
    "body",
    [{}, {"displayName": ""}, {"displayName": "  "}, {"members": []}],
    ids=["empty", "empty-name", "blank-name", "members-only"],
)
def test_create_requires_display_name(api: SqlObjectApi, group_service: GroupService, body: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        create(group_service, body)

    assert "displayName" in caught.value.detail
    assert count_groups(api) == 0


def test_create_unknown_member_rejected(api: SqlObjectApi, group_service: GroupService) -> None:
    with pytest.raises(InvalidValue) as caught:
        create(group_service, {"displayName": "Sales", "members": [{"value": "no-such-user"}]})

    assert "'no-such-user'" in caught.value.detail
    assert count_groups(api) == 0


# ---------------------------------------------------------------------------------------------
# Members


def test_add_member_twice(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                          people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"], people["karin"]))
    patch(group_service, sales["id"], add_members(people["karin"]))

    assert member_names(api, sales["id"]) == ["karin@contoso-example.se"]
    assert member_values(get(group_service, sales["id"])) == [people["karin"]]


def test_add_member_pathless(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                             people: dict[str, str]) -> None:
    patch(group_service, sales["id"], {"op": "add", "value": {"members": [{"value": people["olle"]}]}})

    assert member_names(api, sales["id"]) == ["olle@contoso-example.se"]


def test_remove_non_member_no_error(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                    people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))
    version = record_of(api, sales["id"]).version

    patch(group_service, sales["id"], remove_members(people["olle"], "no-such-user"))

    assert member_names(api, sales["id"]) == ["karin@contoso-example.se"]
    assert record_of(api, sales["id"]).version == version


def test_remove_member_value_list(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                  people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(*people.values()))

    patch(group_service, sales["id"], remove_members(people["karin"], people["stina"]))

    assert member_names(api, sales["id"]) == ["olle@contoso-example.se"]


def test_remove_member_by_filter(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                 people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(*people.values()))

    patch(group_service, sales["id"], {"op": "remove", "path": f'members[value eq "{people["olle"]}"]'})

    assert member_names(api, sales["id"]) == ["karin@contoso-example.se", "stina@contoso-example.se"]


def test_remove_all_members(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                            people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(*people.values()))

    patch(group_service, sales["id"], {"op": "Remove", "path": "members"})

    assert member_names(api, sales["id"]) == []
    assert get(group_service, sales["id"])["members"] == []


def test_replace_all_members(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                         people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"], people["olle"]))

    patch(group_service, sales["id"], {"op": "replace", "path": "members",
                                       "value": [{"value": people["stina"]}, {"value": people["olle"]}]})

    assert member_names(api, sales["id"]) == ["olle@contoso-example.se", "stina@contoso-example.se"]


def group_without_user_id(group_service: GroupService, people: dict[str, str]) -> dict[str, Any]:
    """Create a group whose id is no user's id.

    With legacy ids a user and a group can share a record id, and such an id names the user.
    """
    for number in range(1, 11):
        group = create(group_service, {"displayName": f"Support {number}"})
        if group["id"] not in people.values():
            return group
    raise AssertionError("every group id so far is also a user id")


def test_group_as_member_rejected(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                  people: dict[str, str]) -> None:
    other = group_without_user_id(group_service, people)

    with pytest.raises(InvalidValue) as caught:
        patch(group_service, sales["id"], add_members(people["karin"], other["id"]))

    assert "Nested groups are not supported" in caught.value.detail
    assert f"'{other['id']}'" in caught.value.detail
    assert member_names(api, sales["id"]) == []


def test_group_itself_as_member(group_service: GroupService, sales: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        patch(group_service, sales["id"], add_members(sales["id"]))

    assert "Nested groups" in caught.value.detail


def test_unknown_member_names_ids(group_service: GroupService, sales: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        patch(group_service, sales["id"], add_members("ghost-1", "ghost-2"))

    assert "'ghost-1'" in caught.value.detail
    assert "'ghost-2'" in caught.value.detail


def test_deleted_user_not_addable(user_service: UserService, group_service: GroupService,
                                  sales: dict[str, Any], people: dict[str, str]) -> None:
    user_service.delete(people["olle"])

    with pytest.raises(InvalidValue) as caught:
        patch(group_service, sales["id"], add_members(people["olle"]))

    assert f"'{people['olle']}'" in caught.value.detail


def test_member_by_record_id(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                             people: dict[str, str]) -> None:
    with api.unit_of_work() as uow:
        user = uow.find_user_by_username("stina@contoso-example.se")
    assert user is not None

    patch(group_service, sales["id"], add_members(str(user.id)))

    assert member_names(api, sales["id"]) == ["stina@contoso-example.se"]


def test_members_filter_other_than_value(group_service: GroupService, sales: dict[str, Any]) -> None:
    with pytest.raises(InvalidFilter):
        patch(group_service, sales["id"], {"op": "remove", "path": 'members[display eq "Karin"]'})


def test_patch_atomic_on_bad_member(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                    people: dict[str, str]) -> None:
    before = record_of(api, sales["id"])

    with pytest.raises(InvalidValue):
        patch(group_service, sales["id"],
              {"op": "Replace", "path": "displayName", "value": "Renamed"},
              add_members(people["karin"]),
              add_members("no-such-user"))

    assert record_of(api, sales["id"]) == before
    assert member_names(api, sales["id"]) == []


def test_deleted_user_membership_kept(api: SqlObjectApi, user_service: UserService, group_service: GroupService,
                                      sales: dict[str, Any], people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"], people["olle"]))

    user_service.delete(people["karin"])

    assert member_names(api, sales["id"]) == ["karin@contoso-example.se", "olle@contoso-example.se"]
    assert member_values(get(group_service, sales["id"])) == [people["olle"]]


def test_revived_user_membership_back(user_service: UserService, group_service: GroupService,
                                      sales: dict[str, Any], people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))
    user_service.delete(people["karin"])

    user_service.create({"userName": "karin@contoso-example.se"}, base_url=BASE_URL)

    assert member_values(get(group_service, sales["id"])) == [people["karin"]]


def test_inactive_user_still_member(user_service: UserService, group_service: GroupService,
                                    sales: dict[str, Any], people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))

    user_service.patch(people["karin"], patch_op({"op": "Replace", "path": "active", "value": "False"}),
                       base_url=BASE_URL)

    assert member_values(get(group_service, sales["id"])) == [people["karin"]]


# ---------------------------------------------------------------------------------------------
# Other PATCH operations and their responses


def test_patch_display_name(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any]) -> None:
    patch(group_service, sales["id"], {"op": "Replace", "path": "displayName", "value": "Key Accounts"})

    assert record_of(api, sales["id"]).name == "Key Accounts"


def test_patch_display_name_pathless(api: SqlObjectApi, group_service: GroupService,
                                     sales: dict[str, Any]) -> None:
    patch(group_service, sales["id"], {"op": "replace", "value": {"id": sales["id"], "displayName": "Key Accounts"}})

    assert record_of(api, sales["id"]).name == "Key Accounts"


def test_patch_name_taken(group_service: GroupService, sales: dict[str, Any]) -> None:
    create(group_service, {"displayName": "Support"})

    with pytest.raises(Uniqueness):
        patch(group_service, sales["id"], {"op": "Replace", "path": "displayName", "value": "SUPPORT"})


def test_rename_to_deleted_group_name(group_service: GroupService, sales: dict[str, Any]) -> None:
    old = create(group_service, {"displayName": "Old Team"})
    group_service.delete(old["id"])

    with pytest.raises(Uniqueness) as caught:
        patch(group_service, sales["id"], {"op": "Replace", "path": "displayName", "value": "old team"})

    assert "deleted" in caught.value.detail


def test_patch_with_projection_returns_group(group_service: GroupService, sales: dict[str, Any],
                                             people: dict[str, str]) -> None:
    result = group_service.patch(sales["id"], patch_op(add_members(people["karin"])), base_url=BASE_URL,
                                 projection=Projection.from_query(None, "members"))

    assert result is not None
    assert result["displayName"] == "Sales"
    assert "members" not in result


def test_patch_unknown_group_404(group_service: GroupService) -> None:
    with pytest.raises(NotFound):
        patch(group_service, "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d", {"op": "Remove", "path": "members"})


# ---------------------------------------------------------------------------------------------
# Replace (PUT)


def test_replace_name_and_members(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                  people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))

    replaced = group_service.replace(sales["id"], {"displayName": "Team", "members": [{"value": people["olle"]}]},
                                     base_url=BASE_URL)

    assert replaced["displayName"] == "Team"
    assert "externalId" not in replaced
    assert member_names(api, sales["id"]) == ["olle@contoso-example.se"]
    assert record_of(api, sales["id"]).external_id is None


def test_replace_without_members_clears(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                        people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))

    group_service.replace(sales["id"], {"displayName": "Sales"}, base_url=BASE_URL)

    assert member_names(api, sales["id"]) == []


def test_replace_rejects_other_id(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue) as caught:
        group_service.replace(sales["id"], {"id": "another", "displayName": "Team"}, base_url=BASE_URL)

    assert "'another'" in caught.value.detail
    assert record_of(api, sales["id"]).name == "Sales"


# ---------------------------------------------------------------------------------------------
# Delete


def test_delete_hides_group(group_service: GroupService, sales: dict[str, Any]) -> None:
    group_service.delete(sales["id"])

    with pytest.raises(NotFound):
        get(group_service, sales["id"])
    listed = group_service.search('displayName eq "Sales"', start_index=None, count=None, base_url=BASE_URL)
    assert listed["totalResults"] == 0


def test_delete_soft_keeps_members(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                   people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))

    group_service.delete(sales["id"])

    record = record_of(api, sales["id"])
    assert record.active is False
    assert record.scim_deleted is True
    assert member_names(api, sales["id"]) == ["karin@contoso-example.se"]


def test_deleted_group_not_a_member_target(group_service: GroupService, sales: dict[str, Any],
                                           people: dict[str, str]) -> None:
    group_service.delete(sales["id"])

    with pytest.raises(NotFound):
        patch(group_service, sales["id"], add_members(people["karin"]))


def test_deleted_group_hidden_from_user(user_service: UserService, group_service: GroupService,
                                        sales: dict[str, Any], people: dict[str, str]) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))

    group_service.delete(sales["id"])

    assert user_service.get(people["karin"], base_url=BASE_URL)["groups"] == []


# ---------------------------------------------------------------------------------------------
# Reads


def test_search_name_any_case(group_service: GroupService, sales: dict[str, Any]) -> None:
    listed = group_service.search('displayName eq "SALES"', start_index=None, count=None, base_url=BASE_URL)

    assert listed["totalResults"] == 1
    assert listed["Resources"][0]["id"] == sales["id"]


def test_search_external_id(group_service: GroupService, sales: dict[str, Any]) -> None:
    listed = group_service.search(f'externalId eq "{sales["externalId"]}"', start_index=None, count=None,
                                  base_url=BASE_URL)

    assert [group["id"] for group in listed["Resources"]] == [sales["id"]]


@contextmanager
def counting_list_members(api: SqlObjectApi, monkeypatch: pytest.MonkeyPatch, calls: list[int]) -> Iterator[None]:
    """Record the group id of every list_members call made through ``api``."""
    unit_of_work = api.unit_of_work

    @contextmanager
    def counting_unit_of_work(**options: Any) -> Iterator[Any]:
        with unit_of_work(**options) as uow:
            list_members = uow.list_members

            def counted(group_id: int) -> Any:
                calls.append(group_id)
                return list_members(group_id)

            monkeypatch.setattr(uow, "list_members", counted)
            yield uow

    with monkeypatch.context() as patcher:
        patcher.setattr(api, "unit_of_work", counting_unit_of_work)
        yield


def test_excluded_members_not_loaded(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                     people: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    patch(group_service, sales["id"], add_members(people["karin"]))
    calls: list[int] = []
    excluded = Projection.from_query(None, "members")

    with counting_list_members(api, monkeypatch, calls):
        fetched = get(group_service, sales["id"], excluded)
        listed = group_service.search(f'displayName eq "Sales"', start_index=None, count=None, base_url=BASE_URL,
                                      projection=excluded)
        group_service.patch(sales["id"], patch_op(add_members(people["olle"])), base_url=BASE_URL,
                            projection=excluded)

    assert calls == []
    assert "members" not in fetched
    assert "members" not in listed["Resources"][0]


def test_default_read_loads_members(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    with counting_list_members(api, monkeypatch, calls):
        get(group_service, sales["id"])

    assert calls == [record_of(api, sales["id"]).id]


def test_member_display_falls_back(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                   user_service: UserService) -> None:
    nameless = user_service.create({"userName": "nameless@contoso-example.se"}, base_url=BASE_URL)
    patch(group_service, sales["id"], add_members(nameless["id"]))

    member = get(group_service, sales["id"])["members"][0]

    assert member["display"] == "nameless@contoso-example.se"


def test_get_by_record_id_any_mode(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any]) -> None:
    record_id = record_of(api, sales["id"]).id

    assert get(group_service, str(record_id))["displayName"] == "Sales"


def test_user_id_is_not_group(group_service: GroupService, people: dict[str, str], ids: ResourceIds) -> None:
    if ids.legacy:
        pytest.skip("in legacy mode a user and a group can share a record id")

    with pytest.raises(NotFound):
        get(group_service, people["karin"])


def test_members_unique_user_records(api: SqlObjectApi, group_service: GroupService, sales: dict[str, Any],
                                     people: dict[str, str]) -> None:
    with api.unit_of_work() as uow:
        karin: UserRecord | None = uow.find_user_by_username("karin@contoso-example.se")
    assert karin is not None

    patch(group_service, sales["id"], add_members(people["karin"], str(karin.id)))

    assert member_names(api, sales["id"]) == ["karin@contoso-example.se"]
