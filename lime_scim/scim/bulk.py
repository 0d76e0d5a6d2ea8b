"""Bulk requests (RFC 7644 §3.7): parse a BulkRequest message and resolve ``bulkId`` references.

The use cases run the operations. This module checks the message's shape, and finds and replaces
the ``bulkId:<id>`` references through which one operation names a resource that another
operation of the same request creates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .constants import BULK_REQUEST_URN
from .errors import InvalidSyntax, InvalidValue, PayloadTooLarge

BULK_METHODS = ("POST", "PUT", "PATCH", "DELETE")
REFERENCE_PREFIX = "bulkId:"


@dataclass(frozen=True, slots=True)
class BulkOperation:
    """One operation of a BulkRequest, with ``method`` in upper case."""

    index: int
    method: str
    path: str
    bulk_id: str | None = None
    # The resource version the operation requires, sent as If-Match (RFC 7644 §3.7 and §3.14).
    version: str | None = None
    data: Any = None

    def references(self) -> set[str]:
        """Return the bulkIds that the path and the data of this operation reference."""
        found: set[str] = set()
        _collect_references(self.path.split("/"), found)
        _collect_references(self.data, found)
        return found


@dataclass(frozen=True, slots=True)
class BulkRequest:
    """A parsed BulkRequest: its operations and ``failOnErrors`` (None means no limit)."""

    operations: tuple[BulkOperation, ...]
    fail_on_errors: int | None = None


def _member(body: Mapping[str, Any], name: str) -> tuple[bool, Any]:
    lowered = name.lower()
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == lowered:
            return True, value
    return False, None


def _collect_references(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith(REFERENCE_PREFIX):
            found.add(value[len(REFERENCE_PREFIX):])
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect_references(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_references(item, found)


def replace_references(value: Any, resolved: Mapping[str, str]) -> Any:
    """Return ``value`` with every ``bulkId:<id>`` string replaced by the id ``resolved`` maps it to.

    Strings whose bulkId ``resolved`` lacks are left as they are.
    """
    if isinstance(value, str):
        if value.startswith(REFERENCE_PREFIX):
            return resolved.get(value[len(REFERENCE_PREFIX):], value)
        return value
    if isinstance(value, Mapping):
        return {key: replace_references(item, resolved) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_references(item, resolved) for item in value]
    return value


def _text(item: Mapping[str, Any], name: str, where: str, *, required: bool) -> str | None:
    found, value = _member(item, name)
    if not found or value is None:
        if required:
            raise InvalidSyntax(f'{where} has no "{name}".')
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidSyntax(f'{where}.{name} must be a non-empty string, got {value!r}.')
    return value.strip()


def _parse_operation(index: int, item: Any) -> BulkOperation:
    where = f"Operations[{index}]"
    if not isinstance(item, Mapping):
        raise InvalidSyntax(f'{where} must be an object with "method", "path" and, for POST, "bulkId" and "data".')
    method = (_text(item, "method", where, required=True) or "").upper()
    if method not in BULK_METHODS:
        raise InvalidSyntax(f"{where}.method must be POST, PUT, PATCH or DELETE, got {method!r}.")
    path = _text(item, "path", where, required=True) or ""
    bulk_id = _text(item, "bulkId", where, required=method == "POST")
    version = _text(item, "version", where, required=False)
    has_data, data = _member(item, "data")
    if method != "DELETE" and (not has_data or not isinstance(data, Mapping)):
        raise InvalidSyntax(f'{where}: {method} needs "data" with the resource or PatchOp message as an object.')
    return BulkOperation(index, method, path, bulk_id, version, data if method != "DELETE" else None)


def _fail_on_errors(body: Mapping[str, Any]) -> int | None:
    found, value = _member(body, "failOnErrors")
    if not found or value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue(f'"failOnErrors" must be a whole number of 1 or more, got {value!r}.')
    return value


def parse_bulk_request(body: Any, *, max_operations: int) -> BulkRequest:
    """Validate a BulkRequest message (RFC 7644 §3.7) and return its operations in order.

    Raises InvalidSyntax for a wrong shape or a bulkId used twice, InvalidValue for an invalid
    ``failOnErrors``, and PayloadTooLarge (413) for more than ``max_operations`` operations.
    """
    if not isinstance(body, Mapping):
        raise InvalidSyntax('The bulk request body must be a JSON object with "schemas" and "Operations".')
    found, schemas = _member(body, "schemas")
    if found and (not isinstance(schemas, list) or BULK_REQUEST_URN not in schemas):
        raise InvalidSyntax(f'The bulk request must list the schema {BULK_REQUEST_URN} in "schemas".')
    found, items = _member(body, "Operations")
    if not found or not isinstance(items, list):
        raise InvalidSyntax('The bulk request needs an "Operations" list.')
    if len(items) > max_operations:
        raise PayloadTooLarge(f"The bulk request has {len(items)} operations, but the maximum is {max_operations}, "
                              "as /ServiceProviderConfig states in bulk.maxOperations. Split it into several requests.")

    operations = tuple(_parse_operation(index, item) for index, item in enumerate(items))
    seen: set[str] = set()
    for operation in operations:
        if operation.bulk_id is None:
            continue
        if operation.bulk_id in seen:
            raise InvalidSyntax(f"Operations[{operation.index}]: the bulkId {operation.bulk_id!r} is used twice; "
                                "each bulkId must be unique within the request.")
        seen.add(operation.bulk_id)
    return BulkRequest(operations, _fail_on_errors(body))
