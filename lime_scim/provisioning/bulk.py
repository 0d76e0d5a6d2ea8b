"""Bulk use case (RFC 7644 §3.7): run the operations of a BulkRequest on users and groups.

Each operation runs in its own transaction, as a single request would. So one failed operation
leaves the others applied, and the response reports each operation's status. An operation that
references a ``bulkId`` waits until the operation that defines it has run, whatever their order
in the request. Processing stops once ``failOnErrors`` operations have failed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..scim.bulk import BulkOperation, BulkRequest, replace_references
from ..scim.constants import BULK_RESPONSE_URN
from ..scim.errors import InternalError, InvalidPath, InvalidValue, ScimError, error_document
from ..scim.projection import Projection
from .groups import GroupService
from .users import UserService

logger = logging.getLogger(__name__)

# Groups are read back without members after a bulk write, so a bulk PATCH of a large group
# costs the same as one without the read.
_WITHOUT_MEMBERS = Projection(excluded=("members",))


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: int
    location: str | None = None
    version: str | None = None
    resource_id: str | None = None


class BulkRunner:
    """Runs the operations of one BulkRequest and collects the BulkResponse."""

    def __init__(self, users: UserService, groups: GroupService, base_url: str) -> None:
        self._users = users
        self._groups = groups
        self._base_url = base_url
        self._resolved: dict[str, str] = {}
        self._failed_ids: set[str] = set()

    def run(self, request: BulkRequest) -> dict[str, Any]:
        """Return the BulkResponse message after running the operations (RFC 7644 §3.7.3)."""
        defined = {operation.bulk_id for operation in request.operations if operation.bulk_id}
        pending = list(request.operations)
        results: list[dict[str, Any]] = []
        errors = 0
        while pending:
            ready = [operation for operation in pending if self._is_ready(operation, defined)]
            if not ready:
                # Every remaining operation waits for another: the references form a cycle.
                ready = pending[:1]
            for operation in ready:
                pending.remove(operation)
                result = self._run_one(operation, defined)
                results.append(result)
                if int(result["status"]) >= 400:
                    errors += 1
                    if operation.bulk_id:
                        self._failed_ids.add(operation.bulk_id)
                if request.fail_on_errors is not None and errors >= request.fail_on_errors:
                    return _response(results)
        return _response(results)

    def _is_ready(self, operation: BulkOperation, defined: set[str]) -> bool:
        waiting = operation.references() - self._resolved.keys() - self._failed_ids
        return not (waiting & defined)

    def _run_one(self, operation: BulkOperation, defined: set[str]) -> dict[str, Any]:
        result: dict[str, Any] = {"method": operation.method}
        if operation.bulk_id:
            result["bulkId"] = operation.bulk_id
        try:
            outcome = self._execute(operation, defined)
        except ScimError as error:
            result.update(status=str(error.status), response=error_document(error))
            return result
        except Exception:  # noqa: BLE001 - one failed operation must not abort the others
            logger.exception("Bulk operation %s %s failed unexpectedly", operation.method, operation.path)
            error = InternalError()
            result.update(status=str(error.status), response=error_document(error))
            return result

        if operation.bulk_id and outcome.resource_id:
            self._resolved[operation.bulk_id] = outcome.resource_id
        if outcome.location:
            result["location"] = outcome.location
        if outcome.version:
            result["version"] = outcome.version
        result["status"] = str(outcome.status)
        return result

    def _execute(self, operation: BulkOperation, defined: set[str]) -> _Outcome:
        unresolved = operation.references() - self._resolved.keys()
        if unresolved:
            name = sorted(unresolved)[0]
            if name in self._failed_ids:
                reason = "the operation that defines it failed"
            elif name in defined:
                reason = "it is part of a circular reference"
            else:
                reason = "no POST operation of this request defines it"
            raise InvalidValue(f"Operations[{operation.index}] references bulkId:{name}, but {reason}.")

        path = "/".join(replace_references(operation.path.split("/"), self._resolved))
        data = replace_references(operation.data, self._resolved)
        segments = [segment for segment in path.split("/") if segment]
        if not segments or segments[0].lower() not in ("users", "groups") or len(segments) > 2:
            raise InvalidPath(f"Operations[{operation.index}].path {operation.path!r} is not /Users, /Groups, "
                              "/Users/{id} or /Groups/{id}.")
        is_users = segments[0].lower() == "users"
        if operation.method == "POST":
            if len(segments) != 1:
                raise InvalidPath(f"Operations[{operation.index}]: POST goes to /Users or /Groups, not {path!r}.")
            service_create = self._users.create if is_users else self._groups.create
            return _outcome(service_create(data, base_url=self._base_url), 201)
        if len(segments) != 2:
            raise InvalidPath(f"Operations[{operation.index}]: {operation.method} needs a resource id in the path, "
                              f"as in /Users/{{id}}, not {path!r}.")
        return self._change(operation, is_users, segments[1], data)

    def _change(self, operation: BulkOperation, is_users: bool, resource_id: str, data: Any) -> _Outcome:
        version = operation.version
        base_url = self._base_url
        if operation.method == "DELETE":
            if is_users:
                self._users.delete(resource_id, if_match=version)
            else:
                self._groups.delete(resource_id, if_match=version)
            return _Outcome(204)
        if operation.method == "PUT":
            replace = self._users.replace if is_users else self._groups.replace
            return _outcome(replace(resource_id, data, base_url=base_url, if_match=version), 200)
        if is_users:
            return _outcome(self._users.patch(resource_id, data, base_url=base_url, if_match=version), 200)
        resource = self._groups.patch(resource_id, data, base_url=base_url, projection=_WITHOUT_MEMBERS,
                                      if_match=version)
        assert resource is not None
        return _outcome(resource, 200)


def _outcome(resource: dict[str, Any], status: int) -> _Outcome:
    meta = resource.get("meta", {})
    return _Outcome(status, meta.get("location"), meta.get("version"), resource.get("id"))


def _response(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [BULK_RESPONSE_URN], "Operations": results}
