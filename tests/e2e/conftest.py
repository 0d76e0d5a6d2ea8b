"""Live ``lime-scim serve`` processes for the end-to-end tests, one per store and id form.

Each server runs on a free port of 127.0.0.1 with a config file in a temporary folder. Its
store is an SQLite file next to the config, or a fresh database on the PostgreSQL test server.
Before the server starts, the store is seeded with CRM users that existed before provisioning,
so that the replays can check how Entra's lookups adopt them.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.sqlstore import create_object_api
from tests.support.entra import DIALECTS, Replay
from tests.support.server import RunningServer, running_server, write_config
from tests.support.store import StoreExport, export_store

APPLICATION = "crm"
DISABLED_APPLICATION = "archive"


@dataclass(frozen=True)
class StoreCase:
    """Which store a server runs on, and which form of SCIM ids it issues."""

    database: str
    legacy_ids: bool

    @property
    def label(self) -> str:
        return f"{self.database}-{'legacy-ids' if self.legacy_ids else 'opaque-ids'}"


STORE_CASES = (
    StoreCase("sqlite", legacy_ids=False),
    StoreCase("postgresql", legacy_ids=False),
    StoreCase("sqlite", legacy_ids=True),
)


@dataclass(frozen=True)
class SeededCrmUsers:
    """CRM users that one dialect's replay finds in the store, stored before provisioning.

    ``linked``: a [user] row with a coworker linked to it, its username in other letter case.
    ``unlinked``: a [user] row without a coworker, and an unlinked coworker whose Email is
    that username. ``posted``: a [user] row without a coworker, which Entra POSTs.
    """

    linked_user_id: int
    linked_coworker_id: int
    unlinked_user_id: int
    unlinked_coworker_id: int
    posted_user_id: int
    posted_resource_id: str


@dataclass
class LiveApplication:
    """The enabled application of a running server, and how to reach and inspect it."""

    server: RunningServer
    config_path: Path
    token: str
    case: StoreCase
    seeded: dict[str, SeededCrmUsers] = field(default_factory=dict)
    application: str = APPLICATION
    # An application of the same config file whose scim.enabled is false, if there is one.
    disabled_application: str | None = None

    @property
    def tenant_url(self) -> str:
        return self.tenant_url_of(self.application)

    def tenant_url_of(self, application: str) -> str:
        return f"{self.server.base_url}/{application}/api/v1/scim"

    def replay(self, **variables: str) -> Replay:
        """Return a replay client with fresh RUN, GUID and GUID2 values, plus ``variables``."""
        fresh = {"RUN": uuid.uuid4().hex[:12], "GUID": str(uuid.uuid4()), "GUID2": str(uuid.uuid4())}
        return Replay(self.tenant_url, self.token, variables={**fresh, **variables})

    def export(self) -> StoreExport:
        return export_store(self.config_path, self.application)


def application_entry(token: str, *, enabled: bool = True, legacy_ids: bool = False,
                      database_url: str | None = None) -> dict[str, Any]:
    """Return one application's config entry for write_config."""
    scim: dict[str, Any] = {"enabled": enabled, "use_legacy_resource_ids": legacy_ids}
    if database_url is not None:
        scim["database_url"] = database_url
    return {"config": {"scim": scim}, "secrets": {"scim": {"token": token}}}


def seed_crm_users(database_url: str, legacy_ids: bool) -> dict[str, SeededCrmUsers]:
    """Store, per dialect, the CRM users of SeededCrmUsers, as the CRM would before SCIM."""
    api = create_object_api(database_url, load_datamodel(default_datamodel_path()))
    seeded: dict[str, SeededCrmUsers] = {}
    try:
        with api.unit_of_work(write=True) as uow:
            for dialect in DIALECTS:
                linked = uow.insert_user(username=f"Erik.Lund.{dialect}@Contoso-Example.se",
                                         fullname="Erik Lund (CRM)", active=True, scim_managed=False)
                linked_coworker = uow.insert_object("coworker", {
                    "name": "Erik Lund (CRM)", "firstname": "Erik", "lastname": "Lund",
                    "email": f"erik.lund.{dialect}@contoso-example.se", "office": "Gothenburg",
                    "username": linked.id,
                })
                unlinked = uow.insert_user(username=f"lena.borg.{dialect}@contoso-example.se",
                                           fullname="Lena Borg (CRM)", active=True, scim_managed=False)
                unlinked_coworker = uow.insert_object("coworker", {
                    "name": "Lena Borg (CRM)", "lastname": "Borg",
                    "email": f"Lena.Borg.{dialect}@contoso-example.se", "office": "Malmö",
                })
                posted = uow.insert_user(username=f"nils.ahl.{dialect}@contoso-example.se",
                                         fullname="Nils Ahl (CRM)", active=True, scim_managed=False)
                seeded[dialect] = SeededCrmUsers(
                    linked_user_id=linked.id,
                    linked_coworker_id=linked_coworker.id,
                    unlinked_user_id=unlinked.id,
                    unlinked_coworker_id=unlinked_coworker.id,
                    posted_user_id=posted.id,
                    posted_resource_id=str(posted.id) if legacy_ids else posted.scim_id,
                )
    finally:
        api.close()
    return seeded


@pytest.fixture(scope="module", params=STORE_CASES, ids=lambda case: case.label)
def live_application(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveApplication]:
    """A server with one enabled application on the store of the parameter, seeded first."""
    case: StoreCase = request.param
    folder = tmp_path_factory.mktemp(case.label)
    config_path = folder / "application_config.yaml"
    if case.database == "postgresql":
        database_url = request.getfixturevalue("postgres_server").create_database()
    else:
        database_url = f"sqlite:///{(folder / 'crm.sqlite3').as_posix()}"

    token = secrets.token_hex(64)
    write_config(config_path, {APPLICATION: application_entry(token, legacy_ids=case.legacy_ids,
                                                              database_url=database_url)})
    seeded = seed_crm_users(database_url, case.legacy_ids)
    with running_server(config_path) as server:
        yield LiveApplication(server, config_path, token, case, seeded)


@pytest.fixture(scope="module")
def logged_application(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApplication]:
    """A server on SQLite that logs at DEBUG, next to a disabled application of the same file."""
    folder = tmp_path_factory.mktemp("debug-log")
    config_path = folder / "application_config.yaml"
    token = secrets.token_hex(64)
    write_config(config_path, {
        APPLICATION: application_entry(token),
        DISABLED_APPLICATION: application_entry(secrets.token_hex(64), enabled=False),
    })
    seeded = seed_crm_users(f"sqlite:///{(folder / f'{APPLICATION}.sqlite3').as_posix()}", legacy_ids=False)
    with running_server(config_path, extra_args=["--log-level", "DEBUG"]) as server:
        yield LiveApplication(server, config_path, token, StoreCase("sqlite", legacy_ids=False), seeded,
                              disabled_application=DISABLED_APPLICATION)
