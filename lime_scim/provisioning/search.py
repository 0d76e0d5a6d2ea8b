"""A search of every resource type at once: ``POST /.search`` (RFC 7644 §3.4.3).

The result lists the matching users first and then the matching groups, and ``startIndex`` and
``count`` page through that combined list. A filter that names an attribute only one resource
type has matches no resource of the other type, as a comparison on an absent attribute does
(RFC 7644 §3.4.2.2).
"""

from __future__ import annotations

from typing import Any

from ..scim.errors import InvalidFilter, InvalidValue
from ..scim.search import SearchQuery
from .common import Paging, list_response
from .groups import GroupService
from .users import UserService


def _total(service: UserService | GroupService, query: SearchQuery,
           base_url: str) -> tuple[int | None, InvalidFilter | InvalidValue | None]:
    """Return how many resources of one type match, or None and the error when the query cannot
    apply to that type."""
    try:
        result = service.search(query.filter, start_index=1, count=0, base_url=base_url, sort=query.sort)
    except (InvalidFilter, InvalidValue) as error:
        return None, error
    total: int = result["totalResults"]
    return total, None


def search_all(users: UserService, groups: GroupService, query: SearchQuery, *, base_url: str,
               max_results: int) -> dict[str, Any]:
    """Return a ListResponse of the users and then the groups that match ``query``.

    ``sortBy`` sorts the users and the groups each on their own. Raises the error of the user
    search when the filter or ``sortBy`` applies to neither resource type.

    NOTE: the totals and each type's page are read in separate transactions, so a write
    between them can shift the page by the resources it adds or removes.
    """
    user_total, user_error = _total(users, query, base_url)
    group_total, _ = _total(groups, query, base_url)
    if user_error is not None and group_total is None:
        raise user_error

    paging = Paging.from_query(query.start_index, query.count, max_results)
    offset = paging.start_index - 1
    resources: list[dict[str, Any]] = []
    if user_total and offset < user_total and paging.count > 0:
        page = users.search(query.filter, start_index=offset + 1, count=paging.count, base_url=base_url,
                            projection=query.projection, sort=query.sort)
        resources.extend(page["Resources"])
    remaining = paging.count - len(resources)
    if group_total and remaining > 0:
        group_offset = max(offset - (user_total or 0), 0)
        page = groups.search(query.filter, start_index=group_offset + 1, count=remaining, base_url=base_url,
                             projection=query.projection, sort=query.sort)
        resources.extend(page["Resources"])
    return list_response((user_total or 0) + (group_total or 0), paging.start_index, resources)
