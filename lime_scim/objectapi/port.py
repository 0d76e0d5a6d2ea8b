"""The object API port: everything the plugin needs from the CRM, as typed protocols.

Two adapters fit this port: the embedded store (:mod:`lime_scim.objectapi.sqlstore`) that the
standalone host runs on, and an adapter for the CRM's own in-process API. The provisioning layer
depends on this module only.

Contract shared by every method below:

- Lookups return ``None`` (or an empty result) for "not found"; they never raise for it.
- Records are detached value objects; changing one changes nothing in the store.
- All reads and writes happen inside a :class:`UnitOfWork`. Leaving the ``with`` block normally
  commits; leaving it with an exception rolls everything back, so a request is all or nothing.
- A write that would break a uniqueness rule raises :class:`UniqueViolation`; a value that does
  not fit its property raises :class:`ValueRejected`. The unit of work must then be abandoned.
- A unit of work that loses to concurrent transactions raises :class:`StoreBusy` after rolling
  back, and one whose database cannot be reached raises :class:`StoreUnavailable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, TypeAlias

# ----------------------------------------------------------------------------------------------
# Metadata: limetypes and their properties


@dataclass(frozen=True, slots=True)
class PropertyInfo:
    """A limetype property as the datamodel defines it."""

    name: str
    # One of: string, text, phone, link, yesno, integer, decimal, time, option, user, belongsto.
    type: str
    # The field label as written in the datamodel ("Job Title" or "jobtitle"), or None.
    label: str | None = None
    required: bool = False
    default: object | None = None
    # Maximum length of string-like values, or None for no limit.
    length: int | None = None
    # For belongsto properties: the limetype the relation points at.
    related_limetype: str | None = None


@dataclass(frozen=True, slots=True)
class LimetypeInfo:
    """A limetype (business object type) with its table label and properties by name."""

    name: str
    table_label: str | None
    properties: Mapping[str, PropertyInfo]


# ----------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A row of the ``[user]`` system table plus the SCIM bookkeeping kept beside it."""

    id: int
    username: str
    fullname: str
    active: bool
    external_id: str | None
    # Opaque SCIM id, unique across users and groups; assigned by the store on insert.
    scim_id: str
    # True once the user was created, adopted or written through SCIM.
    scim_managed: bool
    # True after a SCIM DELETE: the user is gone for SCIM, but no CRM data was removed.
    scim_deleted: bool
    created: datetime
    updated: datetime
    version: int


@dataclass(frozen=True, slots=True)
class GroupRecord:
    """A row of the ``[group]`` system table plus its SCIM bookkeeping."""

    id: int
    name: str
    active: bool
    external_id: str | None
    scim_id: str
    scim_managed: bool
    scim_deleted: bool
    created: datetime
    updated: datetime
    version: int


@dataclass(frozen=True, slots=True)
class LimeObject:
    """A business object: its limetype, record id and property values by property name."""

    limetype: str
    id: int
    values: Mapping[str, object] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# Query criteria: a small expression tree that the adapter turns into an indexed query.

Table: TypeAlias = Literal["user", "group", "object", "member"]
Operator: TypeAlias = Literal["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"]


@dataclass(frozen=True, slots=True)
class Field:
    """A column: a ``[user]`` or ``[group]`` column, a property of the linked object, or a
    group membership (``member``), which matches a group that has such a member."""

    table: Table
    name: str


@dataclass(frozen=True, slots=True)
class Compare:
    """``field op value``; ``case_exact=False`` compares strings case-insensitively."""

    field: Field
    op: Operator
    value: object = None
    case_exact: bool = True


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Criterion, ...]


@dataclass(frozen=True, slots=True)
class Negate:
    item: Criterion


@dataclass(frozen=True, slots=True)
class Nothing:
    """A criterion that matches no row (a filter on a value that cannot exist)."""


Criterion: TypeAlias = Compare | AllOf | AnyOf | Negate | Nothing


@dataclass(frozen=True, slots=True)
class Order:
    """One sort key of a query: a field, its direction, and whether strings compare by case.

    Rows without a value (NULL, or an empty string) come last in ascending order and first in
    descending order, as RFC 7644 §3.4.2.3 requires of ``sortBy``.
    """

    field: Field
    descending: bool = False
    case_exact: bool = True


@dataclass(frozen=True, slots=True)
class ObjectLink:
    """The link from users to business objects: ``limetype.property`` contains the ``[user]`` id."""

    limetype: str
    user_property: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a query: the total count of matches and the records of this page."""

    total: int
    records: Sequence[UserRecord] | Sequence[GroupRecord]


# ----------------------------------------------------------------------------------------------
# Errors


class ObjectApiError(Exception):
    """Base class of the errors an adapter raises."""


class UniqueViolation(ObjectApiError):
    """A write would duplicate a unique value: ``entity`` is user or group, ``field`` the column."""

    def __init__(self, entity: str, field_name: str) -> None:
        super().__init__(f"duplicate {entity} {field_name}")
        self.entity = entity
        self.field = field_name


class ValueRejected(ObjectApiError):
    """A value does not fit its column or property (too long, wrong type)."""

    def __init__(self, limetype: str, property_name: str, reason: str) -> None:
        super().__init__(f"{limetype}.{property_name}: {reason}")
        self.limetype = limetype
        self.property = property_name
        self.reason = reason


class UnknownLimetype(ObjectApiError):
    """The named limetype or property does not exist in the datamodel."""


class StoreBusy(ObjectApiError):
    """The transaction failed on other transactions' locks and was rolled back.

    A lock wait timed out, or the database ended the transaction to break a deadlock or a
    serialization conflict. Running the whole unit of work again may succeed.
    """


class StoreUnavailable(ObjectApiError):
    """The database cannot be reached: the connection failed or was lost, or it shuts down."""


# ----------------------------------------------------------------------------------------------
# The port


class UnitOfWork(Protocol):
    """One transaction. Every method of the plugin's use cases runs inside exactly one."""

    # --- [user]
    def get_user(self, user_id: int, *, for_update: bool = False,
                 link: ObjectLink | None = None) -> UserRecord | None:
        """Return the user with this record id, or None.

        With ``link`` the store may read the user's linked objects in the same statement, so
        that :meth:`find_objects_in` for this user needs no statement of its own.
        """
        ...

    def get_user_by_scim_id(self, scim_id: str, *, for_update: bool = False,
                            link: ObjectLink | None = None) -> UserRecord | None:
        """Return the user with this SCIM id, or None; ``link`` works as in :meth:`get_user`."""
        ...

    def find_user_by_username(self, username: str) -> UserRecord | None:
        """Return the user whose username equals ``username`` ignoring letter case."""
        ...

    def find_users_by_external_id(self, external_id: str) -> Sequence[UserRecord]:
        """Return the users whose external id equals ``external_id`` exactly."""
        ...

    def get_users(self, user_ids: Iterable[int]) -> Mapping[int, UserRecord]: ...

    def get_users_by_scim_ids(self, scim_ids: Iterable[str]) -> Mapping[str, UserRecord]: ...

    def query_users(
        self,
        where: Criterion | None,
        *,
        link: ObjectLink | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[Order] = (),
    ) -> Page:
        """Return matching users sorted by ``order``, then by id.

        ``Field("object", p)`` in ``where`` or ``order`` reads the linked object.
        """
        ...

    def insert_user(
        self,
        *,
        username: str,
        fullname: str = "",
        active: bool = True,
        external_id: str | None = None,
        scim_managed: bool = False,
    ) -> UserRecord: ...

    def update_user(self, user_id: int, changes: Mapping[str, object]) -> UserRecord:
        """Set the given columns (username, fullname, active, external_id, scim_managed,
        scim_deleted), bump ``version`` and ``updated``; return the new record."""
        ...

    # --- [group] and memberships
    def get_group(self, group_id: int, *, for_update: bool = False) -> GroupRecord | None: ...

    def get_group_by_scim_id(self, scim_id: str, *, for_update: bool = False) -> GroupRecord | None: ...

    def find_group_by_name(self, name: str) -> GroupRecord | None:
        """Return the group whose name equals ``name`` ignoring letter case."""
        ...

    def get_groups(self, group_ids: Iterable[int]) -> Mapping[int, GroupRecord]: ...

    def get_groups_by_scim_ids(self, scim_ids: Iterable[str]) -> Mapping[str, GroupRecord]: ...

    def query_groups(
        self,
        where: Criterion | None,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Sequence[Order] = (),
    ) -> Page:
        """Return matching groups sorted by ``order``, then by id.

        ``Field("member", "user_id")`` or ``Field("member", "user_scim_id")`` in ``where``
        matches the groups that have such a member.
        """
        ...

    def insert_group(
        self,
        *,
        name: str,
        active: bool = True,
        external_id: str | None = None,
        scim_managed: bool = False,
    ) -> GroupRecord: ...

    def update_group(self, group_id: int, changes: Mapping[str, object]) -> GroupRecord:
        """Set the given columns (name, active, external_id, scim_managed, scim_deleted), bump
        ``version`` and ``updated``; return the new record."""
        ...

    def list_members(self, group_id: int) -> Sequence[UserRecord]:
        """Return the group's members ordered by user id."""
        ...

    def add_members(self, group_id: int, user_ids: Iterable[int]) -> int:
        """Add memberships that do not exist yet; return how many were added."""
        ...

    def remove_members(self, group_id: int, user_ids: Iterable[int]) -> int:
        """Remove the given memberships where they exist; return how many were removed."""
        ...

    def remove_all_members(self, group_id: int) -> int: ...

    def groups_of_users(self, user_ids: Iterable[int]) -> Mapping[int, Sequence[GroupRecord]]:
        """Return, per user id, the groups the user is a member of."""
        ...

    # --- business objects
    def get_object(self, limetype: str, object_id: int) -> LimeObject | None: ...

    def get_objects(self, limetype: str, object_ids: Iterable[int]) -> Mapping[int, LimeObject]: ...

    def find_objects(
        self, limetype: str, property_name: str, value: object, *, case_exact: bool = True
    ) -> Sequence[LimeObject]:
        """Return the objects whose property equals ``value`` (at most 100)."""
        ...

    def find_objects_in(
        self, limetype: str, property_name: str, values: Iterable[object]
    ) -> Sequence[LimeObject]:
        """Return the objects whose property equals one of ``values``."""
        ...

    def list_objects(self, limetype: str, *, offset: int = 0, limit: int | None = None) -> Sequence[LimeObject]:
        """Return the limetype's objects ordered by id, one page at a time."""
        ...

    def insert_object(self, limetype: str, values: Mapping[str, object]) -> LimeObject:
        """Create an object; properties left out take their datamodel default."""
        ...

    def update_object(
        self, limetype: str, object_id: int, values: Mapping[str, object]
    ) -> LimeObject: ...


class ObjectApi(Protocol):
    """An application's CRM: its datamodel and units of work on its database."""

    @property
    def limetypes(self) -> Mapping[str, LimetypeInfo]: ...

    def unit_of_work(self, *, write: bool = False) -> AbstractContextManager[UnitOfWork]:
        """Open a unit of work; ``write=True`` takes the write lock up front where that matters.

        Only a write unit is atomic. A read unit must not write, because on PostgreSQL it runs
        its statements in autocommit mode.
        """
        ...

    def close(self) -> None: ...


def iter_limetypes_with_label(api: ObjectApi, labels: Iterable[str]) -> Iterator[LimetypeInfo]:
    """Yield the limetypes whose table label is one of ``labels`` (compared in lower case)."""
    wanted = {label.lower() for label in labels}
    for limetype in api.limetypes.values():
        if limetype.table_label is not None and limetype.table_label.lower() in wanted:
            yield limetype
