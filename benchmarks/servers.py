"""Start, watch and stop the servers under test, all on 127.0.0.1.

Three kinds of server are measured: ``lime-scim serve`` (ours), the ``scim2-server`` command of
the scim2-server package (the peer), and a bare Flask handler on the same gunicorn settings as
ours (the ceiling). Each runs as a child process of the benchmark and is stopped by its PID.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

HOST = "127.0.0.1"
APPLICATION = "bench"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 40.0
RSS_SAMPLE_SECONDS = 0.1
_POLL_SECONDS = 0.1


class ServerStartError(RuntimeError):
    """A server process exited, or did not respond in time."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    # NOTE: another process may take the port before the server binds it; the start then
    # fails with the server's own message.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def venv_script(name: str) -> Path:
    """Return a console script installed next to the running Python."""
    script = Path(sys.executable).parent / name
    if not script.exists():
        raise FileNotFoundError(f"{script} not found; install the benchmark's dependencies with "
                                "pip install -e '.[bench,postgresql]'")
    return script


@dataclass
class ProcessTree:
    """Peak RSS and CPU time of a process and its descendants, sampled in a thread."""

    pid: int
    peak_rss_bytes: int = 0
    _cpu_start: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    # CPU seconds of descendants that exited, keyed by PID, so none is lost between samples.
    _cpu_seen: dict[int, float] = field(default_factory=dict)

    def _processes(self) -> list[psutil.Process]:
        try:
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def rss_bytes(self) -> int:
        total = 0
        for process in self._processes():
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total

    def cpu_seconds(self) -> float:
        """Return user plus system CPU seconds of the tree, counting exited descendants too."""
        for process in self._processes():
            try:
                times = process.cpu_times()
            except psutil.NoSuchProcess:
                continue
            self._cpu_seen[process.pid] = times.user + times.system
        return sum(self._cpu_seen.values())

    def start(self) -> None:
        """Start sampling; CPU time counts from now."""
        self._cpu_start = self.cpu_seconds()
        self.peak_rss_bytes = self.rss_bytes()
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            self.peak_rss_bytes = max(self.peak_rss_bytes, self.rss_bytes())

    def stop(self) -> dict[str, float]:
        """Stop sampling; return the peak RSS in MB and the CPU seconds since :meth:`start`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_rss_bytes = max(self.peak_rss_bytes, self.rss_bytes())
        return {"peak_rss_mb": round(self.peak_rss_bytes / 2**20, 1),
                "cpu_seconds": round(self.cpu_seconds() - self._cpu_start, 2)}


@dataclass
class ServerProcess:
    """A started server: its base URL, token, process and log file."""

    name: str
    base_url: str
    token: str | None
    process: subprocess.Popen[bytes]
    log_path: Path
    probe_path: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until_ready(self, timeout: float = START_TIMEOUT_SECONDS) -> None:
        """Wait until the server returns 200 for a request, which means its workers have booted.

        Raises ServerStartError with the end of the log when the process exits or the time-out
        in seconds passes.
        """
        port = int(self.base_url.split(":")[2].split("/")[0])
        path = self.base_url.split(str(port), 1)[1] + self.probe_path
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerStartError(f"{self.name} exited with status {self.process.returncode}:\n"
                                       f"{self.log_tail()}")
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            try:
                connection.request("GET", path, headers=headers)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(_POLL_SECONDS)
        raise ServerStartError(f"{self.name} did not return 200 for GET {path} within {timeout:.0f} s:\n"
                               f"{self.log_tail()}")

    def stop(self) -> int:
        """Send SIGTERM to the server's PID, SIGKILL after STOP_TIMEOUT_SECONDS; return its status."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def _start(name: str, command: Sequence[str], *, cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log_path.open("wb") as log_file:
        return subprocess.Popen(list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT)


def write_lime_config(directory: Path, *, database_url: str | None) -> tuple[Path, str]:
    """Write an application_config.yaml with one enabled application; return its path and token.

    Without ``database_url`` the store is the default SQLite file next to the config file.
    """
    token = secrets.token_hex(64)
    scim_secrets: dict[str, Any] = {"token": token}
    if database_url is not None:
        scim_secrets["database_url"] = database_url
    config = {APPLICATION: {
        "config": {"scim": {"enabled": True, "use_legacy_resource_ids": False}},
        "secrets": {"scim": scim_secrets},
    }}
    path = directory / "application_config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path, token


def start_lime(directory: Path, *, config_path: Path, token: str, workers: int, threads: int) -> ServerProcess:
    """Start ``lime-scim serve`` on a free loopback port."""
    port = free_port()
    log_path = directory / f"lime-scim-{port}.log"
    command = [str(venv_script("lime-scim")), "serve", "--config", str(config_path), "--host", HOST,
               "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    process = _start("lime-scim", command, cwd=directory, log_path=log_path)
    return ServerProcess("lime-scim", f"http://{HOST}:{port}/{APPLICATION}/api/v1/scim", token,
                         process, log_path, "/ServiceProviderConfig")


def start_peer(directory: Path) -> ServerProcess:
    """Start the ``scim2-server`` command with a bearer token; it keeps resources in memory."""
    port = free_port()
    token = secrets.token_hex(32)
    log_path = directory / f"scim2-server-{port}.log"
    command = [str(venv_script("scim2-server")), "--hostname", HOST, "--port", str(port),
               "--bearer-token", token]
    process = _start("scim2-server", command, cwd=directory, log_path=log_path)
    return ServerProcess("scim2-server", f"http://{HOST}:{port}/v2", token, process, log_path,
                         "/ServiceProviderConfig")


def start_ceiling(directory: Path, *, workers: int, threads: int) -> ServerProcess:
    """Start the bare Flask handler of :mod:`benchmarks.ceiling` on gunicorn."""
    port = free_port()
    log_path = directory / f"ceiling-{port}.log"
    command = [sys.executable, "-m", "benchmarks.ceiling", "--host", HOST, "--port", str(port),
               "--workers", str(workers), "--threads", str(threads)]
    repository = Path(__file__).resolve().parent.parent
    process = _start("ceiling", command, cwd=repository, log_path=log_path)
    return ServerProcess("ceiling", f"http://{HOST}:{port}/{APPLICATION}/api/v1/scim", None, process,
                         log_path, "/ServiceProviderConfig")
