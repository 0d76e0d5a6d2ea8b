"""Scaling probes: does the cost of a request grow with the request or with the database?

The probe databases are seeded directly through the store adapter
(``lime_scim.objectapi.sqlstore.create_object_api``) in bulk before the server starts, because
100 000 users through HTTP would take most of the time budget. Then two ``lime-scim serve``
processes (one worker each) serve the small and the large store at once. Requests go one at a
time, so each latency is one request's own cost, and the two variants of a probe take turns, so
load from other processes on the machine falls on both alike:

- ``userName eq`` lookups of existing users, in a database of 100 users and in one of
  ``--probe-users`` users;
- adding one member to a group of 5 and to a group of ``--probe-members`` members (each add is
  undone by an untimed remove, so the groups keep their size);
- GET of both groups with ``excludedAttributes=members``.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.sqlstore import create_object_api

from .client import Session, milliseconds, percentile
from .postgres import BenchPostgres
from .servers import ProcessTree, ServerProcess, start_lime, write_lime_config
from .workload import PATCH_URN, Request, user_name

logger = logging.getLogger(__name__)

SMALL_DATABASE_USERS = 100
SMALL_GROUP_MEMBERS = 5
WARM_UP_REQUESTS = 20
SEED_BATCH = 5000
SEED_RANDOM = 20240917
COWORKER_LIMETYPE = "coworker"


@dataclass(frozen=True)
class ProbeSizes:
    """Sizes of the large probe database and how many timed requests each probe sends."""

    users: int
    members: int
    requests: int

    def check(self) -> None:
        if self.members + 2 * self.requests > self.users:
            raise ValueError(f"--probe-users ({self.users}) must exceed --probe-members ({self.members}) "
                             f"by twice --probe-requests ({self.requests}), so each add names a non-member")


@dataclass
class SeededStore:
    """SCIM ids of the seeded users and groups, and how long seeding took."""

    user_ids: list[str]
    group_ids: dict[str, str]
    seconds: float


def seed_store(url: str, users: int, groups: dict[str, int]) -> SeededStore:
    """Insert ``users`` users with coworkers, and groups whose members are the first users.

    ``groups`` maps a group name to its member count. Runs before the server starts.
    """
    started = time.perf_counter()
    api = create_object_api(url, load_datamodel(default_datamodel_path()))
    user_ids: list[str] = []
    record_ids: list[int] = []
    try:
        for first in range(0, users, SEED_BATCH):
            with api.unit_of_work(write=True) as uow:
                for index in range(first, min(users, first + SEED_BATCH)):
                    user = uow.insert_user(username=user_name(index), fullname=f"Bench User {index}", active=True,
                                           external_id=f"u{index:06d}", scim_managed=True)
                    uow.insert_object(COWORKER_LIMETYPE, {
                        "username": user.id, "name": f"Bench User {index}", "firstname": f"Bench{index}",
                        "lastname": "User", "email": user_name(index), "title": "Key Account Manager",
                        "inactive": False,
                    })
                    user_ids.append(user.scim_id)
                    record_ids.append(user.id)
        group_ids = {}
        with api.unit_of_work(write=True) as uow:
            for name, members in groups.items():
                group = uow.insert_group(name=name, external_id=name, scim_managed=True)
                uow.add_members(group.id, record_ids[:members])
                group_ids[name] = group.scim_id
    finally:
        api.close()
    return SeededStore(user_ids, group_ids, round(time.perf_counter() - started, 1))


@dataclass
class Series:
    """Requests of one probe variant, sent on one session; ``undo[i]`` follows ``requests[i]`` untimed."""

    session: Session
    requests: list[Request]
    undo: list[Request] = field(default_factory=list)


def _figures(latencies: list[float], errors: int) -> dict[str, Any]:
    latencies = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": errors,
        "p50_ms": milliseconds(percentile(latencies, 0.5)),
        "p95_ms": milliseconds(percentile(latencies, 0.95)),
        "p99_ms": milliseconds(percentile(latencies, 0.99)),
        "mean_ms": round(sum(latencies) / len(latencies) * 1000, 2) if latencies else None,
    }


def _alternate(small: Series, large: Series) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send the requests of both series in turns, one request at a time; return their latency figures.

    Taking turns spreads the load of other processes on the machine over both series alike.
    The first WARM_UP_REQUESTS of each series are not timed.
    """
    latencies: tuple[list[float], list[float]] = ([], [])
    errors = [0, 0]
    for position in range(min(len(small.requests), len(large.requests))):
        for slot, series in enumerate((small, large)):
            request = series.requests[position]
            status, _, latency = series.session.send(request)
            if status not in request.expected_status:
                errors[slot] += 1
            if series.undo:
                series.session.send(series.undo[position])
            if position >= WARM_UP_REQUESTS:
                latencies[slot].append(latency)
    return _figures(latencies[0], errors[0]), _figures(latencies[1], errors[1])


def _lookups(users: int, count: int, rng: random.Random) -> list[Request]:
    return [Request("lookup", "GET", f"/Users?filter=userName+eq+%22{user_name(rng.randrange(users))}%22")
            for _ in range(count)]


def _member_patch(group_id: str, user_id: str, *, add: bool) -> Request:
    operation = ({"op": "add", "path": "members", "value": [{"value": user_id}]} if add
                 else {"op": "remove", "path": f'members[value eq "{user_id}"]'})
    body = json.dumps({"schemas": [PATCH_URN], "Operations": [operation]}).encode()
    return Request("member", "PATCH", f"/Groups/{group_id}", body, frozenset({200, 204}))


def _serve(folder: Path, url: str, threads: int) -> ServerProcess:
    config_path, token = write_lime_config(folder, database_url=url)
    server = start_lime(folder, config_path=config_path, token=token, workers=1, threads=threads)
    server.wait_until_ready()
    return server


def _database_url(database: str, folder: Path, postgres: BenchPostgres | None) -> str:
    """Return the URL of a new store: a new PostgreSQL database or an SQLite file in ``folder``."""
    if database == "postgresql":
        if postgres is None:
            raise RuntimeError("the PostgreSQL probes need a running PostgreSQL server")
        return postgres.create_database()
    return f"sqlite:///{folder / 'bench.sqlite3'}"


def run_probes(database: str, sizes: ProbeSizes, workdir: Path, postgres: BenchPostgres | None,
               *, threads: int) -> dict[str, Any]:
    """Seed a small and a large store on ``database``, serve both at once, and time the probes."""
    sizes.check()
    rng = random.Random(SEED_RANDOM)
    count = sizes.requests + WARM_UP_REQUESTS
    result: dict[str, Any] = {"database": database, "users": sizes.users, "members": sizes.members,
                              "seeded_through": "lime_scim.objectapi.sqlstore.create_object_api, before the "
                                                "server started"}

    small_folder = Path(tempfile.mkdtemp(prefix=f"probe-small-{database}-", dir=workdir))
    small_url = _database_url(database, small_folder, postgres)
    seed_store(small_url, SMALL_DATABASE_USERS, {"probe group 5": SMALL_GROUP_MEMBERS})
    large_folder = Path(tempfile.mkdtemp(prefix=f"probe-large-{database}-", dir=workdir))
    large_url = _database_url(database, large_folder, postgres)
    logger.info("seeding %d users and a group of %d members on %s", sizes.users, sizes.members, database)
    seeded = seed_store(large_url, sizes.users,
                        {"probe group 5": SMALL_GROUP_MEMBERS, "probe group large": sizes.members})
    result["seed_seconds"] = seeded.seconds

    small_server = _serve(small_folder, small_url, threads)
    try:
        large_server = _serve(large_folder, large_url, threads)
    except BaseException:
        small_server.stop()
        raise
    tree = ProcessTree(large_server.pid)
    tree.start()
    small_session = Session(small_server.base_url, small_server.token)
    session = Session(large_server.base_url, large_server.token)
    try:
        result["idle_rss_mb"] = round(tree.rss_bytes() / 2**20, 1)
        result["lookup_small"], result["lookup_large"] = _alternate(
            Series(small_session, _lookups(SMALL_DATABASE_USERS, count, rng)),
            Series(session, _lookups(sizes.users, count, rng)))

        outsiders = seeded.user_ids[sizes.members:]
        adds = []
        gets = []
        for name in ("probe group 5", "probe group large"):
            group_id = seeded.group_ids[name]
            chosen = rng.sample(outsiders, count)
            adds.append(Series(session, [_member_patch(group_id, user, add=True) for user in chosen],
                               [_member_patch(group_id, user, add=False) for user in chosen]))
            gets.append(Series(session, [Request("group", "GET", f"/Groups/{group_id}?excludedAttributes=members")]
                               * count))
        result["member_add_small"], result["member_add_large"] = _alternate(*adds)
        result["group_get_small"], result["group_get_large"] = _alternate(*gets)
    finally:
        small_session.close()
        session.close()
        use = tree.stop()
        large_server.stop()
        small_server.stop()
    result["peak_rss_mb"] = use["peak_rss_mb"]
    return result
