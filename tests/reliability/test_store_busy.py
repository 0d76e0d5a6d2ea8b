"""A database busy with other transactions: bounded retries inside the server, then 503.

The tests hold real locks from outside the server, the SQLite write lock or a PostgreSQL row
lock, and give the server a short busy timeout so that a request runs out of attempts quickly.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import StoreBusy, StoreUnavailable
from lime_scim.objectapi.sqlstore import create_object_api
from lime_scim.objectapi.sqlstore.errors import transient_error_of
from lime_scim.objectapi.sqlstore.tables import USER_TABLE
from lime_scim.provisioning import retry
from lime_scim.provisioning.retry import ATTEMPTS, BUSY_RETRY_AFTER_SECONDS
from lime_scim.scim.errors import ServiceUnavailable
from tests.reliability.live import (
    APPLICATION,
    ERROR_URN,
    LiveApp,
    WorkerWatch,
    require_created,
    serve_app,
    unique_name,
)
from tests.support.postgres import PostgresServer
from tests.support.server import free_port

BUSY_TIMEOUT_MS = 200


def sqlite_path(app: LiveApp) -> Path:
    return app.config_path.parent / f"{APPLICATION}.sqlite3"


def assert_busy_503(reply: object) -> None:
    assert reply.status == 503, reply.body  # type: ignore[attr-defined]
    assert reply.body["schemas"] == [ERROR_URN]  # type: ignore[attr-defined]
    assert reply.headers["Retry-After"] == str(BUSY_RETRY_AFTER_SECONDS)  # type: ignore[attr-defined]
    assert "busy" in reply.detail  # type: ignore[attr-defined]


def release_after_first_retry(app: LiveApp, release: Callable[[], object]) -> threading.Thread:
    """Start a thread that calls ``release`` once the server logs its first retry.

    The later attempts then find the lock free. The thread gives up after 30 seconds.
    """

    def wait_and_release() -> None:
        deadline = time.monotonic() + 30
        while "retrying in" not in app.server.log and time.monotonic() < deadline:
            time.sleep(0.01)
        release()

    thread = threading.Thread(target=wait_and_release)
    thread.start()
    return thread


# ---------------------------------------------------------------------------------------------
# SQLite


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_app(tmp_path, database_url=None, workers=2, threads=2,
                   scim={"busy_timeout_ms": BUSY_TIMEOUT_MS}) as app:
        yield app


def hold_sqlite_write_lock(path: Path) -> sqlite3.Connection:
    # A timer thread may release the lock, so the connection is not tied to this thread.
    connection = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    connection.execute("BEGIN IMMEDIATE")
    return connection


def test_workers_start_while_database_locked(tmp_path: Path) -> None:
    """Workers open the store while another process holds the write lock, and serve reads."""
    with serve_app(tmp_path, database_url=None, workers=1, threads=2) as first:
        require_created(first.client().create_user("existing.user"))
    lock = hold_sqlite_write_lock(tmp_path / f"{APPLICATION}.sqlite3")
    try:
        with serve_app(tmp_path, database_url=None, workers=3, threads=2,
                       scim={"busy_timeout_ms": BUSY_TIMEOUT_MS}) as app:
            watch = WorkerWatch.take(app.server, 3)
            replies = [app.client().request("GET", "/Users") for _ in range(6)]
            replaced = watch.replaced()
    finally:
        lock.rollback()
        lock.close()

    assert len(watch.workers) == 3
    assert replaced == set()
    assert [reply.status for reply in replies] == [200] * 6
    assert all(reply.body["totalResults"] == 1 for reply in replies)


def test_sqlite_locked_past_retries_503(sqlite_app: LiveApp) -> None:
    client = sqlite_app.client()
    name = unique_name("locked")
    lock = hold_sqlite_write_lock(sqlite_path(sqlite_app))
    try:
        started = time.monotonic()
        reply = client.create_user(name)
        elapsed = time.monotonic() - started
    finally:
        lock.rollback()
        lock.close()

    assert_busy_503(reply)
    # Every attempt waited out the busy timeout before it gave up.
    assert elapsed >= ATTEMPTS * BUSY_TIMEOUT_MS / 1000
    assert client.request("GET", "/Users", params={"filter": f'userName eq "{name}"'}).body["totalResults"] == 0
    assert require_created(client.create_user(name))
    assert f"failed after {ATTEMPTS} attempts because the database stayed busy" in sqlite_app.server.log


def test_sqlite_lock_released_request_retried(sqlite_app: LiveApp) -> None:
    client = sqlite_app.client()
    lock = hold_sqlite_write_lock(sqlite_path(sqlite_app))
    release = release_after_first_retry(sqlite_app, lock.rollback)
    try:
        reply = client.create_user(unique_name("retried"))
    finally:
        release.join()
        lock.close()

    assert reply.status == 201, reply.body
    assert "the database is busy" in sqlite_app.server.log


# ---------------------------------------------------------------------------------------------
# PostgreSQL


@pytest.fixture
def postgres_app(tmp_path: Path, postgres_url: str) -> Iterator[tuple[LiveApp, str]]:
    with serve_app(tmp_path, database_url=postgres_url, workers=2, threads=2,
                   scim={"busy_timeout_ms": BUSY_TIMEOUT_MS}) as app:
        yield app, postgres_url


def psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def hold_row_lock(url: str, user_id: str) -> psycopg.Connection:
    connection = psycopg.connect(psycopg_url(url))
    connection.execute(f"SELECT id FROM {USER_TABLE} WHERE scim_id = %s FOR UPDATE", (user_id,))
    return connection


def test_postgresql_row_locked_past_retries_503(postgres_app: tuple[LiveApp, str]) -> None:
    app, url = postgres_app
    client = app.client()
    user_id = require_created(client.create_user(unique_name("row.locked")))
    lock = hold_row_lock(url, user_id)
    try:
        reply = client.patch(f"/Users/{user_id}", [{"op": "replace", "path": "title", "value": "new"}])
    finally:
        lock.rollback()
        lock.close()

    assert_busy_503(reply)
    assert client.request("GET", f"/Users/{user_id}").body.get("title") is None
    assert "SQLSTATE 55P03" in app.server.log


def test_postgresql_lock_released_request_retried(postgres_app: tuple[LiveApp, str]) -> None:
    app, url = postgres_app
    client = app.client()
    user_id = require_created(client.create_user(unique_name("row.released")))
    lock = hold_row_lock(url, user_id)
    release = release_after_first_retry(app, lock.rollback)
    try:
        reply = client.patch(f"/Users/{user_id}", [{"op": "replace", "path": "title", "value": "new"}])
    finally:
        release.join()
        lock.close()

    assert reply.status == 200, reply.body
    assert reply.body["title"] == "new"


def test_postgresql_killed_connections_recover(postgres_app: tuple[LiveApp, str]) -> None:
    """The server's pooled connections are terminated; the next requests still succeed."""
    app, url = postgres_app
    client = app.client()
    require_created(client.create_user(unique_name("before.kill")))
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(psycopg_url(url), autocommit=True) as admin:
        terminated = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (database,),
        ).fetchone()
    assert terminated is not None and terminated[0] > 0

    replies = [client.create_user(unique_name("after.kill")) for _ in range(6)]

    assert [reply.status for reply in replies] == [201] * 6


# ---------------------------------------------------------------------------------------------
# How the store classifies real database errors


def test_deadlock_raises_store_busy(postgres_url: str) -> None:
    api = create_object_api(postgres_url, load_datamodel(default_datamodel_path()))
    try:
        with api.unit_of_work(write=True) as uow:
            first = uow.insert_user(username="deadlock.one").id
            second = uow.insert_user(username="deadlock.two").id
        other = psycopg.connect(psycopg_url(postgres_url))
        other.execute(f"SELECT id FROM {USER_TABLE} WHERE id = %s FOR UPDATE", (second,))
        raised: list[BaseException] = []
        locked_first = threading.Event()

        def lock_both() -> None:
            try:
                with api.unit_of_work(write=True) as uow:
                    uow.get_user(first, for_update=True)
                    locked_first.set()
                    uow.get_user(second, for_update=True)
            except BaseException as error:  # noqa: BLE001 - the test inspects it
                raised.append(error)

        worker = threading.Thread(target=lock_both)
        worker.start()
        assert locked_first.wait(timeout=30)
        time.sleep(0.2)
        # Closes the cycle: this session waits for the first row, which the worker holds.
        try:
            other.execute(f"SELECT id FROM {USER_TABLE} WHERE id = %s FOR UPDATE", (first,))
        except psycopg.errors.DeadlockDetected as error:
            raised.append(error)
        other.rollback()
        other.close()
        worker.join(timeout=60)
    finally:
        api.close()

    # PostgreSQL fails the session whose lock wait first outlasts deadlock_timeout (1 s by
    # default): the unit of work, which started waiting 0.2 s before the other session.
    assert len(raised) == 1
    assert isinstance(raised[0], StoreBusy), repr(raised[0])
    assert "40P01" in str(raised[0])


def test_serialization_failure_is_busy(postgres_url: str) -> None:
    engine = create_engine(postgres_url, isolation_level="SERIALIZABLE")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE counter (n integer)"))
            connection.execute(text("INSERT INTO counter VALUES (0)"))
        first, second = engine.connect(), engine.connect()
        first.begin()
        second.begin()
        first.execute(text("SELECT n FROM counter")).all()
        second.execute(text("SELECT n FROM counter")).all()
        first.execute(text("UPDATE counter SET n = n + 1"))
        first.commit()
        with pytest.raises(DBAPIError) as caught:
            second.execute(text("UPDATE counter SET n = n + 1"))
        second.rollback()
        first.close()
        second.close()
    finally:
        engine.dispose()

    assert isinstance(transient_error_of(caught.value), StoreBusy)


def test_refused_connection_is_unavailable() -> None:
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none",
                           connect_args={"connect_timeout": 5})
    try:
        with pytest.raises(DBAPIError) as caught:
            engine.connect()
    finally:
        engine.dispose()

    assert isinstance(transient_error_of(caught.value), StoreUnavailable)


def test_sqlite_busy_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    api = create_object_api(f"sqlite:///{path}", load_datamodel(default_datamodel_path()), busy_timeout_ms=50)
    lock = hold_sqlite_write_lock(path)
    try:
        with pytest.raises(StoreBusy), api.unit_of_work(write=True) as uow:
            uow.insert_user(username="never")
    finally:
        lock.rollback()
        lock.close()
        api.close()


def test_other_errors_not_transient(postgres_server: PostgresServer) -> None:
    engine = create_engine(postgres_server.url("postgres"))
    try:
        with pytest.raises(DBAPIError) as caught, engine.connect() as connection:
            connection.execute(text("SELECT no_such_column FROM pg_class"))
    finally:
        engine.dispose()

    assert transient_error_of(caught.value) is None


# ---------------------------------------------------------------------------------------------
# The retry loop


class FlakyAction:
    """Raises the given errors on its first calls, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def test_retry_returns_after_busy_attempt() -> None:
    action = FlakyAction(StoreBusy("locked"))

    assert retry.run_with_retries(action, description="test") == "done"
    assert action.calls == 2


def test_retry_gives_up_after_attempts() -> None:
    action = FlakyAction(*(StoreBusy("locked") for _ in range(retry.ATTEMPTS + 1)))

    with pytest.raises(ServiceUnavailable) as raised:
        retry.run_with_retries(action, description="test")

    assert action.calls == retry.ATTEMPTS
    assert raised.value.retry_after == BUSY_RETRY_AFTER_SECONDS
    assert raised.value.status == 503


def test_retry_stops_at_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retry, "RETRY_WINDOW_SECONDS", 0)
    action = FlakyAction(StoreBusy("locked"), StoreBusy("locked"))

    with pytest.raises(ServiceUnavailable, match="failed 1 times"):
        retry.run_with_retries(action, description="test")

    assert action.calls == 1


def test_unavailable_not_retried() -> None:
    action = FlakyAction(StoreUnavailable("connection refused"))

    with pytest.raises(ServiceUnavailable) as raised:
        retry.run_with_retries(action, description="test")

    assert action.calls == 1
    assert raised.value.retry_after == retry.UNAVAILABLE_RETRY_AFTER_SECONDS
