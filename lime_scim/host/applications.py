"""The standalone host's application provider: each enabled application on its embedded store."""

from __future__ import annotations

import logging
import threading

from ..config import ConfigFile, ScimSettings
from ..objectapi.datamodel import default_datamodel_path, load_datamodel
from ..objectapi.sqlstore import create_object_api
from ..provisioning.application import ScimApplication, bind_application, build_application
from ..web.registry import ApplicationNotServed

logger = logging.getLogger(__name__)


def open_application(config: ConfigFile, settings: ScimSettings) -> ScimApplication:
    """Open the application's store and build its use cases.

    Raises DatamodelError or MappingError, with a message naming the fix, when the datamodel
    cannot be read or cannot carry the SCIM mapping.
    """
    datamodel_path = settings.datamodel or default_datamodel_path()
    datamodel = load_datamodel(datamodel_path)
    # Bound before the store opens, so a datamodel that cannot carry the mapping creates no
    # tables that a corrected datamodel would then not match.
    binding = bind_application(settings, datamodel)
    api = create_object_api(
        config.database_url_for(settings.application), datamodel, busy_timeout_ms=settings.busy_timeout_ms
    )
    try:
        return build_application(settings, api, binding)
    except Exception:
        api.close()
        raise


class EmbeddedApplications:
    """Serves the enabled applications of one configuration file, each on its own store.

    Stores open on first use, so one broken application does not stop the others; the CLI
    opens every application once before it starts serving, to fail fast.
    """

    def __init__(self, config: ConfigFile) -> None:
        self._config = config
        self._opened: dict[str, ScimApplication] = {}
        self._lock = threading.Lock()

    @property
    def config(self) -> ConfigFile:
        return self._config

    def lookup(self, name: str) -> ScimApplication:
        opened = self._opened.get(name)
        if opened is not None:
            return opened
        settings = self._config.applications.get(name)
        if settings is None:
            raise ApplicationNotServed(f"no application of that name in {self._config.path}")
        if not settings.enabled:
            raise ApplicationNotServed(f"scim.enabled is false for it in {self._config.path}")
        with self._lock:
            if name not in self._opened:
                self._opened[name] = open_application(self._config, settings)
                logger.info("Opened application %s", name)
            return self._opened[name]

    def open_all(self) -> list[ScimApplication]:
        """Open every enabled application now; raise the first error met."""
        return [self.lookup(settings.application) for settings in self._config.enabled_applications()]
