"""The requests of an Entra ID provisioning cycle, built phase by phase.

The request shapes follow what Entra's provisioning service sends to a non-gallery SCIM app, in
its default dialect and in the ``aadOptscim062020`` dialect (Microsoft Learn, "Tutorial: Develop
and plan provisioning for a SCIM endpoint" and "Known issues and resolutions with SCIM 2.0
protocol compliance"). Each phase contains requests of one kind, so a kind's requests per second
is its count divided by the phase's wall time. Within one object the order is Entra's: the lookup
before the POST, the POST before the manager and member PATCHes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
# Entra adds this Microsoft schema URI to every group it creates.
ENTRA_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MANAGER_PATH = f"{ENTERPRISE_URN}:manager"
DEPARTMENT_PATH = f"{ENTERPRISE_URN}:department"

INITIAL = "initial"
INCREMENTAL = "incremental"

# Request kinds, in the order the cycles send them.
TEST_CONNECTION = "test connection"
USER_LOOKUP = "user lookup (userName eq)"
USER_CREATE = "user create (POST)"
MANAGER_PATCH = "manager PATCH"
GROUP_LOOKUP = "group lookup (displayName eq)"
GROUP_CREATE = "group create (POST)"
MEMBER_ADD_ONE = "member add, 1 per PATCH"
MEMBER_ADD_BATCH = "member add, batch PATCH"
USER_GET = "user GET by id"
USER_PATCH_DEFAULT = "user PATCH, default dialect"
USER_PATCH_FLAGGED = "user PATCH, aadOptscim062020"
USER_DISABLE = "user disable PATCH"
USER_DELETE = "user DELETE"
GROUP_GET = "group GET by id"
MEMBER_REMOVE_DEFAULT = "member remove, default dialect"
MEMBER_REMOVE_FLAGGED = "member remove, aadOptscim062020"

# Fractions of the users that the incremental cycle touches, as index strides: every 10th user
# is updated, every 20th disabled and every 50th deleted, each set starting at its own offset
# so the sets do not overlap for these strides.
UPDATE_STRIDE, UPDATE_OFFSET = 10, 3
DISABLE_STRIDE, DISABLE_OFFSET = 20, 7
DELETE_STRIDE, DELETE_OFFSET = 50, 11
# Every 10th user heads a team and has no manager. The others report to their team's head.
TEAM_SIZE = 10
# The incremental cycle removes this fraction of each group's members (at least one).
REMOVED_MEMBER_SHARE = 0.1

OK = frozenset({200})
CREATED = frozenset({201})
# RFC 7644 §3.5.2 allows 200 with the resource or 204 without it for a PATCH.
PATCHED = frozenset({200, 204})
NO_CONTENT = frozenset({204})


@dataclass(frozen=True)
class Sizes:
    """How many users, groups and memberships a cycle provisions."""

    users: int
    groups: int
    memberships: int
    batch_size: int

    def check(self) -> None:
        """Raise ValueError when the sizes cannot make a cycle."""
        if self.users < TEAM_SIZE:
            raise ValueError(f"users must be at least {TEAM_SIZE}, got {self.users}")
        if self.groups < 1:
            raise ValueError(f"groups must be at least 1, got {self.groups}")
        if self.memberships < 2 * self.groups:
            raise ValueError(f"memberships must be at least 2 per group ({2 * self.groups}), "
                             f"got {self.memberships}")
        if self.memberships > self.groups * self.users:
            raise ValueError(f"memberships ({self.memberships}) cannot exceed groups x users "
                             f"({self.groups * self.users})")
        if self.batch_size < 2:
            raise ValueError(f"batch size must be at least 2, got {self.batch_size}")


@dataclass
class Request:
    """One HTTP request of a phase and the response it expects."""

    kind: str
    method: str
    path: str
    body: bytes | None = None
    expected_status: frozenset[int] = OK
    # totalResults that a list response must report; None skips the check.
    expected_total: int | None = None
    # Called with the parsed JSON body of a successful response, for example to keep an id.
    on_body: Callable[[dict[str, Any]], None] | None = None


@dataclass
class Phase:
    """Requests of one kind, sent by all client threads at once."""

    cycle: str
    kind: str
    requests: list[Request]


@dataclass
class Adaptation:
    """A request form that a server rejects, and the form sent to it instead."""

    kind: str
    entra_form: str
    sent_form: str


@dataclass
class Forms:
    """Request forms that a server gets.

    ``entra_exact`` sends Entra's forms unchanged. A server that rejects some of them (the peer)
    gets the nearest RFC 7644 form instead, listed in :data:`PEER_ADAPTATIONS`.
    ``check_results`` also checks totalResults of lookups. The ceiling server returns a fixed
    body for every request, so its runs turn the check off.
    """

    entra_exact: bool = True
    check_results: bool = True


PEER_ADAPTATIONS = [
    Adaptation(MANAGER_PATCH, 'manager as a bare id: "value": "<id>"',
               'manager as a complex value: "value": {"value": "<id>"}'),
    Adaptation(GROUP_CREATE, f"schemas lists {ENTRA_GROUP_URN}", f"schemas lists only {GROUP_URN}"),
    Adaptation(MEMBER_REMOVE_DEFAULT, '"op": "Remove", "path": "members", "value": [{"value": "<id>"}]',
               '"op": "remove", "path": "members[value eq \\"<id>\\"]"'),
]


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def _patch(*operations: dict[str, Any]) -> bytes:
    return _json({"schemas": [PATCH_URN], "Operations": list(operations)})


def _filter(attribute: str, value: str) -> str:
    # Entra quotes the value and encodes spaces as '+': filter=userName+eq+%22a%40b.se%22
    return quote_plus(f'{attribute} eq "{value}"')


def user_name(index: int) -> str:
    return f"user{index:06d}@bench.example.com"


def group_name(index: int) -> str:
    return f"Bench Group {index:04d}"


def user_document(index: int) -> dict[str, Any]:
    """Return the POST body Entra sends for a new user with its default attribute mappings."""
    name = user_name(index)
    return {
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": f"u{index:06d}",
        "userName": name,
        "active": True,
        "displayName": f"Bench User {index}",
        "title": "Key Account Manager",
        "preferredLanguage": "sv-SE",
        "emails": [{"primary": True, "type": "work", "value": name}],
        "phoneNumbers": [{"type": "mobile", "value": f"+4670{index:07d}"}],
        "addresses": [{"type": "work", "formatted": "Floor 3", "postalCode": "21119", "country": "SE"}],
        "name": {"formatted": f"Bench User {index}", "familyName": "User", "givenName": f"Bench{index}"},
        ENTERPRISE_URN: {"employeeNumber": str(10000 + index), "department": "Sales"},
        "meta": {"resourceType": "User"},
        "roles": [],
    }


def group_document(index: int, *, entra_exact: bool) -> dict[str, Any]:
    """Return the POST body of a new group; Entra always creates groups without members."""
    schemas = [GROUP_URN, ENTRA_GROUP_URN] if entra_exact else [GROUP_URN]
    return {
        "schemas": schemas,
        "externalId": str(uuid.UUID(int=index + 1)),
        "displayName": group_name(index),
        "meta": {"resourceType": "Group"},
    }


def group_members(sizes: Sizes) -> list[list[int]]:
    """Return the user indexes of each group's members: M memberships spread over G groups.

    Group g takes consecutive users starting at g * (N / G), wrapping around, so groups overlap
    when M exceeds N and every user is in about M / N groups.
    """
    base, extra = divmod(sizes.memberships, sizes.groups)
    stride = max(1, sizes.users // sizes.groups)
    members = []
    for group in range(sizes.groups):
        count = base + (1 if group < extra else 0)
        start = group * stride
        members.append([(start + offset) % sizes.users for offset in range(count)])
    return members


def _round_robin(lists: list[list[Any]]) -> list[Any]:
    """Interleave the lists: the first item of each, then the second of each, and so on.

    NOTE: Entra's client concurrency is not documented. The benchmark assumes that it works on
    many objects at once but sends one request at a time per object, so concurrent member
    PATCHes name different groups.
    """
    interleaved = []
    for position in range(max((len(items) for items in lists), default=0)):
        interleaved.extend(items[position] for items in lists if position < len(items))
    return interleaved


def _is_deleted(index: int) -> bool:
    return index % DELETE_STRIDE == DELETE_OFFSET


@dataclass
class EntraWorkload:
    """Both cycles of one server's run; keeps the ids the server assigned.

    The phases are generators, because a phase needs the ids that the server returned to the
    phase before it.
    """

    sizes: Sizes
    forms: Forms = field(default_factory=Forms)
    user_ids: dict[int, str] = field(default_factory=dict)
    group_ids: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sizes.check()
        self._members = group_members(self.sizes)

    def _total(self, count: int) -> int | None:
        return count if self.forms.check_results else None

    def _keep_user_id(self, index: int) -> Callable[[dict[str, Any]], None]:
        def keep(body: dict[str, Any]) -> None:
            self.user_ids[index] = body["id"]
        return keep

    def _keep_group_id(self, index: int) -> Callable[[dict[str, Any]], None]:
        def keep(body: dict[str, Any]) -> None:
            self.group_ids[index] = body["id"]
        return keep

    # ------------------------------------------------------------------------------------------
    # Initial cycle

    def initial_phases(self) -> Iterator[Phase]:
        """Yield the phases of a first cycle into an empty server."""
        yield self._test_connection(INITIAL)
        users = range(self.sizes.users)
        yield Phase(INITIAL, USER_LOOKUP, [
            Request(USER_LOOKUP, "GET", f"/Users?filter={_filter('userName', user_name(i))}",
                    expected_total=self._total(0))
            for i in users
        ])
        yield Phase(INITIAL, USER_CREATE, [
            Request(USER_CREATE, "POST", "/Users", _json(user_document(i)), CREATED,
                    on_body=self._keep_user_id(i))
            for i in users
        ])
        yield Phase(INITIAL, MANAGER_PATCH, [
            self._manager_patch(i) for i in users if i % TEAM_SIZE and i in self.user_ids
        ])

        groups = range(self.sizes.groups)
        yield Phase(INITIAL, GROUP_LOOKUP, [
            Request(GROUP_LOOKUP, "GET",
                    f"/Groups?excludedAttributes=members&filter={_filter('displayName', group_name(g))}",
                    expected_total=self._total(0))
            for g in groups
        ])
        yield Phase(INITIAL, GROUP_CREATE, [
            Request(GROUP_CREATE, "POST", "/Groups",
                    _json(group_document(g, entra_exact=self.forms.entra_exact)), CREATED,
                    on_body=self._keep_group_id(g))
            for g in groups
        ])
        yield Phase(INITIAL, MEMBER_ADD_ONE, self._member_adds(single=True))
        yield Phase(INITIAL, MEMBER_ADD_BATCH, self._member_adds(single=False))

    def _test_connection(self, cycle: str) -> Phase:
        # Entra looks up a user that cannot exist, with a random GUID as userName. With group
        # provisioning on, it probes a group the same way.
        probe = str(uuid.uuid4())
        return Phase(cycle, TEST_CONNECTION, [
            Request(TEST_CONNECTION, "GET", f"/Users?filter={_filter('userName', probe)}",
                    expected_total=self._total(0)),
            Request(TEST_CONNECTION, "GET",
                    f"/Groups?excludedAttributes=members&filter={_filter('displayName', probe)}",
                    expected_total=self._total(0)),
        ])

    def _manager_patch(self, index: int) -> Request:
        manager_id = self.user_ids.get(index - index % TEAM_SIZE, "missing-manager")
        value: Any = manager_id if self.forms.entra_exact else {"value": manager_id}
        body = _patch({"op": "Add", "path": MANAGER_PATH, "value": value})
        return Request(MANAGER_PATCH, "PATCH", f"/Users/{self.user_ids[index]}", body, PATCHED)

    def _member_adds(self, *, single: bool) -> list[Request]:
        """Return member PATCHes: the first half of each group one member at a time, the rest in batches."""
        per_group = [list(self._member_adds_of(group, members, single=single))
                     for group, members in enumerate(self._members)]
        return _round_robin(per_group)

    def _member_adds_of(self, group: int, members: list[int], *, single: bool) -> Iterator[Request]:
        group_id = self.group_ids.get(group)
        if group_id is None:
            return
        ids = [self.user_ids[i] for i in members if i in self.user_ids]
        half = len(ids) // 2
        if single:
            batches = [[member] for member in ids[:half]]
        else:
            rest = ids[half:]
            size = self.sizes.batch_size
            batches = [rest[start:start + size] for start in range(0, len(rest), size)]
        kind = MEMBER_ADD_ONE if single else MEMBER_ADD_BATCH
        for batch in batches:
            body = _patch({"op": "Add", "path": "members",
                           "value": [{"$ref": None, "value": member} for member in batch]})
            yield Request(kind, "PATCH", f"/Groups/{group_id}", body, PATCHED)

    # ------------------------------------------------------------------------------------------
    # Incremental cycle

    def incremental_phases(self) -> Iterator[Phase]:
        """Yield the phases of a later cycle: reads, updates, disables, deletes, member removals."""
        yield self._test_connection(INCREMENTAL)
        known = sorted(self.user_ids)
        updated = [i for i in known if i % UPDATE_STRIDE == UPDATE_OFFSET]
        yield Phase(INCREMENTAL, USER_LOOKUP, [
            Request(USER_LOOKUP, "GET", f"/Users?filter={_filter('userName', user_name(i))}",
                    expected_total=self._total(1))
            for i in updated
        ])
        yield Phase(INCREMENTAL, USER_GET, [
            Request(USER_GET, "GET", f"/Users/{self.user_ids[i]}") for i in updated
        ])
        yield Phase(INCREMENTAL, USER_PATCH_DEFAULT, [
            self._default_user_patch(i) for i in updated[0::2]
        ])
        yield Phase(INCREMENTAL, USER_PATCH_FLAGGED, [
            self._flagged_user_patch(i) for i in updated[1::2]
        ])
        disabled = [i for i in known if i % DISABLE_STRIDE == DISABLE_OFFSET]
        yield Phase(INCREMENTAL, USER_DISABLE, [
            self._disable(i, flagged=position % 2 == 1) for position, i in enumerate(disabled)
        ])
        deleted = [i for i in known if _is_deleted(i)]
        yield Phase(INCREMENTAL, USER_DELETE, [
            Request(USER_DELETE, "DELETE", f"/Users/{self.user_ids[i]}", None, NO_CONTENT)
            for i in deleted
        ])

        groups = sorted(self.group_ids)
        yield Phase(INCREMENTAL, GROUP_LOOKUP, [
            Request(GROUP_LOOKUP, "GET",
                    f"/Groups?excludedAttributes=members&filter={_filter('displayName', group_name(g))}",
                    expected_total=self._total(1))
            for g in groups
        ])
        yield Phase(INCREMENTAL, GROUP_GET, [
            Request(GROUP_GET, "GET", f"/Groups/{self.group_ids[g]}?excludedAttributes=members")
            for g in groups
        ])
        removals = self._member_removals()
        yield Phase(INCREMENTAL, MEMBER_REMOVE_DEFAULT, [
            self._remove_member(group, member, flagged=False) for group, member in removals[0::2]
        ])
        yield Phase(INCREMENTAL, MEMBER_REMOVE_FLAGGED, [
            self._remove_member(group, member, flagged=True) for group, member in removals[1::2]
        ])

    def exact_entra_forms(self) -> list[Request]:
        """Return one request in each Entra form of PEER_ADAPTATIONS, aimed at objects of this run.

        Sent after the cycles, untimed, to record the status a server returns for Entra's own forms.
        """
        users = sorted(self.user_ids)
        groups = sorted(self.group_ids)
        if len(users) < 2 or not groups:
            return []
        exact = EntraWorkload(self.sizes, Forms(entra_exact=True), self.user_ids, self.group_ids)
        group_id, member_id = self.group_ids[groups[0]], self.user_ids[users[1]]
        return [
            exact._manager_patch(users[1]),
            Request(GROUP_CREATE, "POST", "/Groups",
                    _json(group_document(self.sizes.groups, entra_exact=True)), CREATED),
            Request(MEMBER_REMOVE_DEFAULT, "PATCH", f"/Groups/{group_id}",
                    _patch({"op": "Remove", "path": "members", "value": [{"value": member_id}]}), PATCHED),
        ]

    def _default_user_patch(self, index: int) -> Request:
        # One operation per changed attribute, capitalised op names: Add where the target lacks
        # the attribute, Replace where it differs.
        body = _patch(
            {"op": "Replace", "path": "title", "value": "Head of Key Accounts"},
            {"op": "Replace", "path": "name.familyName", "value": f"Changed{index}"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": f"changed.{user_name(index)}"},
            {"op": "Replace", "path": 'phoneNumbers[type eq "mobile"].value', "value": f"+4673{index:07d}"},
            {"op": "Add", "path": DEPARTMENT_PATH, "value": "Key Accounts"},
        )
        return Request(USER_PATCH_DEFAULT, "PATCH", f"/Users/{self.user_ids[index]}", body, PATCHED)

    def _flagged_user_patch(self, index: int) -> Request:
        # Filtered paths keep their own operation, and the simple attributes fold into one
        # path-less replace whose value has dotted and URN-qualified keys.
        body = _patch(
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": f"changed.{user_name(index)}"},
            {"op": "replace", "value": {
                "title": "Head of Key Accounts",
                "name.familyName": f"Changed{index}",
                "displayName": f"Changed User {index}",
                DEPARTMENT_PATH: "Key Accounts",
            }},
        )
        return Request(USER_PATCH_FLAGGED, "PATCH", f"/Users/{self.user_ids[index]}", body, PATCHED)

    def _disable(self, index: int, *, flagged: bool) -> Request:
        # The default dialect sends the boolean as the string "False".
        operation = ({"op": "replace", "path": "active", "value": False} if flagged
                     else {"op": "Replace", "path": "active", "value": "False"})
        return Request(USER_DISABLE, "PATCH", f"/Users/{self.user_ids[index]}", _patch(operation), PATCHED)

    def _member_removals(self) -> list[tuple[str, str]]:
        """Return (group id, user id) pairs to remove: a tenth of each group's members."""
        per_group = []
        for group, members in enumerate(self._members):
            group_id = self.group_ids.get(group)
            if group_id is None:
                continue
            # Deleted users are left out, so every removal names a user that still exists.
            candidates = [i for i in members if i in self.user_ids and not _is_deleted(i)]
            count = max(1, int(len(candidates) * REMOVED_MEMBER_SHARE))
            per_group.append([(group_id, self.user_ids[i]) for i in candidates[:count]])
        return _round_robin(per_group)

    def _remove_member(self, group_id: str, user_id: str, *, flagged: bool) -> Request:
        kind = MEMBER_REMOVE_FLAGGED if flagged else MEMBER_REMOVE_DEFAULT
        if flagged or not self.forms.entra_exact:
            operation: dict[str, Any] = {"op": "remove", "path": f'members[value eq "{user_id}"]'}
        else:
            # Entra's default dialect puts the members in a value list, which RFC 7644 does not
            # define for remove.
            operation = {"op": "Remove", "path": "members", "value": [{"value": user_id}]}
        return Request(kind, "PATCH", f"/Groups/{group_id}", _patch(operation), PATCHED)
