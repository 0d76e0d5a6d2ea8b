"""The demo config and database file that ``lime-scim serve`` writes when it finds no config."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from ..config import ConfigFile
from .tokens import generate_token

logger = logging.getLogger(__name__)

DEMO_APPLICATION = "demo"
CONFIG_FILE_MODE = 0o600
DATABASE_FILE_MODE = 0o600

_TEMPLATE = """\
# Written by lime-scim serve because no application_config.yaml existed.
# This file contains the SCIM bearer token, so keep it readable by its owner only.
{application}:
  config:
    scim:
      enabled: true
      use_legacy_resource_ids: false
  secrets:
    scim:
      token: "{token}"
"""


def create_demo_config(path: Path) -> str | None:
    """Create ``path`` with the enabled application ``demo`` and a new token.

    Returns the token, or None when the file already exists: an existing file is never
    overwritten, even if another process creates it at the same moment. The file gets
    mode 0600 because it contains the token. Raises OSError when the file cannot be written.
    """
    token = generate_token()
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, CONFIG_FILE_MODE)
    except FileExistsError:
        return None

    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            # os.open applies the umask, which could leave the owner without write access.
            os.fchmod(file.fileno(), CONFIG_FILE_MODE)
            file.write(_TEMPLATE.format(application=DEMO_APPLICATION, token=token))
    except BaseException:
        # A half-written file would block the next first run, which never overwrites.
        path.unlink(missing_ok=True)
        raise

    logger.info("Created %s with the application %s", path.absolute(), DEMO_APPLICATION)
    return token


def create_demo_database(config_file: ConfigFile) -> None:
    """Create the demo application's SQLite file, empty and with mode 0600, unless it exists.

    The file will contain the provisioned users, but SQLite creates a new database with its
    default mode 0644 minus the umask, readable by every local user. SQLite accepts an empty
    file as a new database and gives its -wal and -shm files the mode of the database file.
    Raises OSError when the file cannot be created.
    """
    url = make_url(config_file.database_url_for(DEMO_APPLICATION))
    if url.get_backend_name() != "sqlite" or not url.database:
        return

    path = Path(url.database)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATABASE_FILE_MODE)
    except FileExistsError:
        return
    try:
        # os.open applies the umask, which could leave the owner without write access.
        os.fchmod(descriptor, DATABASE_FILE_MODE)
    finally:
        os.close(descriptor)
    logger.info("Created the empty database %s with mode 0600", path.absolute())
