"""Query parameters of a search (RFC 7644 §3.4.2 and §3.4.3), from a URL or a SearchRequest body.

A GET on ``/Users`` or ``/Groups`` carries them as URL query parameters; a POST to ``.search``
carries them as a SearchRequest message. Both give one :class:`SearchQuery`, so the use cases
see no difference between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .constants import SEARCH_REQUEST_URN
from .errors import InvalidSyntax, InvalidValue
from .filter import AttrPath, parse_attr_path
from .projection import Projection

SortOrder = Literal["ascending", "descending"]

_SORT_ORDERS: tuple[SortOrder, ...] = ("ascending", "descending")


@dataclass(frozen=True, slots=True)
class SortKey:
    """The ``sortBy`` attribute path and the ``sortOrder`` of a search (RFC 7644 §3.4.2.3)."""

    path: AttrPath
    order: SortOrder = "ascending"

    @property
    def descending(self) -> bool:
        return self.order == "descending"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A validated search: filter text, sorting, paging and the attributes to return."""

    filter: str | None = None
    sort: SortKey | None = None
    start_index: int | None = None
    count: int | None = None
    projection: Projection = Projection()


def parse_sort(sort_by: str | None, sort_order: str | None) -> SortKey | None:
    """Return the sort key of ``sortBy`` and ``sortOrder``, or None when ``sortBy`` is unset.

    ``sortOrder`` defaults to ascending and is matched without regard to letter case. A
    ``sortOrder`` without ``sortBy`` changes nothing (RFC 7644 §3.4.2.3). Raises InvalidValue
    for a malformed path or an unknown order.
    """
    order = _parse_sort_order(sort_order)
    if sort_by is None or not sort_by.strip():
        return None
    try:
        path = parse_attr_path(sort_by.strip())
    except ValueError as error:
        raise InvalidValue(f"The sortBy value {sort_by!r} is not an attribute path: {error}") from None
    return SortKey(path, order)


def _parse_sort_order(text: str | None) -> SortOrder:
    if text is None or not text.strip():
        return "ascending"
    lowered = text.strip().lower()
    for order in _SORT_ORDERS:
        if lowered == order:
            return order
    raise InvalidValue(f"The sortOrder value {text!r} is invalid. Use ascending or descending.")


def _integer(text: str | None, name: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidValue(f"The query parameter '{name}' must be an integer, got '{text}'.") from None


def query_from_url(args: Mapping[str, str]) -> SearchQuery:
    """Return the search that the URL query parameters of a GET describe (RFC 7644 §3.4.2)."""
    return SearchQuery(
        filter=args.get("filter"),
        sort=parse_sort(args.get("sortBy"), args.get("sortOrder")),
        start_index=_integer(args.get("startIndex"), "startIndex"),
        count=_integer(args.get("count"), "count"),
        projection=Projection.from_query(args.get("attributes"), args.get("excludedAttributes")),
    )


def _member(body: Mapping[str, Any], name: str) -> Any:
    lowered = name.lower()
    return next((value for key, value in body.items() if key.lower() == lowered), None)


def _text_member(body: Mapping[str, Any], name: str) -> str | None:
    value = _member(body, name)
    if value is not None and not isinstance(value, str):
        raise InvalidValue(f"'{name}' in the SearchRequest must be a string.")
    return value


def _integer_member(body: Mapping[str, Any], name: str) -> int | None:
    value = _member(body, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"'{name}' in the SearchRequest must be an integer, got {value!r}.")
    return value


def _names_member(body: Mapping[str, Any], name: str) -> tuple[str, ...]:
    value = _member(body, name)
    if value is None:
        return ()
    if isinstance(value, str):
        # RFC 7644 §3.4.3 makes these lists; a comma-separated string is read as in a URL.
        return Projection.from_query(value, None).attributes
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidValue(f"'{name}' in the SearchRequest must be a list of attribute names.")
    return tuple(item.strip().lower() for item in value if item.strip())


def query_from_body(body: Any) -> SearchQuery:
    """Return the search that a SearchRequest message describes (RFC 7644 §3.4.3).

    Member names match in any letter case. Raises InvalidSyntax for a body that is not a
    SearchRequest object and InvalidValue for a member of the wrong type, or for both
    ``attributes`` and ``excludedAttributes``, which the RFC makes mutually exclusive.
    """
    if not isinstance(body, Mapping):
        raise InvalidSyntax("The body of a .search request must be a SearchRequest JSON object.")
    schemas = _member(body, "schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST_URN not in schemas):
        raise InvalidSyntax(f"The SearchRequest must list the schema {SEARCH_REQUEST_URN} in 'schemas'.")

    attributes = _names_member(body, "attributes")
    excluded = _names_member(body, "excludedAttributes")
    if attributes and excluded:
        raise InvalidValue("A SearchRequest can have 'attributes' or 'excludedAttributes', not both.")
    return SearchQuery(
        filter=_text_member(body, "filter"),
        sort=parse_sort(_text_member(body, "sortBy"), _text_member(body, "sortOrder")),
        start_index=_integer_member(body, "startIndex"),
        count=_integer_member(body, "count"),
        projection=Projection(attributes, excluded),
    )
