"""WSGI middleware that merges repeated slashes in SCIM request paths."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

_SCIM_PATH = re.compile(r"^/[^/]+/api/v1/scim(?:/|$)")
_REPEATED_SLASHES = re.compile(r"/{2,}")


class MergeSlashes:
    """Rewrite ``/app/api/v1/scim//Users`` to ``/app/api/v1/scim/Users`` before routing.

    Entra appends ``/Users`` to the tenant URL as the admin typed it, so a trailing slash in
    the tenant URL gives a doubled slash. Werkzeug responds to such a path with a redirect, which
    loses the body of a POST or PATCH; rewriting it in place avoids the redirect. Only paths
    under a SCIM tenant URL are touched.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: Any = environ.get("PATH_INFO", "")
        if "//" in path:
            merged = _REPEATED_SLASHES.sub("/", path)
            if _SCIM_PATH.match(merged):
                environ["PATH_INFO"] = merged
        return self.app(environ, start_response)
