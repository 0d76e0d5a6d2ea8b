"""Load and validate the YAML datamodel of the embedded CRM store.

The datamodel lists the limetypes (business object types) of an application, the way LISA
defines them in Lime CRM: each limetype has a table label and properties, and each property
has a type and optionally a field label. The store creates one table per limetype from it,
and the mapping layer finds coworker fields by their labels.

Format::

    limetypes:
      coworker:                    # limetype name: becomes the table lt_coworker
        table_label: user          # optional; null or left out for none
        properties:
          firstname:               # property name: becomes a column name
            type: string           # required, see PROPERTY_TYPES
            label: First Name      # optional field label
            required: true         # optional, default false
            length: 128            # optional maximum length, string-like types only
            default: ""            # optional, must fit the type and length
          manager:
            type: belongsto
            related: coworker      # required for belongsto: the limetype it points at

Limetype and property names must be identifiers (ASCII letters, digits and underscores, not
starting with a digit) because they become SQL table and column names. Names that differ only
in letter case are rejected, because SQLite compares column names case-insensitively. The
property name ``id`` is reserved for the record id.

Any problem raises :class:`DatamodelError` with a one-line message that names the file, the
limetype, the property and the fix.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import yaml

from .port import LimetypeInfo, PropertyInfo

logger = logging.getLogger(__name__)

PROPERTY_TYPES = frozenset(
    {
        "string",
        "text",
        "phone",
        "link",
        "yesno",
        "integer",
        "decimal",
        "time",
        "option",
        "user",
        "belongsto",
    }
)
# Types whose values are strings. Only these take a length.
STRING_TYPES = frozenset({"string", "text", "phone", "link", "option"})
RELATION_TYPES = frozenset({"user", "belongsto"})

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# PostgreSQL truncates identifiers after 63 bytes, and limetype tables get the prefix "lt_".
MAX_PROPERTY_NAME_LENGTH = 63
MAX_LIMETYPE_NAME_LENGTH = 60

_LIMETYPE_KEYS = frozenset({"table_label", "properties"})
_PROPERTY_KEYS = frozenset({"type", "label", "required", "default", "length", "related"})


class DatamodelError(Exception):
    """The datamodel file cannot be read or does not describe a valid datamodel."""


def default_datamodel_path() -> Path:
    """Return the path of the datamodel that ships with the package."""
    return Path(__file__).with_name("default_datamodel.yaml")


def load_datamodel(path: Path) -> dict[str, LimetypeInfo]:
    """Read the YAML datamodel at ``path`` and return its limetypes by name.

    Raises :class:`DatamodelError` when the file cannot be read, is not valid YAML, or does
    not follow the format in the module docstring.
    """
    document = _read_yaml(path)
    limetypes = _parse_document(path, document)
    _check_relations(path, limetypes)
    logger.debug("loaded datamodel %s with limetypes %s", path, sorted(limetypes))
    return limetypes


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatamodelError(
            f"{path}: cannot read the datamodel file ({exc.strerror or exc}); "
            "check the path and its permissions"
        ) from exc
    except UnicodeDecodeError as exc:
        raise DatamodelError(
            f"{path}: the datamodel file is not valid UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from exc

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DatamodelError(
            f"{path}: invalid YAML {_describe_yaml_error(exc)}; fix the syntax"
        ) from exc


def _describe_yaml_error(exc: yaml.YAMLError) -> str:
    """Return where and why PyYAML failed, on one line."""
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f"({' '.join(str(exc).split())})"
    mark = exc.problem_mark
    problem = " ".join((exc.problem or "syntax error").split())
    return f"at line {mark.line + 1}, column {mark.column + 1} ({problem})"


def _parse_document(path: Path, document: object) -> dict[str, LimetypeInfo]:
    if not isinstance(document, dict) or set(document) != {"limetypes"}:
        raise DatamodelError(
            f"{path}: the datamodel must be a mapping with the single key 'limetypes'; "
            "see the format in lime_scim.objectapi.datamodel"
        )
    entries = document["limetypes"]
    if not isinstance(entries, dict) or not entries:
        raise DatamodelError(
            f"{path}: 'limetypes' must be a non-empty mapping of limetype names to definitions"
        )

    limetypes: dict[str, LimetypeInfo] = {}
    for name, entry in entries.items():
        _check_name(path, name, kind="limetype", max_length=MAX_LIMETYPE_NAME_LENGTH)
        _check_case_duplicate(path, str(name), limetypes, where=f"limetype '{name}'")
        limetypes[name] = _parse_limetype(path, name, entry)
    return limetypes


def _check_name(path: Path, name: object, *, kind: str, max_length: int, where: str = "") -> None:
    prefix = f"{path}: {where}" if where else f"{path}: "
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise DatamodelError(
            f"{prefix}{kind} name {name!r} is not a valid identifier; use ASCII letters, "
            "digits and underscores, not starting with a digit, because it becomes an SQL name"
        )
    if len(name) > max_length:
        raise DatamodelError(
            f"{prefix}{kind} name '{name}' is longer than {max_length} characters; shorten it"
        )


def _check_case_duplicate(path: Path, name: str, seen: Mapping[str, object], *, where: str) -> None:
    for other in seen:
        if other.lower() == name.lower():
            raise DatamodelError(
                f"{path}: {where} has the same name as '{other}' ignoring letter case; rename one"
            )


def _parse_limetype(path: Path, name: str, entry: object) -> LimetypeInfo:
    where = f"limetype '{name}'"
    if not isinstance(entry, dict):
        raise DatamodelError(
            f"{path}: {where} must be a mapping with 'table_label' and 'properties'"
        )
    unknown = set(entry) - _LIMETYPE_KEYS
    if unknown:
        raise DatamodelError(
            f"{path}: {where} has unknown keys {sorted(map(str, unknown))}; "
            f"allowed keys are {sorted(_LIMETYPE_KEYS)}"
        )

    table_label = entry.get("table_label")
    if table_label is not None and (not isinstance(table_label, str) or not table_label.strip()):
        raise DatamodelError(f"{path}: {where}: 'table_label' must be a non-empty string or null")

    properties = _parse_properties(path, name, entry.get("properties"))
    return LimetypeInfo(name=name, table_label=table_label, properties=MappingProxyType(properties))


def _parse_properties(path: Path, limetype: str, entries: object) -> dict[str, PropertyInfo]:
    where = f"limetype '{limetype}'"
    if not isinstance(entries, dict) or not entries:
        raise DatamodelError(
            f"{path}: {where}: 'properties' must be a non-empty mapping of property names "
            "to definitions"
        )

    properties: dict[str, PropertyInfo] = {}
    for name, entry in entries.items():
        _check_name(
            path, name, kind="property", max_length=MAX_PROPERTY_NAME_LENGTH, where=f"{where}: "
        )
        if name.lower() == "id":
            raise DatamodelError(
                f"{path}: {where}, property '{name}': the name 'id' is reserved for the record id; "
                "rename the property"
            )
        _check_case_duplicate(path, name, properties, where=f"{where}, property '{name}'")
        properties[name] = _parse_property(path, limetype, name, entry)
    return properties


def _parse_property(path: Path, limetype: str, name: str, entry: object) -> PropertyInfo:
    where = f"{path}: limetype '{limetype}', property '{name}'"
    if not isinstance(entry, dict):
        raise DatamodelError(f"{where}: the definition must be a mapping with at least 'type'")
    unknown = set(entry) - _PROPERTY_KEYS
    if unknown:
        raise DatamodelError(
            f"{where}: unknown keys {sorted(map(str, unknown))}; "
            f"allowed keys are {sorted(_PROPERTY_KEYS)}"
        )

    property_type = _parse_type(where, entry.get("type"))
    label = _parse_label(where, entry.get("label"))
    required = entry.get("required", False)
    if not isinstance(required, bool):
        raise DatamodelError(f"{where}: 'required' must be true or false, not {required!r}")
    length = _parse_length(where, property_type, entry.get("length"))
    related = _parse_related(where, property_type, entry.get("related"))
    default = _parse_default(where, property_type, length, entry.get("default"))

    return PropertyInfo(
        name=name,
        type=property_type,
        label=label,
        required=required,
        default=default,
        length=length,
        related_limetype=related,
    )


def _parse_type(where: str, value: object) -> str:
    if value is None:
        raise DatamodelError(
            f"{where}: 'type' is missing; set one of {', '.join(sorted(PROPERTY_TYPES))}"
        )
    if value not in PROPERTY_TYPES:
        raise DatamodelError(
            f"{where}: unknown type {value!r}; use one of {', '.join(sorted(PROPERTY_TYPES))}"
        )
    return str(value)


def _parse_label(where: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DatamodelError(f"{where}: 'label' must be a non-empty string or left out")
    return value


def _parse_length(where: str, property_type: str, value: object) -> int | None:
    if value is None:
        return None
    if property_type not in STRING_TYPES:
        raise DatamodelError(
            f"{where}: 'length' applies only to the types {', '.join(sorted(STRING_TYPES))}; "
            f"remove it from this {property_type} property"
        )
    # bool is a subclass of int, so "length: true" must be caught explicitly.
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise DatamodelError(f"{where}: 'length' must be a positive integer, not {value!r}")
    return value


def _parse_related(where: str, property_type: str, value: object) -> str | None:
    if property_type != "belongsto":
        if value is not None:
            raise DatamodelError(
                f"{where}: 'related' applies only to belongsto properties; remove it"
            )
        return None
    if not isinstance(value, str) or not value:
        raise DatamodelError(
            f"{where}: a belongsto property needs 'related' naming the limetype it points at"
        )
    return value


def _parse_default(where: str, property_type: str, length: int | None, value: object) -> object:
    if value is None:
        return None
    if property_type in RELATION_TYPES:
        raise DatamodelError(
            f"{where}: a {property_type} property cannot have a default; remove it"
        )
    if not _default_fits_type(property_type, value):
        raise DatamodelError(
            f"{where}: default {value!r} does not fit type {property_type}; "
            f"use {_DEFAULT_HINTS[property_type]}"
        )
    if length is not None and isinstance(value, str) and len(value) > length:
        raise DatamodelError(
            f"{where}: default {value!r} is longer than the length {length}; shorten it"
        )
    return value


_DEFAULT_HINTS = {
    "string": "a string",
    "text": "a string",
    "phone": "a string",
    "link": "a string",
    "option": "a string (the option key)",
    "yesno": "true or false",
    "integer": "an integer",
    "decimal": "a finite number",
    "time": "a timestamp with a time zone, such as 2024-01-31T12:00:00Z",
}


def _default_fits_type(property_type: str, value: object) -> bool:
    if property_type in STRING_TYPES:
        return isinstance(value, str) and "\x00" not in value
    if property_type == "yesno":
        return isinstance(value, bool)
    # bool is a subclass of int, so it is excluded from the number types explicitly.
    if isinstance(value, bool):
        return False
    if property_type == "integer":
        return isinstance(value, int)
    if property_type == "decimal":
        return isinstance(value, (int, float)) and math.isfinite(value)
    if property_type == "time":
        return isinstance(value, datetime) and value.tzinfo is not None
    return False


def _check_relations(path: Path, limetypes: Mapping[str, LimetypeInfo]) -> None:
    for limetype in limetypes.values():
        for prop in limetype.properties.values():
            if prop.related_limetype is not None and prop.related_limetype not in limetypes:
                raise DatamodelError(
                    f"{path}: limetype '{limetype.name}', property '{prop.name}': 'related' names "
                    f"the unknown limetype '{prop.related_limetype}'; use one of "
                    f"{', '.join(sorted(limetypes))}"
                )
