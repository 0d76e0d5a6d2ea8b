"""End-to-end tests: Entra's provisioning cycle on datamodels other than the packaged default.

Four datamodels are served: the packaged default, one with renamed properties and lower-case
label keys, one with labels missing, and one where two limetypes carry the coworker's table
label, so the config names the coworker limetype. Each case runs a live ``lime-scim serve``,
replays the cycle of both Entra dialects against it, and checks through ``lime-scim export``
that every value lands on the property that carries its label, whatever that property is
named. A fifth server runs a datamodel whose required coworker property nothing can fill, and
must reject user creation with an error that names the property and the fix.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.sqlstore import create_object_api
from tests.support.entra import CYCLE_FILES, DIALECTS, Replay, ReplayError, load_replay
from tests.support.server import RunningServer, running_server, write_config
from tests.support.store import StoreExport, export_store

APPLICATION = "crm"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "datamodels"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
REQUEST_TIMEOUT_SECONDS = 30

# The label keys of the default mapping's coworker properties.
DEFAULT_LABELS = {
    "name": "name",
    "firstname": "firstname",
    "lastname": "lastname",
    "primaryemailaddress": "email",
    "secondaryemailaddress": "email2",
    "jobtitle": "title",
    "businesstelephonenumber": "phone",
    "mobiletelephonenumber": "mobilephone",
    "hometelephonenumber": "homephone",
    "inactive": "inactive",
    "responsiblecoworker": "manager",
}


@dataclass(frozen=True)
class DatamodelCase:
    """A datamodel, and where its coworker stores what.

    ``by_label`` maps each label key that the datamodel carries to the property with that
    label. ``unlabelled`` lists properties that no SCIM attribute may write, and ``defaults``
    the required properties that only their default fills.
    """

    id: str
    datamodel: Path | None
    limetype: str
    link: str
    by_label: Mapping[str, str]
    unlabelled: tuple[str, ...]
    mappings: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    defaults: Mapping[str, object] = field(default_factory=dict)
    coworker_limetype: str | None = None

    def load(self) -> Any:
        return load_datamodel(self.datamodel or default_datamodel_path())


PACKAGED_DEFAULT = DatamodelCase("packaged-default", None, "coworker", "username", DEFAULT_LABELS, ("office",))
RENAMED = DatamodelCase(
    "renamed", FIXTURES / "renamed.yaml", "medarbetare", "anvandare",
    {
        "name": "namn",
        "firstname": "fornamn",
        "lastname": "efternamn",
        "primaryemailaddress": "epost",
        "secondaryemailaddress": "email",
        "jobtitle": "befattning",
        "businesstelephonenumber": "telefon",
        "mobiletelephonenumber": "mobiltelefon",
        "hometelephonenumber": "hemtelefon",
        "inactive": "inaktiv",
        "responsiblecoworker": "chef",
    },
    ("title", "kontor"),
    mappings={
        f"{ENTERPRISE}:department": {"label": "department"},
        f"{ENTERPRISE}:employeeNumber": {"property": "anstallningsnummer"},
    },
)
MISSING_LABELS = DatamodelCase(
    "missing-labels", FIXTURES / "missing_labels_with_default.yaml", "coworker", "username",
    {label: name for label, name in DEFAULT_LABELS.items() if label not in ("jobtitle", "hometelephonenumber")},
    ("title", "homephone"),
    defaults={"region": "Sweden"},
)
TWO_USER_TABLES = DatamodelCase(
    "two-user-tables", FIXTURES / "two_user_tables.yaml", "coworker", "username", DEFAULT_LABELS, ("office",),
    coworker_limetype="coworker",
)
CASES = (PACKAGED_DEFAULT, RENAMED, MISSING_LABELS, TWO_USER_TABLES)


@dataclass(frozen=True)
class SeededCrmUsers:
    """CRM users that one dialect's cycle finds in the store, stored before provisioning.

    ``linked``: a [user] row with a linked coworker, its username in other letter case.
    ``unlinked``: a [user] row without a coworker, and an unlinked coworker whose Email is
    that username. ``posted``: a [user] row without a coworker, which Entra POSTs.
    """

    linked_user_id: int
    linked_coworker_id: int
    unlinked_user_id: int
    unlinked_coworker_id: int
    posted_resource_id: str


@dataclass
class ServedCase:
    """A running server on one datamodel case."""

    case: DatamodelCase
    server: RunningServer
    config_path: Path
    token: str
    seeded: dict[str, SeededCrmUsers]

    @property
    def tenant_url(self) -> str:
        return f"{self.server.base_url}/{APPLICATION}/api/v1/scim"

    def get(self, path: str) -> requests.Response:
        return requests.get(self.tenant_url + path, headers={"Authorization": f"Bearer {self.token}"},
                            timeout=REQUEST_TIMEOUT_SECONDS)


@dataclass
class CycleRun:
    """A finished replay of one dialect's cycle, with the store at each checkpoint."""

    served: ServedCase
    dialect: str
    replay: Replay
    failures: dict[str, ReplayError] = field(default_factory=dict)
    exports: dict[str, StoreExport] = field(default_factory=dict)

    @property
    def case(self) -> DatamodelCase:
        return self.served.case

    def var(self, name: str) -> str:
        if name not in self.replay.variables:
            pytest.fail(f"the replay captured no {name}; failed steps: {sorted(self.failures)}")
        return self.replay.variables[name]

    def json(self, step: str) -> Any:
        if step in self.failures:
            pytest.fail(f"replay step {step!r} failed: {self.failures[step]}")
        return self.replay.json(step)

    def export(self, checkpoint: str) -> StoreExport:
        if checkpoint not in self.exports:
            pytest.fail(f"the replay did not reach the checkpoint {checkpoint!r}")
        return self.exports[checkpoint]

    def coworker(self, checkpoint: str, resource_id: str) -> dict[str, Any]:
        """Return the coworker linked to a user at a checkpoint, through this case's link property."""
        store = self.export(checkpoint)
        user_id = store.user(resource_id)["id"]
        found = [obj for obj in store.coworkers if obj.get(self.case.link) == user_id]
        if len(found) != 1:
            pytest.fail(f"{len(found)} coworkers have {self.case.link} = {user_id} at {checkpoint!r}")
        return found[0]

    def by_label(self, coworker: Mapping[str, Any], labels: Mapping[str, object]) -> dict[str, Any]:
        """Return the coworker's values of the labels the datamodel carries, by label key."""
        return {label: coworker[self.case.by_label[label]] for label in labels if label in self.case.by_label}

    def expected(self, labels: Mapping[str, object]) -> dict[str, object]:
        """Return ``labels`` without the ones the datamodel does not carry."""
        return {label: value for label, value in labels.items() if label in self.case.by_label}


def application_entry(case: DatamodelCase, token: str) -> dict[str, Any]:
    scim: dict[str, Any] = {"enabled": True, "use_legacy_resource_ids": False}
    if case.datamodel is not None:
        scim["datamodel"] = str(case.datamodel)
    if case.coworker_limetype is not None:
        scim["coworker_limetype"] = case.coworker_limetype
    if case.mappings:
        scim["mappings"] = {path: dict(target) for path, target in case.mappings.items()}
    return {"config": {"scim": scim}, "secrets": {"scim": {"token": token}}}


def seed_crm_users(database_url: str, case: DatamodelCase) -> dict[str, SeededCrmUsers]:
    """Store, per dialect, the CRM users that the cycle adopts, as the CRM would before SCIM."""
    email = case.by_label["primaryemailaddress"]
    name = case.by_label["name"]
    api = create_object_api(database_url, case.load())
    seeded: dict[str, SeededCrmUsers] = {}
    try:
        with api.unit_of_work(write=True) as uow:
            for dialect in DIALECTS:
                linked = uow.insert_user(username=f"Erik.Lund.{dialect}@Contoso-Example.se",
                                         fullname="Erik Lund (CRM)")
                linked_coworker = uow.insert_object(case.limetype, {
                    name: "Erik Lund (CRM)", email: f"erik.lund.{dialect}@contoso-example.se",
                    case.link: linked.id,
                })
                unlinked = uow.insert_user(username=f"lena.borg.{dialect}@contoso-example.se",
                                           fullname="Lena Borg (CRM)")
                unlinked_coworker = uow.insert_object(case.limetype, {
                    name: "Lena Borg (CRM)", email: f"Lena.Borg.{dialect}@contoso-example.se",
                })
                posted = uow.insert_user(username=f"nils.ahl.{dialect}@contoso-example.se",
                                         fullname="Nils Ahl (CRM)")
                seeded[dialect] = SeededCrmUsers(linked.id, linked_coworker.id, unlinked.id,
                                                 unlinked_coworker.id, posted.scim_id)
    finally:
        api.close()
    return seeded


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case.id)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCase]:
    case: DatamodelCase = request.param
    folder = tmp_path_factory.mktemp(case.id)
    config_path = folder / "application_config.yaml"
    token = secrets.token_hex(64)
    write_config(config_path, {APPLICATION: application_entry(case, token)})
    seeded = seed_crm_users(f"sqlite:///{(folder / f'{APPLICATION}.sqlite3').as_posix()}", case)
    with running_server(config_path) as server:
        yield ServedCase(case, server, config_path, token, seeded)


@pytest.fixture(scope="module", params=DIALECTS)
def cycle(request: pytest.FixtureRequest, served: ServedCase) -> CycleRun:
    dialect: str = request.param
    variables = {
        "RUN": uuid.uuid4().hex[:12], "GUID": str(uuid.uuid4()), "GUID2": str(uuid.uuid4()),
        "DIALECT": dialect, "CRM3_SEEDED": served.seeded[dialect].posted_resource_id,
    }
    run = CycleRun(served, dialect, Replay(served.tenant_url, served.token, variables=variables))

    def checkpoint(name: str) -> None:
        run.exports[name] = export_store(served.config_path, APPLICATION)

    run.failures = run.replay.run(load_replay(CYCLE_FILES[dialect]), checkpoint=checkpoint, keep_going=True)
    return run


# ----------------------------------------------------------------------------------------------
# The cycle


def test_cycle_has_no_failed_steps(cycle: CycleRun) -> None:
    assert cycle.failures == {}


def test_created_values_on_labelled_properties(cycle: CycleRun) -> None:
    store = cycle.export("provisioned")
    coworker = cycle.coworker("provisioned", cycle.var("M1"))
    run = cycle.var("RUN")
    sent = {
        "name": "Sven Ekholm",
        "firstname": "Sven",
        "lastname": "Ekholm",
        "primaryemailaddress": f"sven.ekholm.{run}@contoso-example.se",
        "secondaryemailaddress": f"sven.private.{run}@example.net",
        "jobtitle": "Head of Sales",
        "businesstelephonenumber": "+46 8 555 010 10",
        "mobiletelephonenumber": "+46 70 555 01 01",
        "hometelephonenumber": "+46 8 555 020 20",
        "inactive": False,
    }

    assert cycle.by_label(coworker, sent) == cycle.expected(sent)
    assert coworker[cycle.case.link] == store.user(cycle.var("M1"))["id"]


def test_unlabelled_properties_stay_empty(cycle: CycleRun) -> None:
    coworker = cycle.coworker("provisioned", cycle.var("M1"))

    assert {name: coworker[name] for name in cycle.case.unlabelled} == dict.fromkeys(cycle.case.unlabelled)


def test_required_property_gets_default(cycle: CycleRun) -> None:
    created = cycle.coworker("provisioned", cycle.var("M1"))
    adopted = cycle.coworker("provisioned", cycle.var("CRM2"))

    assert {name: created[name] for name in cycle.case.defaults} == dict(cycle.case.defaults)
    assert {name: adopted[name] for name in cycle.case.defaults} == dict(cycle.case.defaults)


def test_manager_on_responsible_coworker_property(cycle: CycleRun) -> None:
    manager = cycle.case.by_label["responsiblecoworker"]
    manager_id = cycle.coworker("provisioned", cycle.var("M1"))["id"]

    assert cycle.coworker("provisioned", cycle.var("U1"))[manager] == manager_id
    assert cycle.coworker("provisioned", cycle.var("U2"))[manager] == manager_id


def test_manager_change_on_responsible_coworker_property(cycle: CycleRun) -> None:
    manager = cycle.case.by_label["responsiblecoworker"]

    assert cycle.coworker("updated", cycle.var("U2"))[manager] == cycle.coworker("updated", cycle.var("U3"))["id"]


def test_updated_values_on_labelled_properties(cycle: CycleRun) -> None:
    coworker = cycle.coworker("updated", cycle.var("U1"))
    sent = {
        "name": "Ingrid Lund",
        "firstname": "Ingrid",
        "lastname": "Lund",
        "primaryemailaddress": f"ingrid.lund.{cycle.var('RUN')}@contoso-example.se",
        "jobtitle": "Senior Key Account Manager",
        "businesstelephonenumber": "+46 31 555 12 12",
        "mobiletelephonenumber": "+46 70 555 11 22",
        "hometelephonenumber": "+46 31 555 33 44",
    }

    assert cycle.by_label(coworker, sent) == cycle.expected(sent)


def test_disable_sets_inactive_property(cycle: CycleRun) -> None:
    inactive = cycle.case.by_label["inactive"]

    assert cycle.export("disabled").user(cycle.var("U3"))["active"] is False
    assert cycle.coworker("disabled", cycle.var("U3"))[inactive] is True
    assert cycle.coworker("disabled", cycle.var("U2"))[inactive] is True


def test_delete_keeps_coworker_inactive(cycle: CycleRun) -> None:
    row = cycle.export("deleted").user(cycle.var("U1"))

    assert row["scim_deleted"] is True
    assert row["active"] is False
    assert cycle.coworker("deleted", cycle.var("U1"))[cycle.case.by_label["inactive"]] is True


def test_revival_reuses_user_and_coworker(cycle: CycleRun) -> None:
    provisioned = cycle.coworker("provisioned", cycle.var("U1"))
    revived = cycle.coworker("revived", cycle.var("U1"))

    assert cycle.var("U1_REVIVED") == cycle.var("U1")
    assert cycle.var("U3_REVIVED") == cycle.var("U3")
    assert revived["id"] == provisioned["id"]
    assert revived[cycle.case.by_label["inactive"]] is False
    assert cycle.export("revived").user(cycle.var("U1"))["scim_deleted"] is False


def test_crm_coworkers_adopted(cycle: CycleRun) -> None:
    seeded = cycle.served.seeded[cycle.dialect]

    assert cycle.coworker("provisioned", cycle.var("CRM1"))["id"] == seeded.linked_coworker_id
    assert cycle.coworker("provisioned", cycle.var("CRM2"))["id"] == seeded.unlinked_coworker_id
    assert cycle.export("provisioned").user(cycle.var("CRM2"))["id"] == seeded.unlinked_user_id


# ----------------------------------------------------------------------------------------------
# Attributes without a label


def test_response_shows_only_stored_attributes(cycle: CycleRun) -> None:
    user = cycle.json("create manager")
    phone_types = {phone["type"] for phone in user.get("phoneNumbers", [])}

    assert ("title" in user) == ("jobtitle" in cycle.case.by_label)
    assert ("home" in phone_types) == ("hometelephonenumber" in cycle.case.by_label)
    assert "work" in phone_types


def test_schemas_list_only_stored_attributes(served: ServedCase) -> None:
    response = served.get(f"/Schemas/{USER_SCHEMA}")
    names = {attribute["name"] for attribute in response.json()["attributes"]}

    assert response.status_code == 200
    assert ("title" in names) == ("jobtitle" in served.case.by_label)
    assert "userName" in names
    assert "emails" in names


# ----------------------------------------------------------------------------------------------
# Configured mappings


@pytest.mark.parametrize("served", [RENAMED], ids=[RENAMED.id], indirect=True)
def test_extra_mappings_stored(cycle: CycleRun) -> None:
    created = cycle.coworker("provisioned", cycle.var("M1"))
    updated = cycle.coworker("updated", cycle.var("U1"))

    assert created["avdelning"] == "Sales"
    assert created["anstallningsnummer"] == 20117
    assert updated["avdelning"] == "Key Accounts"


@pytest.mark.parametrize("served", [RENAMED], ids=[RENAMED.id], indirect=True)
def test_extra_mappings_read_back(cycle: CycleRun) -> None:
    user = cycle.json("create manager")

    assert user[ENTERPRISE]["department"] == "Sales"
    assert user[ENTERPRISE]["employeeNumber"] == "20117"


# ----------------------------------------------------------------------------------------------
# A required property that nothing fills


@pytest.fixture(scope="module")
def unfillable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedCase]:
    case = DatamodelCase("no-default", FIXTURES / "missing_labels_without_default.yaml", "coworker",
                         "username", {}, ())
    folder = tmp_path_factory.mktemp(case.id)
    config_path = folder / "application_config.yaml"
    token = secrets.token_hex(64)
    write_config(config_path, {APPLICATION: application_entry(case, token)})
    with running_server(config_path) as server:
        yield ServedCase(case, server, config_path, token, {})


def test_unfillable_property_rejects_create(unfillable: ServedCase) -> None:
    replay = Replay(unfillable.tenant_url, unfillable.token)
    response = replay.send("POST", "/Users", {
        "schemas": [USER_SCHEMA],
        "userName": "ada.berg@contoso-example.se",
        "externalId": "aberg",
        "active": True,
        "displayName": "Ada Berg",
        "emails": [{"type": "work", "value": "ada.berg@contoso-example.se", "primary": True}],
    })
    detail = response.json()["detail"]

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert "'region' is required and has no value" in detail
    assert "give the property a default value or a field label that the SCIM mapping fills" in detail
    assert export_store(unfillable.config_path, APPLICATION).users == []


def test_unfillable_property_logged_not_per_request(unfillable: ServedCase) -> None:
    def logged_lines() -> list[str]:
        return [line for line in unfillable.server.log.splitlines()
                if "'region' is required" in line and "every user create will fail" in line]

    at_start = logged_lines()
    response = unfillable.get("/Users?filter=userName+eq+%22nobody%40contoso-example.se%22")

    assert response.status_code == 200
    assert len(at_start) >= 1
    assert logged_lines() == at_start
