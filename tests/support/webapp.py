"""The host's real Flask app on SQLite files, for tests that go through Flask's test client.

The configuration serves two enabled applications with different tokens, so tests can check
that one application's token opens only that application, and one disabled application.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask

from lime_scim.config import load_config
from lime_scim.host.app import create_app
from tests.support.server import write_config

TOKEN = "a1" * 64
OTHER_TOKEN = "b2" * 64
MAX_RESULTS = 3
BASE = "/myapp/api/v1/scim"
OTHER_BASE = "/otherapp/api/v1/scim"
DISABLED_BASE = "/offapp/api/v1/scim"
ENABLED_APPLICATIONS = ("myapp", "otherapp")

# myapp issues opaque ids and pages at MAX_RESULTS; otherapp keeps the defaults.
APPLICATIONS: dict[str, Any] = {
    "myapp": {
        "config": {"scim": {"enabled": True, "use_legacy_resource_ids": False, "max_results": MAX_RESULTS}},
        "secrets": {"scim": {"token": TOKEN}},
    },
    "otherapp": {
        "config": {"scim": {"enabled": True}},
        "secrets": {"scim": {"token": OTHER_TOKEN}},
    },
    "offapp": {
        "config": {"scim": {"enabled": False}},
        "secrets": {"scim": {"token": TOKEN}},
    },
}


def auth(token: str = TOKEN) -> dict[str, str]:
    """Return the Authorization header that carries ``token``."""
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def host_app(folder: Path) -> Iterator[Flask]:
    """Create the host's app for APPLICATIONS in ``folder`` and close its stores afterwards."""
    config_path = folder / "application_config.yaml"
    write_config(config_path, APPLICATIONS)
    app = create_app(load_config(config_path))
    try:
        yield app
    finally:
        provider = app.extensions["lime_scim"]
        for name in ENABLED_APPLICATIONS:
            provider.lookup(name).close()
