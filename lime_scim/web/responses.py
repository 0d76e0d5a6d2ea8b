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


# Compact, with non-ASCII characters as UTF-8. One encoder serves every request, because
# json.dumps with options builds a new one per call and encode() keeps no state between calls.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def scim_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Return ``body`` serialised as a SCIM JSON response; None gives an empty body."""
    if body is not None:
        return Response(_ENCODER.encode(body).encode(), status=status, headers=headers, content_type=MEDIA_TYPE)
    response = Response(b"", status=status, headers=headers)
    # An empty response has no media type; Flask would otherwise label it text/html.
    del response.headers["Content-Type"]
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
