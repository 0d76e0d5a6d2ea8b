"""lime_scim: a SCIM 2.0 service provider plugin for Lime CRM.

The Lime CRM web application finds this package through the ``lime_plugins`` entry point and
calls :func:`register_blueprint`, which serves SCIM at ``/<application>/api/v1/scim/``.

Layers, each importing only from the ones below it: ``web`` (Flask), ``provisioning`` (use
cases), ``mapping`` (label-driven resolver), ``scim`` (the protocol, framework-free),
``objectapi`` (the CRM port and the embedded store) and ``config``. ``host`` wires them into the
standalone ``lime-scim`` command.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Blueprint, Flask

logger = logging.getLogger(__name__)

__all__ = ["register_blueprint"]


def register_blueprint(app: Flask, config: Mapping[str, Any] | None = None) -> Blueprint:
    """Mount the SCIM blueprint on ``app`` and return it.

    ``config`` is the plugin's service-level configuration. Its ``provider`` entry is the
    :class:`~lime_scim.web.registry.ApplicationProvider` that looks up applications by name; the
    standalone host passes one backed by the embedded store. Without it, the provider is built
    from the ``application_config`` entry (a path to ``application_config.yaml``, default
    ``./application_config.yaml``) on the embedded store.
    """
    from .web.blueprint import create_blueprint
    from .web.paths import MergeSlashes

    options = dict(config or {})
    provider = options.get("provider")
    if provider is None:
        from pathlib import Path

        from .config import load_config
        from .host.applications import EmbeddedApplications

        path = Path(options.get("application_config", "application_config.yaml"))
        provider = EmbeddedApplications(load_config(path))
    blueprint = create_blueprint(provider)
    app.register_blueprint(blueprint)
    app.wsgi_app = MergeSlashes(app.wsgi_app)  # type: ignore[method-assign]
    app.extensions["lime_scim"] = provider
    logger.info("Mounted the SCIM blueprint at /<application>/api/v1/scim/")
    return blueprint
