"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import (
    INSTALL_HINT,
    PostgresServer,
    find_postgres_bin_dir,
    start_postgres,
)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the whole test session, stopped at its end.

    Without PostgreSQL's server binaries the tests that use it are skipped, except under
    CI (the CI environment variable is set), where they fail so that they cannot be
    skipped unnoticed.
    """
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        message = f"PostgreSQL server binaries not found under /usr/lib/postgresql; {INSTALL_HINT}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    server = start_postgres(bin_dir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a new, empty PostgreSQL database for one test."""
    return postgres_server.create_database()
