"""The validated settings that the loader returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MAX_RESULTS = 1000


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
