"""The Flask blueprint that serves SCIM under ``/<application>/api/v1/scim/``."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter

from ..scim.errors import InternalError, NotFound, ScimError
from .auth import check_bearer
from .registry import ApplicationNotServed, ApplicationProvider
from .responses import error_response
from .routes import Call, find_handler

logger = logging.getLogger(__name__)

URL_PREFIX = "/<application>/api/v1/scim"
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_CONVERTER = "scim_rest"


class _RestOfPathConverter(PathConverter):
    """Matches the rest of the path, leading slashes included (Werkzeug's ``path`` does not)."""

    regex = ".*?"
    part_isolating = False


def _add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault(_CONVERTER, _RestOfPathConverter)


def create_blueprint(provider: ApplicationProvider, *, name: str = "lime_scim") -> Blueprint:
    """Return a blueprint that serves every application ``provider`` knows."""
    blueprint = Blueprint(name, __name__, url_prefix=URL_PREFIX)
    # Recorded first, so the converter exists before the rules below are added to the app.
    blueprint.record_once(_add_converter)

    def serve(application: str, subpath: str = "") -> Response:
        return _serve(provider, application, subpath)

    # merge_slashes=False and strict_slashes=False: "/scim//Users" and "/scim/Users/" must reach
    # the handler directly, because a redirect would drop the body of a POST or PATCH.
    for rule in ("", f"/<{_CONVERTER}:subpath>"):
        blueprint.add_url_rule(rule, view_func=serve, methods=_METHODS, strict_slashes=False,
                               merge_slashes=False, endpoint="serve" if rule == "" else f"serve{len(rule)}")
    return blueprint


def _serve(provider: ApplicationProvider, application: str, subpath: str) -> Response:
    started = time.perf_counter()
    segments = tuple(segment for segment in subpath.split("/") if segment)
    resource_id = segments[1] if len(segments) > 1 else "-"
    try:
        response = _handle(provider, application, segments)
    except ScimError as error:
        response = error_response(error)
        logger.debug("Application %s: %s %s failed: %s", application, request.method, request.path, error.detail)
    except Exception:  # noqa: BLE001 - the client gets a SCIM 500, the log gets the traceback
        logger.exception("Application %s: %s %s failed unexpectedly", application, request.method, request.path)
        response = error_response(InternalError())

    location = response.headers.get("Location")
    if response.status_code == 201 and location:
        # A POST has no id in its path, so the line names the resource it created.
        resource_id = location.rstrip("/").rsplit("/", 1)[-1]

    duration_ms = (time.perf_counter() - started) * 1000
    logger.info("%s %s %s %s %.1fms id=%s", application, request.method, request.path,
                response.status_code, duration_ms, resource_id)
    return response


def _handle(provider: ApplicationProvider, application: str, segments: tuple[str, ...]) -> Response:
    try:
        served = provider.lookup(application)
    except ApplicationNotServed as reason:
        logger.warning("Request for application %s not served: %s", application, reason)
        raise NotFound(f"No SCIM service is enabled for the application '{application}'.") from reason

    check_bearer(request.headers.get("Authorization"), served.token)
    handler = find_handler(request.method, segments)
    base_url = request.host_url.rstrip("/") + f"/{application}/api/v1/scim"
    return handler(Call(served, request, base_url, segments))
