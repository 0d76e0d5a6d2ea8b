"""The label-driven resolver: where each SCIM user attribute lands in the CRM.

Each row of :data:`DEFAULT_USER_MAPPING` names a SCIM attribute, the ``[user]`` column that
stores it and the field label of the coworker property that stores it. :func:`resolve_user_mapping`
finds the coworker limetype by its table label and each property by its field label, never by
property name, because property names differ between customer databases and labels do not.
A label that no property carries leaves the attribute unstored; the resolver reports it once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..objectapi.port import LimetypeInfo, PropertyInfo
from .labels import normalize_label

logger = logging.getLogger(__name__)

COWORKER_TABLE_LABELS = ("user", "coworker")

ValueKind = Literal["string", "boolean", "manager"]


@dataclass(frozen=True, slots=True)
class Slot:
    """The place of one single value in a loaded SCIM user (snake_case keys).

    ``attribute`` is the top-level key, ``sub`` the key inside it, and ``type_value`` selects the
    element of a multi-valued attribute by its ``type`` (``emails[type eq "work"].value``).
    """

    path: str
    attribute: str
    sub: str | None = None
    type_value: str | None = None
    multi_valued: bool = False


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One row of the mapping table: a SCIM attribute, its [user] column and its field label."""

    slot: Slot
    kind: ValueKind = "string"
    user_column: str | None = None
    label: str | None = None
    # True when the coworker property stores the negation (Inactive for ``active``).
    inverted: bool = False


def _row(path: str, attribute: str, sub: str | None = None, *, type_value: str | None = None,
         kind: ValueKind = "string", user_column: str | None = None, label: str | None = None,
         inverted: bool = False) -> MappingRow:
    slot = Slot(path, attribute, sub, type_value, multi_valued=type_value is not None)
    return MappingRow(slot, kind, user_column, normalize_label(label) if label else None, inverted)


DEFAULT_USER_MAPPING: tuple[MappingRow, ...] = (
    _row("userName", "user_name", user_column="username"),
    _row("displayName", "display_name", user_column="fullname", label="Name"),
    _row("name.familyName", "name", "family_name", label="Last Name"),
    _row("name.givenName", "name", "given_name", label="First Name"),
    _row('emails[type eq "work"].value', "emails", "value", type_value="work", label="Email"),
    _row('emails[type eq "home"].value', "emails", "value", type_value="home", label="Email 2"),
    _row("active", "active", kind="boolean", user_column="active", label="Inactive", inverted=True),
    _row("title", "title", label="Job Title"),
    _row("externalId", "external_id", user_column="external_id"),
    _row('phoneNumbers[type eq "work"].value', "phone_numbers", "value", type_value="work",
         label="Business Telephone Number"),
    _row('phoneNumbers[type eq "mobile"].value', "phone_numbers", "value", type_value="mobile",
         label="Mobile Telephone Number"),
    _row('phoneNumbers[type eq "home"].value', "phone_numbers", "value", type_value="home",
         label="Home Telephone Number"),
    _row("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "enterprise", "manager",
         kind="manager", label="Responsible Co-worker"),
)


class MappingError(Exception):
    """The datamodel cannot carry the mapping (no coworker limetype, no user link, ...)."""


@dataclass(frozen=True, slots=True)
class ResolvedAttribute:
    """A mapping row bound to this datamodel: the coworker property is None when no property
    carries the row's label."""

    row: MappingRow
    property: PropertyInfo | None

    @property
    def path(self) -> str:
        return self.row.slot.path

    @property
    def stored(self) -> bool:
        return self.row.user_column is not None or self.property is not None


@dataclass(frozen=True, slots=True)
class UserMapping:
    """The resolved mapping of one application."""

    coworker: LimetypeInfo
    # The coworker property of type user that holds the [user] id.
    link_property: str
    attributes: tuple[ResolvedAttribute, ...]
    # Required coworker properties that have no default and no mapped label.
    unfillable: tuple[PropertyInfo, ...]

    def attribute(self, path: str) -> ResolvedAttribute | None:
        """Return the resolved attribute whose SCIM path is ``path``, or None."""
        for resolved in self.attributes:
            if resolved.path == path:
                return resolved
        return None

    @property
    def stored_attributes(self) -> tuple[ResolvedAttribute, ...]:
        return tuple(resolved for resolved in self.attributes if resolved.stored)

    @property
    def missing_labels(self) -> tuple[ResolvedAttribute, ...]:
        return tuple(r for r in self.attributes if r.row.label is not None and r.property is None)


def find_coworker_limetype(limetypes: Mapping[str, LimetypeInfo]) -> LimetypeInfo:
    """Return the limetype whose table label is ``user`` or ``coworker``.

    Raises MappingError naming the limetypes when none or more than one carries such a label.
    """
    matches = [lt for lt in limetypes.values()
               if lt.table_label is not None and normalize_label(lt.table_label) in COWORKER_TABLE_LABELS]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        names = ", ".join(sorted(limetypes)) or "none"
        raise MappingError(
            f"No limetype has the table label 'user' or 'coworker' (limetypes: {names}). "
            "Give the coworker limetype one of these table labels in LISA."
        )
    names = ", ".join(sorted(lt.name for lt in matches))
    raise MappingError(
        f"Several limetypes have the table label 'user' or 'coworker': {names}. "
        "Keep the label on the coworker limetype only."
    )


def _find_link_property(coworker: LimetypeInfo) -> str:
    candidates = [prop.name for prop in coworker.properties.values() if prop.type == "user"]
    if not candidates:
        raise MappingError(
            f"The coworker limetype '{coworker.name}' has no property of type user, so coworkers "
            "cannot be linked to their [user] rows. Add one (usually named 'username')."
        )
    return "username" if "username" in candidates else candidates[0]


def _properties_by_label(coworker: LimetypeInfo) -> dict[str, PropertyInfo]:
    by_label: dict[str, PropertyInfo] = {}
    for prop in coworker.properties.values():
        if prop.label is None or normalize_label(prop.label) in ("", "none"):
            continue
        key = normalize_label(prop.label)
        other = by_label.get(key)
        if other is not None:
            raise MappingError(
                f"The label '{prop.label}' is on two properties of '{coworker.name}': "
                f"{other.name} and {prop.name}. Remove it from one of them in LISA."
            )
        by_label[key] = prop
    return by_label


def resolve_user_mapping(
    limetypes: Mapping[str, LimetypeInfo], rows: Iterable[MappingRow] = DEFAULT_USER_MAPPING
) -> UserMapping:
    """Bind the mapping rows to this datamodel, finding coworker properties by label."""
    coworker = find_coworker_limetype(limetypes)
    link_property = _find_link_property(coworker)
    by_label = _properties_by_label(coworker)

    resolved = tuple(
        ResolvedAttribute(row, by_label.get(row.label) if row.label else None) for row in rows
    )
    mapped = {r.property.name for r in resolved if r.property is not None} | {link_property}
    unfillable = tuple(
        prop for prop in coworker.properties.values()
        if prop.required and prop.default is None and prop.name not in mapped
    )
    return UserMapping(coworker, link_property, resolved, unfillable)


def log_mapping_problems(application: str, mapping: UserMapping) -> None:
    """Log, once at start, each attribute that is not stored and each unfillable property."""
    for resolved in mapping.missing_labels:
        if resolved.row.user_column is None:
            logger.warning(
                "Application %s: no property of '%s' has the label '%s', so %s is not stored; "
                "values sent for it are accepted and ignored",
                application, mapping.coworker.name, resolved.row.label, resolved.path,
            )
    for prop in mapping.unfillable:
        logger.error(
            "Application %s: the coworker property '%s' is required and has no default and no "
            "mapped label, so every user create will fail; give it a default or a mapped label",
            application, prop.name,
        )


# ----------------------------------------------------------------------------------------------
# Moving values between loaded SCIM data and slot values


def read_slot(data: Mapping[str, Any], slot: Slot) -> Any:
    """Return the value at ``slot`` in loaded SCIM data, or None when absent."""
    container = data.get(slot.attribute)
    if slot.sub is None:
        return container
    if slot.multi_valued:
        for element in container or ():
            if isinstance(element, Mapping) and _same_type(element.get("type"), slot.type_value):
                return element.get(slot.sub)
        return None
    if isinstance(container, Mapping):
        value = container.get(slot.sub)
        if slot.attribute == "enterprise" and isinstance(value, Mapping):
            return value.get("value")
        return value
    return None


def _same_type(value: object, wanted: str | None) -> bool:
    return isinstance(value, str) and wanted is not None and value.lower() == wanted


def write_slot(data: dict[str, Any], slot: Slot, value: Any) -> None:
    """Set ``value`` at ``slot`` in SCIM data for dumping; None values are left out."""
    if value is None:
        return
    if slot.sub is None:
        data[slot.attribute] = value
        return
    if slot.multi_valued:
        data.setdefault(slot.attribute, []).append({slot.sub: value, "type": slot.type_value})
        return
    data.setdefault(slot.attribute, {})[slot.sub] = value
