"""Bearer tokens for the SCIM endpoint."""

from __future__ import annotations

import secrets

# 64 random bytes, which token_hex writes as 128 hexadecimal characters.
TOKEN_BYTES = 64


def generate_token() -> str:
    """Return a new random bearer token of 128 lowercase hexadecimal characters."""
    return secrets.token_hex(TOKEN_BYTES)
