"""The SQLite engine queues write transactions on a lock, within a process and across processes."""

from __future__ import annotations

import fcntl
import os
import stat
import threading
import time
from pathlib import Path

import pytest

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import LimetypeInfo
from lime_scim.objectapi.sqlstore import create_object_api
from lime_scim.objectapi.sqlstore.writer_lock import LOCK_FILE_SUFFIX

BUSY_TIMEOUT_MS = 10_000
THREADS = 8
INSERTS_PER_THREAD = 20


@pytest.fixture
def datamodel() -> dict[str, LimetypeInfo]:
    return dict(load_datamodel(default_datamodel_path()))


def test_failed_write_releases_writer_lock(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> None:
    api = create_object_api(f"sqlite:///{tmp_path / 's.sqlite3'}", datamodel, busy_timeout_ms=BUSY_TIMEOUT_MS)
    try:
        with pytest.raises(RuntimeError):
            with api.unit_of_work(write=True) as uow:
                uow.insert_user(username="rolled-back")
                raise RuntimeError("fail the unit of work")

        started = time.monotonic()
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="next")
        # A leaked lock would make this unit wait out the whole busy timeout first.
        assert time.monotonic() - started < BUSY_TIMEOUT_MS / 1000 / 2
        with api.unit_of_work() as uow:
            assert uow.find_user_by_username("rolled-back") is None
            assert uow.find_user_by_username("next") is not None
    finally:
        api.close()


def test_concurrent_writers_all_commit(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> None:
    api = create_object_api(f"sqlite:///{tmp_path / 's.sqlite3'}", datamodel, busy_timeout_ms=BUSY_TIMEOUT_MS)
    errors: list[BaseException] = []

    def write(thread: int) -> None:
        try:
            for index in range(INSERTS_PER_THREAD):
                with api.unit_of_work(write=True) as uow:
                    uow.insert_user(username=f"user-{thread}-{index}")
        except BaseException as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with api.unit_of_work() as uow:
            for thread_number in range(THREADS):
                for index in range(INSERTS_PER_THREAD):
                    assert uow.find_user_by_username(f"user-{thread_number}-{index}") is not None
    finally:
        api.close()


# ---------------------------------------------------------------------------------------------
# Writers of other processes queue on the lock file. A second open file description of the
# lock file acts as another process here, because flock(2) locks belong to the open file.


def _hold_lock_file(path: Path) -> int:
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor


def test_lock_file_readable_by_owner_only(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> None:
    database = tmp_path / "s.sqlite3"
    api = create_object_api(f"sqlite:///{database}", datamodel)
    try:
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="first")
    finally:
        api.close()

    lock_file = Path(f"{database}{LOCK_FILE_SUFFIX}")
    assert lock_file.is_file()
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600


def test_writer_waits_for_other_process(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> None:
    database = tmp_path / "s.sqlite3"
    api = create_object_api(f"sqlite:///{database}", datamodel, busy_timeout_ms=BUSY_TIMEOUT_MS)
    descriptor = _hold_lock_file(Path(f"{database}{LOCK_FILE_SUFFIX}"))
    hold_seconds = 0.3
    releaser = threading.Timer(hold_seconds, fcntl.flock, args=(descriptor, fcntl.LOCK_UN))
    try:
        started = time.monotonic()
        releaser.start()
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="after-the-other-process")
        waited = time.monotonic() - started
    finally:
        releaser.join()
        os.close(descriptor)
        api.close()

    assert waited >= hold_seconds * 0.9
    assert waited < BUSY_TIMEOUT_MS / 1000 / 2


def test_lock_file_wait_times_out(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> None:
    """A lock file held past the busy timeout leaves the writer to SQLite's own lock."""
    database = tmp_path / "s.sqlite3"
    busy_timeout_ms = 200
    api = create_object_api(f"sqlite:///{database}", datamodel, busy_timeout_ms=busy_timeout_ms)
    descriptor = _hold_lock_file(Path(f"{database}{LOCK_FILE_SUFFIX}"))
    try:
        started = time.monotonic()
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="written-without-lock-file")
        waited = time.monotonic() - started
        with api.unit_of_work() as uow:
            stored = uow.find_user_by_username("written-without-lock-file")
    finally:
        os.close(descriptor)
        api.close()

    assert stored is not None
    assert waited >= busy_timeout_ms / 1000 * 0.9
