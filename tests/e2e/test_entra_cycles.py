"""End-to-end tests: Entra ID provisioning cycles replayed against a live ``lime-scim serve``.

Each replay sends the requests of a fixture under ``tests/fixtures/entra`` to a server process
on 127.0.0.1 and checks every response's status. The tests then check the responses in detail,
and the store as ``lime-scim export`` prints it. The cycles run in both of Entra's dialects on
SQLite and PostgreSQL with opaque ids, and on SQLite with legacy (record) ids. One server per
store serves every test of this module; each replay uses fresh userNames and group names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.entra import CYCLE_FILES, DIALECTS, Exchange, Replay, ReplayError, load_replay
from tests.support.store import StoreExport

if TYPE_CHECKING:
    from tests.e2e.conftest import LiveApplication, SeededCrmUsers

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
EMPTY_LIST = {"schemas": [LIST_URN], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}
# With legacy ids a group and a user can share an id, so a group id may name a user too.
NESTED_GROUP_STEP = "add group as member"


@dataclass
class ReplayRun:
    """A finished replay: its responses, failed steps and store exports by checkpoint."""

    live: LiveApplication
    replay: Replay
    failures: dict[str, ReplayError] = field(default_factory=dict)
    exports: dict[str, StoreExport] = field(default_factory=dict)

    def var(self, name: str) -> str:
        if name not in self.replay.variables:
            pytest.fail(f"the replay captured no {name}; failed steps: {sorted(self.failures)}")
        return self.replay.variables[name]

    def response(self, step: str) -> requests.Response:
        if step in self.failures:
            pytest.fail(f"replay step {step!r} failed: {self.failures[step]}")
        return self.replay.response(step)

    def json(self, step: str) -> Any:
        return self.response(step).json()

    def export(self, checkpoint: str) -> StoreExport:
        if checkpoint not in self.exports:
            pytest.fail(f"the replay did not reach the checkpoint {checkpoint!r}")
        return self.exports[checkpoint]

    def checkpoint(self, name: str) -> None:
        self.exports[name] = self.live.export()


def replay_files(live: LiveApplication, files: list[str], *, skip: tuple[str, ...] = (),
                 **variables: str) -> ReplayRun:
    """Replay ``files`` in order in one session of variables, going on after failed steps."""
    run = ReplayRun(live, live.replay(**variables))
    for file_name in files:
        steps = [step for step in load_replay(file_name) if step.get("name") not in skip]
        run.failures.update(run.replay.run(steps, checkpoint=run.checkpoint, keep_going=True))
    run.checkpoint("final")
    return run


def members(group: dict[str, Any]) -> set[str]:
    return {member["value"] for member in group.get("members", [])}


def error_detail(response: requests.Response) -> str:
    return str(response.json().get("detail", ""))


# ----------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module", params=DIALECTS)
def cycle(request: pytest.FixtureRequest, live_application: LiveApplication) -> ReplayRun:
    """The full provisioning cycle of one dialect, then the rejected requests."""
    dialect: str = request.param
    skip = (NESTED_GROUP_STEP,) if live_application.case.legacy_ids else ()
    return replay_files(
        live_application, [CYCLE_FILES[dialect], "rejections.json"], skip=skip,
        DIALECT=dialect, CRM3_SEEDED=live_application.seeded[dialect].posted_resource_id,
    )


@pytest.fixture(scope="module")
def on_demand(live_application: LiveApplication) -> ReplayRun:
    return replay_files(live_application, ["provision_on_demand.json"])


@pytest.fixture(scope="module")
def harness(live_application: LiveApplication) -> ReplayRun:
    return replay_files(live_application, ["validator_harness.json"])


@pytest.fixture(scope="module")
def tolerance(live_application: LiveApplication) -> ReplayRun:
    return replay_files(live_application, ["tolerance_cases.json"])


def seeded_for(cycle: ReplayRun) -> SeededCrmUsers:
    return cycle.live.seeded[cycle.var("DIALECT")]


# ----------------------------------------------------------------------------------------------
# Test Connection


def test_connection_user_probe_empty(cycle: ReplayRun) -> None:
    response = cycle.response("test connection user probe")

    assert response.status_code == 200
    assert response.json() == EMPTY_LIST


def test_connection_group_probe_empty(cycle: ReplayRun) -> None:
    response = cycle.response("test connection group probe")

    assert response.status_code == 200
    assert response.json() == EMPTY_LIST


# ----------------------------------------------------------------------------------------------
# Users created after a lookup


def test_created_user_reads_back_as_sent(cycle: ReplayRun) -> None:
    user = cycle.json("create manager")
    run = cycle.var("RUN")

    assert user["id"] == cycle.var("M1")
    assert user["userName"] == f"sven.ekholm.{run}@contoso-example.se"
    assert user["externalId"] == f"sekholm.{run}"
    assert user["active"] is True
    assert user["displayName"] == "Sven Ekholm"
    assert user["title"] == "Head of Sales"
    assert user["name"]["givenName"] == "Sven"
    assert user["name"]["familyName"] == "Ekholm"
    assert {(e["type"], e["value"]) for e in user["emails"]} == {
        ("work", f"sven.ekholm.{run}@contoso-example.se"),
        ("home", f"sven.private.{run}@example.net"),
    }
    assert {(p["type"], p["value"]) for p in user["phoneNumbers"]} == {
        ("work", "+46 8 555 010 10"), ("mobile", "+46 70 555 01 01"), ("home", "+46 8 555 020 20"),
    }


def test_created_user_has_location(cycle: ReplayRun) -> None:
    response = cycle.response("create manager")
    location = f"{cycle.live.tenant_url}/Users/{cycle.var('M1')}"

    assert response.headers["Location"] == location
    assert response.json()["meta"]["location"] == location
    assert response.json()["meta"]["resourceType"] == "User"


def test_created_user_row_in_store(cycle: ReplayRun) -> None:
    row = cycle.export("provisioned").user(cycle.var("M1"))
    run = cycle.var("RUN")

    assert row["username"] == f"sven.ekholm.{run}@contoso-example.se"
    assert row["fullname"] == "Sven Ekholm"
    assert row["active"] is True
    assert row["external_id"] == f"sekholm.{run}"
    assert row["scim_managed"] is True
    assert row["scim_deleted"] is False


def test_created_coworker_properties_by_name(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")
    coworker = store.coworker_of_user(cycle.var("M1"))
    run = cycle.var("RUN")

    assert coworker["name"] == "Sven Ekholm"
    assert coworker["firstname"] == "Sven"
    assert coworker["lastname"] == "Ekholm"
    assert coworker["email"] == f"sven.ekholm.{run}@contoso-example.se"
    assert coworker["email2"] == f"sven.private.{run}@example.net"
    assert coworker["title"] == "Head of Sales"
    assert coworker["phone"] == "+46 8 555 010 10"
    assert coworker["mobilephone"] == "+46 70 555 01 01"
    assert coworker["homephone"] == "+46 8 555 020 20"
    assert coworker["inactive"] is False
    assert coworker["manager"] is None
    assert coworker["username"] == store.user(cycle.var("M1"))["id"]


def test_string_true_stored_active(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")

    assert store.user(cycle.var("U2"))["active"] is True
    assert store.coworker_of_user(cycle.var("U2"))["inactive"] is False


def test_resource_ids_match_id_form(cycle: ReplayRun) -> None:
    row = cycle.export("provisioned").user(cycle.var("U1"))

    if cycle.live.case.legacy_ids:
        assert cycle.var("U1") == str(row["id"])
    else:
        assert cycle.var("U1") == row["scim_id"]
        assert cycle.var("U1") != str(row["id"])


def test_user_and_group_ids_differ(cycle: ReplayRun) -> None:
    if cycle.live.case.legacy_ids:
        pytest.skip("legacy ids are record ids, which a user and a group can share")
    user_ids = {cycle.var(name) for name in ("M1", "U1", "U2", "U3")}

    assert cycle.var("G1") not in user_ids
    assert cycle.var("G2") not in user_ids


# ----------------------------------------------------------------------------------------------
# Managers


def test_manager_reads_back_as_object(cycle: ReplayRun) -> None:
    user = cycle.json("read first user")
    manager_id = cycle.var("M1")

    manager = user[ENTERPRISE]["manager"]
    assert ENTERPRISE in user["schemas"]
    assert manager["value"] == manager_id
    assert manager["$ref"] == f"{cycle.live.tenant_url}/Users/{manager_id}"
    assert isinstance(manager["displayName"], str)
    assert manager["displayName"] != ""


def test_manager_value_object_accepted(cycle: ReplayRun) -> None:
    user = cycle.json("read second user")

    assert user[ENTERPRISE]["manager"]["value"] == cycle.var("M1")


def test_manager_stored_as_coworker_relation(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")
    manager_coworker = store.coworker_of_user(cycle.var("M1"))

    assert store.coworker_of_user(cycle.var("U1"))["manager"] == manager_coworker["id"]
    assert store.coworker_of_user(cycle.var("U2"))["manager"] == manager_coworker["id"]


def test_manager_change_stored(cycle: ReplayRun) -> None:
    store = cycle.export("updated")

    assert store.coworker_of_user(cycle.var("U2"))["manager"] == store.coworker_of_user(cycle.var("U3"))["id"]


# ----------------------------------------------------------------------------------------------
# CRM users that existed before provisioning


def test_crm_user_found_by_lookup(cycle: ReplayRun) -> None:
    found = cycle.json("lookup linked crm user")
    dialect = cycle.var("DIALECT")

    assert found["totalResults"] == 1
    assert found["Resources"][0]["userName"] == f"Erik.Lund.{dialect}@Contoso-Example.se"


def test_adopted_user_keeps_linked_coworker(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")
    seeded = seeded_for(cycle)
    row = store.user(cycle.var("CRM1"))
    coworker = store.coworker_of_user(cycle.var("CRM1"))

    assert row["id"] == seeded.linked_user_id
    assert row["scim_managed"] is True
    assert row["fullname"] == "Erik Lund"
    assert row["external_id"] == f"elund.{cycle.var('DIALECT')}"
    assert coworker["id"] == seeded.linked_coworker_id
    assert coworker["name"] == "Erik Lund"
    assert coworker["title"] == "Account Executive"
    assert coworker["office"] == "Gothenburg"


def test_adopted_user_links_unlinked_coworker(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")
    seeded = seeded_for(cycle)
    coworker = store.coworker_of_user(cycle.var("CRM2"))

    assert store.user(cycle.var("CRM2"))["id"] == seeded.unlinked_user_id
    assert coworker["id"] == seeded.unlinked_coworker_id
    assert coworker["name"] == "Lena Borg"
    assert coworker["firstname"] == "Lena"
    assert coworker["office"] == "Malmö"


def test_posted_crm_user_adopted(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")
    seeded = seeded_for(cycle)
    row = store.user(cycle.var("CRM3"))

    assert cycle.response("create posted crm user").status_code == 201
    assert cycle.var("CRM3") == seeded.posted_resource_id
    assert row["id"] == seeded.posted_user_id
    assert row["scim_managed"] is True
    assert row["fullname"] == "Nils Ahl"
    assert store.coworker_of_user(cycle.var("CRM3"))["name"] == "Nils Ahl"


# ----------------------------------------------------------------------------------------------
# Groups and members


def test_group_created_without_members(cycle: ReplayRun) -> None:
    group = cycle.json("create group")
    row = cycle.export("provisioned").group(cycle.var("G1"))
    run = cycle.var("RUN")

    assert group["members"] == []
    assert group["externalId"] == f"5b8d7c1e-0a4f-4e2b-9d36-{run}"
    assert row["external_id"] == f"5b8d7c1e-0a4f-4e2b-9d36-{run}"
    assert row["scim_managed"] is True


def test_group_lookup_omits_members(cycle: ReplayRun) -> None:
    listed = cycle.json("lookup group again")
    single = cycle.json("read group without members")

    assert listed["totalResults"] == 1
    assert "members" not in listed["Resources"][0]
    assert "members" not in single
    assert single["displayName"] == f"Key Accounts West {cycle.var('RUN')}"


def test_member_patches_add_every_member(cycle: ReplayRun) -> None:
    group = cycle.json("read group with members")
    expected = {cycle.var(name) for name in ("U1", "U2", "U3", "M1", "CRM1")}

    assert members(group) == expected


def test_members_stored_as_memberships(cycle: ReplayRun) -> None:
    store = cycle.export("provisioned")
    expected = {store.user(cycle.var(name))["id"] for name in ("U1", "U2", "U3", "M1", "CRM1")}

    assert store.member_ids(cycle.var("G1")) == expected


def test_group_patch_answers_no_content(cycle: ReplayRun) -> None:
    response = cycle.response("add members in two operations")

    assert response.status_code == 204
    assert response.content == b""


# ----------------------------------------------------------------------------------------------
# Updates


def test_update_changes_user_attributes(cycle: ReplayRun) -> None:
    user = cycle.json("read updated user")
    run = cycle.var("RUN")
    phones = {p["type"]: p["value"] for p in user["phoneNumbers"]}

    assert user["userName"] == f"ingrid.lund.{run}@contoso-example.se"
    assert user["displayName"] == "Ingrid Lund"
    assert user["name"] == {"familyName": "Lund", "givenName": "Ingrid"}
    assert user["title"] == "Senior Key Account Manager"
    assert [(e["type"], e["value"]) for e in user["emails"]] == [("work", f"ingrid.lund.{run}@contoso-example.se")]
    assert phones == {"work": "+46 31 555 12 12", "mobile": "+46 70 555 11 22", "home": "+46 31 555 33 44"}
    assert user[ENTERPRISE]["manager"]["value"] == cycle.var("M1")


def test_update_renames_user_row(cycle: ReplayRun) -> None:
    row = cycle.export("updated").user(cycle.var("U1"))

    assert row["username"] == f"ingrid.lund.{cycle.var('RUN')}@contoso-example.se"
    assert row["fullname"] == "Ingrid Lund"
    assert row["external_id"] == f"ibergvall.{cycle.var('RUN')}"


def test_update_changes_coworker_properties(cycle: ReplayRun) -> None:
    store = cycle.export("updated")
    coworker = store.coworker_of_user(cycle.var("U1"))

    assert coworker["name"] == "Ingrid Lund"
    assert coworker["firstname"] == "Ingrid"
    assert coworker["lastname"] == "Lund"
    assert coworker["email"] == f"ingrid.lund.{cycle.var('RUN')}@contoso-example.se"
    assert coworker["title"] == "Senior Key Account Manager"
    assert coworker["phone"] == "+46 31 555 12 12"
    assert coworker["mobilephone"] == "+46 70 555 11 22"
    assert coworker["homephone"] == "+46 31 555 33 44"
    assert coworker["manager"] == store.coworker_of_user(cycle.var("M1"))["id"]


def test_renamed_user_found_by_lookup(cycle: ReplayRun) -> None:
    found = cycle.json("lookup renamed user")

    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == cycle.var("U1")


def test_group_rename_stored(cycle: ReplayRun) -> None:
    row = cycle.export("updated").group(cycle.var("G1"))

    assert row["name"] == f"Key Accounts Nordics {cycle.var('RUN')}"
    assert cycle.json("lookup renamed group")["Resources"][0]["id"] == cycle.var("G1")


# ----------------------------------------------------------------------------------------------
# Disable and re-enable


def test_disabled_user_stays_readable(cycle: ReplayRun) -> None:
    user = cycle.json("read disabled user")
    found = cycle.json("lookup disabled user")

    assert user["active"] is False
    assert found["totalResults"] == 1
    assert found["Resources"][0]["active"] is False


def test_disabled_user_inactive_in_store(cycle: ReplayRun) -> None:
    store = cycle.export("disabled")

    assert store.user(cycle.var("U3"))["active"] is False
    assert store.user(cycle.var("U3"))["scim_deleted"] is False
    assert store.coworker_of_user(cycle.var("U3"))["inactive"] is True


def test_lower_case_false_disables(cycle: ReplayRun) -> None:
    store = cycle.export("disabled")

    assert cycle.json("disable second user lower case")["active"] is False
    assert store.user(cycle.var("U2"))["active"] is False
    assert store.coworker_of_user(cycle.var("U2"))["inactive"] is True


def test_disabled_user_keeps_memberships(cycle: ReplayRun) -> None:
    store = cycle.export("disabled")

    assert store.user(cycle.var("U3"))["id"] in store.member_ids(cycle.var("G1"))
    assert store.user(cycle.var("U2"))["id"] in store.member_ids(cycle.var("G1"))


def test_reenabled_user_active_again(cycle: ReplayRun) -> None:
    store = cycle.export("members_removed")

    assert cycle.json("read enabled user")["active"] is True
    assert store.user(cycle.var("U3"))["active"] is True
    assert store.coworker_of_user(cycle.var("U3"))["inactive"] is False


# ----------------------------------------------------------------------------------------------
# Member removal


def test_member_removal_removes_named_only(cycle: ReplayRun) -> None:
    group = cycle.json("read group after removal")

    assert members(group) == {cycle.var("U1"), cycle.var("U3"), cycle.var("CRM1")}


def test_remove_all_empties_group(cycle: ReplayRun) -> None:
    assert cycle.json("read emptied group")["members"] == []


def test_member_removal_stored(cycle: ReplayRun) -> None:
    store = cycle.export("members_removed")
    g1_expected = {store.user(cycle.var(name))["id"] for name in ("U1", "U3", "CRM1")}

    assert store.member_ids(cycle.var("G1")) == g1_expected
    assert store.member_ids(cycle.var("G2")) == {store.user(cycle.var("U3"))["id"]}


# ----------------------------------------------------------------------------------------------
# DELETE and re-provisioning


def test_deleted_user_answers_not_found(cycle: ReplayRun) -> None:
    response = cycle.response("read deleted user")

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/scim+json")
    assert response.json()["schemas"] == [ERROR_URN]
    assert response.json()["status"] == "404"


def test_deleted_user_absent_from_filters(cycle: ReplayRun) -> None:
    assert cycle.json("lookup deleted user")["totalResults"] == 0
    assert cycle.json("lookup deleted user by externalId")["totalResults"] == 0


def test_deleted_user_kept_inactive(cycle: ReplayRun) -> None:
    store = cycle.export("deleted")
    row = store.user(cycle.var("U1"))

    assert cycle.response("delete first user").status_code == 204
    assert row["active"] is False
    assert row["scim_deleted"] is True
    assert store.coworker_of_user(cycle.var("U1"))["inactive"] is True


def test_memberships_survive_user_delete(cycle: ReplayRun) -> None:
    store = cycle.export("deleted")

    assert store.user(cycle.var("U1"))["id"] in store.member_ids(cycle.var("G1"))


def test_deleted_group_answers_not_found(cycle: ReplayRun) -> None:
    response = cycle.response("read deleted group")

    assert response.status_code == 404
    assert response.json()["status"] == "404"
    assert cycle.json("lookup deleted group")["totalResults"] == 0


def test_memberships_survive_group_delete(cycle: ReplayRun) -> None:
    store = cycle.export("deleted")

    assert store.group(cycle.var("G2"))["active"] is False
    assert store.group(cycle.var("G2"))["scim_deleted"] is True
    assert store.member_ids(cycle.var("G2")) == {store.user(cycle.var("U3"))["id"]}


def test_revival_by_username_keeps_records(cycle: ReplayRun) -> None:
    before = cycle.export("deleted")
    after = cycle.export("revived")
    row = after.user(cycle.var("U1"))

    assert cycle.response("revive by userName").status_code == 201
    assert cycle.var("U1_REVIVED") == cycle.var("U1")
    assert row["id"] == before.user(cycle.var("U1"))["id"]
    assert row["active"] is True
    assert row["scim_deleted"] is False
    assert after.coworker_of_user(cycle.var("U1"))["id"] == before.coworker_of_user(cycle.var("U1"))["id"]
    assert after.coworker_of_user(cycle.var("U1"))["inactive"] is False


def test_revival_by_external_id_keeps_records(cycle: ReplayRun) -> None:
    before = cycle.export("deleted")
    after = cycle.export("revived")
    row = after.user(cycle.var("U3"))

    assert cycle.response("revive by externalId").status_code == 201
    assert cycle.var("U3_REVIVED") == cycle.var("U3")
    assert row["id"] == before.user(cycle.var("U3"))["id"]
    assert row["username"] == f"maja.fors-ek.{cycle.var('RUN')}@contoso-example.se"
    assert row["active"] is True
    assert after.coworker_of_user(cycle.var("U3"))["id"] == before.coworker_of_user(cycle.var("U3"))["id"]
    assert after.coworker_of_user(cycle.var("U3"))["lastname"] == "Fors Ek"


def test_revived_user_keeps_memberships(cycle: ReplayRun) -> None:
    store = cycle.export("revived")

    assert store.user(cycle.var("U1"))["id"] in store.member_ids(cycle.var("G1"))
    assert store.user(cycle.var("U3"))["id"] in store.member_ids(cycle.var("G1"))


def test_group_revival_keeps_record(cycle: ReplayRun) -> None:
    before = cycle.export("deleted")
    after = cycle.export("revived")

    assert cycle.response("revive group").status_code == 201
    assert cycle.var("G2_REVIVED") == cycle.var("G2")
    assert after.group(cycle.var("G2"))["id"] == before.group(cycle.var("G2"))["id"]
    assert after.group(cycle.var("G2"))["active"] is True


# ----------------------------------------------------------------------------------------------
# Rejected requests


def test_username_other_case_conflicts(cycle: ReplayRun) -> None:
    response = cycle.response("create user in other letter case")

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"
    assert cycle.var("M1") in error_detail(response)


def test_group_name_other_case_conflicts(cycle: ReplayRun) -> None:
    response = cycle.response("create group in other letter case")

    assert response.status_code == 409
    assert response.json()["scimType"] == "uniqueness"


def test_group_member_rejected_as_nested(cycle: ReplayRun) -> None:
    if cycle.live.case.legacy_ids:
        pytest.skip("with legacy ids a group id can also be a user's record id")
    response = cycle.response(NESTED_GROUP_STEP)

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "nested" in error_detail(response).lower()
    assert cycle.var("G2") in error_detail(response)


def test_unknown_manager_rejected_naming_id(cycle: ReplayRun) -> None:
    response = cycle.response("set unknown manager")

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert cycle.var("GUID") in error_detail(response)


def test_rejected_patch_changes_nothing(cycle: ReplayRun) -> None:
    user = cycle.json("read user after rejected patch")
    store = cycle.export("final")

    assert user[ENTERPRISE]["manager"]["value"] == cycle.var("U3")
    assert store.coworker_of_user(cycle.var("U2"))["manager"] == store.coworker_of_user(cycle.var("U3"))["id"]


def test_cycle_has_no_failed_steps(cycle: ReplayRun) -> None:
    assert cycle.failures == {}


# ----------------------------------------------------------------------------------------------
# Provision on demand


def test_on_demand_user_provisioned(on_demand: ReplayRun) -> None:
    store = on_demand.export("final")
    coworker = store.coworker_of_user(on_demand.var("P1"))

    assert on_demand.response("create user").status_code == 201
    assert on_demand.json("lookup user again")["Resources"][0]["id"] == on_demand.var("P1")
    assert coworker["title"] == "Senior Service Technician"
    assert coworker["phone"] == "+46 40 555 77 00"


def test_on_demand_group_gets_members(on_demand: ReplayRun) -> None:
    group = on_demand.json("read group")
    store = on_demand.export("final")
    expected = {store.user(on_demand.var(name))["id"] for name in ("P1", "P2")}

    assert members(group) == {on_demand.var("P1"), on_demand.var("P2")}
    assert store.member_ids(on_demand.var("PG")) == expected


def test_on_demand_disable_stored(on_demand: ReplayRun) -> None:
    store = on_demand.export("final")

    assert store.user(on_demand.var("P2"))["active"] is False
    assert store.coworker_of_user(on_demand.var("P2"))["inactive"] is True


def test_on_demand_has_no_failed_steps(on_demand: ReplayRun) -> None:
    assert on_demand.failures == {}


# ----------------------------------------------------------------------------------------------
# Validator and harness shapes


def test_empty_operations_change_nothing(harness: ReplayRun) -> None:
    user = harness.response("empty operations on user")
    group = harness.response("empty operations on group")

    assert user.status_code == 200
    assert user.json()["title"] == "Tester"
    assert group.status_code == 204


def test_add_creates_missing_work_email(harness: ReplayRun) -> None:
    user = harness.json("add missing work email")

    assert [(e["type"], e["value"]) for e in user["emails"]] == [("work", "karin.holm@contoso-example.se")]


def test_replace_creates_missing_work_email(harness: ReplayRun) -> None:
    user = harness.json("replace missing work email")
    store = harness.export("final")
    address = f"bo.harness.{harness.var('RUN')}@contoso-example.se"

    assert [(e["type"], e["value"]) for e in user["emails"]] == [("work", address)]
    assert store.coworker_of_user(harness.var("H2"))["email"] == address


def test_empty_string_and_null_clear(harness: ReplayRun) -> None:
    user = harness.json("clear with empty string and null")
    store = harness.export("final")
    coworker = store.coworker_of_user(harness.var("H1"))

    assert "title" not in user
    assert "displayName" not in user
    assert user["name"] == {"familyName": "Harness"}
    assert coworker["title"] is None
    assert coworker["firstname"] is None
    assert coworker["lastname"] == "Harness"
    assert store.user(harness.var("H1"))["fullname"] == ""


@pytest.mark.parametrize("step", [
    "clear manager empty string",
    "read cleared manager",
    "remove manager",
    "remove manager value filter",
    "clear manager null",
    "clear manager empty value object",
    "remove manager with value",
])
def test_manager_clear_form_clears(harness: ReplayRun, step: str) -> None:
    user = harness.json(step)

    assert "manager" not in user.get(ENTERPRISE, {})


def test_manager_set_and_changed(harness: ReplayRun) -> None:
    assert harness.json("set manager bare id")[ENTERPRISE]["manager"]["value"] == harness.var("HM1")
    assert harness.json("change manager bare id")[ENTERPRISE]["manager"]["value"] == harness.var("HM2")
    assert harness.json("read manager value")[ENTERPRISE]["manager"]["value"] == harness.var("HM2")
    assert harness.json("set manager pathless")[ENTERPRISE]["manager"]["value"] == harness.var("HM2")


def test_cleared_manager_stored_empty(harness: ReplayRun) -> None:
    store = harness.export("final")

    assert store.coworker_of_user(harness.var("H1"))["manager"] is None


def test_paging_returns_requested_window(harness: ReplayRun) -> None:
    first = harness.json("first page")
    second = harness.json("second page")
    first_ids = {user["id"] for user in first["Resources"]}
    second_ids = {user["id"] for user in second["Resources"]}

    assert first["startIndex"] == 1
    assert second["startIndex"] == 6
    assert len(first["Resources"]) == 5
    assert 1 <= len(second["Resources"]) <= 5
    assert second["itemsPerPage"] == len(second["Resources"])
    assert second["totalResults"] == first["totalResults"]
    assert first_ids.isdisjoint(second_ids)


def test_count_one_returns_one(harness: ReplayRun) -> None:
    page = harness.json("count one probe")

    assert page["itemsPerPage"] == 1
    assert len(page["Resources"]) == 1
    assert page["totalResults"] >= 6


def test_group_paging_excludes_members(harness: ReplayRun) -> None:
    page = harness.json("group page")

    assert page["startIndex"] == 1
    assert 1 <= len(page["Resources"]) <= 5
    assert all("members" not in group for group in page["Resources"])


def test_harness_has_no_failed_steps(harness: ReplayRun) -> None:
    assert harness.failures == {}


# ----------------------------------------------------------------------------------------------
# Tolerance cases


def test_custom_extension_without_urn_accepted(tolerance: ReplayRun) -> None:
    created = tolerance.response("create user with custom extension")
    patched = tolerance.response("patch custom extension")

    assert created.status_code == 201
    assert patched.status_code == 200


def test_extra_meta_and_roles_ignored(tolerance: ReplayRun) -> None:
    user = tolerance.json("create user with custom extension")

    assert user["meta"]["resourceType"] == "User"
    assert "created" in user["meta"]
    assert user["userName"] == f"petra.holm.{tolerance.var('RUN')}@contoso-example.se"


def test_capitalised_attribute_names_accepted(tolerance: ReplayRun) -> None:
    store = tolerance.export("final")
    coworker = store.coworker_of_user(tolerance.var("T2"))

    assert tolerance.response("create user with capitalised attributes").status_code == 201
    assert coworker["email"] == f"rune.dahl.{tolerance.var('RUN')}@contoso-example.se"
    assert store.user(tolerance.var("T2"))["active"] is True


def test_json_string_roles_accepted(tolerance: ReplayRun) -> None:
    assert tolerance.response("patch json string roles").status_code == 200


def test_null_members_in_post_accepted(tolerance: ReplayRun) -> None:
    response = tolerance.response("create group with null members")

    assert response.status_code == 201
    assert response.json()["members"] == []


def test_null_ref_members_added(tolerance: ReplayRun) -> None:
    assert tolerance.response("add members null ref").status_code == 204
    assert tolerance.response("add members again").status_code == 204


def test_member_removal_fixtures_remove(tolerance: ReplayRun) -> None:
    assert tolerance.json("read emptied group")["members"] == []
    assert tolerance.json("read group after remove all")["members"] == []


def test_unquoted_filter_value_matches(tolerance: ReplayRun) -> None:
    found = tolerance.json("unquoted filter value")

    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == tolerance.var("T1")


def test_plus_and_percent_twenty_agree(tolerance: ReplayRun) -> None:
    plus = tolerance.json("filter with plus")
    percent = tolerance.json("filter with percent twenty")

    assert plus["totalResults"] == 1
    assert plus["Resources"] == percent["Resources"]


@pytest.mark.parametrize("step", ["query word before filter", "query word after filter", "query word on patch"])
def test_unknown_query_word_ignored(tolerance: ReplayRun, step: str) -> None:
    assert tolerance.response(step).status_code == 200


@pytest.mark.parametrize("step", [
    "content type plain json", "content type without charset", "content type json with charset",
])
def test_content_type_variant_accepted(tolerance: ReplayRun, step: str) -> None:
    assert tolerance.response(step).status_code == 200


def test_doubled_slash_reaches_handlers(tolerance: ReplayRun) -> None:
    store = tolerance.export("final")

    assert tolerance.response("doubled slash create").status_code == 201
    assert tolerance.json("doubled slash read")["active"] is False
    assert tolerance.response("doubled slash delete").status_code == 204
    assert store.user(tolerance.var("T3"))["scim_deleted"] is True
    assert store.user(tolerance.var("T3"))["id"] in store.member_ids(tolerance.var("TG"))


def test_tolerance_has_no_failed_steps(tolerance: ReplayRun) -> None:
    assert tolerance.failures == {}


# ----------------------------------------------------------------------------------------------
# The server: applications, authentication, content types and logs


@pytest.fixture(scope="module")
def logged_replay(logged_application: LiveApplication) -> ReplayRun:
    """A default-dialect cycle and the tolerance cases on the server that logs at DEBUG."""
    return replay_files(
        logged_application, [CYCLE_FILES["default"], "tolerance_cases.json"],
        DIALECT="default", CRM3_SEEDED=logged_application.seeded["default"].posted_resource_id,
    )


def assert_scim_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/scim+json")
    assert response.json()["schemas"] == [ERROR_URN]
    assert response.json()["status"] == str(status)


def log_lines_containing(live: LiveApplication, *texts: str) -> list[str]:
    return [line for line in live.server.log.splitlines() if all(text in line for text in texts)]


def test_unknown_application_not_found(logged_application: LiveApplication) -> None:
    response = requests.get(f"{logged_application.tenant_url_of('nosuchapp')}/Users",
                            headers={"Authorization": f"Bearer {logged_application.token}"}, timeout=30)

    assert_scim_error(response, 404)
    assert "nosuchapp" in response.json()["detail"]
    assert log_lines_containing(logged_application, "nosuchapp", "no application of that name")


def test_disabled_application_not_found(logged_application: LiveApplication) -> None:
    disabled = logged_application.disabled_application
    assert disabled is not None
    response = requests.get(f"{logged_application.tenant_url_of(disabled)}/Users",
                            headers={"Authorization": f"Bearer {logged_application.token}"}, timeout=30)

    assert_scim_error(response, 404)
    assert disabled in response.json()["detail"]
    assert log_lines_containing(logged_application, disabled, "scim.enabled is false")


def assert_unauthorized(response: requests.Response) -> None:
    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_missing_token_unauthorized(logged_application: LiveApplication) -> None:
    response = requests.get(f"{logged_application.tenant_url}/Users", timeout=30)

    assert_unauthorized(response)


@pytest.mark.parametrize("header", [
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Token {token}",
    "{token}",
    "Bearer {token} extra",
], ids=["scheme-only", "empty-credentials", "basic", "other-scheme", "no-scheme", "trailing-word"])
def test_malformed_token_unauthorized(logged_application: LiveApplication, header: str) -> None:
    value = header.format(token=logged_application.token)
    response = requests.get(f"{logged_application.tenant_url}/Users",
                            headers={"Authorization": value}, timeout=30)

    assert_unauthorized(response)


def test_wrong_token_unauthorized(logged_application: LiveApplication) -> None:
    wrong = "0" * 128
    response = requests.patch(
        f"{logged_application.tenant_url}/Users/anything",
        data=b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[]}',
        headers={"Authorization": f"Bearer {wrong}", "Content-Type": "application/scim+json; charset=utf-8"},
        timeout=30,
    )

    assert_unauthorized(response)
    assert wrong not in logged_application.server.log


def test_token_absent_from_debug_log(logged_application: LiveApplication, logged_replay: ReplayRun) -> None:
    log = logged_application.server.log
    token = logged_application.token

    assert len(logged_replay.replay.exchanges) > 50
    assert " DEBUG " in log
    assert token not in log
    assert token[:16] not in log


def test_logged_replay_has_no_failed_steps(logged_replay: ReplayRun) -> None:
    assert logged_replay.failures == {}


def test_responses_are_scim_json(logged_replay: ReplayRun) -> None:
    wrong = [
        (exchange.step, exchange.status, exchange.headers.get("Content-Type"))
        for exchange in logged_replay.replay.exchanges
        if exchange.status != 204 and not exchange.headers.get("Content-Type", "").startswith("application/scim+json")
    ]

    assert wrong == []


def test_no_content_responses_have_no_body(logged_replay: ReplayRun) -> None:
    no_content = [exchange for exchange in logged_replay.replay.exchanges if exchange.status == 204]
    with_body = [(exchange.step, exchange.body, exchange.headers.get("Content-Type"))
                 for exchange in no_content if exchange.body or "Content-Type" in exchange.headers]

    assert len(no_content) > 5
    assert with_body == []


# One line per request: "<application> <method> <path> <status> <duration>ms id=<resource id>".
REQUEST_LINE = re.compile(
    r" INFO lime_scim\.web\.blueprint: (?P<application>\S+) (?P<method>[A-Z]+) (?P<path>\S+) "
    r"(?P<status>\d{3}) (?P<duration>\d+(?:\.\d+)?)ms id=(?P<id>\S+)$"
)


def replay_log_lines(run: ReplayRun) -> list[re.Match[str]]:
    """Return the request log lines of the replay's requests, in request order.

    Other tests of this module send requests to the same server too, so the replay's lines are
    found as the run of lines whose method, path and status match its requests.
    """
    lines = [REQUEST_LINE.search(line) for line in run.live.server.log.splitlines()]
    matches = [match for match in lines if match is not None and match["application"] == run.live.application]
    logged = [(match["method"], match["path"], int(match["status"])) for match in matches]
    sent = [(exchange.method, logged_path(exchange.url), exchange.status) for exchange in run.replay.exchanges]
    for start in range(len(logged) - len(sent) + 1):
        if logged[start:start + len(sent)] == sent:
            return matches[start:start + len(sent)]
    missing = [request for request in sent if request not in logged]
    pytest.fail(f"no run of {len(sent)} request log lines matches the replay's requests; "
                f"requests without any log line: {missing[:5]}")


def logged_path(url: str) -> str:
    """Return the path of ``url`` as the request line shows it: repeated slashes merged."""
    return re.sub("/{2,}", "/", urlsplit(url).path)


def test_one_log_line_per_request(logged_replay: ReplayRun) -> None:
    lines = replay_log_lines(logged_replay)

    assert len(lines) == len(logged_replay.replay.exchanges)


def expected_log_id(exchange: Exchange) -> str:
    """Return the resource id the request line should name: from the path, or a POST's new id."""
    tenant_path = urlsplit(exchange.url).path.split("/api/v1/scim", 1)[1]
    segments = [segment for segment in tenant_path.split("/") if segment]
    if len(segments) == 2:
        return segments[1]
    if exchange.method == "POST" and exchange.status == 201:
        return str(exchange.json()["id"])
    return "-"


def test_log_line_names_resource_id(logged_replay: ReplayRun) -> None:
    lines = replay_log_lines(logged_replay)
    wrong = [
        (exchange.step, expected_log_id(exchange), line["id"])
        for exchange, line in zip(logged_replay.replay.exchanges, lines)
        if line["id"] != expected_log_id(exchange)
    ]

    assert wrong == []


def test_log_line_has_duration(logged_replay: ReplayRun) -> None:
    durations = [float(line["duration"]) for line in replay_log_lines(logged_replay)]

    assert len(durations) == len(logged_replay.replay.exchanges)
    assert all(duration >= 0 for duration in durations)
