"""The gunicorn server that ``lime-scim serve`` runs.

Gunicorn is embedded through its ``BaseApplication``, so no gunicorn config file or
``GUNICORN_CMD_ARGS`` can change the settings below.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.util import is_ipv6

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


def _listen_fix(error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        return "Pass a --host that is an IP address or a host name of this machine."
    if error.errno == errno.EADDRINUSE:
        return "Stop the other program or pass --port."
    if error.errno == errno.EACCES:
        return "Pass a --port of 1024 or more, or run as a user that may listen on the port."
    if error.errno == errno.EADDRNOTAVAIL:
        return "Pass a --host that is an IP address of this machine."
    return "Check --host and --port."


def listen_problem(options: ServerOptions) -> str | None:
    """Bind the host and port once, as gunicorn will, and return why that failed, or None.

    Gunicorn 27.0.1 tries to bind five times, one second apart, and then exits 1 with
    "Can't connect to" the address. This probe reports the reason and the fix at once.
    """
    family = socket.AF_INET6 if is_ipv6(options.host) else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # Gunicorn sets SO_REUSEADDR too, so a port whose old connections are in TIME_WAIT
            # passes here as it does there.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((options.host, options.port))
    except OSError as error:
        reason = error.strerror or str(error)
        return f"cannot listen on {options.bind}: {reason}. {_listen_fix(error)}"
    # NOTE: another program can still take the port between this probe and gunicorn's bind,
    # and gunicorn then fails with its own message.
    return None


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
