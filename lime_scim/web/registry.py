"""The lookup of the application a request names, as the web layer needs it."""

from __future__ import annotations

from typing import Protocol

from ..provisioning.application import ScimApplication


class ApplicationNotServed(Exception):
    """Raised for an unknown application or one with SCIM disabled; the message names the reason."""


class ApplicationProvider(Protocol):
    """Looks up served applications by the name in the URL."""

    def lookup(self, name: str) -> ScimApplication:
        """Return the application called ``name``, or raise ApplicationNotServed."""
        ...
