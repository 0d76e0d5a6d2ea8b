"""Group use cases: create, read, search, replace, patch and soft-delete SCIM groups.

Groups are flat: members are users only. Member changes are applied as membership inserts and
deletes without loading the group's members, so adding one member costs the same for a group of
five and of fifty thousand. A POST whose displayName names a CRM group that SCIM never managed
adopts that group, and one that names a group SCIM deleted revives it. A POST for a group that
SCIM already manages is a 409.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from ..config import RequestLimits
from ..objectapi.port import GroupRecord, ObjectApi, UnitOfWork
from ..scim.constants import GROUP_URN
from ..scim.errors import InvalidValue, NotFound, Uniqueness
from ..scim.patch import MemberChange, apply_patch, parse_patch_request, split_member_operations
from ..scim.projection import Projection
from ..scim.search import SortKey
from ..scim.schemas import GROUP_DEFINITION, GROUP_SCHEMA, load_resource
from .common import Paging, check_version, list_response, meta, parse_optional_filter, store_errors
from .ids import ResourceIds
from .query import group_criteria, group_order

logger = logging.getLogger(__name__)


class GroupService:
    """The group use cases of one application."""

    def __init__(self, api: ObjectApi, ids: ResourceIds, *, max_results: int,
                 limits: RequestLimits = RequestLimits()) -> None:
        self._api = api
        self._limits = limits
        self._ids = ids
        self._max_results = max_results

    # ------------------------------------------------------------------------------------------
    # Reads

    def get(self, resource_id: str, *, base_url: str, projection: Projection = Projection()) -> dict[str, Any]:
        """Return the group's representation.

        ``projection`` only decides whether ``members`` is loaded; the caller applies it, as it
        does for every method here that returns a representation.
        """
        with self._api.unit_of_work() as uow:
            group = self._find(uow, resource_id)
            return self._render(uow, group, base_url, projection)

    def search(
        self,
        filter_text: str | None,
        *,
        start_index: int | None,
        count: int | None,
        base_url: str,
        projection: Projection = Projection(),
        sort: SortKey | None = None,
    ) -> dict[str, Any]:
        """Return a ListResponse of the groups that match ``filter_text``, sorted by ``sort``."""
        criteria = group_criteria(parse_optional_filter(filter_text, self._limits), legacy_ids=self._ids.legacy)
        order = group_order(sort, legacy_ids=self._ids.legacy)
        paging = Paging.from_query(start_index, count, self._max_results)
        with self._api.unit_of_work() as uow:
            page = uow.query_groups(criteria, offset=paging.start_index - 1, limit=paging.count, order=order)
            groups: Sequence[GroupRecord] = page.records  # type: ignore[assignment]
            resources = [self._render(uow, group, base_url, projection) for group in groups]
        return list_response(page.total, paging.start_index, resources)

    # ------------------------------------------------------------------------------------------
    # Writes

    def create(self, body: Any, *, base_url: str) -> dict[str, Any]:
        """Create the group, or adopt/revive the CRM group of that name."""
        loaded = load_resource(GROUP_SCHEMA, body)
        self._check_member_count(len(loaded.get("members") or ()))
        name = self._name(loaded)
        with self._api.unit_of_work(write=True) as uow, store_errors():
            existing = uow.find_group_by_name(name)
            if existing is not None:
                # Read the group again under a row lock, because on PostgreSQL a concurrent POST
                # can revive it between the lookup and the lock. This POST then gets 409.
                existing = uow.get_group(existing.id, for_update=True) or existing
            if existing is None:
                group = uow.insert_group(name=name, external_id=loaded.get("external_id"), scim_managed=True)
                logger.info("Created group %s (record %s)", self._ids.of_group(group), group.id)
            elif existing.scim_managed and not existing.scim_deleted:
                raise Uniqueness(
                    f"A group named '{existing.name}' already exists (id '{self._ids.of_group(existing)}'; "
                    "names are compared without regard to letter case). Match it instead of creating one."
                )
            else:
                group = uow.update_group(existing.id, {
                    "name": name, "active": True, "external_id": loaded.get("external_id"),
                    "scim_managed": True, "scim_deleted": False,
                })
                logger.info("Adopted or revived group %s (record %s)", self._ids.of_group(group), group.id)
            members = loaded.get("members")
            if members is not None:
                self._apply_member_changes(uow, group, [MemberChange("replace", self._member_ids(members))])
            return self._render(uow, group, base_url, Projection())

    def replace(self, resource_id: str, body: Any, *, base_url: str, if_match: str | None = None) -> dict[str, Any]:
        """Replace the group's name, externalId and members (RFC 7644 §3.5.1).

        ``if_match`` is the If-Match header; it is checked against the stored version inside
        the same transaction as the write (RFC 7644 §3.14).
        """
        loaded = load_resource(GROUP_SCHEMA, body)
        self._check_member_count(len(loaded.get("members") or ()))
        if isinstance(body, dict) and isinstance(body.get("id"), str) and body["id"] != resource_id:
            raise InvalidValue(f"The id in the body ('{body['id']}') differs from the id in the URL "
                               f"('{resource_id}'). Leave id out or send the same one.")
        with self._api.unit_of_work(write=True) as uow, store_errors():
            group = self._find(uow, resource_id, for_update=True)
            check_version(if_match, group)
            self._check_name_free(uow, group, self._name(loaded))
            group = uow.update_group(group.id, {"name": self._name(loaded),
                                                "external_id": loaded.get("external_id"),
                                                "scim_managed": True})
            members = loaded.get("members") or []
            self._apply_member_changes(uow, group, [MemberChange("replace", self._member_ids(members))])
            return self._render(uow, group, base_url, Projection())

    def patch(self, resource_id: str, body: Any, *, base_url: str,
              projection: Projection | None = None, if_match: str | None = None) -> dict[str, Any] | None:
        """Apply a PatchOp message atomically; return the group only when ``projection`` is given.

        ``if_match`` is checked as in :meth:`replace`.
        """
        parsed = parse_patch_request(body, max_operations=self._limits.max_patch_operations)
        operations, member_changes = split_member_operations(parsed)
        self._check_member_count(sum(len(change.ids) for change in member_changes))
        with self._api.unit_of_work(write=True) as uow, store_errors():
            group = self._find(uow, resource_id, for_update=True)
            check_version(if_match, group)
            current = self._wire(group)
            patched = copy.deepcopy(current)
            changed = apply_patch(patched, operations, GROUP_DEFINITION)
            if changed:
                loaded = load_resource(GROUP_SCHEMA, patched)
                self._check_name_free(uow, group, self._name(loaded))
                group = uow.update_group(group.id, {"name": self._name(loaded),
                                                    "external_id": loaded.get("external_id"),
                                                    "scim_managed": True})
            if self._apply_member_changes(uow, group, member_changes) and not changed:
                group = uow.update_group(group.id, {"scim_managed": True})
            if projection is None:
                return None
            return self._render(uow, group, base_url, projection)

    def delete(self, resource_id: str, *, if_match: str | None = None) -> None:
        """Deactivate the group and hide it from SCIM; memberships are kept (soft delete).

        ``if_match`` is checked as in :meth:`replace`.
        """
        with self._api.unit_of_work(write=True) as uow:
            group = self._find(uow, resource_id, for_update=True)
            check_version(if_match, group)
            uow.update_group(group.id, {"active": False, "scim_deleted": True})
            logger.info("Deleted group %s (record %s) softly", resource_id, group.id)

    # ------------------------------------------------------------------------------------------
    # Members

    def _check_member_count(self, count: int) -> None:
        limit = self._limits.max_members
        if count > limit:
            raise InvalidValue(f"The request names {count} members, but the maximum is {limit} (the max_members "
                               "setting). Send the members in several PATCH requests.")

    @staticmethod
    def _member_ids(members: Sequence[dict[str, Any]]) -> tuple[str, ...]:
        return tuple(member["value"] for member in members)

    def _apply_member_changes(self, uow: UnitOfWork, group: GroupRecord, changes: Sequence[MemberChange]) -> bool:
        changed = False
        for change in changes:
            if change.kind == "remove_all":
                changed |= uow.remove_all_members(group.id) > 0
            elif change.kind == "remove":
                users = self._ids.find_users(uow, list(change.ids))
                # Removing someone who is not a member, or no longer exists, changes nothing.
                changed |= uow.remove_members(group.id, [user.id for user in users.values()]) > 0
            else:
                user_ids = self._resolve_new_members(uow, change.ids)
                if change.kind == "replace":
                    changed |= uow.remove_all_members(group.id) > 0
                changed |= uow.add_members(group.id, user_ids) > 0
        return changed

    def _resolve_new_members(self, uow: UnitOfWork, resource_ids: Sequence[str]) -> list[int]:
        unique_ids = list(dict.fromkeys(resource_ids))
        users = self._ids.find_users(uow, unique_ids)
        missing = [rid for rid in unique_ids if rid not in users or users[rid].scim_deleted]
        if missing:
            groups = self._ids.find_groups(uow, missing)
            if groups:
                listed = ", ".join(f"'{rid}'" for rid in groups)
                raise InvalidValue(f"The members {listed} are groups. Nested groups are not supported: "
                                   "a group can only have users as members.")
            listed = ", ".join(f"'{rid}'" for rid in missing[:10])
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise InvalidValue(f"The member ids {listed}{more} do not name users on this server. "
                               "Provision those users before adding them to groups.")
        return [users[rid].id for rid in unique_ids]

    # ------------------------------------------------------------------------------------------
    # Helpers

    def _find(self, uow: UnitOfWork, resource_id: str, *, for_update: bool = False) -> GroupRecord:
        group = self._ids.find_group(uow, resource_id, for_update=for_update)
        if group is None or group.scim_deleted:
            raise NotFound(f"No group has the id '{resource_id}'.")
        return group

    def _check_name_free(self, uow: UnitOfWork, group: GroupRecord, name: str) -> None:
        """Raise Uniqueness when a rename would take the name of another group.

        Checked before writing so the detail can say whether a deleted group holds the name,
        which no filter shows; the unique index still decides between concurrent requests.
        """
        if name.lower() == group.name.lower():
            return
        holder = uow.find_group_by_name(name)
        if holder is None or holder.id == group.id:
            return
        if holder.scim_deleted:
            raise Uniqueness(
                f"The displayName '{name}' belongs to a group that was deleted through SCIM (id "
                f"'{self._ids.of_group(holder)}'). POST a group with that name to revive it, or "
                "choose another name."
            )
        raise Uniqueness(
            f"The displayName '{name}' is already used by the group with id "
            f"'{self._ids.of_group(holder)}' (names are compared without regard to letter case)."
        )

    @staticmethod
    def _name(loaded: dict[str, Any]) -> str:
        name = loaded.get("display_name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidValue("The attribute 'displayName' is required and must not be empty.")
        return name

    def _wire(self, group: GroupRecord) -> dict[str, Any]:
        data: dict[str, Any] = {"display_name": group.name}
        if group.external_id is not None:
            data["external_id"] = group.external_id
        return GROUP_SCHEMA.dump(data)

    def _render(self, uow: UnitOfWork, group: GroupRecord, base_url: str, projection: Projection) -> dict[str, Any]:
        resource_id = self._ids.of_group(group)
        data: dict[str, Any] = {
            "schemas": [GROUP_URN],
            "id": resource_id,
            "display_name": group.name,
            "meta": meta(group, "Group", f"{base_url}/Groups/{resource_id}"),
        }
        if group.external_id is not None:
            data["external_id"] = group.external_id
        # excludedAttributes=members must not load members at all: Entra sends it on every read.
        if not projection.excludes("members"):
            data["members"] = [
                {"value": self._ids.of_user(user), "ref": f"{base_url}/Users/{self._ids.of_user(user)}",
                 "display": user.fullname or user.username, "type": "User"}
                for user in uow.list_members(group.id) if not user.scim_deleted
            ]
        dumped: dict[str, Any] = GROUP_SCHEMA.dump(data)
        return dumped
