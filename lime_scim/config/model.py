"""The validated settings that the loader returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_RESULTS = 1000
# How long a database statement waits for another transaction's lock before the attempt fails.
DEFAULT_BUSY_TIMEOUT_MS = 10000


@dataclass(frozen=True)
class RequestLimits:
    """The largest request an application accepts. Each field name is also its config key.

    The defaults leave a wide margin over the largest request Entra ID sends: a user PATCH has
    one operation per changed attribute, and a body rarely nests deeper than five levels.
    NOTE: how many members Entra puts into one group PATCH is not documented, so
    ``max_members`` and ``max_body_bytes`` are sized for tens of thousands.
    """

    # Bytes of a request body. A larger body gets 413.
    max_body_bytes: int = 4 * 1024 * 1024
    # Levels of nested JSON objects and arrays. The body object itself is level 1.
    max_json_depth: int = 32
    # Characters of the filter query parameter.
    max_filter_length: int = 4096
    # Levels of nested parentheses and brackets in a filter.
    max_filter_depth: int = 32
    # Operations of one PATCH request.
    max_patch_operations: int = 1000
    # Member values of one group request: all operations of a PATCH, or the members of a POST or PUT.
    max_members: int = 10000


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``per_second`` requests a second on average, bursts of up to ``burst``."""

    per_second: float
    burst: int


@dataclass(frozen=True)
class ExtraMapping:
    """One configured attribute mapping: a SCIM attribute path and exactly one target.

    ``label`` finds a coworker property by field label, ``property`` by property name, and
    ``user_column`` names a column of the ``[user]`` table.
    """

    attribute: str
    label: str | None = None
    property: str | None = None
    user_column: str | None = None


@dataclass(frozen=True)
class ScimSettings:
    """The ``scim`` settings of one application, from ``config.scim`` and ``secrets.scim``.

    ``token`` is the shared bearer token. It is left out of ``repr`` so that the settings
    can appear in logs and tracebacks.
    """

    application: str
    enabled: bool = False
    use_legacy_resource_ids: bool = True
    token: str | None = field(default=None, repr=False)
    database_url: str | None = field(default=None, repr=False)
    datamodel: Path | None = None
    max_results: int = DEFAULT_MAX_RESULTS
    # The coworker limetype's name, when its table label is neither user nor coworker.
    coworker_limetype: str | None = None
    mappings: tuple[ExtraMapping, ...] = ()
    limits: RequestLimits = field(default_factory=RequestLimits)
    # None turns rate limiting off.
    rate_limit: RateLimit | None = None
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS


@dataclass(frozen=True)
class ConfigFile:
    """An application config file and the ``scim`` settings of each application in it.

    ``path`` is absolute. ``applications`` keeps the order of the file.
    """

    path: Path
    applications: Mapping[str, ScimSettings]

    def database_url_for(self, name: str) -> str:
        """Return the database URL of application ``name``.

        Without a configured URL this is an SQLite file named after the application, in
        the folder of the config file. Raises KeyError for an unknown application.
        """
        settings = self.applications[name]
        if settings.database_url is not None:
            return settings.database_url

        database_file = self.path.parent / f"{name}.sqlite3"
        return f"sqlite:///{database_file.as_posix()}"

    def enabled_applications(self) -> list[ScimSettings]:
        """Return the settings of the applications whose ``scim.enabled`` is true."""
        return [settings for settings in self.applications.values() if settings.enabled]
