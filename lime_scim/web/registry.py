"""How the web layer finds the application a request names."""

from __future__ import annotations

from typing import Protocol

from ..provisioning.application import ScimApplication


class ApplicationNotServed(Exception):
    """The named application is unknown or has SCIM disabled; the message says which."""


class ApplicationProvider(Protocol):
    """Looks up served applications by the name in the URL."""

    def lookup(self, name: str) -> ScimApplication:
        """Return the application called ``name``, or raise ApplicationNotServed."""
        ...
