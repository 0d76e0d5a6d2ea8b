"""Live servers, a small SCIM client and store checks for the reliability tests.

Every server here is a real ``lime-scim serve`` process on 127.0.0.1, started by the test that
uses it. Stores are SQLite files next to the config file, or fresh databases on the test
PostgreSQL server that ``tests/conftest.py`` starts on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.server import RunningServer, console_script, running_server, write_config

APPLICATION = "crm"
DATABASES = ("sqlite", "postgresql")
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_JSON = "application/scim+json"

# Generous, because two cores are shared with other test runs.
REQUEST_TIMEOUT_SECONDS = 60
EXPORT_TIMEOUT_SECONDS = 120
CONCURRENT_REQUESTS = 50


def new_token() -> str:
    """Return a token in the form lime-scim token prints: 128 hexadecimal characters."""
    return secrets.token_hex(64)


def database_url_for(database: str, request: pytest.FixtureRequest, folder: Path) -> str | None:
    """Return the database URL of a new store, or None for the default SQLite file.

    ``folder`` is the config file's folder, where the default SQLite file is created.
    """
    if database == "sqlite":
        return None
    server = request.getfixturevalue("postgres_server")
    return str(server.create_database())


def application_entry(
    token: str, *, database_url: str | None = None, enabled: bool = True, **scim: Any
) -> dict[str, Any]:
    """Return one application's entry of application_config.yaml."""
    config = {"enabled": enabled, "use_legacy_resource_ids": False, **scim}
    secret: dict[str, Any] = {"token": token}
    if database_url is not None:
        secret["database_url"] = database_url
    return {"config": {"scim": config}, "secrets": {"scim": secret}}


@dataclass
class LiveApp:
    """An application served by a running server, with its token and config file."""

    server: RunningServer
    config_path: Path
    token: str
    application: str = APPLICATION
    database: str = "sqlite"

    @property
    def tenant_url(self) -> str:
        return f"{self.server.base_url}/{self.application}/api/v1/scim"

    def client(self, token: str | None = None) -> ScimClient:
        return ScimClient(self.tenant_url, self.token if token is None else token)

    def export(self) -> StoreExport:
        return export_store(self.config_path, self.application)


@contextlib.contextmanager
def serve_app(
    folder: Path,
    *,
    database_url: str | None,
    workers: int = 2,
    threads: int = 4,
    scim: Mapping[str, Any] | None = None,
    extra_applications: Mapping[str, Any] | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[LiveApp]:
    """Write a config with one enabled application and serve it until the block ends."""
    token = new_token()
    config_path = folder / "application_config.yaml"
    applications = {APPLICATION: application_entry(token, database_url=database_url, **dict(scim or {}))}
    applications.update(extra_applications or {})
    write_config(config_path, applications)
    with running_server(config_path, workers=workers, threads=threads, extra_args=extra_args) as server:
        database = "sqlite" if database_url is None or database_url.startswith("sqlite") else "postgresql"
        yield LiveApp(server, config_path, token, database=database)


# ---------------------------------------------------------------------------------------------
# Client


@dataclass(frozen=True)
class Reply:
    """A response reduced to what the tests look at."""

    status: int
    body: Any
    headers: Mapping[str, str]

    @property
    def scim_type(self) -> str | None:
        return self.body.get("scimType") if isinstance(self.body, dict) else None

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", "")) if isinstance(self.body, dict) else ""


class ScimClient:
    """Sends SCIM requests to one tenant URL with a bearer token.

    Each call opens its own connection, so one client can be used from many threads.
    """

    def __init__(self, tenant_url: str, token: str) -> None:
        self.tenant_url = tenant_url
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> Reply:
        sent_headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None or data is not None:
            sent_headers["Content-Type"] = SCIM_JSON
        sent_headers.update(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
        response = requests.request(
            method, self.tenant_url + path, data=data, params=params, headers=sent_headers, timeout=timeout
        )
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = response.text
        return Reply(response.status_code, parsed, dict(response.headers))

    def create_user(self, user_name: str, **attributes: Any) -> Reply:
        return self.request("POST", "/Users", body={"schemas": [USER_URN], "userName": user_name, **attributes})

    def create_group(self, name: str, **attributes: Any) -> Reply:
        return self.request("POST", "/Groups", body={"schemas": [GROUP_URN], "displayName": name, **attributes})

    def patch(self, path: str, operations: list[dict[str, Any]]) -> Reply:
        return self.request("PATCH", path, body={"schemas": [PATCH_URN], "Operations": operations})

    def delete(self, path: str) -> Reply:
        return self.request("DELETE", path)


def require_created(reply: Reply) -> str:
    """Return the id of a created resource; fail with the response when it was not created."""
    assert reply.status == 201, f"expected 201, got {reply.status}: {reply.body}"
    return str(reply.body["id"])


def run_concurrently(calls: Sequence[Callable[[], Reply]], *, timeout: float = 180) -> list[Reply]:
    """Run ``calls`` at the same moment, one thread each, and return their replies in order.

    The threads wait at a barrier, so the requests leave together rather than one by one.
    """
    barrier = threading.Barrier(len(calls), timeout=60)

    def run(call: Callable[[], Reply]) -> Reply:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=timeout) for future in futures]


def status_counts(replies: Sequence[Reply]) -> Counter[int]:
    return Counter(reply.status for reply in replies)


def report(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """Print one result line of a run even when pytest captures output (shown with -s)."""
    with capsys.disabled():
        print(f"\n{line}", end="")


def mixed_case_variants(text: str, count: int) -> list[str]:
    """Return ``count`` spellings of ``text`` that differ only in letter case."""
    letters = [index for index, character in enumerate(text) if character.isalpha()]
    variants = []
    for number in range(count):
        characters = list(text)
        for bit, index in enumerate(letters):
            if (number >> (bit % 16)) & 1:
                characters[index] = characters[index].upper()
        variants.append("".join(characters))
    return variants


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---------------------------------------------------------------------------------------------
# Store


class ExportError(RuntimeError):
    """``lime-scim export`` failed."""


@dataclass(frozen=True)
class StoreExport:
    """The store as ``lime-scim export`` prints it."""

    data: dict[str, Any]
    coworker_link: str = "username"

    @property
    def users(self) -> list[dict[str, Any]]:
        return list(self.data["users"])

    @property
    def groups(self) -> list[dict[str, Any]]:
        return list(self.data["groups"])

    @property
    def memberships(self) -> list[dict[str, Any]]:
        return list(self.data["memberships"])

    @property
    def coworkers(self) -> list[dict[str, Any]]:
        return list(self.data["coworkers"]["objects"])

    def users_named(self, user_name: str) -> list[dict[str, Any]]:
        """Return the [user] rows whose username equals ``user_name`` without regard to case."""
        return [user for user in self.users if user["username"].lower() == user_name.lower()]

    def groups_named(self, name: str) -> list[dict[str, Any]]:
        return [group for group in self.groups if group["name"].lower() == name.lower()]

    def user_by_scim_id(self, scim_id: str) -> dict[str, Any] | None:
        found = [user for user in self.users if user["scim_id"] == scim_id]
        return found[0] if found else None

    def group_by_scim_id(self, scim_id: str) -> dict[str, Any] | None:
        found = [group for group in self.groups if group["scim_id"] == scim_id]
        return found[0] if found else None

    def coworkers_of(self, user_record_id: int) -> list[dict[str, Any]]:
        return [obj for obj in self.coworkers if obj.get(self.coworker_link) == user_record_id]

    def member_ids(self, group_record_id: int) -> set[int]:
        return {row["user_id"] for row in self.memberships if row["group_id"] == group_record_id}


def export_store(config_path: Path, application: str = APPLICATION) -> StoreExport:
    """Run ``lime-scim export`` and return the store it prints."""
    result = subprocess.run(
        [str(console_script()), "export", "--config", str(config_path), "--application", application],
        capture_output=True, text=True, timeout=EXPORT_TIMEOUT_SECONDS, check=False,
    )
    if result.returncode != 0:
        raise ExportError(f"lime-scim export exited with status {result.returncode}: {result.stderr.strip()}")
    return StoreExport(json.loads(result.stdout))


def consistency_problems(store: StoreExport) -> list[str]:
    """Return every broken store invariant, as readable lines; an empty list means consistent.

    The invariants: each SCIM-managed user has exactly one coworker, each coworker that links
    a user links an existing one, user names and group names are unique without regard to
    letter case, and each membership names an existing user and group.
    """
    problems: list[str] = []
    user_ids = {user["id"] for user in store.users}
    group_ids = {group["id"] for group in store.groups}

    for user in store.users:
        coworkers = store.coworkers_of(user["id"])
        if user["scim_managed"] and len(coworkers) != 1:
            problems.append(f"user {user['id']} ({user['username']!r}) has {len(coworkers)} coworkers")
    for coworker in store.coworkers:
        linked = coworker.get(store.coworker_link)
        if linked is not None and linked not in user_ids:
            problems.append(f"coworker {coworker['id']} links the missing user {linked}")

    user_names = Counter(user["username"].lower() for user in store.users)
    problems.extend(f"{count} users are named {name!r}" for name, count in user_names.items() if count > 1)
    group_names = Counter(group["name"].lower() for group in store.groups)
    problems.extend(f"{count} groups are named {name!r}" for name, count in group_names.items() if count > 1)

    for row in store.memberships:
        if row["user_id"] not in user_ids or row["group_id"] not in group_ids:
            problems.append(f"membership {row} names a missing user or group")
    return problems


# ---------------------------------------------------------------------------------------------
# Processes


def child_pids(pid: int) -> list[int]:
    """Return the PIDs of the direct children of ``pid`` (the gunicorn workers of a master)."""
    children: list[int] = []
    task_dir = Path(f"/proc/{pid}/task")
    with contextlib.suppress(FileNotFoundError):
        for task in task_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):
                children.extend(int(text) for text in (task / "children").read_text().split())
    return children


def wait_for_workers(pid: int, count: int, *, timeout: float = 30) -> list[int]:
    """Wait until the master ``pid`` has ``count`` workers and return their PIDs."""
    deadline = time.monotonic() + timeout
    workers = child_pids(pid)
    while len(workers) < count and time.monotonic() < deadline:
        time.sleep(0.1)
        workers = child_pids(pid)
    return workers


def kill_server_hard(server: RunningServer) -> list[int]:
    """SIGKILL the server's master and workers at once; return the PIDs that were killed.

    Only the server's own process and its children receive the signal.
    """
    workers = child_pids(server.pid)
    killed = [server.pid, *workers]
    for pid in killed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    server.process.wait(timeout=30)
    deadline = time.monotonic() + 30
    for pid in workers:
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            # A killed worker stays a zombie until init reaps it; a zombie holds no locks.
            if _is_zombie(pid):
                break
            time.sleep(0.05)
    return killed


def _is_zombie(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return status.rsplit(")", 1)[1].split()[0] == "Z"


@dataclass
class WorkerWatch:
    """The worker PIDs of a master at one moment, to tell later whether any was replaced."""

    master: int
    workers: set[int] = field(default_factory=set)

    @classmethod
    def take(cls, server: RunningServer, expected: int) -> WorkerWatch:
        return cls(server.pid, set(wait_for_workers(server.pid, expected)))

    def replaced(self) -> set[int]:
        """Return the workers of the first look that are gone now."""
        return self.workers - set(child_pids(self.master))
