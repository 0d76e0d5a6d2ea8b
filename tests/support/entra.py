"""Replay Entra ID request sequences from JSON fixtures against a live ``lime-scim serve``.

A replay file under ``tests/fixtures/entra`` is an object with a ``description`` and a list of
``steps``. Each step is either a request or a checkpoint:

``name``
    Unique within the file; :meth:`Replay.response` looks responses up by it.
``method``, ``path``
    The HTTP method, and the path relative to the tenant URL, query string included, exactly
    as it goes on the wire: ``/Users?filter=userName+eq+%22{U1_NAME}%22``.
``body``
    The JSON body, if any. It is sent as ``application/scim+json; charset=utf-8``, the
    Content-Type that Entra sends.
``body_fixture``, ``literals``
    Instead of ``body``: the file name of a PatchOp body in the same folder, and a mapping from
    the literal ids in that file (``"U7"``) to placeholders (``"{U2}"``). A literal is replaced
    where it is a whole string value and where it appears in double quotes inside a filter.
``headers``
    Extra request headers; a ``Content-Type`` here replaces the default one.
``status``
    The expected status code.
``capture``
    Variables to set from the response: ``{"U1": "/id"}``, each a JSON Pointer (RFC 6901).
``expect``, ``absent``
    JSON Pointers with their expected values, and JSON Pointers that must not resolve.
``checkpoint``
    A step with only this key (and an optional ``note``) calls the replay's checkpoint
    callback with its value, so that a test can look at the store at that point.

Placeholders are written ``{NAME}`` with NAME in capitals, digits and underscores. They are
filled from the variables given to :class:`Replay` and from captured values. A placeholder
without a value fails the replay, so it never reaches the server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "entra"
# Entra's two request dialects, and the replay file of a complete provisioning cycle in each.
DIALECTS = ("default", "aadoptscim062020")
CYCLE_FILES = {"default": "cycle_default_dialect.json", "aadoptscim062020": "cycle_aadoptscim062020.json"}
SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8"
REQUEST_TIMEOUT_SECONDS = 30

_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_STEP_KEYS = frozenset({
    "name", "note", "method", "path", "body", "body_fixture", "literals", "headers", "status",
    "capture", "expect", "absent", "checkpoint",
})
_MISSING = object()


class ReplayError(AssertionError):
    """A step got an unexpected response, or the replay file is invalid."""


def load_replay(file_name: str) -> list[dict[str, Any]]:
    """Return the steps of a replay file in ``tests/fixtures/entra``."""
    document = json.loads((FIXTURE_DIR / file_name).read_text(encoding="utf-8"))
    steps = document["steps"]
    names = [step["name"] for step in steps if "name" in step]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ReplayError(f"{file_name}: step names must be unique, repeated: {duplicates}")
    for step in steps:
        unknown = set(step) - _STEP_KEYS
        if unknown:
            raise ReplayError(f"{file_name}: step {step.get('name')!r} has unknown keys {sorted(unknown)}")
    return steps


def load_body_fixture(file_name: str) -> Any:
    """Return the parsed JSON of a body fixture in ``tests/fixtures/entra``."""
    return json.loads((FIXTURE_DIR / file_name).read_text(encoding="utf-8"))


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Return the value at a JSON Pointer (RFC 6901), or raise KeyError when it does not resolve."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise ValueError(f"A JSON Pointer starts with '/', got {pointer!r}")
    current = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(current, list):
            if not token.isdigit() or int(token) >= len(current):
                raise KeyError(pointer)
            current = current[int(token)]
        elif isinstance(current, dict):
            if token not in current:
                raise KeyError(pointer)
            current = current[token]
        else:
            raise KeyError(pointer)
    return current


def _replace_literals(value: Any, literals: Mapping[str, str]) -> Any:
    """Replace literal ids of a body fixture with placeholders, recursively."""
    if isinstance(value, dict):
        return {key: _replace_literals(item, literals) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_literals(item, literals) for item in value]
    if isinstance(value, str):
        if value in literals:
            return literals[value]
        for literal, replacement in literals.items():
            value = value.replace(f'"{literal}"', f'"{replacement}"')
        return value
    return value


@dataclass
class Exchange:
    """One request of a replay and its response."""

    step: str
    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Replay:
    """Sends replay steps to one tenant URL with one bearer token.

    ``tenant_url`` is ``http://127.0.0.1:PORT/APPLICATION/api/v1/scim`` without a trailing
    slash. Each step's path is appended to it unchanged, so a path may start with ``//``.
    """

    tenant_url: str
    token: str
    variables: dict[str, str] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self._responses: dict[str, requests.Response] = {}

    def fill(self, text: str) -> str:
        """Return ``text`` with every ``{NAME}`` placeholder replaced by its variable."""
        def value_of(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in self.variables:
                raise ReplayError(f"No value for the placeholder {{{name}}} in {text!r}; "
                                  f"known: {sorted(self.variables)}")
            return self.variables[name]

        return _PLACEHOLDER.sub(value_of, text)

    def fill_body(self, value: Any) -> Any:
        """Return a JSON value with placeholders in its strings and keys filled."""
        if isinstance(value, dict):
            return {self.fill(key): self.fill_body(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.fill_body(item) for item in value]
        if isinstance(value, str):
            return self.fill(value)
        return value

    def send(
        self,
        method: str,
        path: str,
        body: Any = _MISSING,
        *,
        headers: Mapping[str, str] | None = None,
        step: str = "",
    ) -> requests.Response:
        """Send one request with the bearer token; ``path`` is appended to the tenant URL."""
        request_headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/scim+json"}
        data = None
        if body is not _MISSING:
            request_headers["Content-Type"] = SCIM_CONTENT_TYPE
            data = json.dumps(body).encode("utf-8")
        request_headers.update(headers or {})
        url = self.tenant_url + path
        response = self.session.request(method, url, data=data, headers=request_headers,
                                        timeout=REQUEST_TIMEOUT_SECONDS, allow_redirects=False)
        self.exchanges.append(Exchange(step or f"{method} {path}", method, url, response.status_code,
                                       dict(response.headers), response.content))
        return response

    def run(
        self,
        steps: Iterable[Mapping[str, Any]],
        *,
        checkpoint: Callable[[str], None] | None = None,
        keep_going: bool = False,
    ) -> dict[str, ReplayError]:
        """Send every step in order, checking each response, and return the failures by step.

        Without ``keep_going`` the first failure is raised. With it, the replay goes on, so
        that one wrong response does not hide the checks of later steps. A step that needs a
        variable from a failed capture then fails too.
        """
        failures: dict[str, ReplayError] = {}
        for step in steps:
            if "checkpoint" in step:
                if checkpoint is not None:
                    checkpoint(step["checkpoint"])
                continue
            try:
                self.run_step(step)
            except ReplayError as error:
                if not keep_going:
                    raise
                failures[step["name"]] = error
        return failures

    def run_step(self, step: Mapping[str, Any]) -> requests.Response:
        """Send one step, check its status and expectations, and store its captures."""
        name = step["name"]
        path = self.fill(step["path"])
        body: Any = _MISSING
        if "body" in step:
            body = self.fill_body(step["body"])
        elif "body_fixture" in step:
            raw = load_body_fixture(step["body_fixture"])
            body = self.fill_body(_replace_literals(raw, step.get("literals", {})))
        headers = {key: self.fill(value) for key, value in step.get("headers", {}).items()}

        response = self.send(step["method"], path, body, headers=headers, step=name)
        self._responses[name] = response
        where = f"step {name!r} ({step['method']} {path})"
        if response.status_code != step["status"]:
            raise ReplayError(f"{where}: expected status {step['status']}, got "
                              f"{response.status_code}: {response.text[:2000]}")

        document = response.json() if response.content else None
        for variable, pointer in step.get("capture", {}).items():
            try:
                self.variables[variable] = str(resolve_pointer(document, pointer))
            except KeyError:
                raise ReplayError(f"{where}: cannot capture {variable} from {pointer}: "
                                  f"{response.text[:2000]}") from None
        for pointer, expected in step.get("expect", {}).items():
            expected = self.fill_body(expected)
            try:
                actual = resolve_pointer(document, pointer)
            except KeyError:
                raise ReplayError(f"{where}: {pointer} is missing, expected {expected!r}: "
                                  f"{response.text[:2000]}") from None
            if actual != expected:
                raise ReplayError(f"{where}: {pointer} is {actual!r}, expected {expected!r}")
        for pointer in step.get("absent", []):
            try:
                actual = resolve_pointer(document, pointer)
            except KeyError:
                continue
            raise ReplayError(f"{where}: {pointer} should be absent, is {actual!r}")
        return response

    def response(self, step: str) -> requests.Response:
        """Return the response of the step named ``step``."""
        return self._responses[step]

    def json(self, step: str) -> Any:
        """Return the JSON body of the step named ``step``."""
        return self._responses[step].json()
