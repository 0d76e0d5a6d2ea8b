"""The Flask blueprint that serves SCIM under ``/<application>/api/v1/scim/``."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass

from flask import Blueprint, Response, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import PathConverter
from werkzeug.sansio.utils import get_current_url

from ..provisioning.retry import run_with_retries
from ..scim.errors import InternalError, NotFound, ScimError, TooManyRequests, Unauthorized
from .auth import check_bearer
from .registry import ApplicationNotServed, ApplicationProvider
from .responses import error_response
from .routes import Call, find_handler
from .throttle import RateLimiters, ThrottledWarning

logger = logging.getLogger(__name__)

# Maximum number of characters of request text (path, application name, error detail) in a log line.
_MAX_LOGGED_CHARACTERS = 300

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
    """Return a blueprint that serves every application ``provider`` can look up."""
    blueprint = Blueprint(name, __name__, url_prefix=URL_PREFIX)
    # Recorded first, so the converter exists before the rules below are added to the app.
    blueprint.record_once(_add_converter)

    guards = _Guards(RateLimiters(), ThrottledWarning(logger))

    def serve(application: str, subpath: str = "") -> Response:
        return _serve(provider, guards, application, subpath)

    # merge_slashes=False and strict_slashes=False: "/scim//Users" and "/scim/Users/" must reach
    # the handler directly, because a redirect would drop the body of a POST or PATCH.
    for rule in ("", f"/<{_CONVERTER}:subpath>"):
        blueprint.add_url_rule(rule, view_func=serve, methods=_METHODS, strict_slashes=False,
                               merge_slashes=False, endpoint="serve" if rule == "" else f"serve{len(rule)}")
    return blueprint


@dataclass(frozen=True)
class _Guards:
    """The rate limiters and the failed-login log of one worker process, shared by all applications."""

    rate_limiters: RateLimiters
    failed_logins: ThrottledWarning


def loggable(text: str) -> str:
    """Return request text safe for one log line: control characters escaped, length capped.

    Paths and ids come from the client, so a raw line break in one could forge a log line.
    """
    if len(text) <= _MAX_LOGGED_CHARACTERS and text.isprintable():
        # Nothing to escape or cut, which is the usual case. str.isprintable() runs in C.
        return text
    escaped = "".join(
        character if character.isprintable() else character.encode("unicode_escape").decode("ascii")
        for character in text[: _MAX_LOGGED_CHARACTERS + 1]
    )
    if len(text) > _MAX_LOGGED_CHARACTERS:
        return f"{escaped[:_MAX_LOGGED_CHARACTERS]}... ({len(text)} characters)"
    return escaped


def _serve(provider: ApplicationProvider, guards: _Guards, application: str, subpath: str) -> Response:
    started = time.perf_counter()
    segments = tuple(segment for segment in subpath.split("/") if segment)
    resource_id = segments[1] if len(segments) > 1 else "-"
    path = loggable(request.path)
    name = loggable(application)
    try:
        response = _handle(provider, guards, application, segments)
    except ScimError as error:
        response = error_response(error)
        logger.debug("Application %s: %s %s failed: %s", name, request.method, path, loggable(error.detail))
    except Exception:  # noqa: BLE001 - the client gets a SCIM 500, the log gets the traceback
        logger.exception("Application %s: %s %s failed unexpectedly", name, request.method, path)
        response = error_response(InternalError())

    location = response.headers.get("Location")
    if response.status_code == 201 and location:
        # A POST has no id in its path, so the line names the resource it created.
        resource_id = location.rstrip("/").rsplit("/", 1)[-1]

    duration_ms = (time.perf_counter() - started) * 1000
    logger.info("%s %s %s %s %.1fms id=%s", name, request.method, path,
                response.status_code, duration_ms, loggable(resource_id))
    return response


def _handle(provider: ApplicationProvider, guards: _Guards, application: str, segments: tuple[str, ...]) -> Response:
    try:
        served = provider.lookup(application)
    except ApplicationNotServed as reason:
        logger.warning("Request for application %s not served: %s", loggable(application), reason)
        raise NotFound(f"No SCIM service is enabled for the application '{application}'.") from reason

    authorization = request.headers.get("Authorization")
    try:
        check_bearer(authorization, served.token)
    except Unauthorized:
        _log_failed_login(guards.failed_logins, application, authorization)
        raise

    wait = guards.rate_limiters.retry_after(application, served.rate_limit)
    if wait is not None:
        limit = served.rate_limit
        assert limit is not None  # retry_after returns None without a limit
        raise TooManyRequests(
            f"This application accepts {limit.per_second:g} requests per second (the rate_limit_per_second "
            f"setting) in bursts of up to {limit.burst}. Retry after {wait} seconds.",
            retry_after=wait,
        )

    handler = find_handler(request.method, segments)
    base_url = _base_url(request.scheme, request.host, request.root_path, application)
    call = Call(served, request, base_url, segments)
    description = f"Application {loggable(application)}: {request.method} {loggable(request.path)}"
    return run_with_retries(lambda: handler(call), description=description)


@functools.lru_cache(maxsize=256)
def _base_url(scheme: str, host: str, root_path: str, application: str) -> str:
    """Return the SCIM base URL of ``application`` as ``request.root_url`` would start it.

    ``root_path`` is the WSGI SCRIPT_NAME, so an app mounted under a path prefix returns
    locations that include the prefix. Cached because Werkzeug builds the URL through an IRI
    conversion on every request. The Host header comes from the client, so the cache is bounded.
    """
    return get_current_url(scheme, host, root_path).rstrip("/") + f"/{application}/api/v1/scim"


def _log_failed_login(failed_logins: ThrottledWarning, application: str, authorization: str | None) -> None:
    # The presented token is never logged, because it may be the real token of another application.
    address = request.remote_addr or "unknown"
    reason = "no Authorization header" if authorization is None else "a missing, malformed or wrong bearer token"
    failed_logins.warn(address, "Authentication failed for application %s from %s: %s %s with %s",
                       loggable(application), address, request.method, loggable(request.path), reason)
