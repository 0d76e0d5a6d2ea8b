"""SCIM resource ids, in the legacy form (database record id) or the opaque form.

With ``use_legacy_resource_ids`` the SCIM id of a user or a group is its record id, so a user
and a group can share an id and Entra may then fail with ``DuplicateTargetEntries``. Without it
the id is the opaque ``scim_id`` the store assigns, unique across users and groups. Record ids
issued under the legacy form still resolve in the opaque form, so a deployment can switch
without resetting Entra's provisioning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ..objectapi.port import GroupRecord, ObjectLink, UnitOfWork, UserRecord

RecordT = TypeVar("RecordT", UserRecord, GroupRecord)

# Longer digit strings cannot be record ids and would overflow a 64-bit column.
_MAX_RECORD_ID_DIGITS = 18


def parse_record_id(text: str) -> int | None:
    """Return ``text`` as a record id when it is a plain decimal number, else None."""
    if 0 < len(text) <= _MAX_RECORD_ID_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None


@dataclass(frozen=True, slots=True)
class ResourceIds:
    """Issues and resolves the SCIM ids of users and groups for one application."""

    legacy: bool

    def of_user(self, user: UserRecord) -> str:
        return str(user.id) if self.legacy else user.scim_id

    def of_group(self, group: GroupRecord) -> str:
        return str(group.id) if self.legacy else group.scim_id

    def find_user(self, uow: UnitOfWork, resource_id: str, *, for_update: bool = False,
                  link: ObjectLink | None = None) -> UserRecord | None:
        """Return the user that ``resource_id`` names in either id form, or None.

        ``link`` lets the store read the user's linked objects in the same statement.
        """
        record_id = parse_record_id(resource_id)
        if record_id is not None:
            return uow.get_user(record_id, for_update=for_update, link=link)
        return uow.get_user_by_scim_id(resource_id, for_update=for_update, link=link)

    def find_group(self, uow: UnitOfWork, resource_id: str, *, for_update: bool = False) -> GroupRecord | None:
        """Return the group that ``resource_id`` names in either id form, or None."""
        record_id = parse_record_id(resource_id)
        if record_id is not None:
            return uow.get_group(record_id, for_update=for_update)
        return uow.get_group_by_scim_id(resource_id, for_update=for_update)

    def find_users(self, uow: UnitOfWork, resource_ids: list[str]) -> dict[str, UserRecord]:
        """Return the users named by ``resource_ids`` (either form), keyed by the given id."""
        return _find_in_both_forms(resource_ids, uow.get_users, uow.get_users_by_scim_ids)

    def find_groups(self, uow: UnitOfWork, resource_ids: list[str]) -> dict[str, GroupRecord]:
        """Return the groups named by ``resource_ids`` (either form), keyed by the given id."""
        return _find_in_both_forms(resource_ids, uow.get_groups, uow.get_groups_by_scim_ids)


def _find_in_both_forms(
    resource_ids: list[str],
    by_record_ids: Callable[[list[int]], Mapping[int, RecordT]],
    by_scim_ids: Callable[[list[str]], Mapping[str, RecordT]],
) -> dict[str, RecordT]:
    """Look up record ids and opaque ids with one query each; key the results by given id."""
    numeric = {text: parse_record_id(text) for text in resource_ids}
    record_ids = [value for value in numeric.values() if value is not None]
    opaque = [text for text, value in numeric.items() if value is None]
    by_record = by_record_ids(record_ids) if record_ids else {}
    by_scim = by_scim_ids(opaque) if opaque else {}

    found: dict[str, RecordT] = {}
    for text, value in numeric.items():
        record = by_record.get(value) if value is not None else by_scim.get(text)
        if record is not None:
            found[text] = record
    return found
