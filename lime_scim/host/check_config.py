"""``lime-scim check``: the scim settings of one application.

The loader has already validated structure and types, so these checks judge the values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config import ScimSettings
from .check_findings import Finding, error, ok, warning

# lime-scim token prints 128 hexadecimal characters (64 random bytes). A shorter token gets
# a warning, and one of fewer than 32 characters (16 bytes if hexadecimal) an error.
RECOMMENDED_TOKEN_LENGTH = 128
MIN_TOKEN_LENGTH = 32
# Shared record ids named in a finding. The finding gives the total count too.
MAX_EXAMPLES = 3


@dataclass(frozen=True, slots=True)
class SharedRecordId:
    """A record id that a [user] row and a [group] row both have."""

    record_id: int
    username: str
    group_name: str


def _key(settings: ScimSettings, part: str, name: str) -> str:
    return f"{settings.application}.{part}.scim.{name}"


def check_enabled(settings: ScimSettings) -> Finding:
    if settings.enabled:
        return ok("scim.enabled", "true, so the server serves this application.")
    return error(
        "scim.enabled",
        "false, so the server responds with 404 to every request for this application and Entra's "
        "Test Connection fails.",
        f"set {_key(settings, 'config', 'enabled')} to true.",
    )


def check_token(settings: ScimSettings) -> Finding:
    """Judge the token by its length. The finding never contains the token."""
    key = _key(settings, "secrets", "token")
    new_token = (f"generate a token with lime-scim token, set it as {key}, and enter the same "
                 "token as Secret Token in Entra.")
    token = settings.token
    if not token:
        return error("token", f"{key} is missing, so every request is rejected with 401.", new_token)

    length = len(token)
    if length < MIN_TOKEN_LENGTH:
        return error(
            "token",
            f"the token has {length} characters, fewer than {MIN_TOKEN_LENGTH}, which is too "
            "short to resist guessing.",
            new_token,
        )
    if length < RECOMMENDED_TOKEN_LENGTH:
        return warning(
            "token",
            f"the token has {length} characters, fewer than the {RECOMMENDED_TOKEN_LENGTH} "
            "that lime-scim token generates.",
            new_token,
        )
    return ok("token", f"present, {length} characters.")


def check_resource_ids(settings: ScimSettings, shared: Sequence[SharedRecordId] | None) -> Finding:
    """Judge use_legacy_resource_ids against the record ids that users and groups share.

    ``shared`` is None when the store could not be read.
    """
    key = _key(settings, "config", "use_legacy_resource_ids")
    if not settings.use_legacy_resource_ids:
        return ok("use_legacy_resource_ids", "false, so SCIM ids are opaque and unique across "
                                             "users and groups.")

    if shared:
        examples = ", ".join(
            f"user {item.username!r} and group {item.group_name!r} are both {item.record_id}"
            for item in shared[:MAX_EXAMPLES]
        )
        count = len(shared)
        noun = "record id is" if count == 1 else "record ids are"
        return error(
            "use_legacy_resource_ids",
            f"true, and {count} {noun} used by a user and a group alike ({examples}). With "
            "legacy ids these are also their SCIM ids, which makes Entra fail with "
            "DuplicateTargetEntries.",
            f"set {key} to false, which gives every user and group an opaque id and keeps the "
            "record ids Entra knows working. Then restart provisioning in Entra to clear the "
            "errors it has recorded.",
        )
    return warning(
        "use_legacy_resource_ids",
        "true, so SCIM ids are record ids. A user and a group can get the same record id, and "
        "Entra then fails with DuplicateTargetEntries.",
        f"set {key} to false. Record ids that Entra already knows keep working.",
    )
