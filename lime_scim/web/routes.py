"""Request handlers: one function per SCIM endpoint and method.

The blueprint routes everything under the tenant URL to :func:`dispatch`, which splits the rest
of the path into segments. Routing here rather than in Werkzeug's URL map means a doubled or
trailing slash reaches the same handler without a redirect, and an unknown path or method is
answered with a SCIM error instead of Flask's HTML page.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Request, Response
from werkzeug.exceptions import RequestEntityTooLarge

from ..config import RequestLimits

from ..provisioning.application import ScimApplication
from ..scim import discovery
from ..scim.errors import InvalidSyntax, MethodNotAllowed, NotFound, PayloadTooLarge, UnsupportedMediaType
from ..provisioning.bulk import BulkRunner
from ..provisioning.search import search_all
from ..scim.bulk import parse_bulk_request
from ..scim.projection import Projection
from ..scim.search import SearchQuery, query_from_body, query_from_url
from ..scim.definitions import ResourceDef
from ..scim.schemas import GROUP_DEFINITION
from .responses import scim_response

# The default of the max_body_bytes setting: large enough for a member PATCH with thousands of ids.
MAX_BODY_BYTES = RequestLimits().max_body_bytes
# A UTF-16 surrogate code point, which json.loads decodes from an unpaired "\ud800" escape
# and which no valid Unicode text contains.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A "\uD800" to "\uDFFF" escape in JSON text, which json.loads decodes to a surrogate. It also
# matches an escaped backslash followed by "uD800", which only costs a walk of the document.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")

_JSON_TYPES = ("application/scim+json", "application/json")

_DEFAULT_PROJECTION = Projection()


@dataclass(frozen=True, slots=True)
class Call:
    """One request as the handlers see it."""

    application: ScimApplication
    request: Request
    base_url: str
    segments: tuple[str, ...]

    @property
    def resources(self) -> tuple[ResourceDef, ...]:
        """The resource types this application serves, with its own User schema."""
        return (self.application.binding.resource.definition, GROUP_DEFINITION)

    def body(self) -> Any:
        return read_json(self.request, self.application.limits)

    @property
    def if_match(self) -> str | None:
        """The If-Match header, which PUT, PATCH and DELETE check against the version."""
        return self.request.headers.get("If-Match")

    def projection(self) -> Projection:
        if not self.request.query_string:
            # Most requests have no query string, which spares parsing request.args.
            return _DEFAULT_PROJECTION
        args = self.request.args
        return Projection.from_query(args.get("attributes"), args.get("excludedAttributes"))


Handler = Callable[[Call], Response]


def read_json(request: Request, limits: RequestLimits = RequestLimits()) -> Any:
    """Return the parsed JSON body, or raise a SCIM error for a wrong type, size, depth or syntax.

    The body is cached on the request, so a handler that runs again after a busy database
    reads it again.
    """
    mimetype = request.mimetype
    if mimetype and mimetype not in _JSON_TYPES:
        raise UnsupportedMediaType(f"The Content-Type '{mimetype}' is not supported. "
                                   "Send application/scim+json or application/json.")
    data = _read_body(request, limits.max_body_bytes)
    if not data.strip():
        raise InvalidSyntax("The request body is empty; send a JSON object.")
    encoding = json.detect_encoding(data)
    try:
        # Decoded as json.loads decodes bytes, so that the checks below can scan the text.
        text = data.decode(encoding, "surrogatepass")
        document = json.loads(text)
    except UnicodeDecodeError as error:
        raise InvalidSyntax(f"The request body is not valid {encoding.upper()}. Send UTF-8.") from error
    except json.JSONDecodeError as error:
        raise InvalidSyntax(f"The request body is not valid JSON: {error.msg} at line {error.lineno} "
                            f"column {error.colno}.") from error
    except RecursionError as error:
        raise _too_deep(limits.max_json_depth) from error
    except ValueError as error:
        # Python refuses to convert an integer literal longer than sys.get_int_max_str_digits()
        # (4300 digits by default) and json.loads passes that ValueError on.
        raise InvalidSyntax(f"The request body contains a number with more than {sys.get_int_max_str_digits()} "
                            "digits, which this server does not accept.") from error
    _check_json_document(document, text, limits.max_json_depth)
    return document


def _too_deep(max_depth: int) -> InvalidSyntax:
    return InvalidSyntax(f"The request body nests objects and arrays more than {max_depth} "
                         "levels deep, which is the maximum (the max_json_depth setting).")


def _read_body(request: Request, max_bytes: int) -> bytes:
    length = request.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLarge(f"The request body has {length} bytes, but the maximum is {max_bytes} "
                              "(the max_body_bytes setting).")
    # Werkzeug stops reading a body without Content-Length (chunked) at max_content_length
    # and returns what it read without an error. Reading one byte more shows a body that is too long.
    request.max_content_length = max_bytes + 1
    data = b""
    try:
        data = request.get_data(cache=True)
        too_large = len(data) > max_bytes
    except RequestEntityTooLarge:
        too_large = True
    if too_large:
        raise PayloadTooLarge(f"The request body has more than {max_bytes} bytes, which is the maximum "
                              "(the max_body_bytes setting).")
    return data


def _check_json_document(document: Any, text: str, max_depth: int) -> None:
    """Raise InvalidSyntax for nesting beyond ``max_depth`` or for an unpaired surrogate.

    ``text`` is the JSON text ``document`` was parsed from. Scans of it in C rule out most
    bodies without a walk in Python: a document with at most ``max_depth`` objects and arrays
    cannot nest deeper than that, and a text without a surrogate or a surrogate escape cannot
    decode to one. The body object itself is level 1.
    """
    # json.loads decodes bytes with "surrogatepass", so the text may contain a raw surrogate too.
    may_have_surrogate = _SURROGATE_ESCAPE.search(text) is not None or (
        not text.isascii() and _SURROGATE.search(text) is not None
    )
    if may_have_surrogate:
        _walk_for_depth_and_surrogates(document, max_depth)
    elif text.count("{") + text.count("[") > max_depth:
        _walk_for_depth(document, max_depth)


def _walk_for_depth_and_surrogates(document: Any, max_depth: int) -> None:
    # An explicit stack, so a deep document cannot exhaust the recursion limit here.
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        elif isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                raise InvalidSyntax("The request body contains an unpaired UTF-16 surrogate escape "
                                    "(\\ud800 to \\udfff), which is not valid Unicode. Escape characters "
                                    "outside the Basic Multilingual Plane as a surrogate pair.")
            continue
        else:
            continue
        if depth > max_depth:
            raise _too_deep(max_depth)
        stack.extend((child, depth + 1) for child in children)


def _walk_for_depth(document: Any, max_depth: int) -> None:
    # Level by level over objects and arrays only: about four times faster than the walk above
    # on a PATCH body that adds 5000 members (timeit, CPython 3.11).
    level: list[Any] = [document] if isinstance(document, (dict, list)) else []
    depth = 1
    while level:
        if depth > max_depth:
            raise _too_deep(max_depth)
        below: list[Any] = []
        for value in level:
            for child in value.values() if isinstance(value, dict) else value:
                if isinstance(child, (dict, list)):
                    below.append(child)
        level = below
        depth += 1


# ----------------------------------------------------------------------------------------------
# Users


def list_users(call: Call) -> Response:
    return _search_users(call, query_from_url(call.request.args))


def search_users(call: Call) -> Response:
    return _search_users(call, query_from_body(call.body()))


def _search_users(call: Call, query: SearchQuery) -> Response:
    result = call.application.users.search(
        query.filter, start_index=query.start_index, count=query.count, base_url=call.base_url,
        projection=query.projection, sort=query.sort,
    )
    return _list_response(call, result, query.projection)


def create_user(call: Call) -> Response:
    resource = call.application.users.create(call.body(), base_url=call.base_url)
    return _resource_response(call, resource, 201)


def get_user(call: Call) -> Response:
    resource = call.application.users.get(call.segments[1], base_url=call.base_url, projection=call.projection())
    return _read_response(call, resource)


def replace_user(call: Call) -> Response:
    resource = call.application.users.replace(call.segments[1], call.body(), base_url=call.base_url,
                                              if_match=call.if_match)
    return _resource_response(call, resource)


def patch_user(call: Call) -> Response:
    resource = call.application.users.patch(call.segments[1], call.body(), base_url=call.base_url,
                                            if_match=call.if_match)
    return _resource_response(call, resource)


def delete_user(call: Call) -> Response:
    call.application.users.delete(call.segments[1], if_match=call.if_match)
    return scim_response(None, 204)


# ----------------------------------------------------------------------------------------------
# Groups


def list_groups(call: Call) -> Response:
    return _search_groups(call, query_from_url(call.request.args))


def search_groups(call: Call) -> Response:
    return _search_groups(call, query_from_body(call.body()))


def _search_groups(call: Call, query: SearchQuery) -> Response:
    result = call.application.groups.search(
        query.filter, start_index=query.start_index, count=query.count, base_url=call.base_url,
        projection=query.projection, sort=query.sort,
    )
    return _list_response(call, result, query.projection)


def create_group(call: Call) -> Response:
    resource = call.application.groups.create(call.body(), base_url=call.base_url)
    return _resource_response(call, resource, 201)


def get_group(call: Call) -> Response:
    resource = call.application.groups.get(call.segments[1], base_url=call.base_url, projection=call.projection())
    return _read_response(call, resource)


def replace_group(call: Call) -> Response:
    resource = call.application.groups.replace(call.segments[1], call.body(), base_url=call.base_url,
                                               if_match=call.if_match)
    return _resource_response(call, resource)


def patch_group(call: Call) -> Response:
    # Entra expects 204 for group PATCHes; a client that names attributes gets the group back.
    resource = call.application.groups.patch(
        call.segments[1], call.body(), base_url=call.base_url,
        projection=None if call.projection().is_default else call.projection(), if_match=call.if_match,
    )
    return scim_response(None, 204) if resource is None else _resource_response(call, resource)


def delete_group(call: Call) -> Response:
    call.application.groups.delete(call.segments[1], if_match=call.if_match)
    return scim_response(None, 204)


# ----------------------------------------------------------------------------------------------
# Searching every resource type


def search_everything(call: Call) -> Response:
    query = query_from_body(call.body())
    application = call.application
    result = search_all(application.users, application.groups, query, base_url=call.base_url,
                        max_results=application.features.max_results)
    return _list_response(call, result, query.projection)


# ----------------------------------------------------------------------------------------------
# Bulk (RFC 7644 §3.7)


def post_bulk(call: Call) -> Response:
    # The body reader enforces maxPayloadSize, because it is the application's max_body_bytes.
    application = call.application
    request = parse_bulk_request(call.body(), max_operations=application.features.max_bulk_operations)
    runner = BulkRunner(application.users, application.groups, call.base_url)
    return scim_response(runner.run(request))


# ----------------------------------------------------------------------------------------------
# Representations, projections and entity tags


def _definition_of(call: Call, resource: dict[str, Any]) -> ResourceDef:
    resource_type = resource.get("meta", {}).get("resourceType")
    return next((definition for definition in call.resources if definition.name == resource_type),
                call.resources[0])


def _resource_response(call: Call, resource: dict[str, Any], status: int = 200) -> Response:
    """Return ``resource`` with the request's projection, its ETag and, for 201, its Location."""
    meta = resource.get("meta", {})
    headers = {"ETag": meta["version"]} if "version" in meta else {}
    if status == 201:
        headers["Location"] = meta["location"]
    body = call.projection().apply(resource, _definition_of(call, resource))
    return scim_response(body, status, headers)


def _read_response(call: Call, resource: dict[str, Any]) -> Response:
    """Return ``resource``, or 304 Not Modified when If-None-Match names its version (RFC 7644 §3.14)."""
    version = resource.get("meta", {}).get("version")
    if_none_match = call.request.headers.get("If-None-Match")
    if version is not None and if_none_match is not None and _matches_version(if_none_match, version):
        return scim_response(None, 304, {"ETag": version})
    return _resource_response(call, resource)


def _matches_version(header: str, version: str) -> bool:
    """Return whether an If-None-Match list names ``version``, compared weakly (RFC 7232 §2.3.2)."""
    if header.strip() == "*":
        return True
    opaque = version.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


def _list_response(call: Call, result: dict[str, Any], projection: Projection) -> Response:
    result["Resources"] = [projection.apply(resource, _definition_of(call, resource))
                           for resource in result["Resources"]]
    return scim_response(result)


# ----------------------------------------------------------------------------------------------
# Discovery


def get_service_provider_config(call: Call) -> Response:
    return scim_response(discovery.service_provider_config(call.application.features, call.base_url))


def list_resource_types(call: Call) -> Response:
    documents = [discovery.resource_type(definition, call.base_url) for definition in call.resources]
    return scim_response(_list(documents))


def get_resource_type(call: Call) -> Response:
    for definition in call.resources:
        if definition.name == call.segments[1]:
            return scim_response(discovery.resource_type(definition, call.base_url))
    raise NotFound(f"No resource type has the id '{call.segments[1]}'. Known: User, Group.")


def list_schemas(call: Call) -> Response:
    documents = [discovery.schema(definition, call.base_url) for definition in discovery.all_schemas(call.resources)]
    return scim_response(_list(documents))


def get_schema(call: Call) -> Response:
    for definition in discovery.all_schemas(call.resources):
        if definition.id == call.segments[1]:
            return scim_response(discovery.schema(definition, call.base_url))
    raise NotFound(f"No schema has the id '{call.segments[1]}'.")


def _list(documents: list[dict[str, Any]]) -> dict[str, Any]:
    from ..provisioning.common import list_response

    return list_response(len(documents), 1, documents)


# ----------------------------------------------------------------------------------------------
# Dispatch

_COLLECTION = 1
_MEMBER = 2

ROUTES: dict[tuple[str, int], dict[str, Handler]] = {
    (".search", _COLLECTION): {"POST": search_everything},
    ("bulk", _COLLECTION): {"POST": post_bulk},
    ("users", _COLLECTION): {"GET": list_users, "POST": create_user},
    ("users", _MEMBER): {"GET": get_user, "PUT": replace_user, "PATCH": patch_user, "DELETE": delete_user},
    ("groups", _COLLECTION): {"GET": list_groups, "POST": create_group},
    ("groups", _MEMBER): {"GET": get_group, "PUT": replace_group, "PATCH": patch_group, "DELETE": delete_group},
    ("serviceproviderconfig", _COLLECTION): {"GET": get_service_provider_config},
    ("resourcetypes", _COLLECTION): {"GET": list_resource_types},
    ("resourcetypes", _MEMBER): {"GET": get_resource_type},
    ("schemas", _COLLECTION): {"GET": list_schemas},
    ("schemas", _MEMBER): {"GET": get_schema},
}

_SEARCH_ROUTES: dict[str, dict[str, Handler]] = {
    "users": {"POST": search_users},
    "groups": {"POST": search_groups},
}

ENDPOINTS = "/Users, /Groups, /.search, /Bulk, /ServiceProviderConfig, /ResourceTypes and /Schemas"


def find_handler(method: str, segments: tuple[str, ...]) -> Handler:
    """Return the handler for ``method`` on the path ``segments``, or raise a SCIM error."""
    key = (segments[0].lower(), len(segments)) if segments else ("", 0)
    if len(segments) == 2 and segments[1] == ".search":
        # RFC 7644 §3.4.3: POST /Users/.search and POST /Groups/.search.
        handlers = _SEARCH_ROUTES.get(key[0])
    else:
        handlers = ROUTES.get(key)
    if handlers is None:
        path = "/" + "/".join(segments)
        raise NotFound(f"There is no SCIM endpoint at '{path}'. The endpoints are {ENDPOINTS}.")
    method = "GET" if method == "HEAD" else method
    handler = handlers.get(method)
    if handler is None:
        allowed = tuple(sorted(handlers))
        raise MethodNotAllowed(f"The method {method} is not allowed here. Allowed: {', '.join(allowed)}.",
                               allowed=allowed)
    return handler
