"""The error raised for an invalid or unreadable application config."""

from __future__ import annotations


class ConfigError(Exception):
    """An application config that cannot be read or is invalid.

    The message is one line that names the file and, where they apply, the application,
    the dotted key and the fix. It never contains a secret value.
    """

    def __init__(self, message: str, *, source: str, key: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.key = key
