"""Bearer token authentication (RFC 6750) against the application's shared secret."""

from __future__ import annotations

import hmac

from ..scim.errors import Unauthorized

_SCHEME = "bearer"


def check_bearer(authorization: str | None, expected_token: str) -> None:
    """Raise Unauthorized unless ``authorization`` carries ``expected_token``.

    Missing, malformed and wrong tokens get the same error, so a caller cannot tell them apart.
    The comparison takes constant time, so the token cannot be guessed from response times.
    """
    presented = ""
    if authorization:
        scheme, _, credentials = authorization.strip().partition(" ")
        if scheme.lower() == _SCHEME:
            presented = credentials.strip()
    if not hmac.compare_digest(presented.encode(), expected_token.encode()) or not presented:
        raise Unauthorized(
            "The bearer token is missing or invalid. Send 'Authorization: Bearer <token>' with the "
            "secret token configured for this application."
        )
