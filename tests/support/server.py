"""Run ``lime-scim serve`` as a subprocess for end-to-end tests and benchmarks.

The server is the console script installed next to ``sys.executable``, so it runs the code
of this checkout when the package is installed with ``pip install -e``. Nothing here depends
on the routes of the server: a server counts as started once its port accepts connections.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 30.0
# Longer than gunicorn's default graceful_timeout of 30 s, after which gunicorn kills
# workers that are still busy, so the exit status seen here is gunicorn's own.
STOP_TIMEOUT_SECONDS = 40.0
_POLL_SECONDS = 0.1


class ServerStartError(RuntimeError):
    """The server process exited, or did not accept connections in time."""


@dataclass
class RunningServer:
    """A started ``lime-scim serve`` process."""

    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log(self) -> str:
        """The stdout and stderr of the process so far."""
        return read_log(self.log_path)

    @property
    def returncode(self) -> int | None:
        """The exit status, or None while the process runs."""
        return self.process.poll()


def console_script(name: str = "lime-scim") -> Path:
    """Return the path of a console script installed in the virtualenv of the tests."""
    script = Path(sys.executable).parent / name
    if not script.exists():
        raise FileNotFoundError(f"{script} not found. Install the package: pip install -e .")
    return script


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    # NOTE: another process may take the port before the server binds it. Tests accept
    # that small race in exchange for knowing the port before the server starts.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def read_log(log_path: Path) -> str:
    """Return the text of a log file, or "" before the file exists."""
    return log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""


def write_config(path: Path, applications: Mapping[str, Any]) -> None:
    """Write ``applications`` as an on-prem application_config.yaml with mode 0600.

    ``applications`` maps each application name to its entry, for example
    ``{"myapp": {"config": {"scim": {"enabled": True}}, "secrets": {"scim": {"token": t}}}}``.
    """
    path.write_text(yaml.safe_dump(dict(applications), sort_keys=False), encoding="utf-8")
    path.chmod(0o600)


def start_process(args: Sequence[str], *, cwd: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``lime-scim`` with ``args``, its stdout and stderr going to ``log_path``."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with log_path.open("wb") as log_file:
        return subprocess.Popen(
            [str(console_script()), *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )


def wait_for_port(
    process: subprocess.Popen[bytes],
    port: int,
    log_path: Path,
    *,
    timeout: float = START_TIMEOUT_SECONDS,
) -> None:
    """Wait until ``port`` accepts connections.

    Raises ServerStartError, with the captured output, when the process exits first or
    the timeout in seconds passes.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = process.poll()
        if status is not None:
            raise ServerStartError(f"lime-scim exited with status {status}:\n{read_log(log_path)}")
        try:
            with socket.create_connection((HOST, port), timeout=_POLL_SECONDS):
                return
        except OSError:
            time.sleep(_POLL_SECONDS)

    raise ServerStartError(
        f"lime-scim did not accept connections on port {port} within {timeout:.0f} s:\n"
        f"{read_log(log_path)}"
    )


def stop_process(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM) -> int:
    """Send ``sig`` to the process and return its exit status.

    SIGKILL follows when it has not exited after STOP_TIMEOUT_SECONDS.
    """
    if process.poll() is None:
        os.kill(process.pid, sig)
    try:
        return process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        return process.wait()


@contextlib.contextmanager
def running_server(
    config_path: Path,
    *,
    workers: int = 1,
    threads: int = 4,
    extra_args: Sequence[str] = (),
) -> Iterator[RunningServer]:
    """Run ``lime-scim serve --config config_path`` on a free loopback port.

    Yields once the port accepts connections, and stops the server on exit with SIGTERM,
    then SIGKILL if needed. The output goes to a log file next to the config file, which
    is also the working directory of the server.
    """
    config_path = config_path.absolute()
    port = free_port()
    log_path = config_path.parent / f"lime-scim-{port}.log"
    args = [
        "serve",
        "--config",
        str(config_path),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        *extra_args,
    ]
    process = start_process(args, cwd=config_path.parent, log_path=log_path)
    try:
        wait_for_port(process, port, log_path)
        yield RunningServer(f"http://{HOST}:{port}", port, process, log_path)
    finally:
        stop_process(process)
