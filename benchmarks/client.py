"""The load client: threads with one persistent HTTP connection each, and per-kind statistics.

The client runs on the same two cores as the server, so it keeps its own cost low. It uses raw
``http.client`` connections, encodes bodies before a phase starts, and parses JSON only when it
checks a response or keeps an id.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .workload import Phase, Request

# Entra treats a response slower than 60 s as a time-out.
REQUEST_TIMEOUT_SECONDS = 60.0
# How many failed responses of one kind keep their status and body for the report.
MAX_ERROR_SAMPLES = 3
# Errors that mean the server closed an idle keep-alive connection before this request.
_STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def percentile(sorted_values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (``share`` in 0..1) of an ascending list, NaN for an empty one."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def milliseconds(seconds: float) -> float | None:
    """Return ``seconds`` in ms rounded to 0.01, or None for NaN, which JSON cannot carry."""
    return None if math.isnan(seconds) else round(seconds * 1000, 2)


@dataclass
class KindStats:
    """Latencies and errors of one request kind in one phase."""

    kind: str
    cycle: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def summary(self) -> dict[str, Any]:
        """Return the figures of the report: counts, requests per second, latency percentiles in ms."""
        ordered = sorted(self.latencies)
        rate = round(self.requests / self.seconds, 1) if self.seconds > 0 else None
        return {
            "cycle": self.cycle,
            "kind": self.kind,
            "requests": self.requests,
            "errors": self.errors,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 3),
            "requests_per_second": rate,
            "p50_ms": milliseconds(percentile(ordered, 0.50)),
            "p95_ms": milliseconds(percentile(ordered, 0.95)),
            "p99_ms": milliseconds(percentile(ordered, 0.99)),
            "error_samples": list(self.error_samples),
        }


class Session:
    """One persistent connection to the server, used by one thread at a time."""

    def __init__(self, base_url: str, token: str | None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"base URL must be http://HOST:PORT/PATH, got {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._prefix = parts.path.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._connection: http.client.HTTPConnection | None = None
        self.reconnects = 0

    def _connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(self._host, self._port, timeout=REQUEST_TIMEOUT_SECONDS)
        connection.connect()
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def send(self, request: Request) -> tuple[int, bytes, float]:
        """Send ``request``; return the status, the body and the latency in seconds.

        When the server closed the connection while it was idle, the request is sent once more
        on a new connection, and the latency counts only that second attempt.
        """
        headers = dict(self._headers)
        if request.body is not None:
            headers["Content-Type"] = "application/scim+json; charset=utf-8"
        for attempt in (1, 2):
            reused = self._connection is not None
            # The latency includes opening a connection, which a server that closes every
            # connection (HTTP/1.0) makes the client pay per request.
            started = time.perf_counter()
            try:
                if self._connection is None:
                    self._connection = self._connect()
                self._connection.request(request.method, self._prefix + request.path,
                                         body=request.body, headers=headers)
                response = self._connection.getresponse()
                body = response.read()
            except _STALE_CONNECTION_ERRORS:
                self.close()
                if not reused or attempt == 2:
                    raise
                self.reconnects += 1
                continue
            latency = time.perf_counter() - started
            if response.will_close:
                # HTTP/1.0 servers (the peer's wsgiref server) close after every response.
                self.close()
            return response.status, body, latency
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _check(request: Request, status: int, body: bytes) -> str | None:
    """Return why the response is wrong, or None when it is as expected."""
    if status not in request.expected_status:
        return f"status {status}: {body[:300].decode('utf-8', 'replace')}"
    if request.expected_total is None and request.on_body is None:
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return f"status {status} with a body that is not JSON: {body[:120]!r}"
    if request.expected_total is not None and document.get("totalResults") != request.expected_total:
        return f"totalResults {document.get('totalResults')!r}, expected {request.expected_total}"
    if request.on_body is not None:
        request.on_body(document)
    return None


class LoadClient:
    """Sends phases with ``concurrency`` threads, each on its own persistent connection.

    Every phase is bounded: it has a fixed list of requests, and once ``deadline`` (a
    ``time.monotonic()`` value) has passed, the threads send nothing more and the rest of the
    phase counts as skipped.
    """

    def __init__(self, base_url: str, token: str | None, *, concurrency: int, deadline: float) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self._sessions = [Session(base_url, token) for _ in range(concurrency)]
        self._deadline = deadline
        self.timed_out = False

    @property
    def reconnects(self) -> int:
        return sum(session.reconnects for session in self._sessions)

    def run(self, phase: Phase) -> KindStats:
        """Send every request of ``phase`` and return its statistics."""
        stats = KindStats(phase.kind, phase.cycle)
        requests = phase.requests
        next_index = itertools.count()
        lock = threading.Lock()

        def work(session: Session) -> None:
            while True:
                index = next(next_index)
                if index >= len(requests):
                    return
                if time.monotonic() > self._deadline:
                    self.timed_out = True
                    with lock:
                        stats.skipped += 1
                    continue
                request = requests[index]
                started = time.perf_counter()
                try:
                    status, body, latency = session.send(request)
                    problem = _check(request, status, body)
                except (OSError, http.client.HTTPException) as error:
                    # A failed request counts with the time it took to fail.
                    session.close()
                    latency = time.perf_counter() - started
                    problem = f"{type(error).__name__}: {error}"
                with lock:
                    stats.latencies.append(latency)
                    if problem is not None:
                        stats.errors += 1
                        if len(stats.error_samples) < MAX_ERROR_SAMPLES:
                            stats.error_samples.append(f"{request.method} {request.path[:80]}: {problem}")

        started = time.perf_counter()
        threads = [threading.Thread(target=work, args=(session,), daemon=True)
                   for session in self._sessions[: max(1, min(len(self._sessions), len(requests)))]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stats.seconds = time.perf_counter() - started
        return stats

    def close(self) -> None:
        for session in self._sessions:
            session.close()
