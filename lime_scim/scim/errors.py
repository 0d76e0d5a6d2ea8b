"""SCIM error types (RFC 7644 §3.12).

Each class carries the HTTP status and, where the RFC defines one, the ``scimType``. The web
layer renders any :class:`ScimError` as a SCIM Error body with :func:`error_document`.
"""

from __future__ import annotations

from typing import Any

from .constants import ERROR_URN


class ScimError(Exception):
    """Base class: an error that is reported to the client as a SCIM Error body."""

    status: int = 400
    scim_type: str | None = None
    default_detail: str = "The request is invalid."

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class InvalidFilter(ScimError):
    """The filter syntax is invalid or names an attribute that cannot be filtered."""

    scim_type = "invalidFilter"
    default_detail = "The filter is invalid."

    def __init__(self, detail: str | None = None, *, position: int | None = None) -> None:
        if detail is not None and position is not None:
            detail = f"{detail} (at position {position})"
        super().__init__(detail)
        self.position = position


class TooMany(ScimError):
    scim_type = "tooMany"
    default_detail = "The request would return too many results."


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"
    default_detail = "A resource with this unique value already exists."


class Mutability(ScimError):
    scim_type = "mutability"
    default_detail = "The attribute cannot be modified."


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"
    default_detail = "The request body is not a valid SCIM message."


class InvalidPath(ScimError):
    scim_type = "invalidPath"
    default_detail = "The attribute path is invalid."


class NoTarget(ScimError):
    scim_type = "noTarget"
    default_detail = "The path did not match any attribute or value."


class InvalidValue(ScimError):
    scim_type = "invalidValue"
    default_detail = "A value is missing, of the wrong type or not allowed."


class InvalidVersion(ScimError):
    scim_type = "invalidVers"
    default_detail = "The SCIM protocol version is not supported."


class Sensitive(ScimError):
    status = 403
    scim_type = "sensitive"
    default_detail = "The request contains sensitive information that cannot be accepted."


class Unauthorized(ScimError):
    status = 401
    default_detail = "Authentication is required: send 'Authorization: Bearer <token>'."


class Forbidden(ScimError):
    status = 403
    default_detail = "This operation is not allowed."


class NotFound(ScimError):
    status = 404
    default_detail = "The resource was not found."


class MethodNotAllowed(ScimError):
    status = 405
    default_detail = "This method is not allowed on this endpoint."

    def __init__(self, detail: str | None = None, *, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(detail)
        self.allowed = allowed


class Conflict(ScimError):
    status = 409
    default_detail = "The request conflicts with the current state of the resource."


class PreconditionFailed(ScimError):
    status = 412
    default_detail = "The resource version does not match the If-Match header."


class PayloadTooLarge(ScimError):
    status = 413
    default_detail = "The request body is too large."


class UnsupportedMediaType(ScimError):
    status = 415
    default_detail = "Send the body as application/scim+json or application/json."


class InternalError(ScimError):
    status = 500
    default_detail = "The server failed to process the request. The error was logged."


class TooManyRequests(ScimError):
    """The client sent more requests than the application's rate limit allows (RFC 6585 §4)."""

    status = 429
    default_detail = "Too many requests. Retry after the number of seconds in Retry-After."

    def __init__(self, detail: str | None = None, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(ScimError):
    """The request failed on a temporary condition; ``retry_after`` is in seconds, if known."""

    status = 503
    default_detail = "The service is temporarily unavailable. Retry later."

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class NotImplementedFeature(ScimError):
    status = 501
    default_detail = "This feature is not supported by this service provider."


def error_document(error: ScimError) -> dict[str, Any]:
    """Return the SCIM Error body for ``error`` (RFC 7644 §3.12)."""
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(error.status)}
    if error.scim_type is not None:
        body["scimType"] = error.scim_type
    body["detail"] = error.detail
    return body
