"""Fixtures for the object API tests: a store on a real SQLite file or PostgreSQL database."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import LimetypeInfo
from lime_scim.objectapi.sqlstore import SqlObjectApi, create_object_api

# A limetype with every property type, next to the default datamodel's limetypes.
SAMPLE_LIMETYPE = """
limetypes:
  sample:
    table_label: sample
    properties:
      title: {type: string, label: Title, length: 10}
      notes: {type: text}
      count: {type: integer}
      ratio: {type: decimal}
      due: {type: time}
      status: {type: option, length: 20, default: open}
      done: {type: yesno, default: false}
      code: {type: string, required: true, default: none}
      owner: {type: user}
      parent: {type: belongsto, related: sample}
"""


@pytest.fixture(scope="session")
def datamodel(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LimetypeInfo]:
    path = tmp_path_factory.mktemp("datamodel") / "sample.yaml"
    path.write_text(textwrap.dedent(SAMPLE_LIMETYPE), encoding="utf-8")
    return {**load_datamodel(default_datamodel_path()), **load_datamodel(path)}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: an SQLite file, or a database on the test server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def api(database_url: str, datamodel: dict[str, LimetypeInfo]) -> Iterator[SqlObjectApi]:
    store = create_object_api(database_url, datamodel)
    try:
        yield store
    finally:
        store.close()
