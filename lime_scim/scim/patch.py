"""PATCH (RFC 7644 §3.5.2): parse a PatchOp message and apply its operations to a resource.

:func:`parse_patch_request` validates the message, :func:`split_member_operations` takes the
group membership changes out so that the caller can apply them without loading the member
list, and :func:`apply_patch` applies the rest to a resource in SCIM wire form.

Both request dialects of Entra ID are accepted. The default one sends ``Add``, ``Replace`` and
``Remove``, one operation per attribute, and removes members with a value list. The
``aadOptscim062020`` one sends lower-case ops, folds simple attributes into one path-less
``replace`` with dotted and URN-qualified keys, and removes members with a
``members[value eq "id"]`` filter.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .constants import ENTERPRISE_URN, GROUP_URN
from .definitions import AttributeDef, ResourceDef, SchemaDef
from .errors import InvalidFilter, InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from .filter import And, AttrPath, Comparison, Expr, Or, as_boolean, evaluate, render_filter
from .paths import PatchPath, parse_path, render_path

_OPERATION_NAMES = ("add", "replace", "remove")
# Keys of a path-less value object that are not attributes a client can write. Clients copy
# them from a GET response, so they are skipped rather than rejected.
_IGNORED_KEYS = frozenset({"schemas", "id", "meta"})
_MEMBER_KEYS = frozenset({"members", f"{GROUP_URN.lower()}:members"})
_MEMBER_PATH_HELP = (
    'Use the path "members" with a list of {"value": id} objects, or "members[value eq \\"id\\"]".'
)


@dataclass(frozen=True, slots=True)
class PatchOperation:
    """One operation of a PatchOp message, with ``op`` in lower case (add, replace or remove).

    ``path`` is None when the operation has no path.
    """

    op: str
    path: PatchPath | None
    value: Any = None
    # False when the operation has no "value" member, which differs from "value": null.
    has_value: bool = False


@dataclass(frozen=True, slots=True)
class MemberChange:
    """A change to a group's member list, by member id, in request order."""

    kind: Literal["add", "remove", "remove_all", "replace"]
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Target:
    """The schema, attribute, value filter and sub-attribute that a PATCH path names."""

    schema: SchemaDef
    attribute: AttributeDef
    value_filter: Expr | None
    sub_attribute: AttributeDef | None

    @property
    def selects_elements(self) -> bool:
        # A filter, or a sub-attribute of a multi-valued attribute, picks elements of a list.
        return self.value_filter is not None or (
            self.sub_attribute is not None and self.attribute.multi_valued
        )


# ---------------------------------------------------------------------------------------------
# Small helpers


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _preview(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _member(mapping: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    """Return whether ``mapping`` has the key ``name`` in any letter case, and its value."""
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return True, value
    return False, None


def _get(mapping: Mapping[str, Any], name: str) -> Any:
    return _member(mapping, name)[1]


def _pop(mapping: dict[str, Any], name: str) -> None:
    for key in [key for key in mapping if key.lower() == name.lower()]:
        del mapping[key]


def _put(mapping: dict[str, Any], name: str, value: Any) -> None:
    """Set ``mapping[name]``, replacing the key in any other letter case by the canonical name."""
    for key in [key for key in mapping if key.lower() == name.lower() and key != name]:
        del mapping[key]
    mapping[name] = value


def _is_clear(value: Any) -> bool:
    # Microsoft's validation harness clears attributes with "" and with null.
    return value is None or value == ""


def _normalize_scalar(attribute: AttributeDef, value: Any) -> Any:
    # Entra sends booleans as the strings "True" and "False". Other values that are not
    # booleans are left for the caller's schema to reject.
    if attribute.type == "boolean":
        boolean = as_boolean(value)
        return value if boolean is None else boolean
    return value


def _is_primary(element: Any) -> bool:
    return isinstance(element, dict) and as_boolean(_get(element, "primary")) is True


# ---------------------------------------------------------------------------------------------
# Parsing the PatchOp message


def _operations_list(body: Any) -> list[Any]:
    if not isinstance(body, Mapping):
        raise InvalidSyntax(
            f'The PATCH body must be a JSON object with an "Operations" list, '
            f"got {_json_type(body)}."
        )
    found, operations = _member(body, "Operations")
    if not found:
        raise InvalidSyntax(
            'The PATCH body has no "Operations" member: send {"schemas": '
            '["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [...]}.'
        )
    if not isinstance(operations, list):
        raise InvalidSyntax(
            f'"Operations" must be a list of operations, got {_json_type(operations)}.'
        )
    return operations


def _parse_op_name(where: str, item: Mapping[str, Any]) -> str:
    found, name = _member(item, "op")
    if not found:
        raise InvalidSyntax(f'{where} has no "op": use add, replace or remove.')
    if not isinstance(name, str) or name.lower() not in _OPERATION_NAMES:
        raise InvalidSyntax(f"{where}.op must be add, replace or remove, got {name!r}.")
    return name.lower()


def _parse_operation_path(where: str, item: Mapping[str, Any]) -> PatchPath | None:
    _, text = _member(item, "path")
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidSyntax(f"{where}.path must be a string, got {_json_type(text)}.")
    if not text.strip():
        # Some clients send "path": "" for an operation on the whole resource.
        return None
    try:
        return parse_path(text)
    except InvalidPath as error:
        raise InvalidPath(f"{where}.path: {error.detail}") from None


def _parse_operation(index: int, item: Any) -> PatchOperation:
    where = f"Operations[{index}]"
    if not isinstance(item, Mapping):
        raise InvalidSyntax(
            f'{where} must be an object with "op", "path" and "value", got {_json_type(item)}.'
        )
    op = _parse_op_name(where, item)
    path = _parse_operation_path(where, item)
    has_value, value = _member(item, "value")

    if op == "remove" and path is None:
        raise NoTarget(f'{where}: remove needs a "path" naming what to remove (RFC 7644 §3.5.2.2).')
    if op != "remove" and not has_value:
        raise InvalidValue(f'{where}: {op} needs a "value" (RFC 7644 §3.5.2.1 and §3.5.2.3).')
    return PatchOperation(op, path, value, has_value)


def parse_patch_request(body: Any, *, max_operations: int | None = None) -> list[PatchOperation]:
    """Validate a PatchOp message (RFC 7644 §3.5.2) and return its operations in order.

    Member names and op values match in any letter case, because Entra sends ``Add``,
    ``Replace`` and ``Remove``. The ``schemas`` member may be missing or come after
    ``Operations``. An empty ``Operations`` list is valid and changes nothing. Raises
    InvalidSyntax or InvalidValue for a wrong shape, InvalidPath for a malformed path, and
    NoTarget for a remove without a path. Each detail names the operation's index. Raises
    InvalidValue when there are more than ``max_operations`` operations.
    """
    operations = _operations_list(body)
    if max_operations is not None and len(operations) > max_operations:
        raise InvalidValue(
            f"The PATCH request has {len(operations)} operations, but the maximum is "
            f"{max_operations} (the max_patch_operations setting). Split the changes into "
            "several requests."
        )
    return [_parse_operation(index, item) for index, item in enumerate(operations)]


# ---------------------------------------------------------------------------------------------
# Resolving a path against the resource definition


def _schema_of(path: PatchPath, definition: ResourceDef) -> SchemaDef | None:
    """Return the schema that defines the attribute of ``path``, or None when none does."""
    if path.schema is not None:
        if path.schema.lower() == definition.core.id.lower():
            return definition.core
        return definition.extension(path.schema)
    if definition.core.attribute_named(path.attribute) is not None:
        return definition.core
    # Under RFC 7644 §3.10 a client SHOULD, not MUST, qualify extension attributes, and Entra
    # has been reported to send manager[value eq "id"] without the enterprise URN. So an
    # unqualified name that exactly one extension defines is taken from that extension.
    owners = [
        schema
        for schema in definition.extensions
        if schema.attribute_named(path.attribute) is not None
    ]
    return owners[0] if len(owners) == 1 else None


def _whole_extension(path: PatchPath, definition: ResourceDef) -> SchemaDef | None:
    """Return the extension schema when ``path`` is a whole extension URN, else None."""
    if path.schema is None or path.filter is not None or path.sub_attribute is not None:
        return None
    return definition.extension(f"{path.schema}:{path.attribute}")


def _resolve(path: PatchPath, definition: ResourceDef) -> _Target | None:
    """Return what ``path`` names, or None when the definition has no such attribute."""
    schema = _schema_of(path, definition)
    attribute = schema.attribute_named(path.attribute) if schema is not None else None
    if schema is None or attribute is None:
        return None

    sub_attribute = None
    if path.sub_attribute is not None:
        if not attribute.is_complex:
            raise InvalidPath(
                f"'{attribute.name}' has no sub-attributes, so the path "
                f"{render_path(path)!r} is invalid."
            )
        sub_attribute = attribute.sub(path.sub_attribute)
        if sub_attribute is None:
            return None
    if path.filter is not None and not (attribute.multi_valued or attribute.is_complex):
        raise InvalidPath(
            f"'{attribute.name}' has a single simple value, so the path {render_path(path)!r} "
            f"cannot have a value filter."
        )
    return _Target(schema, attribute, path.filter, sub_attribute)


def _check_writable(target: _Target) -> None:
    """Raise Mutability when the path names a readOnly attribute (RFC 7643 §7)."""
    for attribute in (target.attribute, target.sub_attribute):
        if attribute is not None and attribute.mutability == "readOnly":
            raise Mutability(
                f"'{attribute.name}' is read-only: the server sets it, and PATCH cannot change it."
            )


def _check_immutable(attribute: AttributeDef, current: Any, new: Any) -> None:
    if attribute.mutability == "immutable" and current is not None and current != new:
        raise Mutability(
            f"'{attribute.name}' is immutable: it is set when the resource is created and cannot "
            f"be changed from {_preview(current)} to {_preview(new)}."
        )


def _check_removable(attribute: AttributeDef, current: Any) -> None:
    """Raise Mutability before a required or immutable value is removed (RFC 7644 §3.5.2.2)."""
    if current is None:
        return
    if attribute.required:
        raise Mutability(f"'{attribute.name}' is required, so it cannot be removed or cleared.")
    if attribute.mutability == "immutable":
        raise Mutability(f"'{attribute.name}' is immutable, so it cannot be removed or cleared.")


def _container(
    resource: dict[str, Any], schema: SchemaDef, definition: ResourceDef, *, create: bool
) -> dict[str, Any] | None:
    """Return the resource for the core schema, or the extension's object under its URN."""
    if schema is definition.core:
        return resource
    current = _get(resource, schema.id)
    if isinstance(current, dict):
        return current
    if not create:
        return None
    extension: dict[str, Any] = {}
    _put(resource, schema.id, extension)
    return extension


def _prune_extension(resource: dict[str, Any], schema: SchemaDef, definition: ResourceDef) -> None:
    if schema is not definition.core and _get(resource, schema.id) == {}:
        _pop(resource, schema.id)


# ---------------------------------------------------------------------------------------------
# Values of single attributes


def _complex_value(attribute: AttributeDef, value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, list) or attribute.sub("value") is None:
        raise InvalidValue(
            f"'{attribute.name}' is a complex attribute and takes an object of sub-attributes, "
            f"got {_json_type(value)}."
        )
    # Entra sends the enterprise manager as a bare id, but RFC 7643 §4.3 makes it {"value": id}.
    return {"value": value}


def _check_scalar(attribute: AttributeDef, value: Any) -> None:
    if isinstance(value, (Mapping, list)):
        raise InvalidValue(
            f"'{attribute.name}' takes a single {attribute.type} value, got {_json_type(value)}."
        )


def _merge_sub_attributes(
    element: dict[str, Any], attribute: AttributeDef, update: Mapping[str, Any]
) -> None:
    """Merge ``update`` into the complex value ``element``. A "" or null removes a sub-attribute.

    Unknown sub-attributes and readOnly ones (such as ``manager.displayName``, which clients
    copy from a GET) are skipped. Sub-attributes that ``update`` does not name stay, as RFC
    7644 §3.5.2.3 requires for replace.
    """
    for key, value in update.items():
        sub_attribute = attribute.sub(key)
        if sub_attribute is None or sub_attribute.mutability == "readOnly":
            continue
        current = _get(element, sub_attribute.name)
        if _is_clear(value):
            _check_removable(sub_attribute, current)
            _pop(element, sub_attribute.name)
            continue
        _check_scalar(sub_attribute, value)
        value = _normalize_scalar(sub_attribute, value)
        _check_immutable(sub_attribute, current, value)
        _put(element, sub_attribute.name, value)


def _merge_complex(container: dict[str, Any], attribute: AttributeDef, value: Any) -> None:
    current = _get(container, attribute.name)
    merged = dict(current) if isinstance(current, Mapping) else {}
    _merge_sub_attributes(merged, attribute, _complex_value(attribute, value))
    if merged:
        _put(container, attribute.name, merged)
    else:
        # RFC 7644 §3.5.2.2: a complex attribute without sub-attributes is unassigned.
        _pop(container, attribute.name)


def _set_simple(container: dict[str, Any], attribute: AttributeDef, value: Any) -> None:
    _check_scalar(attribute, value)
    value = _normalize_scalar(attribute, value)
    _check_immutable(attribute, _get(container, attribute.name), value)
    _put(container, attribute.name, value)


def _remove_attribute(container: dict[str, Any], attribute: AttributeDef) -> None:
    _check_removable(attribute, _get(container, attribute.name))
    _pop(container, attribute.name)


# ---------------------------------------------------------------------------------------------
# Elements of multi-valued attributes


def _elements(container: Mapping[str, Any], attribute: AttributeDef) -> list[Any]:
    """Return a list of the current elements, which is at most one for a single value."""
    current = _get(container, attribute.name)
    if current is None:
        return []
    if attribute.multi_valued:
        return list(current) if isinstance(current, list) else [current]
    return [current] if isinstance(current, Mapping) else []


def _store_elements(
    container: dict[str, Any], attribute: AttributeDef, elements: list[Any]
) -> None:
    if not elements:
        # RFC 7644 §3.5.2.2: a multi-valued attribute with no elements left is unassigned.
        _pop(container, attribute.name)
    else:
        _put(container, attribute.name, elements if attribute.multi_valued else elements[0])


def _canonical_element(attribute: AttributeDef, item: Any) -> Any:
    """Return ``item`` with canonical sub-attribute names, or None when nothing known is left."""
    if _is_clear(item):
        return None
    if not attribute.is_complex:
        _check_scalar(attribute, item)
        return _normalize_scalar(attribute, item)
    element: dict[str, Any] = {}
    _merge_sub_attributes(element, attribute, _complex_value(attribute, item))
    return element or None


def _keep_one_primary(elements: list[Any], chosen: Sequence[Any]) -> None:
    """Clear ``primary`` on every element but the last chosen primary one (RFC 7643 §2.4)."""
    primaries = [element for element in chosen if _is_primary(element)]
    if not primaries:
        return
    keep = elements.index(primaries[-1])
    for index, element in enumerate(elements):
        if index != keep and _is_primary(element):
            _put(element, "primary", False)


def _write_list(
    container: dict[str, Any], attribute: AttributeDef, value: Any, *, replace: bool
) -> None:
    """Append new elements (add, RFC 7644 §3.5.2.1) or replace the list (§3.5.2.3)."""
    items = value if isinstance(value, list) else [value]
    canonical = (_canonical_element(attribute, item) for item in items)
    new_elements = [element for element in canonical if element is not None]
    elements = [] if replace else _elements(container, attribute)
    for element in new_elements:
        # RFC 7644 §3.5.2.1: adding a value that is already there changes nothing.
        if element not in elements:
            elements.append(element)
    _keep_one_primary(elements, new_elements)
    _store_elements(container, attribute, elements)


def _matches(value_filter: Expr | None, attribute: AttributeDef, element: Any) -> bool:
    if value_filter is None:
        return True
    # RFC 7644 §3.5.2: a filter on a simple multi-valued attribute names its elements "value".
    candidate = element if isinstance(element, Mapping) else {"value": element}
    return evaluate(value_filter, candidate, attribute)


def _with_sub_attribute(target: _Target, element: Any, value: Any) -> Any:
    """Return ``element`` with the target sub-attribute set to ``value``, or None to drop it."""
    assert target.sub_attribute is not None
    updated = dict(element) if isinstance(element, Mapping) else {}
    _merge_sub_attributes(updated, target.attribute, {target.sub_attribute.name: value})
    # An element whose "value" was cleared, such as a work email without an address, means
    # nothing on its own, so clearing emails[type eq "work"].value removes the whole element.
    if _is_clear(value) and target.sub_attribute.name == "value":
        return None
    return updated or None


def _updated_element(target: _Target, element: Any, value: Any, *, replace: bool) -> Any:
    """Return a selected element after add or replace, or None when the operation clears it."""
    if target.sub_attribute is not None:
        return _with_sub_attribute(target, element, value)
    if _is_clear(value):
        return None
    if replace or not isinstance(element, Mapping):
        # RFC 7644 §3.5.2.3: replace on attr[filter] replaces each matching element.
        return _canonical_element(target.attribute, value)
    merged = dict(element)
    _merge_sub_attributes(merged, target.attribute, _complex_value(target.attribute, value))
    return merged


def _equality_pairs(expression: Expr) -> list[tuple[str, Any]] | None:
    """Return the pairs of ``a eq "x" and b eq "y"`` as (name, value), or None for other filters."""
    pairs: list[tuple[str, Any]] = []
    pending = [expression]
    while pending:
        node = pending.pop()
        if isinstance(node, And):
            pending.extend((node.right, node.left))
            continue
        is_plain_equality = (
            isinstance(node, Comparison)
            and node.op == "eq"
            and node.value is not None
            and node.path.schema is None
            and node.path.sub_attribute is None
        )
        if not is_plain_equality:
            return None
        assert isinstance(node, Comparison)
        pairs.append((node.path.attribute, node.value))
    return pairs


def _element_from_filter(target: _Target) -> dict[str, Any] | None:
    """Return a new element built from an equality filter, or None when the filter is not one."""
    if not target.attribute.multi_valued or target.value_filter is None:
        return None
    pairs = _equality_pairs(target.value_filter)
    if pairs is None:
        return None
    element: dict[str, Any] = {}
    for name, value in pairs:
        sub_attribute = target.attribute.sub(name)
        if sub_attribute is None:
            return None
        _put(element, sub_attribute.name, _normalize_scalar(sub_attribute, value))
    return element


def _no_match(target: _Target) -> NoTarget:
    if target.value_filter is None:
        return NoTarget(
            f"'{target.attribute.name}' has no elements to change: add an element first."
        )
    return NoTarget(
        f"No element of '{target.attribute.name}' matches "
        f"{render_filter(target.value_filter)!r}, and only a filter of 'eq' comparisons joined "
        f"by 'and' can create one (RFC 7644 §3.5.2.3)."
    )


def _create_element(
    container: dict[str, Any], target: _Target, value: Any, elements: list[Any]
) -> None:
    """Add the element that an add or replace on a filter without a match describes."""
    if _is_clear(value):
        return  # Clearing an element that does not exist changes nothing.
    template = _element_from_filter(target)
    if template is None:
        raise _no_match(target)
    # Entra's deviation from RFC 7644 §3.5.2.3: replace on emails[type eq "work"].value with no
    # work email expects {"type": "work", "value": ...} to be created, not a noTarget error.
    element = _updated_element(target, template, value, replace=False)
    if element is None:
        return
    elements.append(element)
    _keep_one_primary(elements, [element])
    _store_elements(container, target.attribute, elements)


def _write_elements(
    container: dict[str, Any], target: _Target, value: Any, *, replace: bool
) -> None:
    """Apply add or replace to every element the target selects (RFC 7644 §3.5.2.3)."""
    elements = _elements(container, target.attribute)
    matches = [
        index
        for index, element in enumerate(elements)
        if _matches(target.value_filter, target.attribute, element)
    ]
    if not matches:
        _create_element(container, target, value, elements)
        return

    for index in matches:
        elements[index] = _updated_element(target, elements[index], value, replace=replace)
    changed = [elements[index] for index in matches if elements[index] is not None]
    remaining = [element for element in elements if element is not None]
    _keep_one_primary(remaining, changed)
    _store_elements(container, target.attribute, remaining)


def _remove_elements(container: dict[str, Any], target: _Target) -> None:
    """Remove the selected elements, or their sub-attribute (RFC 7644 §3.5.2.2)."""
    remaining: list[Any] = []
    for element in _elements(container, target.attribute):
        if not _matches(target.value_filter, target.attribute, element):
            remaining.append(element)
        elif target.sub_attribute is not None:
            updated = _with_sub_attribute(target, element, None)
            if updated is not None:
                remaining.append(updated)
    _store_elements(container, target.attribute, remaining)


def _listed_values(attribute: AttributeDef, value: Any) -> list[Any]:
    items = value if isinstance(value, list) else [value]
    listed = []
    for position, item in enumerate(items):
        found, item_value = _member(item, "value") if isinstance(item, Mapping) else (True, item)
        if not found or _is_clear(item_value) or isinstance(item_value, (Mapping, list)):
            raise InvalidValue(
                f"value[{position}] of a remove on '{attribute.name}' must be an object with a "
                f'"value", such as {{"value": "2819c223"}}, got {_preview(item)}.'
            )
        listed.append(item_value)
    return listed


def _remove_listed_values(container: dict[str, Any], attribute: AttributeDef, value: Any) -> None:
    """Remove the elements whose "value" is listed: Entra's member removal, not RFC 7644."""
    selectors = [
        Comparison(AttrPath(None, "value"), "eq", item) for item in _listed_values(attribute, value)
    ]
    remaining = [
        element
        for element in _elements(container, attribute)
        if not any(_matches(selector, attribute, element) for selector in selectors)
    ]
    _store_elements(container, attribute, remaining)


# ---------------------------------------------------------------------------------------------
# The operations


def _write_extension(
    resource: dict[str, Any],
    extension: SchemaDef,
    value: Any,
    definition: ResourceDef,
    *,
    replace: bool,
) -> None:
    if _is_clear(value):
        _pop(resource, extension.id)
    else:
        _write_object(resource, value, definition, replace=replace, schema=extension)


def _key_path(key: str, schema: SchemaDef | None) -> PatchPath:
    try:
        path = parse_path(key)
    except InvalidPath:
        raise InvalidPath(
            f"The key {key!r} of the value object is not an attribute name or path, such as "
            f'"title", "name.givenName" or "{ENTERPRISE_URN}:department".'
        ) from None
    if schema is not None and path.schema is None:
        path = dataclasses.replace(path, schema=schema.id)
    return path


def _write_object(
    resource: dict[str, Any],
    value: Any,
    definition: ResourceDef,
    *,
    replace: bool,
    schema: SchemaDef | None = None,
) -> None:
    """Apply add or replace without a path: each key of ``value`` is applied as its own path.

    RFC 7644 §3.5.2.1 and §3.5.2.3 nest sub-attributes (``{"name": {"givenName": ...}}``) and
    extension attributes (``{"urn:...:enterprise:2.0:User": {...}}``). Entra's aadOptscim062020
    dialect flattens them into dotted and URN-qualified keys (``"name.givenName"``,
    ``"urn:...:enterprise:2.0:User:department"``). Both forms work, also mixed in one object.
    """
    if not isinstance(value, Mapping):
        raise InvalidValue(
            f'Without a "path", the value must be an object of attributes (RFC 7644 §3.5.2.1), '
            f"got {_json_type(value)}."
        )
    for key, item in value.items():
        if schema is None and key.lower() in _IGNORED_KEYS:
            continue
        extension = definition.extension(key) if schema is None else None
        if extension is not None:
            _write_extension(resource, extension, item, definition, replace=replace)
        else:
            _write_path(resource, _key_path(key, schema), item, definition, replace=replace)


def _write_path(
    resource: dict[str, Any], path: PatchPath, value: Any, definition: ResourceDef, *, replace: bool
) -> None:
    extension = _whole_extension(path, definition)
    if extension is not None:
        _write_extension(resource, extension, value, definition, replace=replace)
        return
    target = _resolve(path, definition)
    if target is None:
        # Entra sends attributes that this server does not store (preferredLanguage, addresses,
        # custom extensions). Ignoring them keeps its sync from failing on every cycle.
        return

    _check_writable(target)
    container = _container(resource, target.schema, definition, create=True)
    assert container is not None
    _write_target(container, target, value, replace=replace)
    _prune_extension(resource, target.schema, definition)


def _write_target(container: dict[str, Any], target: _Target, value: Any, *, replace: bool) -> None:
    if target.selects_elements:
        _write_elements(container, target, value, replace=replace)
    elif target.sub_attribute is not None:
        _merge_complex(container, target.attribute, {target.sub_attribute.name: value})
    elif _is_clear(value):
        _remove_attribute(container, target.attribute)
    elif target.attribute.multi_valued:
        _write_list(container, target.attribute, value, replace=replace)
    elif target.attribute.is_complex:
        _merge_complex(container, target.attribute, value)
    else:
        _set_simple(container, target.attribute, value)


def _add(resource: dict[str, Any], operation: PatchOperation, definition: ResourceDef) -> None:
    """Apply an add operation (RFC 7644 §3.5.2.1)."""
    if operation.path is None:
        _write_object(resource, operation.value, definition, replace=False)
    else:
        _write_path(resource, operation.path, operation.value, definition, replace=False)


def _replace(resource: dict[str, Any], operation: PatchOperation, definition: ResourceDef) -> None:
    """Apply a replace operation (RFC 7644 §3.5.2.3)."""
    if operation.path is None:
        _write_object(resource, operation.value, definition, replace=True)
    else:
        _write_path(resource, operation.path, operation.value, definition, replace=True)


def _lists_values(attribute: AttributeDef, operation: PatchOperation) -> bool:
    # Entra removes members with {"op": "Remove", "path": "members", "value": [{"value": id}]}.
    # RFC 7644 §3.5.2.2 would remove every member, so the value list narrows the removal.
    return (
        operation.has_value
        and operation.value is not None
        and attribute.multi_valued
        and attribute.is_complex
        and attribute.sub("value") is not None
    )


def _remove(resource: dict[str, Any], operation: PatchOperation, definition: ResourceDef) -> None:
    """Apply a remove operation (RFC 7644 §3.5.2.2). Removing what is absent changes nothing."""
    if operation.path is None:
        raise NoTarget('remove needs a "path" naming what to remove (RFC 7644 §3.5.2.2).')
    extension = _whole_extension(operation.path, definition)
    if extension is not None:
        _pop(resource, extension.id)
        return
    target = _resolve(operation.path, definition)
    if target is None:
        return

    _check_writable(target)
    container = _container(resource, target.schema, definition, create=False)
    if container is not None:
        _remove_target(container, target, operation)
        _prune_extension(resource, target.schema, definition)


def _remove_target(container: dict[str, Any], target: _Target, operation: PatchOperation) -> None:
    if target.selects_elements:
        _remove_elements(container, target)
    elif target.sub_attribute is not None:
        _merge_complex(container, target.attribute, {target.sub_attribute.name: None})
    elif _lists_values(target.attribute, operation):
        _remove_listed_values(container, target.attribute, operation.value)
    else:
        _remove_attribute(container, target.attribute)


_OPERATIONS: dict[str, Callable[[dict[str, Any], PatchOperation, ResourceDef], None]] = {
    "add": _add,
    "replace": _replace,
    "remove": _remove,
}


def apply_patch(
    resource: dict[str, Any], operations: Sequence[PatchOperation], definition: ResourceDef
) -> bool:
    """Apply ``operations`` in order to ``resource`` in place and return whether it changed.

    ``resource`` is in SCIM wire form: attribute names as rendered, extension attributes in an
    object under the extension URN. Keys are matched in any letter case and written with the
    definition's names. An operation on an attribute the definition lacks is ignored. Values
    are checked for shape only (single value, object or list), so the caller validates the
    result. Raises InvalidPath, InvalidValue, Mutability or NoTarget, naming the operation's
    index, and may leave ``resource`` half-changed then: pass a copy and drop it on error.
    """
    before = copy.deepcopy(resource)
    for index, operation in enumerate(operations):
        apply_operation = _OPERATIONS.get(operation.op.lower())
        if apply_operation is None:
            raise InvalidSyntax(
                f"Operations[{index}].op must be add, replace or remove, got {operation.op!r}."
            )
        try:
            apply_operation(resource, operation, definition)
        except (InvalidPath, InvalidValue, Mutability, NoTarget) as error:
            raise type(error)(f"Operations[{index}]: {error.detail}") from error
    return resource != before


# ---------------------------------------------------------------------------------------------
# Group members


def _is_member_path(path: PatchPath | None) -> bool:
    if path is None or path.attribute.lower() != "members":
        return False
    return path.schema is None or path.schema.lower() == GROUP_URN.lower()


def _member_ids(value: Any) -> tuple[str, ...]:
    """Return the ids of a list (or a single object) of ``{"value": id}`` member objects."""
    if _is_clear(value):
        return ()
    items = value if isinstance(value, list) else [value]
    ids = []
    for position, item in enumerate(items):
        # "$ref" (which Entra sends as null), "display" and "type" are not needed to link a member.
        member_id = _get(item, "value") if isinstance(item, Mapping) else None
        if not isinstance(member_id, str) or not member_id:
            raise InvalidValue(
                f"members value[{position}] must be an object with the member's id as a string "
                f'"value", such as {{"value": "2819c223"}}, got {_preview(item)}.'
            )
        ids.append(member_id)
    return tuple(dict.fromkeys(ids))


def _filter_member_ids(expression: Expr) -> tuple[str, ...]:
    """Return the ids of ``value eq "a" or value eq "b"``, or raise InvalidFilter for others."""
    ids: list[str] = []
    pending = [expression]
    while pending:
        node = pending.pop()
        if isinstance(node, Or):
            pending.extend((node.right, node.left))
            continue
        if not (
            isinstance(node, Comparison)
            and node.op == "eq"
            and isinstance(node.value, str)
            and node.path.schema is None
            and node.path.sub_attribute is None
            and node.path.attribute.lower() == "value"
        ):
            raise InvalidFilter(
                f'A members filter can only compare member ids, as in members[value eq "2819c223"] '
                f'or members[value eq "a" or value eq "b"], got {render_filter(expression)!r}.'
            )
        ids.append(node.value)
    return tuple(dict.fromkeys(ids))


def _path_member_change(operation: PatchOperation) -> MemberChange | None:
    path = operation.path
    assert path is not None
    if path.sub_attribute is not None or (path.filter is not None and operation.op != "remove"):
        raise InvalidPath(
            f"The path {render_path(path)!r} is not supported for members. {_MEMBER_PATH_HELP}"
        )
    if path.filter is not None:
        return MemberChange("remove", _filter_member_ids(path.filter))
    if operation.op == "remove" and (not operation.has_value or operation.value is None):
        return MemberChange("remove_all")

    ids = _member_ids(operation.value)
    if operation.op == "replace":
        return MemberChange("replace", ids)
    # An add or a value-list remove without ids changes nothing. It never removes all members.
    return MemberChange("add" if operation.op == "add" else "remove", ids) if ids else None


def _split_value_object(
    operation: PatchOperation,
) -> tuple[PatchOperation | None, MemberChange | None]:
    """Take the members key out of a path-less add or replace value object."""
    rest = {key: item for key, item in operation.value.items() if key.lower() not in _MEMBER_KEYS}
    members = next(item for key, item in operation.value.items() if key.lower() in _MEMBER_KEYS)
    ids = _member_ids(members)
    change = None
    if operation.op == "replace":
        change = MemberChange("replace", ids)
    elif ids:
        change = MemberChange("add", ids)
    return (dataclasses.replace(operation, value=rest) if rest else None), change


def _has_member_key(operation: PatchOperation) -> bool:
    return (
        operation.path is None
        and operation.op in ("add", "replace")
        and isinstance(operation.value, Mapping)
        and any(key.lower() in _MEMBER_KEYS for key in operation.value)
    )


def _split_operation(
    operation: PatchOperation,
) -> tuple[PatchOperation | None, MemberChange | None]:
    if _is_member_path(operation.path):
        return None, _path_member_change(operation)
    if _has_member_key(operation):
        return _split_value_object(operation)
    return operation, None


def split_member_operations(
    operations: Sequence[PatchOperation],
) -> tuple[list[PatchOperation], list[MemberChange]]:
    """Separate group membership changes from the other operations, keeping their order.

    A group's members are never loaded to apply a PATCH, so every operation on ``members``
    becomes a :class:`MemberChange`. An add on the path ``members``, or a path-less add with a
    ``members`` key, becomes "add", and a replace becomes "replace". A remove with Entra's
    value list or with ``members[value eq "a" or value eq "b"]`` becomes "remove" of those
    ids, and a remove of ``members`` without a value becomes "remove_all". A members key is
    taken out of a path-less value object, and an object left empty drops its operation.

    Raises InvalidValue for a member without a string ``value``, InvalidFilter for any other
    members filter, and InvalidPath for a sub-attribute path such as ``members.display``.
    """
    remaining: list[PatchOperation] = []
    changes: list[MemberChange] = []
    for index, operation in enumerate(operations):
        try:
            rest, change = _split_operation(operation)
        except (InvalidFilter, InvalidPath, InvalidValue) as error:
            raise type(error)(f"Operations[{index}]: {error.detail}") from error
        if rest is not None:
            remaining.append(rest)
        if change is not None:
            changes.append(change)
    return remaining, changes
