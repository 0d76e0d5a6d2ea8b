"""The ``scim`` section of the Lime CRM application config, secrets included.

:func:`load_config` reads an on-prem ``application_config.yaml`` or the two Lime Cloud
fragments and returns a validated :class:`ConfigFile`. Any problem raises
:class:`ConfigError` with a one-line message that never contains a secret.

This package imports neither Flask nor the object API store, so the web layer, the host and
``lime-scim check`` can all use it.
"""

from .errors import ConfigError
from .loader import load_config, parse_config
from .model import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_MAX_RESULTS,
    ConfigFile,
    ExtraMapping,
    RateLimit,
    RequestLimits,
    ScimSettings,
)

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "DEFAULT_MAX_RESULTS",
    "ConfigError",
    "ConfigFile",
    "ExtraMapping",
    "RateLimit",
    "RequestLimits",
    "ScimSettings",
    "load_config",
    "parse_config",
]
