"""The host's real Flask app on an SQLite file, for the protocol tests, and request helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from lime_scim.config import load_config
from lime_scim.host.app import create_app
from tests.support.server import write_config

TOKEN = "d4" * 64
BASE = "/app/api/v1/scim"
MAX_RESULTS = 5


@pytest.fixture
def client(tmp_path: Path) -> Iterator[FlaskClient]:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"app": {
        "config": {"scim": {"enabled": True, "use_legacy_resource_ids": False, "max_results": MAX_RESULTS}},
        "secrets": {"scim": {"token": TOKEN}},
    }})
    app = create_app(load_config(config_path))
    try:
        test_client = app.test_client()
        test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
        yield test_client
    finally:
        app.extensions["lime_scim"].lookup("app").close()


def created(client: FlaskClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``path`` and return the created resource."""
    response = client.post(f"{BASE}{path}", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    resource: dict[str, Any] = response.get_json()
    return resource
