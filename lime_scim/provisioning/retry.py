"""Run a request again when its unit of work lost to concurrent transactions.

A unit of work that raises StoreBusy has been rolled back, so running the whole request again
is safe, because nothing of the failed attempt was written. After the last attempt the client
gets a SCIM 503 with Retry-After instead of a 500.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from ..objectapi.port import StoreBusy, StoreUnavailable
from ..scim.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Attempts in all, the first included.
ATTEMPTS = 3
# No attempt starts later than this after the first one. An SQLite attempt can wait twice the
# busy timeout (once in the process's queue of writers, once for SQLite's lock), so with the
# default of 10 s a request ends within about 50 s, below the 60 s Entra ID waits for a response.
RETRY_WINDOW_SECONDS = 30
# The pause before the second attempt. It doubles before each later one, and a random jitter
# of up to 100 % is added.
FIRST_BACKOFF_SECONDS = 0.05
BUSY_RETRY_AFTER_SECONDS = 5
UNAVAILABLE_RETRY_AFTER_SECONDS = 30


def run_with_retries(action: Callable[[], T], *, description: str) -> T:
    """Return ``action()``, running it again while it raises StoreBusy, up to ATTEMPTS times.

    No attempt starts later than RETRY_WINDOW_SECONDS after the first. ``description`` names
    the request in log lines. Raises ServiceUnavailable when the last attempt is busy too, and
    at once when the database cannot be reached.
    """
    started = time.monotonic()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except StoreBusy as error:
            pause = FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1) * (1 + random.random())
            if attempt == ATTEMPTS or time.monotonic() + pause - started > RETRY_WINDOW_SECONDS:
                logger.warning("%s failed after %d attempts because the database stayed busy: %s",
                               description, attempt, error)
                raise ServiceUnavailable(
                    f"The CRM database is busy with other requests, and this request failed {attempt} "
                    f"times. Nothing was changed. Retry after {BUSY_RETRY_AFTER_SECONDS} seconds.",
                    retry_after=BUSY_RETRY_AFTER_SECONDS,
                ) from error
            logger.info("%s: the database is busy (%s), retrying in %.0f ms (attempt %d of %d)",
                        description, error, pause * 1000, attempt + 1, ATTEMPTS)
            time.sleep(pause)
        except StoreUnavailable as error:
            logger.error("%s failed because the database cannot be reached: %s", description, error)
            raise ServiceUnavailable(
                "The CRM database cannot be reached. The request was not applied, unless the "
                f"connection failed during its commit. Retry after {UNAVAILABLE_RETRY_AFTER_SECONDS} seconds.",
                retry_after=UNAVAILABLE_RETRY_AFTER_SECONDS,
            ) from error
    raise AssertionError("unreachable: the last attempt returns or raises")
