"""The ``attributes`` and ``excludedAttributes`` query parameters (RFC 7644 §3.4.2.5 and §3.9)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .definitions import AttributeDef, ResourceDef


@dataclass(frozen=True, slots=True)
class Projection:
    """Which attributes a response carries; both lists hold lower-case attribute paths."""

    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, attributes: str | None, excluded: str | None) -> Projection:
        return cls(_split(attributes), _split(excluded))

    def excludes(self, name: str) -> bool:
        """Return True when the top-level attribute ``name`` will not be in the response."""
        lowered = name.lower()
        if self.attributes:
            return not any(path == lowered or path.startswith(lowered + ".") for path in self.attributes)
        return lowered in self.excluded

    def apply(self, resource: dict[str, Any], definition: ResourceDef) -> dict[str, Any]:
        """Return ``resource`` reduced to the requested attributes (wire form, in place)."""
        if not self.attributes and not self.excluded:
            return resource
        for key in list(resource):
            attribute = _definition_of(definition, key)
            if attribute is None or attribute.returned == "always" or key == "schemas":
                continue
            if isinstance(resource[key], dict) and attribute.type == "complex" and self.attributes:
                _keep_subs(resource, key, self.attributes)
            elif self.excludes(_path_of(definition, key)):
                del resource[key]
        return resource


def _split(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def _strip_core_urn(path: str, definition: ResourceDef) -> str:
    prefix = definition.core.id.lower() + ":"
    return path[len(prefix):] if path.startswith(prefix) else path


def _path_of(definition: ResourceDef, key: str) -> str:
    return key


def _definition_of(definition: ResourceDef, key: str) -> AttributeDef | None:
    attribute = definition.core.attribute_named(key)
    if attribute is not None:
        return attribute
    extension = definition.extension(key)
    if extension is not None:
        return AttributeDef(name=extension.id, type="complex")
    return None


def _keep_subs(resource: dict[str, Any], key: str, requested: Iterable[str]) -> None:
    lowered = key.lower()
    wanted = [path for path in requested if path == lowered or path.startswith(lowered + ".")]
    if not wanted:
        del resource[key]
        return
    if lowered in wanted:
        return
    subs = {path[len(lowered) + 1:] for path in wanted}
    value = resource[key]
    for sub in list(value):
        if sub.lower() not in subs and not any(s.startswith(sub.lower() + ".") or
                                               s.startswith(sub.lower() + ":") for s in subs):
            del value[sub]
    if not value:
        del resource[key]
