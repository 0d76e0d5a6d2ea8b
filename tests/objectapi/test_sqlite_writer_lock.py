"""The SQLite engine queues the write transactions of one process on a lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import LimetypeInfo
from lime_scim.objectapi.sqlstore import create_object_api

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
