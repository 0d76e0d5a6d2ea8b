"""Pieces shared by the user and group use cases: meta, list responses, paging, store errors."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..config import RequestLimits
from ..objectapi.port import GroupRecord, UniqueViolation, UserRecord, ValueRejected
from ..scim.constants import LIST_RESPONSE_URN
from ..scim.errors import InvalidFilter, InvalidValue, PreconditionFailed, Uniqueness
from ..scim.filter import And, Expr, Not, Or, ValuePath, chain_operands, parse_filter, render_attr_path


# A UTF-16 surrogate code point, which a filter string gets from an unpaired "\ud800" escape.
_SURROGATE = re.compile("[\ud800-\udfff]")


def format_timestamp(moment: datetime) -> str:
    """Return an RFC 3339 UTC timestamp with a ``Z`` suffix (RFC 7643 §2.3.5)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def entity_tag(record: UserRecord | GroupRecord) -> str:
    """Return the weak entity tag of a record's current version (RFC 7644 §3.14)."""
    return f'W/"{record.version}"'


def _opaque_tags(header: str) -> list[str]:
    """Return the opaque tags of an If-Match list, without their ``W/`` weakness prefix."""
    tags = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            tags.append(tag)
    return tags


def check_version(if_match: str | None, record: UserRecord | GroupRecord) -> None:
    """Raise PreconditionFailed unless ``if_match`` names the record's version (RFC 7644 §3.14).

    ``if_match`` is the If-Match header: ``*``, or a list of entity tags. Tags are compared
    weakly, without their ``W/`` prefix, because the server issues weak tags only. None (no
    header) always passes.
    """
    if if_match is None:
        return
    if if_match.strip() == "*":
        return
    current = entity_tag(record)
    if current[2:] in _opaque_tags(if_match):
        return
    raise PreconditionFailed(f"The resource has version {current}, not {if_match.strip()} as If-Match "
                             "requires. Read the resource again and retry with its current ETag.")


def meta(record: UserRecord | GroupRecord, resource_type: str, location: str) -> dict[str, Any]:
    return {
        "resource_type": resource_type,
        "created": format_timestamp(record.created),
        "last_modified": format_timestamp(record.updated),
        "location": location,
        "version": entity_tag(record),
    }


@dataclass(frozen=True, slots=True)
class Paging:
    """A validated page request: 1-based ``start_index`` and a ``count`` within the maximum."""

    start_index: int
    count: int

    @classmethod
    def from_query(cls, start_index: int | None, count: int | None, max_results: int) -> Paging:
        # RFC 7644 §3.4.2.4: a startIndex below 1 is read as 1, a negative count as 0, and the
        # server may return fewer results than requested.
        start = 1 if start_index is None or start_index < 1 else start_index
        wanted = max_results if count is None else max(count, 0)
        return cls(start, min(wanted, max_results))


def list_response(total: int, start_index: int, resources: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Return a ListResponse message (RFC 7644 §3.4.2)."""
    return {
        "schemas": [LIST_RESPONSE_URN],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": list(resources),
    }


def parse_optional_filter(text: str | None, limits: RequestLimits = RequestLimits()) -> Expr | None:
    """Parse the filter query parameter within ``limits``, or return None when it is missing or blank.

    Raises InvalidFilter for invalid syntax, a breached limit, or a string value that no stored
    value can equal, which is one with a NUL character or an unpaired surrogate escape ("\\ud800").
    """
    if text is None or not text.strip():
        return None
    expression = parse_filter(text, max_length=limits.max_filter_length, max_depth=limits.max_filter_depth)
    _check_filter_values(expression)
    return expression


def _check_filter_values(expression: Expr) -> None:
    # An explicit stack, because a long chain of 'and' nests one level per operator.
    stack: list[Expr] = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend(chain_operands(node))
        elif isinstance(node, Not):
            stack.append(node.expr)
        elif isinstance(node, ValuePath):
            stack.append(node.filter)
        elif isinstance(node.value, str) and not node.value.isascii() and _SURROGATE.search(node.value):
            raise InvalidFilter(f"The value compared with '{render_attr_path(node.path)}' contains an unpaired "
                                "UTF-16 surrogate escape (\\ud800 to \\udfff), which is not valid Unicode.")
        elif isinstance(node.value, str) and "\x00" in node.value:
            raise InvalidFilter(f"The value compared with '{render_attr_path(node.path)}' contains a NUL "
                                "character (\\u0000), which no stored value contains. Remove it.")


USER_COLUMN_ATTRIBUTES = {
    ("user", "username"): "userName",
    ("user", "fullname"): "displayName",
    ("user", "external_id"): "externalId",
    ("group", "name"): "displayName",
    ("group", "external_id"): "externalId",
}


@contextmanager
def store_errors(attributes: Mapping[tuple[str, str], str] | None = None) -> Iterator[None]:
    """Turn the store's uniqueness and value errors into SCIM errors with actionable details.

    ``attributes`` names the SCIM attribute stored in each (limetype, property) pair, so the
    detail says which attribute the client must change.
    """
    try:
        yield
    except UniqueViolation as error:
        if error.entity == "group":
            raise Uniqueness("A group with this displayName already exists (names are compared "
                             "without regard to letter case). Choose another name.") from error
        raise Uniqueness("A user with this userName already exists (userNames are compared without "
                         "regard to letter case). Match the existing user instead of creating one.") from error
    except ValueRejected as error:
        key = (error.limetype, error.property)
        attribute = (attributes or {}).get(key) or USER_COLUMN_ATTRIBUTES.get(key, error.property)
        raise InvalidValue(f"The value of '{attribute}' does not fit the CRM field "
                           f"'{error.limetype}.{error.property}' ({error.reason}). "
                           "Send a value the field accepts.") from error
