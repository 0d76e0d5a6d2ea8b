"""Attribute definitions (RFC 7643 §2.2 and §7): the characteristics of each SCIM attribute.

The marshmallow schemas in :mod:`lime_scim.scim.schemas` carry these characteristics as field
metadata; :func:`lime_scim.scim.schemas.resource_definition` turns a schema into the frozen tree
below, which the PATCH engine, the filter checks and the discovery documents all read. Attribute
names are matched case-insensitively, as RFC 7643 §2.1 requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AttributeDef:
    """One attribute or sub-attribute and its RFC 7643 §7 characteristics."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[AttributeDef, ...] = ()
    # The key of this attribute in data loaded by the marshmallow schema (snake_case).
    attribute: str = ""
    _by_lower: Mapping[str, AttributeDef] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # True when neither this attribute nor a sub-attribute has ``returned`` "never" or "request",
    # so a response that names no attributes carries all of it. Derived once, because every
    # response checks it.
    returned_in_full_by_default: bool = field(default=True, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {sub.name.lower(): sub for sub in self.sub_attributes}
        object.__setattr__(self, "_by_lower", index)
        in_full = self.returned not in ("never", "request") and all(
            sub.returned_in_full_by_default for sub in self.sub_attributes
        )
        object.__setattr__(self, "returned_in_full_by_default", in_full)

    @property
    def is_complex(self) -> bool:
        return self.type == "complex"

    def sub(self, name: str) -> AttributeDef | None:
        """Return the sub-attribute called ``name`` (any letter case), or None."""
        return self._by_lower.get(name.lower())


@dataclass(frozen=True, slots=True)
class SchemaDef:
    """One schema (core or extension): its URN and top-level attributes."""

    id: str
    name: str
    description: str
    attributes: tuple[AttributeDef, ...]
    # The key of this schema's object in loaded data; empty for the core schema.
    attribute: str = ""
    _by_lower: Mapping[str, AttributeDef] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        index = {attribute.name.lower(): attribute for attribute in self.attributes}
        object.__setattr__(self, "_by_lower", index)

    def attribute_named(self, name: str) -> AttributeDef | None:
        """Return the top-level attribute called ``name`` (any letter case), or None."""
        return self._by_lower.get(name.lower())


@dataclass(frozen=True, slots=True)
class ResourceDef:
    """A resource type: its core schema and the extensions it allows (RFC 7643 §6)."""

    name: str
    endpoint: str
    core: SchemaDef
    extensions: tuple[SchemaDef, ...] = ()
    # True when no attribute of any of its schemas has ``returned`` "never" or "request" at any
    # level, so a response that names no attributes carries every attribute it has.
    returned_in_full_by_default: bool = field(default=True, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        in_full = all(
            attribute.returned_in_full_by_default
            for schema in (self.core, *self.extensions)
            for attribute in schema.attributes
        )
        object.__setattr__(self, "returned_in_full_by_default", in_full)

    def extension(self, urn: str) -> SchemaDef | None:
        """Return the extension schema whose URN is ``urn`` (any letter case), or None."""
        wanted = urn.lower()
        for schema in self.extensions:
            if schema.id.lower() == wanted:
                return schema
        return None

    @property
    def schema_ids(self) -> tuple[str, ...]:
        return (self.core.id, *(schema.id for schema in self.extensions))
