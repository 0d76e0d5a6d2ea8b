"""Per-application request rate limits and rate-limited warnings.

Both keep their state in the worker process. With ``--workers N`` each worker counts on its
own, so a client can reach N times a configured rate, and the same client address can be
logged once a minute by each worker.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..config import RateLimit

Clock = Callable[[], float]


class TokenBucket:
    """A token bucket that refills ``per_second`` tokens a second, up to ``burst`` tokens.

    Thread-safe. A new bucket is full, so the first ``burst`` requests pass at once.
    """

    def __init__(self, limit: RateLimit, *, clock: Clock = time.monotonic) -> None:
        self._rate = limit.per_second
        self._burst = float(limit.burst)
        self._tokens = float(limit.burst)
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token; return 0 when one was available, else the seconds until one is."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self._rate


class RateLimiters:
    """One token bucket per application name, created on the application's first request."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def retry_after(self, application: str, limit: RateLimit | None) -> int | None:
        """Count one request; return None when it may pass, else whole seconds to wait (1 or more)."""
        if limit is None:
            return None
        with self._lock:
            bucket = self._buckets.get(application)
            if bucket is None:
                bucket = self._buckets[application] = TokenBucket(limit, clock=self._clock)
        wait = bucket.take()
        return None if wait == 0 else max(1, math.ceil(wait))


@dataclass
class _Suppressed:
    logged_at: float
    count: int = 0


class ThrottledWarning:
    """Logs one warning per key per ``interval`` seconds, and how many it suppressed since.

    Keeps at most ``max_keys`` keys. When a new key would pass that number, the key logged
    longest ago is dropped with its count.
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = 60.0,
        max_keys: int = 10000,
        clock: Clock = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._max_keys = max_keys
        self._clock = clock
        self._keys: OrderedDict[str, _Suppressed] = OrderedDict()
        self._lock = threading.Lock()

    def warn(self, key: str, message: str, *args: object) -> bool:
        """Log ``message % args`` unless ``key`` was logged less than ``interval`` ago.

        Returns whether the line was logged.
        """
        with self._lock:
            now = self._clock()
            entry = self._keys.get(key)
            if entry is not None and now - entry.logged_at < self._interval:
                entry.count += 1
                return False
            suppressed = entry.count if entry is not None else 0
            self._keys[key] = _Suppressed(logged_at=now)
            self._keys.move_to_end(key)
            while len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)

        if suppressed:
            message += " (%d similar lines were not logged since the previous one)"
            args = (*args, suppressed)
        self._logger.warning(message, *args)
        return True
