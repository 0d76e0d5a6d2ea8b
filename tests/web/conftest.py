"""Fixtures for the web tests: the host's real Flask app on SQLite files in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lime_scim.provisioning.application import ScimApplication
from tests.support.webapp import host_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with host_app(tmp_path) as flask_app:
        yield flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def myapp(app: Flask) -> ScimApplication:
    """The served application behind BASE, for tests that replace one of its services."""
    application: ScimApplication = app.extensions["lime_scim"].lookup("myapp")
    return application
