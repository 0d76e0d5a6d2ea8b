"""Fixtures of the reliability tests: live servers on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.live import DATABASES, LiveApp, database_url_for, serve_app


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    """The name of the database a test's server runs on: sqlite or postgresql."""
    return str(request.param)


@pytest.fixture(scope="module", params=DATABASES)
def shared_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """One server per database for a whole module: 3 workers of 4 threads each.

    Tests that share it use names of their own, so they do not see each other's data.
    """
    folder = tmp_path_factory.mktemp(f"shared-{request.param}")
    database_url = database_url_for(str(request.param), request, folder)
    with serve_app(folder, database_url=database_url, workers=3, threads=4) as app:
        yield app
