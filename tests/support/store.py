"""Read an application's embedded store through the real ``lime-scim export`` command.

Tests read the store this way, rather than through the store classes, so that they check the
output an operator gets, with the coworker's properties named as in the datamodel.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.server import console_script

EXPORT_TIMEOUT_SECONDS = 60


class ExportError(RuntimeError):
    """``lime-scim export`` failed."""


@dataclass(frozen=True)
class StoreExport:
    """The parsed output of ``lime-scim export``, with lookups by SCIM id and by name."""

    data: dict[str, Any]

    @property
    def users(self) -> list[dict[str, Any]]:
        return list(self.data["users"])

    @property
    def groups(self) -> list[dict[str, Any]]:
        return list(self.data["groups"])

    @property
    def coworkers(self) -> list[dict[str, Any]]:
        return list(self.data["coworkers"]["objects"])

    def user_by_username(self, username: str) -> dict[str, Any]:
        """Return the [user] row whose username equals ``username`` without regard to case."""
        found = [user for user in self.users if user["username"].lower() == username.lower()]
        if len(found) != 1:
            raise LookupError(f"{len(found)} users have the username {username!r}")
        return found[0]

    def user(self, resource_id: str) -> dict[str, Any]:
        """Return the [user] row that a SCIM id names: its opaque scim_id or its record id."""
        found = [user for user in self.users if resource_id in (user["scim_id"], str(user["id"]))]
        if len(found) != 1:
            raise LookupError(f"{len(found)} users have the SCIM id {resource_id!r}")
        return found[0]

    def group(self, resource_id: str) -> dict[str, Any]:
        """Return the [group] row that a SCIM id names: its opaque scim_id or its record id."""
        found = [group for group in self.groups if resource_id in (group["scim_id"], str(group["id"]))]
        if len(found) != 1:
            raise LookupError(f"{len(found)} groups have the SCIM id {resource_id!r}")
        return found[0]

    def group_by_name(self, name: str) -> dict[str, Any]:
        found = [group for group in self.groups if group["name"].lower() == name.lower()]
        if len(found) != 1:
            raise LookupError(f"{len(found)} groups have the name {name!r}")
        return found[0]

    def coworker(self, object_id: int) -> dict[str, Any]:
        """Return the coworker object with record id ``object_id``."""
        found = [obj for obj in self.coworkers if obj["id"] == object_id]
        if len(found) != 1:
            raise LookupError(f"{len(found)} coworkers have the id {object_id}")
        return found[0]

    def coworker_of_user(self, resource_id: str) -> dict[str, Any]:
        """Return the coworker linked to the user that a SCIM id names.

        The link is the coworker's ``username`` property, which contains the [user] record id.
        """
        user_id = self.user(resource_id)["id"]
        found = [obj for obj in self.coworkers if obj.get("username") == user_id]
        if len(found) != 1:
            raise LookupError(f"{len(found)} coworkers are linked to user {resource_id!r} (record {user_id})")
        return found[0]

    def member_ids(self, group_resource_id: str) -> set[int]:
        """Return the [user] record ids of the members of a group, deleted users included."""
        group_id = self.group(group_resource_id)["id"]
        return {row["user_id"] for row in self.data["memberships"] if row["group_id"] == group_id}


def export_store(config_path: Path, application: str) -> StoreExport:
    """Run ``lime-scim export`` for ``application`` and return its parsed output."""
    result = subprocess.run(
        [str(console_script()), "export", "--config", str(config_path), "--application", application],
        capture_output=True,
        text=True,
        timeout=EXPORT_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise ExportError(f"lime-scim export exited with status {result.returncode}: {result.stderr.strip()}")
    return StoreExport(json.loads(result.stdout))
