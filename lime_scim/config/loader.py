"""Loading an application config file into :class:`ConfigFile`."""

from __future__ import annotations

import logging
from pathlib import Path
from types import MappingProxyType

from ._yaml import read_documents
from .errors import ConfigError
from .layout import extract_applications
from .model import ConfigFile, ScimSettings
from .scim_section import read_scim_settings

logger = logging.getLogger(__name__)


def _is_empty(documents: list[object]) -> bool:
    return all(document is None or document == {} for document in documents)


def parse_config(
    text: str,
    *,
    source: str,
    base_dir: Path,
    application: str | None = None,
) -> ConfigFile:
    """Parse and validate the ``scim`` settings in the text of an application config.

    ``source`` is the file name used in error messages. ``base_dir`` is the folder of the
    file. Relative ``datamodel`` paths resolve against it, and the default SQLite files of
    :meth:`ConfigFile.database_url_for` are in it.

    Two layouts are accepted, picked by structure:

    * A file with two YAML documents is the Lime Cloud layout. The first document is the
      Configuration box (``scim: {...}`` or ``config: {scim: {...}}``) and the second the
      Secret box (``scim: {...}`` or ``secrets: {scim: {...}}``).
    * A file with one document is also the Lime Cloud layout in two cases. Either its
      top-level ``scim`` is not an application entry (a mapping with only ``config`` and
      ``secrets``), or its top-level ``config`` or ``secrets`` contains ``scim``. A bare
      ``scim`` there is the Configuration box.
    * Anything else is the on-prem layout: one top-level key per application, each with
      ``config`` and ``secrets``. Applications without a ``scim`` section are kept, disabled.

    The Lime Cloud layout does not name the application, so ``application`` names it, or
    else the file name in ``source`` without its extension. In the on-prem layout
    ``application`` keeps only that application, and a name the file lacks is an error.

    Raises ConfigError with a one-line message for invalid YAML, an empty file, a value of
    the wrong type, an unknown key in a ``scim`` section, or an enabled application without
    a token. No message contains the token.
    """
    documents = read_documents(text, source)
    if _is_empty(documents):
        message = (
            f"{source}: the file is empty. Add one top-level key per application, each with "
            "config.scim and secrets.scim sections."
        )
        raise ConfigError(message, source=source)

    applications: dict[str, ScimSettings] = {}
    for raw in extract_applications(documents, source=source, application=application):
        applications[raw.name] = read_scim_settings(
            raw.name,
            raw.config_scim,
            raw.secrets_scim,
            source=source,
            base_dir=base_dir,
        )

    path = base_dir.absolute() / Path(source).name
    return ConfigFile(path=path, applications=MappingProxyType(applications))


def load_config(path: Path, *, application: str | None = None) -> ConfigFile:
    """Read and validate the application config file at ``path``.

    See :func:`parse_config` for the layouts and ``application``. Raises ConfigError when
    the file is missing, unreadable or invalid.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"{source}: file not found. Check the path, or create the file."
        raise ConfigError(message, source=source) from None
    except UnicodeDecodeError as error:
        message = (
            f"{source}: the file is not UTF-8 text (invalid byte at offset {error.start}). "
            "Save it with UTF-8 encoding."
        )
        raise ConfigError(message, source=source) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        message = (
            f"{source}: the file cannot be read: {reason}. "
            "Check the path and the permissions of the file."
        )
        raise ConfigError(message, source=source) from None

    base_dir = path.absolute().parent
    config_file = parse_config(text, source=source, base_dir=base_dir, application=application)
    enabled = [settings.application for settings in config_file.enabled_applications()]
    logger.debug(
        "Loaded %s: %d applications, enabled: %s",
        config_file.path,
        len(config_file.applications),
        ", ".join(enabled) or "none",
    )
    return config_file
