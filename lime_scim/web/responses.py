"""SCIM HTTP responses: every body is ``application/scim+json``."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from ..scim.constants import MEDIA_TYPE
from ..scim.errors import (
    MethodNotAllowed,
    ScimError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    error_document,
)


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return ``body`` serialised as a SCIM JSON response; None gives an empty body."""
    data = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    response = Response(data, status=status, headers=headers)
    if body is None:
        # An empty response has no media type; Flask would otherwise label it text/html.
        del response.headers["Content-Type"]
    else:
        response.content_type = MEDIA_TYPE
    return response


def error_response(error: ScimError) -> Response:
    """Return the SCIM Error response for ``error`` with the headers its status requires."""
    headers: dict[str, str] = {}
    if isinstance(error, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    if isinstance(error, MethodNotAllowed) and error.allowed:
        headers["Allow"] = ", ".join(error.allowed)
    if isinstance(error, (TooManyRequests, ServiceUnavailable)) and error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return scim_response(error_document(error), error.status, headers)
