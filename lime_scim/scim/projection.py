"""The ``attributes`` and ``excludedAttributes`` query parameters (RFC 7644 §3.4.2.5 and §3.9).

Names follow the attribute notation of RFC 7644 §3.10: ``userName``, ``name.givenName``, the
same qualified with the core schema URN (``urn:ietf:params:scim:schemas:core:2.0:User:userName``),
an extension URN alone, or an extension attribute (``urn:...:enterprise:2.0:User:manager``).
Names are compared without regard to letter case. Attributes whose ``returned`` is ``always``
stay in every response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .definitions import AttributeDef, ResourceDef

# Every core schema URN (RFC 7643 §8.7.1) is this prefix followed by the resource name.
_CORE_URN_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:"

# A requested path split into lower-case keys: ("name", "givenname"), or, for an extension,
# the URN as first key: ("urn:...:enterprise:2.0:user", "manager").
_Keys = tuple[str, ...]
# _select or _exclude: applied to one attribute with the rest of the requested paths below it.
_Step = Callable[[dict[str, Any], str, AttributeDef, list[_Keys]], None]


@dataclass(frozen=True, slots=True)
class Projection:
    """The attributes a response carries, as two lists of lower-case attribute paths.

    When ``attributes`` is set, ``excluded`` is ignored.
    """

    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, attributes: str | None, excluded: str | None) -> Projection:
        return cls(_split(attributes), _split(excluded))

    @property
    def is_default(self) -> bool:
        """True when the request names neither ``attributes`` nor ``excludedAttributes``."""
        return not self.attributes and not self.excluded

    def excludes(self, name: str) -> bool:
        """Return True when the top-level core attribute ``name`` will not be in the response.

        NOTE: this method has no resource definition, so it reads a path qualified with any core
        schema URN as a path of this resource. :meth:`apply` ignores a path qualified with the
        core URN of another resource type.
        """
        lowered = name.lower()
        if self.attributes:
            return not any(keys[0] == lowered for keys in map(_keys_any_core, self.attributes))
        return any(keys == (lowered,) for keys in map(_keys_any_core, self.excluded))

    def apply(self, resource: dict[str, Any], definition: ResourceDef) -> dict[str, Any]:
        """Return ``resource`` reduced to the requested attributes (wire form, in place).

        Attributes whose ``returned`` is ``never`` are always removed, and those whose
        ``returned`` is ``request`` are removed unless ``attributes`` names them (RFC 7643 §7).
        """
        if self.is_default and definition.returned_in_full_by_default:
            # The loop below would change nothing, because no attribute is hidden by default.
            _drop_missing_extensions(resource, definition)
            return resource

        selecting = bool(self.attributes)
        requested = [keys for keys in (_keys(path, definition) for path in self.attributes or self.excluded)
                     if keys is not None]
        for key in list(resource):
            attribute = _definition_of(definition, key)
            if attribute is None or key == "schemas":
                continue
            below = _below(requested, key)
            if selecting:
                _select(resource, key, attribute, below)
            else:
                _hide_unrequested(resource, key, attribute)
                if key in resource:
                    _exclude(resource, key, attribute, below)

        _drop_missing_extensions(resource, definition)
        return resource


def _split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def _strip_core_urn(path: str, definition: ResourceDef) -> str | None:
    """Return ``path`` without this resource's core schema URN.

    Returns None for a path qualified with another core schema, which names no attribute here.
    """
    prefix = definition.core.id.lower() + ":"
    if path.startswith(prefix):
        return path[len(prefix):]
    if path.startswith(_CORE_URN_PREFIX):
        return None
    return path


def _keys(path: str, definition: ResourceDef) -> _Keys | None:
    """Split a lower-case path into keys, or return None when it names nothing in ``definition``."""
    for extension in definition.extensions:
        urn = extension.id.lower()
        if path == urn:
            return (urn,)
        if path.startswith(urn + ":"):
            return (urn, *path[len(urn) + 1:].split("."))
    stripped = _strip_core_urn(path, definition)
    if stripped is None or stripped.startswith("urn:"):
        return None
    return tuple(stripped.split("."))


def _keys_any_core(path: str) -> _Keys:
    if path.startswith(_CORE_URN_PREFIX):
        path = path.rpartition(":")[2]
    return tuple(path.split("."))


def _below(requested: list[_Keys], key: str) -> list[_Keys]:
    """Return the rest of each requested path that starts at ``key``.

    An empty tuple in the result means ``key`` as a whole.
    """
    lowered = key.lower()
    return [keys[1:] for keys in requested if keys[0] == lowered]


def _definition_of(definition: ResourceDef, key: str) -> AttributeDef | None:
    attribute = definition.core.attribute_named(key)
    if attribute is not None:
        return attribute
    extension = definition.extension(key)
    if extension is not None:
        return AttributeDef(name=extension.id, type="complex", sub_attributes=extension.attributes)
    return None


def _hide_unrequested(container: dict[str, Any], key: str, attribute: AttributeDef) -> None:
    """Remove ``container[key]``, or the parts of it, whose ``returned`` is never or request.

    Walks down through complex values, so the sub-attributes of an extension attribute, two
    levels below the resource, are covered too.
    """
    if attribute.returned_in_full_by_default:
        return
    if attribute.returned in ("never", "request"):
        del container[key]
        return
    value = container[key]
    for element in value if isinstance(value, list) else [value]:
        if not isinstance(element, dict):
            continue
        for sub_key in list(element):
            sub = attribute.sub(sub_key)
            if sub is not None:
                _hide_unrequested(element, sub_key, sub)


def _select(container: dict[str, Any], key: str, attribute: AttributeDef, below: list[_Keys]) -> None:
    """Keep ``container[key]`` only as far as the requested paths reach into it."""
    if attribute.returned == "never":
        del container[key]
        return
    if attribute.returned == "always":
        return
    if () in below:
        hidden = [sub for sub in attribute.sub_attributes if sub.returned == "never"]
        if hidden:
            _narrow(container, key, attribute, [(sub.name.lower(),) for sub in hidden], _exclude)
        return
    if not below:
        del container[key]
        return
    _narrow(container, key, attribute, below, _select)


def _exclude(container: dict[str, Any], key: str, attribute: AttributeDef, below: list[_Keys]) -> None:
    """Remove ``container[key]``, or the excluded parts of it."""
    if attribute.returned == "always" or not below:
        return
    if () in below:
        del container[key]
        return
    _narrow(container, key, attribute, below, _exclude)


def _narrow(
    container: dict[str, Any], key: str, attribute: AttributeDef, below: list[_Keys], step: _Step
) -> None:
    """Apply ``step`` to the sub-attributes of a complex value or of each of its elements.

    A complex value or element left empty is removed, and so is a list left empty.
    """
    value = container[key]
    elements = value if isinstance(value, list) else [value]
    for element in elements:
        if not isinstance(element, dict):
            continue
        for sub_key in list(element):
            sub = attribute.sub(sub_key)
            if sub is not None:
                step(element, sub_key, sub, _below(below, sub_key))

    if isinstance(value, list):
        kept = [element for element in value if element != {}]
        if kept:
            container[key] = kept
        else:
            del container[key]
    elif value == {}:
        del container[key]


def _drop_missing_extensions(resource: dict[str, Any], definition: ResourceDef) -> None:
    """Remove from ``schemas`` the extension URNs whose attributes were all left out.

    RFC 7643 §3 lists in ``schemas`` the schemas of the attributes present.
    """
    schemas = resource.get("schemas")
    if not isinstance(schemas, list):
        return
    present = {key.lower() for key in resource}
    extensions = {extension.id.lower() for extension in definition.extensions}
    resource["schemas"] = [urn for urn in schemas
                           if not isinstance(urn, str) or urn.lower() not in extensions or urn.lower() in present]
