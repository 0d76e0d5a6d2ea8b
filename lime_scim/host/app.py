"""The standalone host's Flask application, which loads the plugin through its entry point."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from ..config import ConfigFile
from ..scim.errors import ScimError
from ..web.responses import error_response
from .applications import EmbeddedApplications

logger = logging.getLogger(__name__)

PLUGIN_GROUP = "lime_plugins"
PLUGIN_NAME = "lime-scim"


def _load_plugin() -> object:
    """Import the plugin the way the CRM server does: through the ``lime_plugins`` entry point."""
    for entry_point in entry_points(group=PLUGIN_GROUP):
        if entry_point.name == PLUGIN_NAME:
            return entry_point.load()
    raise RuntimeError(
        f"The entry point '{PLUGIN_NAME}' in group '{PLUGIN_GROUP}' is not installed; "
        "reinstall the package with 'pip install -e .' or 'pip install lime-scim'."
    )


def _scim_http_error(error: HTTPException) -> Response:
    # Paths outside any tenant URL still get a SCIM body, never Flask's HTML page.
    scim_error = ScimError(f"{error.name}: {request.path}")
    scim_error.status = error.code or 500
    return error_response(scim_error)


def create_app(config_file: ConfigFile) -> Flask:
    """Return the host's Flask app serving the enabled applications of ``config_file``."""
    app = Flask("lime_scim.host")
    provider = EmbeddedApplications(config_file)
    provider.open_all()
    plugin = _load_plugin()
    plugin.register_blueprint(app, {"provider": provider})  # type: ignore[attr-defined]
    app.register_error_handler(HTTPException, _scim_http_error)
    return app
