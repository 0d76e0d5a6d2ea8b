"""Run the ``lime-scim`` command as ``python -m lime_scim.host``."""

import sys

from .cli import main

sys.exit(main())
