"""The demo config that ``lime-scim serve`` writes when it finds none."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .tokens import generate_token

logger = logging.getLogger(__name__)

DEMO_APPLICATION = "demo"
CONFIG_FILE_MODE = 0o600

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
