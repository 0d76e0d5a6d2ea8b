"""Marshmallow schemas for the SCIM resources this service provider supports (RFC 7643).

Attributes are snake_case in loaded data and carry their SCIM name in ``data_key``; readOnly
attributes are ``dump_only``. The other RFC 7643 §7 characteristics sit in ``metadata`` so that
:func:`schema_definition` can derive the :class:`~lime_scim.scim.definitions.ResourceDef` tree
that the PATCH engine, the filter checks and ``/Schemas`` read: the wire format and the
discovery documents come from one definition and cannot drift apart.

Loading is lenient where Entra is known to deviate (each case says so) and strict everywhere
else: a value of the wrong type is an ``invalidValue`` error naming the attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load

from .constants import GROUP_URN
from .definitions import AttributeDef, ResourceDef, SchemaDef
from .errors import InvalidValue

# Attributes every resource has (RFC 7643 §3.1). They are not listed in /Schemas.
COMMON_ATTRIBUTES = frozenset({"schemas", "id", "externalId", "meta"})

_TRUE_STRINGS = frozenset({"true"})
_FALSE_STRINGS = frozenset({"false"})


def parse_boolean(value: object) -> bool:
    """Return ``value`` as a bool, accepting "True"/"False" strings in any letter case.

    Entra sends ``active`` (and ``primary``) as the strings "True" and "False"; RFC 7643 §2.3.2
    wants JSON booleans. Anything else raises ValueError.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE_STRINGS:
            return True
        if lowered in _FALSE_STRINGS:
            return False
    raise ValueError(f"expected true or false, got {value!r}")


class ScimBoolean(fields.Field[bool]):
    """A boolean that also accepts Entra's "True"/"False" strings."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        try:
            return parse_boolean(value)
        except ValueError as error:
            raise ValidationError(f"Must be true or false, got {value!r}.") from error

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> bool | None:
        return None if value is None else bool(value)


def scim_metadata(
    type_: str = "string",
    *,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    description: str = "",
    canonical_values: tuple[str, ...] = (),
    reference_types: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Build the ``metadata`` dict holding an attribute's RFC 7643 §7 characteristics."""
    return {
        "type": type_,
        "case_exact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
        "description": description,
        "canonical_values": canonical_values,
        "reference_types": reference_types,
    }


class ScimSchema(Schema):
    """Base schema: case-insensitive attribute names, unknown attributes dropped.

    RFC 7643 §2.1 makes attribute names case-insensitive, and Microsoft's own test data sends
    ``"Primary"``; so incoming keys are mapped to their declared spelling before loading.
    Unknown attributes are accepted and ignored, because Entra sends attributes the CRM does not
    store (``preferredLanguage``, ``addresses``, ``roles``, ``meta``).
    """

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def canonical_keys(self, data: Any, **kwargs: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        spelled = _wire_names(self)
        return {spelled.get(key.lower(), key) if isinstance(key, str) else key: value
                for key, value in data.items()}



def load_resource(schema: Schema, data: Any) -> dict[str, Any]:
    """Load a resource body with ``schema``; raise InvalidValue naming every bad attribute.

    Translation happens here rather than in ``Schema.handle_error`` because nested schemas
    would otherwise report their errors without the path of the attribute that holds them.
    """
    if not isinstance(data, Mapping):
        raise InvalidValue(f"The request body must be a JSON object, got {type(data).__name__}.")
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as error:
        raise InvalidValue(_describe_errors(error.messages)) from error
    return loaded


def _wire_names(schema: Schema) -> dict[str, str]:
    # Read from the class's own __dict__: generated subclasses must not see a parent's index.
    names: dict[str, str] | None = type(schema).__dict__.get("_wire_name_index")
    if names is None:
        names = {(f.data_key or name).lower(): (f.data_key or name) for name, f in schema.fields.items()}
        type.__setattr__(type(schema), "_wire_name_index", names)
    return names


def _describe_errors(messages: Any, prefix: str = "") -> str:
    """Flatten marshmallow's nested error messages into one sentence per attribute."""
    parts: list[str] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if key == "_schema":
                location = prefix
            elif isinstance(key, int):
                location = f"{prefix}[{key}]"
            else:
                location = f"{prefix}.{key}" if prefix else str(key)
            parts.append(_describe_errors(value, location))
    elif isinstance(messages, list):
        text = " ".join(str(message) for message in messages)
        if text == "Missing data for required field.":
            return f"The attribute '{prefix}' is required."
        if text == "Invalid input type.":
            return f"Invalid value for '{prefix}': it must be a JSON object."
        return f"Invalid value for '{prefix}': {text}"
    else:
        return f"Invalid value for '{prefix}': {messages}"
    return " ".join(part for part in parts if part)


# ----------------------------------------------------------------------------------------------
# Shared complex attributes


class MetaSchema(ScimSchema):
    resource_type = fields.String(data_key="resourceType", metadata=scim_metadata(case_exact=True, mutability="readOnly"))
    created = fields.String(metadata=scim_metadata("dateTime", mutability="readOnly"))
    last_modified = fields.String(data_key="lastModified", metadata=scim_metadata("dateTime", mutability="readOnly"))
    location = fields.String(metadata=scim_metadata("reference", mutability="readOnly", reference_types=("uri",)))
    version = fields.String(metadata=scim_metadata(case_exact=True, mutability="readOnly"))


def id_field() -> fields.String:
    return fields.String(
        dump_only=True,
        metadata=scim_metadata(case_exact=True, mutability="readOnly", returned="always", uniqueness="server",
                       description="Identifier of the resource, issued by the service provider."),
    )


def external_id_field() -> fields.String:
    return fields.String(
        data_key="externalId", allow_none=True,
        metadata=scim_metadata(case_exact=True, description="Identifier of the resource in the provisioning client."),
    )


def schemas_field() -> fields.List:
    return fields.List(fields.String(), metadata=scim_metadata("reference", case_exact=True, returned="always"))


def meta_field() -> fields.Nested:
    return fields.Nested(MetaSchema, dump_only=True, metadata=scim_metadata("complex", mutability="readOnly"))


# ----------------------------------------------------------------------------------------------
# Complex attributes with behaviour of their own


class UserGroupSchema(ScimSchema):
    value = fields.String(metadata=scim_metadata(case_exact=True, mutability="readOnly",
                                                 description="Id of the Group."))
    ref = fields.String(data_key="$ref", metadata=scim_metadata("reference", mutability="readOnly", reference_types=("Group",),
                                                                description="URI of the Group."))
    display = fields.String(metadata=scim_metadata(mutability="readOnly", description="displayName of the Group."))
    type = fields.String(metadata=scim_metadata(mutability="readOnly", canonical_values=("direct",),
                                                description="Always direct, because groups are flat."))


class ManagerSchema(ScimSchema):
    value = fields.String(allow_none=True, metadata=scim_metadata(case_exact=True, description="Id of the manager's User."))
    # RFC 7643 §8.7.1 makes $ref readWrite; a manager sent by $ref alone takes its id from the URI.
    ref = fields.String(data_key="$ref", allow_none=True,
                        metadata=scim_metadata("reference", reference_types=("User",),
                                               description="URI of the manager's User."))
    # Returned by default: admins read the manager's name, and Entra compares only the value.
    display_name = fields.String(data_key="displayName", dump_only=True,
                                 metadata=scim_metadata(mutability="readOnly",
                                                        description="Name of the manager."))

    @pre_load
    def wrap_bare_id(self, data: Any, **kwargs: Any) -> Any:
        # Entra sends the manager as a bare id string; RFC 7643 §4.3 makes it complex.
        if isinstance(data, str):
            return {"value": data}
        if isinstance(data, Mapping) and not any(key.lower() == "value" for key in data):
            reference = next((item for key, item in data.items() if key.lower() == "$ref"), None)
            if isinstance(reference, str) and reference.rstrip("/"):
                return {**data, "value": reference.rstrip("/").rsplit("/", 1)[-1]}
        return data


# ----------------------------------------------------------------------------------------------
# Group (RFC 7643 §4.2)


class MemberSchema(ScimSchema):
    value = fields.String(required=True, metadata=scim_metadata(case_exact=True, mutability="immutable",
                                                        description="Id of the member User."))
    ref = fields.String(data_key="$ref", allow_none=True,
                        metadata=scim_metadata("reference", mutability="immutable", reference_types=("User",),
                                               description="URI of the member User."))
    # Returned on request only, so that a member reads back as the client wrote it.
    display = fields.String(dump_only=True, metadata=scim_metadata(mutability="readOnly", returned="request",
                                                                   description="Name of the member User."))
    type = fields.String(allow_none=True, metadata=scim_metadata(mutability="immutable", canonical_values=("User",),
                                                                 description="Always User, because groups cannot be members."))


class GroupSchema(ScimSchema):
    schemas = schemas_field()
    id = id_field()
    external_id = external_id_field()
    meta = meta_field()
    display_name = fields.String(
        data_key="displayName", required=True,
        metadata=scim_metadata(returned="always", uniqueness="server",
                       description="Group name, unique without regard to letter case."),
    )
    members = fields.List(fields.Nested(MemberSchema), allow_none=True,
                          metadata=scim_metadata("complex", description="Users in the group. Groups cannot be members."))


# ----------------------------------------------------------------------------------------------
# Definitions derived from the schemas


def field_definition(name: str, attribute: str, field: fields.Field[Any]) -> AttributeDef:
    multi_valued = isinstance(field, fields.List)
    inner: fields.Field[Any] = field.inner if isinstance(field, fields.List) else field
    meta = field.metadata
    sub_attributes: tuple[AttributeDef, ...] = ()
    if isinstance(inner, fields.Nested):
        nested = inner.schema
        sub_attributes = tuple(
            field_definition(sub.data_key or sub_name, sub_name, sub) for sub_name, sub in nested.fields.items()
        )
    return AttributeDef(
        name=name,
        type=meta.get("type", "string"),
        multi_valued=multi_valued,
        required=field.required,
        case_exact=meta.get("case_exact", False),
        mutability=meta.get("mutability", "readWrite"),
        returned=meta.get("returned", "default"),
        uniqueness=meta.get("uniqueness", "none"),
        description=meta.get("description", ""),
        canonical_values=meta.get("canonical_values", ()),
        reference_types=meta.get("reference_types", ()),
        sub_attributes=sub_attributes,
        attribute=attribute,
    )


def schema_definition(
    schema: Schema, urn: str, name: str, description: str, *, attribute: str = "", skip: frozenset[str] = frozenset()
) -> SchemaDef:
    attributes = tuple(
        field_definition(field.data_key or field_name, field_name, field)
        for field_name, field in schema.fields.items()
        if (field.data_key or field_name) not in skip
    )
    return SchemaDef(id=urn, name=name, description=description, attributes=attributes, attribute=attribute)


GROUP_SCHEMA = GroupSchema()
GROUP_DEFINITION = ResourceDef(
    name="Group", endpoint="/Groups", core=schema_definition(GROUP_SCHEMA, GROUP_URN, "Group", "Group")
)


def resource_definition(resource: str) -> ResourceDef:
    """Return the definition of ``Group`` or of the default-mapping ``User`` resource type."""
    if resource == "Group":
        return GROUP_DEFINITION
    if resource == "User":
        from .user_schema import USER_DEFINITION

        return USER_DEFINITION
    raise KeyError(resource)


def __getattr__(name: str) -> Any:
    # The User schema lives in user_schema.py, which imports this module. Importing it here on
    # first use keeps the default User schema reachable from this module without an import cycle.
    if name in ("USER_SCHEMA", "USER_DEFINITION"):
        from . import user_schema

        return getattr(user_schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
