"""``lime-scim check --url``: Entra's Test Connection against a running server.

Entra's Test Connection looks up a user that cannot exist,
``GET <tenant URL>/Users?filter=userName eq "<random GUID>"``, with the Secret Token as
bearer token, and passes when the response is 200 with an empty ListResponse. This module sends
the same request. It sends it only to the host of the given URL: environment proxies are not
used and redirects are not followed, so the token goes nowhere else.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from .check_findings import Finding, error, ok, one_line

# Time limit in seconds for connecting and for each read. The whole exchange is limited to
# twice this.
CONNECTION_TIMEOUT_SECONDS = 5.0
LIST_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SUBJECT = "connection"
# Characters of a non-SCIM response body quoted in a finding.
_MAX_BODY_EXCERPT = 200
# Bytes of a response read at most, and per read.
_MAX_BODY_BYTES = 1024 * 1024
_CHUNK_BYTES = 64 * 1024
# The query that turns on Entra's SCIM 2.0 compliant requests. Admins append it to the
# Tenant URL in Entra, sometimes as aadOptscim062020=true, so it arrives pasted with the URL.
# It is matched without regard to case.
ENTRA_FLAG = "aadOptscim062020"
# Resource endpoints below the tenant URL, which Entra appends itself.
_RESOURCE_ENDPOINTS = ("Users", "Groups")


@dataclass(frozen=True, slots=True)
class TenantUrl:
    """A tenant URL from --url, without trailing slash, query or fragment.

    ``dropped_flag`` is the ``aadOptscim062020`` query as given, when one was dropped.
    """

    url: str
    dropped_flag: str | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turn every redirect into an HTTPError, so that the token stays on the given host."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Message, newurl: str) -> None:
        return None


def _is_entra_flag(query: str) -> bool:
    name, _, value = query.partition("=")
    return name.lower() == ENTRA_FLAG.lower() and value.lower() in ("", "true")


def validate_tenant_url(text: str) -> TenantUrl:
    """Parse the tenant URL that --url gives, dropping a trailing slash and Entra's flag.

    Raises ValueError, with the fix, for a URL that is not http(s) or ends in a resource
    endpoint such as /Users. It also raises for a user name, a password, a fragment, or a
    query other than ``aadOptscim062020`` (in any case, optionally ``=true``).
    """
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text!r} is not an http or https URL. Give the tenant URL, "
                         "such as http://127.0.0.1:8080/myapp/api/v1/scim")
    if parts.username or parts.password:
        raise ValueError("the URL must not contain a user name or password")
    if parts.fragment:
        raise ValueError("the URL must not contain a fragment. Give the tenant URL only")
    if parts.query and not _is_entra_flag(parts.query):
        raise ValueError(f"the URL must not contain a query other than ?{ENTRA_FLAG}, got "
                         f"?{parts.query}. Give the tenant URL only")

    path = parts.path.rstrip("/")
    base_path, _, last_segment = path.rpartition("/")
    for endpoint in _RESOURCE_ENDPOINTS:
        if last_segment.lower() == endpoint.lower():
            tenant_url = urlunsplit((parts.scheme, parts.netloc, base_path, "", ""))
            raise ValueError(f"the URL ends in /{last_segment}, which Entra appends to the tenant "
                             f"URL itself. Give the tenant URL without it: {tenant_url}")

    url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return TenantUrl(url, parts.query or None)


def application_in_url(tenant_url: str) -> str | None:
    """Return the application segment of ``.../<application>/api/v1/scim``, or None."""
    segments = [segment for segment in urlsplit(tenant_url).path.split("/") if segment]
    if len(segments) >= 4 and [s.lower() for s in segments[-3:]] == ["api", "v1", "scim"]:
        return segments[-4]
    return None


def _probe_url(tenant_url: str) -> str:
    query = quote(f'userName eq "{uuid.uuid4()}"', safe="")
    return f"{tenant_url}/Users?filter={query}"


def _detail(body: bytes) -> str:
    """Return the SCIM error detail of a response body, or the start of the body."""
    try:
        document = json.loads(body)
    except ValueError:
        text = one_line(body.decode("utf-8", errors="replace"))
        return text[:_MAX_BODY_EXCERPT] or "(empty body)"
    if isinstance(document, dict) and document.get("detail"):
        return one_line(str(document["detail"]))
    return one_line(json.dumps(document))[:_MAX_BODY_EXCERPT]


def _judge_status(tenant_url: str, status: int, body: bytes, headers: Message) -> Finding:
    detail = _detail(body)
    if status == 401:
        return error(SUBJECT, f"the server at {tenant_url} responded with 401 (unauthorized): {detail}",
                     "the token in secrets.scim.token differs from the one that server uses. "
                     "Use the same token in the config of the server, in this config, and as "
                     "Secret Token in Entra.")
    if status == 404:
        return error(SUBJECT, f"the server at {tenant_url} responded with 404 (not found): {detail}",
                     "check the application name in the URL, and that scim.enabled is true for "
                     "that application in the config the server runs with.")
    if 300 <= status < 400:
        location = headers.get("Location", "an unnamed location")
        return error(SUBJECT, f"the server at {tenant_url} responded with {status} with a redirect to "
                              f"{location}.", "use the URL it redirects to as the tenant URL.")
    return error(SUBJECT, f"the server at {tenant_url} responded with {status}: {detail}",
                 "look at the server's log for the cause.")


def _judge_list_response(tenant_url: str, body: bytes, elapsed_ms: float) -> Finding:
    not_scim = error(SUBJECT, f"the server at {tenant_url} responded with 200, but not with a SCIM "
                              f"ListResponse: {_detail(body)}",
                     "check that the URL is the tenant URL, ending in /api/v1/scim.")
    try:
        document = json.loads(body)
    except ValueError:
        return not_scim
    if not isinstance(document, dict) or LIST_RESPONSE_URN not in document.get("schemas", []):
        return not_scim
    if document.get("totalResults") != 0 or document.get("Resources", []) != []:
        return error(SUBJECT, f"the server at {tenant_url} found users for a userName that cannot "
                              f"exist (totalResults {document.get('totalResults')!r}).",
                     "the server does not filter by userName; look at its log for the cause.")
    return ok(SUBJECT, f"Test Connection passed: {tenant_url} responded with 200 with an empty "
                       f"ListResponse in {elapsed_ms:.0f} ms.")


def _unreachable(tenant_url: str, reason: object) -> Finding:
    parts = urlsplit(tenant_url)
    where = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    if isinstance(reason, ConnectionRefusedError):
        return error(SUBJECT, f"connection refused at {where}: the server is not running at "
                              f"{tenant_url}.",
                     "start lime-scim serve, or correct the host and port in --url.")
    if isinstance(reason, TimeoutError):
        return _timed_out(tenant_url)
    return error(SUBJECT, f"the request to {where} failed: {one_line(str(reason)) or type(reason).__name__}.",
                 "check the host name and port in --url, and that the server is running.")


def _timed_out(tenant_url: str) -> Finding:
    return error(SUBJECT, f"{tenant_url} did not respond within {CONNECTION_TIMEOUT_SECONDS:.0f} "
                          "seconds.",
                 "check that the server is running and not overloaded, and that no firewall "
                 "drops the connection.")


def _read_body(response: Any, deadline: float) -> bytes:
    """Read up to _MAX_BODY_BYTES, failing with TimeoutError once ``deadline`` has passed."""
    chunks: list[bytes] = []
    size = 0
    while size < _MAX_BODY_BYTES:
        if time.monotonic() > deadline:
            raise TimeoutError("reading the response timed out")
        chunk = response.read(_CHUNK_BYTES)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def run_test_connection(tenant_url: str, token: str) -> Finding:
    """Send Entra's Test Connection request to ``tenant_url`` and judge the response.

    ``tenant_url`` must be the ``url`` of a :class:`TenantUrl`. The finding never contains
    the token.
    """
    request = urllib.request.Request(
        _probe_url(tenant_url),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"},
        method="GET",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    started = time.monotonic()
    deadline = started + 2 * CONNECTION_TIMEOUT_SECONDS
    try:
        try:
            with opener.open(request, timeout=CONNECTION_TIMEOUT_SECONDS) as response:
                status = response.status
                headers = response.headers
                body = _read_body(response, deadline)
        except urllib.error.HTTPError as failed:
            status = failed.code
            headers = failed.headers
            body = _read_body(failed, deadline) if failed.fp is not None else b""
            failed.close()
    except urllib.error.URLError as failed:
        return _unreachable(tenant_url, failed.reason)
    except OSError as failed:
        # TimeoutError and ConnectionError are OSErrors too.
        return _unreachable(tenant_url, failed)
    except http.client.HTTPException as failed:
        return error(SUBJECT, f"the response of {tenant_url} is not valid HTTP "
                              f"({type(failed).__name__}).",
                     "check that --url names the SCIM server and not another service.")
    elapsed_ms = (time.monotonic() - started) * 1000

    if status != 200:
        return _judge_status(tenant_url, status, body, headers)
    return _judge_list_response(tenant_url, body, elapsed_ms)
