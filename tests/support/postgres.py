"""Start and stop a throwaway PostgreSQL server for tests.

The server runs from Debian's PostgreSQL binaries (``/usr/lib/postgresql/<version>/bin``),
in a fresh data directory under the system temp directory, listening only on 127.0.0.1 at
a free port, with trust authentication and fsync off: test data need no durability.
initdb refuses to run as root, so as root every server command runs as the ``postgres``
OS user through ``runuser``.
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

logger = logging.getLogger(__name__)

SERVER_GLOB = "/usr/lib/postgresql/*/bin/initdb"
INSTALL_HINT = "install Debian's postgresql package (apt-get install postgresql)"
START_TIMEOUT_SECONDS = 60


def find_postgres_bin_dir() -> Path | None:
    """Return the bin directory of the newest installed PostgreSQL, or None if there is none."""
    candidates = [Path(path).parent for path in Path("/").glob(SERVER_GLOB.lstrip("/"))]
    candidates = [path for path in candidates if (path / "pg_ctl").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda path: _version_key(path.parent.name))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _free_port() -> int:
    # NOTE: another process can take the port between this check and the server start.
    # pg_ctl then fails, and the error contains the server log.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running test server; :meth:`create_database` returns the URL of a new empty database."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: list[str]
    _database_numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a new empty database and return its SQLAlchemy URL."""
        name = f"test_{next(self._database_numbers)}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        server_options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.base_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            self._run(
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                server_options,
                "-w",
                "-t",
                str(START_TIMEOUT_SECONDS),
                "start",
            )
        except RuntimeError as exc:
            raise RuntimeError(
                f"PostgreSQL did not start on port {self.port}; server log:\n{self._read_log()}"
            ) from exc
        logger.info("started PostgreSQL from %s on 127.0.0.1:%d", self.bin_dir, self.port)

    def stop(self) -> None:
        """Stop the server and delete its data directory."""
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        except RuntimeError:
            logger.exception("pg_ctl stop failed; stopping the postmaster by its PID")
            self._kill_postmaster()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            logger.error("no readable %s; the PostgreSQL server may still be running", pid_file)
            return
        # SIGQUIT is PostgreSQL's immediate shutdown.
        os.kill(pid, signal.SIGQUIT)

    def _run(self, program: str, *arguments: str) -> None:
        """Run a server program; raise RuntimeError with its output when it fails."""
        command = [*self.run_as, str(self.bin_dir / program), *arguments]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=START_TIMEOUT_SECONDS + 30
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{program} failed with exit code {result.returncode}: "
                f"{result.stderr.strip() or result.stdout.strip()}"
            )

    def _read_log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except OSError as exc:
            return f"(cannot read {self.log_file}: {exc})"


def start_postgres(bin_dir: Path) -> PostgresServer:
    """Initialise a data directory and start a server from ``bin_dir``.

    The caller must call :meth:`PostgresServer.stop`.
    """
    base_dir = Path(tempfile.mkdtemp(prefix="lime-scim-postgres-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root, so the server runs as the postgres OS user.
        shutil.chown(base_dir, user="postgres", group="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]

    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=_free_port(), run_as=run_as)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise
    return server
