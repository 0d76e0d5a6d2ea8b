"""Logging setup of the ``lime-scim`` command. The library itself adds no handlers."""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure_logging(level: str) -> None:
    """Send log records of ``level`` and above to stderr, replacing any earlier setup."""
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr, force=True)
