"""User use cases: create, read, search, replace, patch and soft-delete SCIM users.

A SCIM user is a ``[user]`` row plus the coworker object linked to it. Each request runs in one
unit of work, so a user and its coworker are written together or not at all, and a PATCH applies
all of its operations or none.

Matching and revival: userName is unique without regard to letter case. A POST whose userName
names a user that SCIM deleted revives that same ``[user]`` row and coworker. A POST whose
userName names a CRM user that SCIM never managed adopts it. A POST for a user that SCIM already
manages is a 409. A POST with a new userName whose externalId names a deleted user revives that
user under the new userName.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import RequestLimits
from ..mapping.resolver import MANAGER_PATH
from ..objectapi.port import GroupRecord, LimeObject, ObjectApi, ObjectLink, UnitOfWork, UserRecord
from ..scim.constants import USER_URN
from ..scim.errors import InvalidValue, NotFound, Uniqueness
from ..scim.patch import apply_patch, parse_patch_request
from ..scim.projection import Projection
from ..scim.search import SortKey
from ..scim.schemas import load_resource, parse_boolean
from .binding import BoundAttribute, UserBinding, read_slot, write_slot
from .common import Paging, check_version, list_response, meta, parse_optional_filter, store_errors
from .ids import ResourceIds
from .query import manager_ids, user_criteria, user_order

logger = logging.getLogger(__name__)

Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class UserState:
    """A user as stored: the ``[user]`` row and its coworker, which may not exist yet."""

    user: UserRecord
    coworker: LimeObject | None


class UserService:
    """The user use cases of one application."""

    def __init__(self, api: ObjectApi, binding: UserBinding, ids: ResourceIds, *, max_results: int,
                 limits: RequestLimits = RequestLimits()) -> None:
        self._api = api
        self._limits = limits
        self._binding = binding
        self._mapping = binding.mapping
        self._schema = binding.resource.schema
        self._definition = binding.resource.definition
        self._ids = ids
        self._max_results = max_results
        self._stored = binding.attributes
        self._link = ObjectLink(self._mapping.coworker.name, self._mapping.link_property)
        self._attribute_of_property = {
            bound.property.name: bound.path for bound in self._stored if bound.property is not None
        }
        self._attribute_of_field = {
            (self._link.limetype, name): path for name, path in self._attribute_of_property.items()
        }

    # ------------------------------------------------------------------------------------------
    # Reads

    def get(self, resource_id: str, *, base_url: str, projection: Projection = Projection()) -> dict[str, Any]:
        """Return the user's full representation.

        ``projection`` only decides whether ``groups`` is loaded; the caller applies it, as it
        does for every method here that returns a representation.
        """
        with self._api.unit_of_work() as uow:
            user = self._find(uow, resource_id)
            return self._render(uow, [self._state(uow, user)], base_url, projection)[0]

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
        """Return a ListResponse of the users that match ``filter_text``, sorted by ``sort``."""
        expr = parse_optional_filter(filter_text, self._limits)
        order = user_order(sort, self._binding, legacy_ids=self._ids.legacy)
        paging = Paging.from_query(start_index, count, self._max_results)

        with self._api.unit_of_work() as uow:
            managers = self._manager_coworker_ids(uow, manager_ids(expr))
            criteria = user_criteria(expr, self._binding, legacy_ids=self._ids.legacy, managers=managers)
            page = uow.query_users(criteria, link=self._link, offset=paging.start_index - 1, limit=paging.count,
                                   order=order)
            users: Sequence[UserRecord] = page.records  # type: ignore[assignment]
            states = self._states(uow, users)
            resources = self._render(uow, states, base_url, projection) if states else []
        return list_response(page.total, paging.start_index, resources)

    # ------------------------------------------------------------------------------------------
    # Writes

    def create(self, body: Any, *, base_url: str) -> dict[str, Any]:
        """Create the user, or revive/adopt the matching one; return the new representation."""
        values = self._values_from_body(body)
        managers: dict[int, UserRecord] = {}
        with self._api.unit_of_work(write=True) as uow, store_errors(self._attribute_of_field):
            state = self._match_for_create(uow, values)
            if state is None:
                user = uow.insert_user(username=values["userName"], fullname=values.get("displayName") or "",
                                       active=True, external_id=values.get("externalId"), scim_managed=True)
                state = UserState(user, None)
                old: Values = {}
                inserted = True
                logger.info("Created user %s (record %s)", self._ids.of_user(user), user.id)
            else:
                old = self._values(uow, state, managers)
                inserted = False
                logger.info("Revived or adopted user %s (record %s)", self._ids.of_user(state.user), state.user.id)
            if values.get("active") is None:
                # A POST without active creates an active user, also when it revives a deleted
                # one, whose stored active is false.
                values["active"] = True
            if state.user.scim_deleted:
                # A revival takes the POST as the whole new state, as a PUT does: a value the
                # deleted user had and the identity provider no longer sends is cleared.
                merged = values
            else:
                # An adopted CRM user keeps the CRM data of attributes the client did not send.
                merged = {**old, **{key: value for key, value in values.items() if value is not None}}
            state = self._write(uow, state, merged, old, revive=True, inserted=inserted, managers=managers)
            # A [user] row inserted by this request belongs to no group yet.
            known_groups: dict[int, Sequence[GroupRecord]] | None = {state.user.id: ()} if inserted else None
            return self._render(uow, [state], base_url, Projection(), known_groups=known_groups,
                                known_managers=managers)[0]

    def replace(self, resource_id: str, body: Any, *, base_url: str, if_match: str | None = None) -> dict[str, Any]:
        """Replace every stored attribute with the body's (RFC 7644 §3.5.1).

        ``if_match`` is the If-Match header; it is checked against the stored version inside
        the same transaction as the write (RFC 7644 §3.14).
        """
        values = self._values_from_body(body)
        if isinstance(body, Mapping) and isinstance(body.get("id"), str) and body["id"] != resource_id:
            raise InvalidValue(f"The id in the body ('{body['id']}') differs from the id in the URL "
                               f"('{resource_id}'). Leave id out or send the same one.")
        with self._api.unit_of_work(write=True) as uow, store_errors(self._attribute_of_field):
            state = self._state(uow, self._find(uow, resource_id, for_update=True))
            check_version(if_match, state.user)
            managers: dict[int, UserRecord] = {}
            old = self._values(uow, state, managers)
            if values.get("active") is None:
                values["active"] = old.get("active", True)
            state = self._write(uow, state, values, old, managers=managers)
            return self._render(uow, [state], base_url, Projection(), known_managers=managers)[0]

    def patch(self, resource_id: str, body: Any, *, base_url: str, if_match: str | None = None) -> dict[str, Any]:
        """Apply a PatchOp message atomically; return the new representation.

        ``if_match`` is checked as in :meth:`replace`.
        """
        operations = parse_patch_request(body, max_operations=self._limits.max_patch_operations)
        with self._api.unit_of_work(write=True) as uow, store_errors(self._attribute_of_field):
            state = self._state(uow, self._find(uow, resource_id, for_update=True))
            check_version(if_match, state.user)
            managers: dict[int, UserRecord] = {}
            old = self._values(uow, state, managers)
            resource = self._wire(old)
            patched = copy.deepcopy(resource)
            if apply_patch(patched, operations, self._definition):
                values = self._values_from_body(patched)
                if values.get("active") is None:
                    values["active"] = old.get("active", True)
                state = self._write(uow, state, values, old, managers=managers)
            return self._render(uow, [state], base_url, Projection(), known_managers=managers)[0]

    def delete(self, resource_id: str, *, if_match: str | None = None) -> None:
        """Deactivate the user and hide it from SCIM; no CRM data is removed (soft delete).

        ``if_match`` is checked as in :meth:`replace`.
        """
        with self._api.unit_of_work(write=True) as uow:
            state = self._state(uow, self._find(uow, resource_id, for_update=True))
            check_version(if_match, state.user)
            uow.update_user(state.user.id, {"active": False, "scim_deleted": True})
            inactive = self._inactive_property()
            if state.coworker is not None and inactive is not None:
                uow.update_object(self._mapping.coworker.name, state.coworker.id, {inactive: True})
            logger.info("Deleted user %s (record %s) softly", resource_id, state.user.id)

    # ------------------------------------------------------------------------------------------
    # Lookups

    def _find(self, uow: UnitOfWork, resource_id: str, *, for_update: bool = False) -> UserRecord:
        user = self._ids.find_user(uow, resource_id, for_update=for_update, link=self._link)
        if user is None or user.scim_deleted:
            raise NotFound(f"No user has the id '{resource_id}'.")
        return user

    def _state(self, uow: UnitOfWork, user: UserRecord) -> UserState:
        return self._states(uow, [user])[0]

    def _states(self, uow: UnitOfWork, users: Sequence[UserRecord]) -> list[UserState]:
        if not users:
            return []
        coworkers = uow.find_objects_in(self._link.limetype, self._link.user_property, [u.id for u in users])
        by_user = {obj.values.get(self._link.user_property): obj for obj in coworkers}
        return [UserState(user, by_user.get(user.id)) for user in users]

    def _match_for_create(self, uow: UnitOfWork, values: Values) -> UserState | None:
        # Each match is locked and read again before it is revived. On PostgreSQL a concurrent
        # POST can revive the same user between the lookup and the lock, and only the locked
        # read shows that. Without it both POSTs would revive the user and return 201.
        found = uow.find_user_by_username(values["userName"])
        if found is not None:
            existing = uow.get_user(found.id, for_update=True) or found
            if existing.scim_managed and not existing.scim_deleted:
                raise Uniqueness(
                    f"A user with userName '{existing.username}' already exists (id "
                    f"'{self._ids.of_user(existing)}'; userNames are compared without regard to letter "
                    "case). Match the existing user instead of creating a new one."
                )
            return self._state(uow, existing)
        external_id = values.get("externalId")
        if external_id:
            for candidate in uow.find_users_by_external_id(external_id):
                if not candidate.scim_deleted:
                    continue
                locked = uow.get_user(candidate.id, for_update=True)
                if locked is not None and locked.scim_deleted:
                    return self._state(uow, locked)
        return None

    def _manager_coworker_ids(self, uow: UnitOfWork, resource_ids: set[str]) -> dict[str, int | None]:
        """Return the coworker id of each user that ``resource_ids`` names, None for no match."""
        if not resource_ids:
            return {}
        users = self._ids.find_users(uow, sorted(resource_ids))
        live = {rid: user.id for rid, user in users.items() if not user.scim_deleted}
        coworkers = uow.find_objects_in(self._link.limetype, self._link.user_property, live.values())
        by_user = {obj.values.get(self._link.user_property): obj.id for obj in coworkers}
        return {rid: by_user.get(live[rid]) if rid in live else None for rid in resource_ids}

    def _inactive_property(self) -> str | None:
        bound = self._binding.attribute("active")
        return bound.property.name if bound is not None and bound.property is not None else None

    # ------------------------------------------------------------------------------------------
    # Values: one per mapped SCIM attribute path

    def _values_from_body(self, body: Any) -> Values:
        loaded = load_resource(self._schema, body)
        values: Values = {}
        for bound in self._stored:
            value = read_slot(loaded, bound.slot)
            # Microsoft's validation harness clears an attribute by sending "".
            values[bound.path] = None if value == "" else value
        user_name = values.get("userName")
        if not isinstance(user_name, str) or not user_name.strip():
            raise InvalidValue("The attribute 'userName' is required and must not be empty.")
        return values

    def _values(self, uow: UnitOfWork, state: UserState, known_managers: dict[int, UserRecord]) -> Values:
        managers = self._managers_by_coworker(uow, [state], known_managers)
        return self._values_of(state, managers)

    def _values_of(self, state: UserState, managers: Mapping[int, UserRecord]) -> Values:
        values: Values = {}
        for bound in self._stored:
            values[bound.path] = self._stored_value(bound, state, managers)
        return values

    def _stored_value(self, bound: BoundAttribute, state: UserState, managers: Mapping[int, UserRecord]) -> Any:
        if bound.user_column is not None:
            value = getattr(state.user, bound.user_column)
            return None if value == "" else value
        if state.coworker is None or bound.property is None:
            return None
        raw = state.coworker.values.get(bound.property.name)
        if raw is None or raw == "":
            return None
        if bound.kind == "manager":
            manager = managers.get(raw) if isinstance(raw, int) else None
            return self._ids.of_user(manager) if manager is not None else None
        if bound.kind == "boolean":
            return (not raw) if bound.inverted else bool(raw)
        if isinstance(raw, bool):
            return "true" if raw else "false"
        return raw if isinstance(raw, str) else str(raw)

    def _managers_by_coworker(self, uow: UnitOfWork, states: Sequence[UserState],
                              known: dict[int, UserRecord] | None = None) -> dict[int, UserRecord]:
        """Return, per manager coworker id, the manager's [user] record.

        ``known`` caches the records that this unit of work has read already. The managers
        read here are added to it.
        """
        bound = self._binding.attribute(MANAGER_PATH)
        if bound is None or bound.property is None:
            return {}
        coworker_ids = {s.coworker.values.get(bound.property.name) for s in states if s.coworker is not None}
        coworker_ids.discard(None)
        if not coworker_ids:
            return {}
        cached = known if known is not None else {}
        unread = [i for i in coworker_ids if isinstance(i, int) and i not in cached]
        if unread:
            cached.update(self._read_managers(uow, unread))
        return {coworker_id: cached[coworker_id] for coworker_id in coworker_ids if coworker_id in cached}

    def _read_managers(self, uow: UnitOfWork, coworker_ids: list[int]) -> dict[int, UserRecord]:
        coworkers = uow.get_objects(self._link.limetype, coworker_ids)
        user_ids = {cid: obj.values.get(self._link.user_property) for cid, obj in coworkers.items()}
        users = uow.get_users([uid for uid in user_ids.values() if isinstance(uid, int)])
        found: dict[int, UserRecord] = {}
        for coworker_id, user_id in user_ids.items():
            user = users.get(user_id) if isinstance(user_id, int) else None
            if user is not None and not user.scim_deleted:
                found[coworker_id] = user
        return found

    # ------------------------------------------------------------------------------------------
    # Writing values

    def _write(self, uow: UnitOfWork, state: UserState, new: Values, old: Values, *, revive: bool = False,
               inserted: bool = False, managers: dict[int, UserRecord] | None = None) -> UserState:
        """Write the changed values to the [user] row and the coworker; return the new state.

        ``inserted`` says that this unit of work inserted the [user] row with version 1, so only
        columns that differ from the inserted row are updated, and the new coworker does not bump
        the version. A new manager's record is added to ``managers``, by coworker id.
        """
        self._check_user_name_free(uow, state.user, new.get("userName"))
        user_changes: dict[str, object] = {}
        object_changes: dict[str, object] = {}
        for bound in self._stored:
            value = new.get(bound.path)
            if value == old.get(bound.path) and not (bound.property and state.coworker is None):
                continue
            self._collect(uow, state, bound, value, user_changes, object_changes, managers)

        if revive:
            user_changes.update({"scim_deleted": False, "scim_managed": True})
        elif not state.user.scim_managed:
            user_changes["scim_managed"] = True

        coworker = self._save_coworker(uow, state, object_changes)
        if inserted:
            user_changes = {column: value for column, value in user_changes.items()
                            if getattr(state.user, column) != value}
            user = uow.update_user(state.user.id, user_changes) if user_changes else state.user
        elif user_changes or coworker is not state.coworker:
            # The [user] row carries the resource's version and lastModified, and the store
            # bumps them only for a non-empty change. A change to the coworker alone therefore
            # rewrites scim_managed, which is already true, to bump them.
            user = uow.update_user(state.user.id, user_changes or {"scim_managed": True})
        else:
            user = state.user
        return UserState(user, coworker)

    def _check_user_name_free(self, uow: UnitOfWork, user: UserRecord, user_name: Any) -> None:
        """Raise Uniqueness when a rename would take the userName of another user.

        Checked before writing so the detail can say whether a deleted user holds the name,
        which no filter shows; the unique index still decides between concurrent requests.
        """
        if not isinstance(user_name, str) or user_name.lower() == user.username.lower():
            return
        holder = uow.find_user_by_username(user_name)
        if holder is None or holder.id == user.id:
            return
        if holder.scim_deleted:
            raise Uniqueness(
                f"The userName '{user_name}' belongs to a user that was deleted through SCIM (id "
                f"'{self._ids.of_user(holder)}'). POST a user with that userName to revive it, or "
                "choose another userName."
            )
        raise Uniqueness(
            f"The userName '{user_name}' is already used by the user with id "
            f"'{self._ids.of_user(holder)}' (userNames are compared without regard to letter case)."
        )

    def _collect(self, uow: UnitOfWork, state: UserState, bound: BoundAttribute, value: Any,
                 user_changes: dict[str, object], object_changes: dict[str, object],
                 managers: dict[int, UserRecord] | None) -> None:
        column = bound.user_column
        if column is not None:
            if column == "fullname":
                user_changes["fullname"] = value or ""
            elif column == "active":
                user_changes["active"] = True if value is None else bool(value)
            else:
                user_changes[column] = value
        if bound.property is None:
            return
        name = bound.property.name
        if bound.kind == "manager":
            object_changes[name] = self._manager_coworker_id(uow, state, value, managers)
        elif bound.kind == "boolean":
            active = True if value is None else bool(value)
            object_changes[name] = (not active) if bound.inverted else active
        else:
            object_changes[name] = _to_property(bound, value)

    def _manager_coworker_id(self, uow: UnitOfWork, state: UserState, manager_id: Any,
                             managers: dict[int, UserRecord] | None) -> int | None:
        if manager_id is None:
            return None
        if not isinstance(manager_id, str):
            raise InvalidValue("The manager must be given as the id of a user, as a string.")
        manager = self._ids.find_user(uow, manager_id)
        if manager is None or manager.scim_deleted:
            raise InvalidValue(f"The manager id '{manager_id}' does not name a user on this server. "
                               "Provision the manager first, then set the manager again.")
        if manager.id == state.user.id and state.coworker is not None:
            return state.coworker.id
        coworker = self._ensure_coworker(uow, manager)
        if managers is not None and manager.id != state.user.id:
            managers[coworker.id] = manager
        return coworker.id

    def _ensure_coworker(self, uow: UnitOfWork, user: UserRecord) -> LimeObject:
        existing = uow.find_objects(self._link.limetype, self._link.user_property, user.id)
        if existing:
            return existing[0]
        return self._insert_coworker(uow, user, {})

    def _save_coworker(self, uow: UnitOfWork, state: UserState, changes: dict[str, object]) -> LimeObject | None:
        limetype = self._link.limetype
        if state.coworker is not None:
            if not changes:
                return state.coworker
            return uow.update_object(limetype, state.coworker.id, changes)
        adopted = self._adoptable_coworker(uow, state.user)
        if adopted is not None:
            changes = {**changes, self._link.user_property: state.user.id}
            return uow.update_object(limetype, adopted.id, changes)
        return self._insert_coworker(uow, state.user, changes)

    def _adoptable_coworker(self, uow: UnitOfWork, user: UserRecord) -> LimeObject | None:
        """Return the one unlinked coworker whose Email is the user's userName, if any.

        Customer databases often hold coworkers that were entered before their users existed;
        linking them keeps their history instead of creating a second coworker.
        """
        email = self._binding.attribute('emails[type eq "work"].value')
        if email is None or email.property is None:
            return None
        found = uow.find_objects(self._link.limetype, email.property.name, user.username, case_exact=False)
        unlinked = [obj for obj in found if obj.values.get(self._link.user_property) is None]
        return unlinked[0] if len(unlinked) == 1 else None

    def _insert_coworker(self, uow: UnitOfWork, user: UserRecord, values: dict[str, object]) -> LimeObject:
        values = {key: value for key, value in values.items() if value is not None}
        values[self._link.user_property] = user.id
        for prop in self._mapping.coworker.properties.values():
            if prop.required and prop.default is None and values.get(prop.name) in (None, ""):
                attribute = self._attribute_of_property.get(prop.name)
                source = f" Send '{attribute}' for this user, or" if attribute else ""
                raise InvalidValue(
                    f"The coworker for user '{user.username}' cannot be created because its property "
                    f"'{prop.name}' is required and has no value.{source} give the property a default "
                    "value or a field label that the SCIM mapping fills."
                )
        return uow.insert_object(self._link.limetype, values)

    # ------------------------------------------------------------------------------------------
    # Rendering

    def _wire(self, values: Values) -> dict[str, Any]:
        """Return the stored values in wire form, the shape PATCH operations apply to."""
        data: dict[str, Any] = {}
        for bound in self._stored:
            value = values.get(bound.path)
            if bound.kind == "manager":
                if value is not None:
                    data.setdefault(bound.slot.attribute, {})[bound.slot.sub] = {"value": value}
                continue
            write_slot(data, bound.slot, value)
        return self._schema.dump(data)

    def _render(self, uow: UnitOfWork, states: Sequence[UserState], base_url: str, projection: Projection,
                *, known_groups: Mapping[int, Sequence[GroupRecord]] | None = None,
                known_managers: Mapping[int, UserRecord] | None = None) -> list[dict[str, Any]]:
        """Return the SCIM representations.

        ``known_groups`` replaces the read of the users' groups. ``known_managers`` contains the manager
        records that this unit of work read, by coworker id. The rendered users' own records are
        not taken from it, because this unit of work may have changed them since.
        """
        rendered_ids = {state.user.id for state in states}
        cached = {coworker_id: manager for coworker_id, manager in (known_managers or {}).items()
                  if manager.id not in rendered_ids}
        managers = self._managers_by_coworker(uow, states, cached)
        groups: Mapping[int, Sequence[GroupRecord]]
        if known_groups is not None:
            groups = known_groups
        elif projection.excludes("groups"):
            groups = {}
        else:
            groups = uow.groups_of_users([s.user.id for s in states])
        rendered = []
        for state in states:
            values = self._values_of(state, managers)
            data = self._representation(state, values, managers, base_url)
            data["groups"] = [
                {"value": self._ids.of_group(g), "ref": f"{base_url}/Groups/{self._ids.of_group(g)}",
                 "display": g.name, "type": "direct"}
                for g in groups.get(state.user.id, ()) if not g.scim_deleted
            ]
            rendered.append(self._schema.dump(data))
        return rendered

    def _representation(self, state: UserState, values: Values, managers: Mapping[int, UserRecord],
                        base_url: str) -> dict[str, Any]:
        resource_id = self._ids.of_user(state.user)
        data: dict[str, Any] = {"schemas": [USER_URN], "id": resource_id}
        for bound in self._stored:
            value = values.get(bound.path)
            if bound.kind != "manager":
                write_slot(data, bound.slot, value)
            elif value is not None:
                manager = next((m for m in managers.values() if self._ids.of_user(m) == value), None)
                reference = {"value": value, "ref": f"{base_url}/Users/{value}"}
                if manager is not None:
                    reference["display_name"] = manager.fullname or manager.username
                data.setdefault(bound.slot.attribute, {})[bound.slot.sub] = reference
        for urn, key in self._binding.resource.extension_keys.items():
            if data.get(key):
                data["schemas"].append(urn)
        data["meta"] = meta(state.user, "User", f"{base_url}/Users/{resource_id}")
        return data


def _to_property(bound: BoundAttribute, value: Any) -> object:
    """Convert a SCIM string value to the type of the coworker property that stores it."""
    prop = bound.property
    if value is None or prop is None:
        return value
    try:
        if prop.type == "integer":
            return int(value)
        if prop.type == "decimal":
            return float(value)
        if prop.type == "yesno":
            return parse_boolean(value)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"The value {value!r} of '{bound.path}' cannot be stored in the CRM field "
                           f"'{prop.name}', which holds {prop.type} values.") from error
    return value
