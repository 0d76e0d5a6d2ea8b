"""The gunicorn server that ``lime-scim serve`` runs.

Gunicorn is embedded through its ``BaseApplication``, so no gunicorn config file or
``GUNICORN_CMD_ARGS`` can change the settings below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from .logs import LOG_FORMAT

if TYPE_CHECKING:
    from flask import Flask
    from gunicorn.arbiter import Arbiter

    from ..config import ConfigFile

logger = logging.getLogger(__name__)

SCIM_PATH = "/api/v1/scim/"


@dataclass(frozen=True)
class ServerOptions:
    """The address and process model of the server."""

    host: str
    port: int
    workers: int
    threads: int
    log_level: str

    @property
    def bind(self) -> str:
        """The address in gunicorn's ``bind`` syntax, which puts IPv6 hosts in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def tenant_url(self, application: str) -> str:
        """Return the SCIM base URL of ``application``, which Entra ID calls the Tenant URL."""
        return f"http://{self.bind}/{application}{SCIM_PATH}"


class _GunicornLogger(GunicornLogger):
    """Gunicorn's own log lines, in the format of the rest of lime-scim."""

    error_fmt = LOG_FORMAT
    # None selects the logging module's default time format, as configure_logging does.
    datefmt = None


# gunicorn ships no type hints, so mypy types its base class as Any.
class ScimServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn serving the WSGI app that ``app_factory`` builds in each worker."""

    def __init__(
        self,
        config_file: ConfigFile,
        options: ServerOptions,
        *,
        app_factory: Callable[[ConfigFile], Flask],
    ) -> None:
        self._config_file = config_file
        self._options = options
        self._app_factory = app_factory
        super().__init__(prog="lime-scim serve")

    def load_config(self) -> None:
        settings: dict[str, Any] = {
            "bind": [self._options.bind],
            "workers": self._options.workers,
            "threads": self._options.threads,
            "loglevel": self._options.log_level.lower(),
            "logger_class": _GunicornLogger,
            # The app logs one line per request itself.
            "accesslog": None,
            # Each worker builds its own app, so no database connection crosses a fork.
            "preload_app": False,
            # Gunicorn 25.1+ opens a control socket at one path per user, so a second
            # server would take over the first one's socket. lime-scim does not use it.
            "control_socket_disable": True,
            "proc_name": "lime-scim",
            # Gunicorn's largest request line (its default is 4094 bytes). A 4096-character
            # filter (the default max_filter_length) then fits unless more than about half of
            # its characters need percent-encoding. A longer line gets gunicorn's own 400
            # response, which is not a SCIM Error body.
            "limit_request_line": 8190,
            "when_ready": self._log_tenant_urls,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self._app_factory(self._config_file)

    def _log_tenant_urls(self, arbiter: Arbiter) -> None:
        for settings in self._config_file.enabled_applications():
            url = self._options.tenant_url(settings.application)
            logger.info("Serving application %s at %s", settings.application, url)
