"""Binding the resolved mapping to the SCIM User schema of one application.

Each stored mapping row gets a :class:`Slot`, the place of its single value in loaded SCIM data,
and the application's User schema is built from exactly the stored attributes, so ``/Schemas``
lists what the CRM stores and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..mapping.resolver import MANAGER_PATH, MappingError, ResolvedAttribute, UserMapping
from ..objectapi.port import PropertyInfo
from ..scim.constants import USER_URN
from ..scim.errors import InvalidPath
from ..scim.filter import Comparison
from ..scim.paths import PatchPath, parse_path
from ..scim.user_schema import (
    ENTERPRISE_KEY,
    Selection,
    UserResource,
    build_user_resource,
    catalogue_entry,
    is_custom_extension,
    python_name,
)

ValueKind = Literal["string", "boolean", "manager"]


@dataclass(frozen=True, slots=True)
class Slot:
    """The place of one single value in loaded SCIM data (snake_case keys).

    ``attribute`` is the top-level key, ``sub`` the key inside it, and ``type_value`` selects the
    element of a multi-valued attribute by its ``type`` (``emails[type eq "work"].value``).
    """

    attribute: str
    sub: str | None = None
    type_value: str | None = None

    @property
    def multi_valued(self) -> bool:
        return self.type_value is not None


@dataclass(frozen=True, slots=True)
class BoundAttribute:
    """A stored mapping row with its slot and the kind of value it holds."""

    resolved: ResolvedAttribute
    slot: Slot
    kind: ValueKind
    # The schema position: URN, attribute name and sub-attribute name.
    urn: str
    name: str
    sub_name: str | None

    @property
    def path(self) -> str:
        return self.resolved.path

    @property
    def user_column(self) -> str | None:
        return self.resolved.row.user_column

    @property
    def inverted(self) -> bool:
        return self.resolved.row.inverted

    # Defined last: inside the class body this name shadows the builtin decorator.
    @property
    def property(self) -> PropertyInfo | None:
        return self.resolved.property


@dataclass(frozen=True, slots=True)
class UserBinding:
    """The mapping of one application bound to its User schema."""

    mapping: UserMapping
    resource: UserResource
    attributes: tuple[BoundAttribute, ...]
    # Bound attributes by lower-case path. Of two paths that differ only in case, the first wins.
    _by_path: Mapping[str, BoundAttribute] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, BoundAttribute] = {}
        for bound in self.attributes:
            index.setdefault(bound.path.lower(), bound)
        object.__setattr__(self, "_by_path", index)

    def attribute(self, path: str) -> BoundAttribute | None:
        """Return the bound attribute whose path is ``path`` (any letter case), or None."""
        return self._by_path.get(path.lower())


def _type_filter(path: PatchPath, text: str) -> str | None:
    if path.filter is None:
        return None
    expr = path.filter
    if (isinstance(expr, Comparison) and expr.op == "eq" and expr.path.attribute.lower() == "type"
            and expr.path.sub_attribute is None and isinstance(expr.value, str)):
        return expr.value.lower()
    raise MappingError(f"The mapped attribute '{text}' has a filter other than [type eq \"...\"], "
                       "which a mapping cannot use.")


def _bind(resolved: ResolvedAttribute, extension_keys: Mapping[str, str]) -> BoundAttribute:
    text = resolved.path
    try:
        path = parse_path(text)
    except InvalidPath as error:
        raise MappingError(f"The mapped attribute '{text}' is not a valid attribute path: {error.detail}") from error
    urn = path.schema or USER_URN
    type_value = _type_filter(path, text)

    entry = catalogue_entry(urn, path.attribute)
    if urn == USER_URN and path.attribute.lower() == "externalid" and path.sub_attribute is None:
        # A common attribute (RFC 7643 §3.1): every resource has it, so it is not in the catalogue.
        return BoundAttribute(resolved, Slot("external_id"), "string", urn, "externalId", None)
    if entry is None and not is_custom_extension(urn):
        raise MappingError(f"'{text}' is not a SCIM User attribute this server supports. Check the spelling "
                           "against RFC 7643 section 4 or use a custom extension URN.")
    name = entry.name if entry is not None else path.attribute
    sub_name = _sub_name(entry, path, text, type_value)

    if urn.lower() == USER_URN.lower():
        attribute = python_name(name)
        sub = python_name(sub_name) if sub_name else None
    else:
        attribute = extension_keys.get(urn, ENTERPRISE_KEY)
        sub = python_name(name)
    kind: ValueKind = "string"
    if resolved.path.lower() == MANAGER_PATH.lower():
        kind = "manager"
    elif name == "active":
        kind = "boolean"
    return BoundAttribute(resolved, Slot(attribute, sub, type_value), kind, urn, name, sub_name)


def _sub_name(entry: Any, path: PatchPath, text: str, type_value: str | None) -> str | None:
    if entry is None or not entry.is_complex:
        if path.sub_attribute is not None or type_value is not None:
            raise MappingError(f"'{text}' names a sub-attribute of a simple attribute.")
        return None
    if entry.name == "manager":
        return None
    subs = {name.lower(): name for name in entry.sub_attributes}
    if path.sub_attribute is None or path.sub_attribute.lower() not in subs:
        raise MappingError(f"'{text}' must name one sub-attribute of '{entry.name}', such as "
                           f"{entry.name}.{next(iter(entry.sub_attributes))}.")
    if entry.multi_valued and type_value is None:
        raise MappingError(f"'{text}' must select one element by type, as in "
                           f'{entry.name}[type eq "work"].{path.sub_attribute}.')
    return subs[path.sub_attribute.lower()]


def bind_user_mapping(mapping: UserMapping) -> UserBinding:
    """Bind every stored attribute of ``mapping`` and build the application's User schema.

    Raises MappingError for a mapped path that is not a supported User attribute.
    """
    stored = mapping.stored_attributes
    provisional = [_bind(resolved, {}) for resolved in stored]

    selection: dict[tuple[str, str], frozenset[str] | None] = {}
    types: dict[tuple[str, str], tuple[str, ...]] = {}
    for bound in provisional:
        if bound.name == "externalId":
            continue
        key = (bound.urn, bound.name)
        if bound.slot.type_value is not None and bound.slot.type_value not in types.get(key, ()):
            types[key] = (*types.get(key, ()), bound.slot.type_value)
        if bound.sub_name is None:
            selection.setdefault(key, None)
        else:
            selection[key] = (selection.get(key) or frozenset()) | {bound.sub_name}
    resource = build_user_resource(Selection(selection, types))

    attributes = tuple(_bind(resolved, resource.extension_keys) for resolved in stored)
    return UserBinding(mapping, resource, attributes)


# ----------------------------------------------------------------------------------------------
# Moving values between loaded SCIM data and slots


def read_slot(data: Mapping[str, Any], slot: Slot) -> Any:
    """Return the value at ``slot`` in loaded SCIM data, or None when absent."""
    container = data.get(slot.attribute)
    if slot.sub is None:
        return container
    if slot.multi_valued:
        for element in container or ():
            kind = element.get("type") if isinstance(element, Mapping) else None
            if isinstance(kind, str) and kind.lower() == slot.type_value:
                return element.get(slot.sub)
        return None
    if isinstance(container, Mapping):
        value = container.get(slot.sub)
        # The enterprise manager is complex; its single value is the manager's id.
        if isinstance(value, Mapping):
            return value.get("value")
        return value
    return None


def write_slot(data: dict[str, Any], slot: Slot, value: Any) -> None:
    """Set ``value`` at ``slot`` in SCIM data for dumping; None values are left out."""
    if value is None:
        return
    if slot.sub is None:
        data[slot.attribute] = value
        return
    if slot.multi_valued:
        elements = data.setdefault(slot.attribute, [])
        for element in elements:
            if element.get("type") == slot.type_value:
                element[slot.sub] = value
                return
        elements.append({"type": slot.type_value, slot.sub: value})
        return
    data.setdefault(slot.attribute, {})[slot.sub] = value
