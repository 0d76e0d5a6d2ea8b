"""PATCH attribute paths (RFC 7644 §3.5.2): ``attrPath / valuePath [subAttr]``.

A path names an attribute (``title``, ``urn:...:enterprise:2.0:User:manager``), a sub-attribute
(``name.familyName``) or the elements of a multi-valued attribute that match a value filter,
optionally narrowed to one of their sub-attributes (``emails[type eq "work"].value``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidFilter, InvalidPath
from .filter import AttrPath, Expr, parse_attr_path, parse_filter, render_attr_path, render_filter

# The body of a JSON string after its opening quote, up to and including the closing quote.
_STRING_REST = re.compile(r'(?:[^"\\]|\\.)*"')


@dataclass(frozen=True, slots=True)
class PatchPath:
    """A parsed PATCH path with the value filter between its brackets, if any, as ``filter``."""

    schema: str | None
    attribute: str
    filter: Expr | None = None
    sub_attribute: str | None = None


def _find_closing_bracket(text: str, opening: int) -> int:
    """Return the index of the ']' that closes the '[' at ``opening``, skipping quoted strings."""
    position = opening + 1
    while position < len(text):
        character = text[position]
        if character == "]":
            return position
        if character == '"':
            rest = _STRING_REST.match(text, position + 1)
            if rest is None:
                break
            position = rest.end()
            continue
        position += 1
    raise InvalidPath(
        f"Invalid PATCH path {text!r}: the '[' at position {opening} has no matching ']'. "
        f'Write a value filter as attribute[filter], e.g. emails[type eq "work"].'
    )


def _parse_attribute_part(text: str, part: str) -> AttrPath:
    try:
        return parse_attr_path(part)
    except ValueError as error:
        raise InvalidPath(f"Invalid PATCH path {text!r}: {error}") from None


def _parse_value_filter(text: str, inner: str) -> Expr:
    try:
        return parse_filter(inner)
    except InvalidFilter as error:
        raise InvalidPath(
            f"Invalid value filter {inner!r} in PATCH path {text!r}: {error.detail}"
        ) from None


def _parse_filtered_path(text: str, opening: int) -> PatchPath:
    closing = _find_closing_bracket(text, opening)
    path = _parse_attribute_part(text, text[:opening])
    if path.sub_attribute is not None:
        raise InvalidPath(
            f"Invalid PATCH path {text!r}: a value filter follows an attribute, not a "
            f"sub-attribute. Write '{path.attribute}[...].{path.sub_attribute}'."
        )
    value_filter = _parse_value_filter(text, text[opening + 1 : closing])

    suffix = text[closing + 1 :]
    if not suffix:
        return PatchPath(path.schema, path.attribute, value_filter)
    if not suffix.startswith("."):
        raise InvalidPath(
            f"Invalid PATCH path {text!r}: expected '.subAttribute' or nothing after ']', "
            f"found {suffix!r}."
        )
    sub_path = _parse_attribute_part(text, suffix[1:])
    if sub_path.schema is not None or sub_path.sub_attribute is not None:
        raise InvalidPath(
            f"Invalid PATCH path {text!r}: expected one sub-attribute name after '].', "
            f"found {suffix[1:]!r}."
        )
    return PatchPath(path.schema, path.attribute, value_filter, sub_path.attribute)


def parse_path(text: str) -> PatchPath:
    """Parse a PATCH ``path`` (RFC 7644 §3.5.2), raising InvalidPath when it is malformed.

    The value filter between brackets is parsed by :func:`~lime_scim.scim.filter.parse_filter`,
    and its attribute names are sub-attributes of the bracketed attribute.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidPath(
            'The PATCH path is empty: name an attribute such as "displayName", or omit "path".'
        )

    opening = stripped.find("[")
    if opening != -1:
        return _parse_filtered_path(stripped, opening)
    path = _parse_attribute_part(stripped, stripped)
    return PatchPath(path.schema, path.attribute, None, path.sub_attribute)


def render_path(path: PatchPath) -> str:
    """Return the text form of ``path``, which :func:`parse_path` turns back into ``path``."""
    text = render_attr_path(AttrPath(path.schema, path.attribute))
    if path.filter is not None:
        text = f"{text}[{render_filter(path.filter)}]"
    if path.sub_attribute is None:
        return text
    return f"{text}.{path.sub_attribute}"
