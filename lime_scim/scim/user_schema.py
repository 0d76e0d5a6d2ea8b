"""The User resource (RFC 7643 §4.1, §4.3): the attribute catalogue and per-application schemas.

An application serves only the User attributes its CRM stores, so each application gets its own
marshmallow schema, built by :func:`build_user_resource` from a selection of the catalogue
below. The same build gives the :class:`ResourceDef` that ``/Schemas``, the PATCH engine and the
filter checks read, so what the server parses, renders and advertises cannot drift apart.
Attributes outside the selection are accepted and ignored when a client sends them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, fields

from .constants import ENTERPRISE_URN, EXTENSION_PREFIX, USER_URN
from .definitions import ResourceDef, SchemaDef
from .schemas import (
    ManagerSchema,
    ScimBoolean,
    ScimSchema,
    UserGroupSchema,
    external_id_field,
    id_field,
    meta_field,
    schema_definition,
    schemas_field,
    scim_metadata,
)

FieldFactory = Callable[[], fields.Field[Any]]

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def python_name(scim_name: str) -> str:
    """Return the snake_case key of a SCIM attribute name in loaded data (``familyName``)."""
    return _CAMEL_BOUNDARY.sub("_", scim_name.replace("$", "")).lower()


def _text(description: str = "", **characteristics: Any) -> FieldFactory:
    return lambda: fields.String(allow_none=True, metadata=scim_metadata(description=description, **characteristics))


def _flag(description: str = "") -> FieldFactory:
    return lambda: ScimBoolean(allow_none=True, metadata=scim_metadata("boolean", description=description))


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One User attribute: a factory for simple ones, sub-attribute factories for complex ones."""

    name: str
    factory: FieldFactory | None = None
    sub_attributes: Mapping[str, FieldFactory] | None = None
    multi_valued: bool = False
    description: str = ""

    @property
    def is_complex(self) -> bool:
        return self.sub_attributes is not None


def _multi(name: str, description: str, types: tuple[str, ...], **extra: FieldFactory) -> CatalogueEntry:
    subs: dict[str, FieldFactory] = {
        "value": _text(f"The {description} itself."),
        "display": _text("A label for display."),
        "type": _text("The kind of value.", canonical_values=types),
        "primary": _flag("True for the preferred value."),
    }
    subs.update(extra)
    noun = description.capitalize()
    plural = f"{noun}es" if noun.endswith("s") else f"{noun}s"
    return CatalogueEntry(name, sub_attributes=subs, multi_valued=True, description=f"{plural}.")


# RFC 7643 §4.1. password is left out: this service provider never stores or accepts passwords,
# and x509Certificates, ims and photos are binary or rarely used values no CRM field carries.
CORE_CATALOGUE: dict[str, CatalogueEntry] = {entry.name.lower(): entry for entry in (
    CatalogueEntry("userName", lambda: fields.String(
        data_key="userName", required=True,
        metadata=scim_metadata(returned="always", uniqueness="server",
                               description="Unique login name, matched without regard to letter case."))),
    CatalogueEntry("name", sub_attributes={
        "formatted": _text("The full name, formatted for display."),
        "familyName": _text("Family name."),
        "givenName": _text("Given name."),
        "middleName": _text("Middle name."),
        "honorificPrefix": _text("Title before the name."),
        "honorificSuffix": _text("Suffix after the name."),
    }, description="The user's name."),
    CatalogueEntry("displayName", _text("Full name for display.")),
    CatalogueEntry("nickName", _text("Casual name.")),
    CatalogueEntry("profileUrl", _text("Profile page.", type_="reference", reference_types=("external",))),
    CatalogueEntry("title", _text("Job title.")),
    CatalogueEntry("userType", _text("Relationship to the organization.")),
    CatalogueEntry("preferredLanguage", _text("Preferred language, such as en-US.")),
    CatalogueEntry("locale", _text("Locale for formatting, such as sv-SE.")),
    CatalogueEntry("timezone", _text("Time zone, such as Europe/Stockholm.")),
    CatalogueEntry("active", _flag("False deactivates the user.")),
    _multi("emails", "email address", ("work", "home", "other")),
    _multi("phoneNumbers", "phone number", ("work", "home", "mobile", "fax", "pager", "other")),
    _multi("addresses", "address", ("work", "home", "other"),
           formatted=_text("The full address, formatted for display."),
           streetAddress=_text("Street and number."),
           locality=_text("City or locality."),
           region=_text("State or region."),
           postalCode=_text("Postal code."),
           country=_text("Country code.")),
    _multi("entitlements", "entitlement", ()),
    _multi("roles", "role", ()),
)}

# RFC 7643 §4.3.
ENTERPRISE_CATALOGUE: dict[str, CatalogueEntry] = {entry.name.lower(): entry for entry in (
    CatalogueEntry("employeeNumber", _text("Employee number.")),
    CatalogueEntry("costCenter", _text("Cost center.")),
    CatalogueEntry("organization", _text("Organization.")),
    CatalogueEntry("division", _text("Division.")),
    CatalogueEntry("department", _text("Department.")),
    CatalogueEntry("manager", lambda: fields.Nested(
        ManagerSchema, allow_none=True,
        metadata=scim_metadata("complex", description="The user's manager; its value is the manager's id."))),
)}

ENTERPRISE_KEY = "enterprise"


@dataclass(frozen=True, slots=True)
class Selection:
    """The User attributes an application stores: schema URN, attribute, and sub-attributes.

    ``attributes`` maps ``(urn, attribute name)`` to the selected sub-attribute names, or to
    None for a simple attribute. Names use the catalogue's spelling; custom extension
    attributes are simple strings.
    """

    attributes: Mapping[tuple[str, str], frozenset[str] | None]
    # The ``type`` values stored per multi-valued attribute, such as ("work", "home") for emails.
    # They become the canonicalValues of its ``type`` sub-attribute; unlisted ones keep the RFC's.
    types: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class UserResource:
    """An application's User schema and the definition derived from it."""

    schema: Schema
    definition: ResourceDef
    # Loaded-data key of each extension object by URN, e.g. "enterprise".
    extension_keys: Mapping[str, str]


def catalogue_entry(urn: str, name: str) -> CatalogueEntry | None:
    """Return the catalogue entry of ``name`` (any letter case) in ``urn``'s schema, or None."""
    if urn.lower() == USER_URN.lower():
        return CORE_CATALOGUE.get(name.lower())
    if urn.lower() == ENTERPRISE_URN.lower():
        return ENTERPRISE_CATALOGUE.get(name.lower())
    return None


def is_custom_extension(urn: str) -> bool:
    """Return True for an extension URN other than the enterprise one (Entra custom attributes)."""
    return urn.lower().startswith(EXTENSION_PREFIX) and urn.lower() != ENTERPRISE_URN.lower()


def _complex_field(entry: CatalogueEntry, subs: frozenset[str] | None, data_key: str,
                   types: tuple[str, ...] = ()) -> fields.Field[Any]:
    assert entry.sub_attributes is not None
    wanted = {name.lower() for name in subs or ()}
    if entry.multi_valued:
        wanted |= {"type"}
    chosen = {python_name(name): _with_key(factory, name)
              for name, factory in entry.sub_attributes.items() if name.lower() in wanted}
    if types and "type" in chosen:
        # Only these types have a CRM field, so a client that picks another type loses the value.
        chosen["type"].metadata = {**chosen["type"].metadata, "canonical_values": types}
    nested = ScimSchema.from_dict(chosen, name=f"{entry.name}Schema")
    metadata = scim_metadata("complex", description=entry.description)
    if entry.multi_valued:
        return fields.List(fields.Nested(nested), data_key=data_key, allow_none=True, metadata=metadata)
    return fields.Nested(nested, data_key=data_key, allow_none=True, metadata=metadata)


def _with_key(factory: FieldFactory, name: str) -> fields.Field[Any]:
    field = factory()
    field.data_key = name
    return field


def _field(entry: CatalogueEntry, subs: frozenset[str] | None, types: tuple[str, ...] = ()) -> fields.Field[Any]:
    if entry.is_complex:
        return _complex_field(entry, subs, entry.name, types)
    assert entry.factory is not None
    return _with_key(entry.factory, entry.name)


def _extension_field(schema_class: type[Schema], urn: str) -> fields.Nested:
    return fields.Nested(schema_class, data_key=urn, allow_none=True, metadata=scim_metadata("complex"))


def _extension_name(urn: str) -> str:
    return urn.rsplit(":", 3)[-3] if urn.count(":") >= 3 else urn


def build_user_resource(selection: Selection) -> UserResource:
    """Build the User schema and definition of the attributes in ``selection``."""
    core: dict[str, fields.Field[Any]] = {
        "schemas": schemas_field(),
        "id": id_field(),
        "external_id": external_id_field(),
        "meta": meta_field(),
        "groups": fields.List(fields.Nested(UserGroupSchema), dump_only=True,
                              metadata=scim_metadata("complex", mutability="readOnly",
                                                     description="Groups the user is a member of.")),
    }
    extensions: dict[str, dict[str, fields.Field[Any]]] = {}
    for (urn, name), subs in selection.attributes.items():
        entry = catalogue_entry(urn, name)
        if urn.lower() == USER_URN.lower():
            if entry is not None:
                core[python_name(entry.name)] = _field(entry, subs, selection.types.get((urn, name), ()))
            continue
        chosen = extensions.setdefault(urn, {})
        if entry is not None:
            chosen[python_name(entry.name)] = _field(entry, subs)
        elif is_custom_extension(urn):
            chosen[python_name(name)] = _with_key(_text(f"Custom attribute {name}."), name)
    core.setdefault("user_name", _field(CORE_CATALOGUE["username"], None))

    extension_keys: dict[str, str] = {}
    extension_defs: list[SchemaDef] = []
    for index, (urn, chosen) in enumerate(sorted(extensions.items())):
        key = ENTERPRISE_KEY if urn.lower() == ENTERPRISE_URN.lower() else f"extension_{index}"
        name = "EnterpriseUser" if key == ENTERPRISE_KEY else _extension_name(urn)
        schema_class = ScimSchema.from_dict(chosen, name=f"{name}Schema")
        core[key] = _extension_field(schema_class, urn)
        extension_keys[urn] = key
        extension_defs.append(schema_definition(schema_class(), urn, name, f"{name} extension", attribute=key))

    schema = ScimSchema.from_dict(core, name="UserSchema")()
    core_definition = schema_definition(schema, USER_URN, "User", "User account", skip=frozenset(extensions))
    definition = ResourceDef(name="User", endpoint="/Users", core=core_definition,
                             extensions=tuple(extension_defs))
    return UserResource(schema=schema, definition=definition, extension_keys=extension_keys)


# The attributes of the default mapping, for callers that need a User schema without an
# application (tests and documentation).
DEFAULT_SELECTION = Selection({
    (USER_URN, "userName"): None,
    (USER_URN, "name"): frozenset({"familyName", "givenName"}),
    (USER_URN, "displayName"): None,
    (USER_URN, "title"): None,
    (USER_URN, "active"): None,
    (USER_URN, "emails"): frozenset({"value"}),
    (USER_URN, "phoneNumbers"): frozenset({"value"}),
    (ENTERPRISE_URN, "manager"): None,
})
DEFAULT_USER = build_user_resource(DEFAULT_SELECTION)
USER_SCHEMA = DEFAULT_USER.schema
USER_DEFINITION = DEFAULT_USER.definition
