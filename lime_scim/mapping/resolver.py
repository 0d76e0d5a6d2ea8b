"""The label-driven resolver: where each SCIM user attribute lands in the CRM.

Each row of :data:`DEFAULT_USER_MAPPING` names a SCIM attribute path, the ``[user]`` column that
stores it and the field label of the coworker property that stores it. An application can add
rows, or replace default ones, in its configuration. :func:`resolve_user_mapping` finds the
coworker limetype by its table label and each property by its field label, never by property
name (unless a configured row names the property), because property names differ between
customer databases and labels do not. A default label that no property carries leaves the
attribute unstored; a configured row that points at nothing is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..config import ExtraMapping
from ..objectapi.port import LimetypeInfo, PropertyInfo
from .labels import normalize_label

logger = logging.getLogger(__name__)

COWORKER_TABLE_LABELS = ("user", "coworker")
USER_COLUMNS = ("username", "fullname", "active", "external_id")
MANAGER_PATH = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
# Property types a configured mapping may write; relations and the user link have rows of
# their own.
_WRITABLE_TYPES = frozenset({"string", "text", "phone", "link", "option", "yesno", "integer", "decimal"})


@dataclass(frozen=True, slots=True)
class MappingRow:
    """One row of the mapping table: a SCIM attribute path and where the CRM stores it.

    The coworker property is found by ``label`` (a normalized label key) or, in configured rows,
    by ``property_name``.
    """

    path: str
    user_column: str | None = None
    label: str | None = None
    property_name: str | None = None
    # True when the coworker property stores the negation (Inactive for ``active``).
    inverted: bool = False
    # True for rows from the application's configuration rather than the default table.
    configured: bool = False


def _row(path: str, *, user_column: str | None = None, label: str | None = None,
         inverted: bool = False) -> MappingRow:
    return MappingRow(path, user_column, normalize_label(label) if label else None, inverted=inverted)


DEFAULT_USER_MAPPING: tuple[MappingRow, ...] = (
    _row("userName", user_column="username"),
    _row("displayName", user_column="fullname", label="Name"),
    _row("name.familyName", label="Last Name"),
    _row("name.givenName", label="First Name"),
    _row('emails[type eq "work"].value', label="Email"),
    _row('emails[type eq "home"].value', label="Email 2"),
    _row("active", user_column="active", label="Inactive", inverted=True),
    _row("title", label="Job Title"),
    _row("externalId", user_column="external_id"),
    _row('phoneNumbers[type eq "work"].value', label="Business Telephone Number"),
    _row('phoneNumbers[type eq "mobile"].value', label="Mobile Telephone Number"),
    _row('phoneNumbers[type eq "home"].value', label="Home Telephone Number"),
    _row(MANAGER_PATH, label="Responsible Co-worker"),
)


class MappingError(Exception):
    """Raised when the datamodel or configuration cannot carry the mapping; the message names the fix."""


@dataclass(frozen=True, slots=True)
class ResolvedAttribute:
    """A mapping row bound to this datamodel; ``property`` is None when nothing carries it."""

    row: MappingRow
    property: PropertyInfo | None

    @property
    def path(self) -> str:
        return self.row.path

    @property
    def stored(self) -> bool:
        return self.row.user_column is not None or self.property is not None


@dataclass(frozen=True, slots=True)
class UserMapping:
    """The resolved mapping of one application."""

    coworker: LimetypeInfo
    # The coworker property of type user that contains the [user] id.
    link_property: str
    attributes: tuple[ResolvedAttribute, ...]
    # Required coworker properties that have no default and no mapped label.
    unfillable: tuple[PropertyInfo, ...]

    def attribute(self, path: str) -> ResolvedAttribute | None:
        """Return the resolved attribute whose SCIM path is ``path`` (any letter case), or None."""
        wanted = path.lower()
        for resolved in self.attributes:
            if resolved.path.lower() == wanted:
                return resolved
        return None

    @property
    def stored_attributes(self) -> tuple[ResolvedAttribute, ...]:
        return tuple(resolved for resolved in self.attributes if resolved.stored)

    @property
    def missing_labels(self) -> tuple[ResolvedAttribute, ...]:
        return tuple(r for r in self.attributes if r.row.label is not None and r.property is None)


def find_coworker_limetype(limetypes: Mapping[str, LimetypeInfo], name: str | None = None) -> LimetypeInfo:
    """Return the coworker limetype: the one named ``name``, else the one labelled user or coworker.

    Raises MappingError naming the limetypes when there is no such limetype or more than one.
    """
    if name is not None:
        found = limetypes.get(name)
        if found is None:
            raise MappingError(
                f"The configured coworker_limetype '{name}' is not in the datamodel (limetypes: "
                f"{', '.join(sorted(limetypes)) or 'none'}). Set it to the coworker limetype's name."
            )
        return found
    matches = [lt for lt in limetypes.values()
               if lt.table_label is not None and normalize_label(lt.table_label) in COWORKER_TABLE_LABELS]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise MappingError(
            f"No limetype has the table label 'user' or 'coworker' (limetypes: "
            f"{', '.join(sorted(limetypes)) or 'none'}). Give the coworker limetype one of these "
            "table labels in LISA, or set coworker_limetype in the scim config."
        )
    names = ", ".join(sorted(lt.name for lt in matches))
    raise MappingError(
        f"Several limetypes have the table label 'user' or 'coworker': {names}. Keep the label on "
        "the coworker limetype only, or set coworker_limetype in the scim config."
    )


def _find_link_property(coworker: LimetypeInfo) -> str:
    candidates = [prop.name for prop in coworker.properties.values() if prop.type == "user"]
    if not candidates:
        raise MappingError(
            f"The coworker limetype '{coworker.name}' has no property of type user, so coworkers "
            "cannot be linked to their [user] rows. Add one (usually named 'username')."
        )
    return "username" if "username" in candidates else candidates[0]


def properties_by_label(coworker: LimetypeInfo) -> dict[str, PropertyInfo]:
    """Return the coworker's labelled properties by label key; a label on two is an error."""
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


def configured_rows(extra: Sequence[ExtraMapping]) -> tuple[MappingRow, ...]:
    """Turn configured mappings into rows; a [user] column must be one the table has."""
    rows = []
    for mapping in extra:
        if mapping.user_column is not None and mapping.user_column not in USER_COLUMNS:
            raise MappingError(
                f"The mapping of '{mapping.attribute}' names the [user] column "
                f"'{mapping.user_column}', which does not exist. Use one of {', '.join(USER_COLUMNS)}."
            )
        label = normalize_label(mapping.label) if mapping.label else None
        rows.append(MappingRow(mapping.attribute, mapping.user_column, label, mapping.property, configured=True))
    return tuple(rows)


def _merge_rows(defaults: Iterable[MappingRow], configured: Sequence[MappingRow]) -> list[MappingRow]:
    """Return the default rows with configured rows replacing those of the same path."""
    replaced = {row.path.lower() for row in configured}
    return [row for row in defaults if row.path.lower() not in replaced] + list(configured)


def _configured_property(row: MappingRow, coworker: LimetypeInfo, by_label: Mapping[str, PropertyInfo],
                         link_property: str) -> PropertyInfo | None:
    """Return the property a configured row names; raise MappingError when there is none."""
    if row.user_column is not None:
        return None
    if row.property_name is not None:
        prop = coworker.properties.get(row.property_name)
        target = f"the property '{row.property_name}'"
    else:
        prop = by_label.get(row.label or "")
        target = f"a property labelled '{row.label}'"
    if prop is None:
        raise MappingError(
            f"The mapping of '{row.path}' points at {target}, which the coworker limetype "
            f"'{coworker.name}' does not have. Fix the label or property name, or remove the mapping."
        )
    if prop.name == link_property or (prop.type not in _WRITABLE_TYPES and row.path.lower() != MANAGER_PATH.lower()):
        raise MappingError(
            f"The mapping of '{row.path}' points at '{prop.name}', a {prop.type} property, which "
            "cannot hold a SCIM attribute value. Map it to a text, number or yes/no property."
        )
    return prop


def _check_distinct_targets(resolved: Sequence[ResolvedAttribute]) -> None:
    seen: dict[str, str] = {}
    for attribute in resolved:
        if attribute.property is None:
            continue
        other = seen.get(attribute.property.name)
        if other is not None:
            raise MappingError(
                f"Both '{other}' and '{attribute.path}' are mapped to the property "
                f"'{attribute.property.name}'. Map each attribute to a property of its own."
            )
        seen[attribute.property.name] = attribute.path


def resolve_user_mapping(
    limetypes: Mapping[str, LimetypeInfo],
    *,
    coworker_limetype: str | None = None,
    extra: Sequence[ExtraMapping] = (),
) -> UserMapping:
    """Bind the default and configured mapping rows to this datamodel.

    Raises MappingError when the coworker limetype or its user link cannot be found, a label is
    on two properties, or a configured row points at nothing.
    """
    coworker = find_coworker_limetype(limetypes, coworker_limetype)
    link_property = _find_link_property(coworker)
    by_label = properties_by_label(coworker)

    resolved = []
    for row in _merge_rows(DEFAULT_USER_MAPPING, configured_rows(extra)):
        if row.configured:
            prop = _configured_property(row, coworker, by_label, link_property)
        else:
            prop = by_label.get(row.label) if row.label else None
        resolved.append(ResolvedAttribute(row, prop))
    _check_distinct_targets(resolved)

    mapped = {r.property.name for r in resolved if r.property is not None} | {link_property}
    unfillable = tuple(
        prop for prop in coworker.properties.values()
        if prop.required and prop.default is None and prop.name not in mapped
    )
    return UserMapping(coworker, link_property, tuple(resolved), unfillable)


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
