"""A throwaway PostgreSQL server for the benchmark, with PostgreSQL's durable defaults.

Unlike the test suite's server, this one keeps fsync, synchronous_commit and full_page_writes
on, so a commit that the store acknowledges is on disk, as with the SQLite store's
``synchronous=FULL``. It listens only on 127.0.0.1 with trust authentication, in a new data
directory that :meth:`BenchPostgres.stop` deletes. initdb refuses to run as root, so as root
the server programs run as the ``postgres`` OS user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psutil

from .servers import HOST, free_port

SERVER_GLOB = "usr/lib/postgresql/*/bin/pg_ctl"
COMMAND_TIMEOUT_SECONDS = 120


def find_bin_dir() -> Path | None:
    """Return the bin directory of the newest installed PostgreSQL, or None."""
    found = sorted(Path("/").glob(SERVER_GLOB), key=lambda path: int(path.parent.parent.name))
    return found[-1].parent if found else None


@dataclass
class BenchPostgres:
    """A running server; :meth:`create_database` returns the URL of a new empty database."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: list[str]
    databases: int = 0

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def version(self) -> str:
        result = subprocess.run([str(self.bin_dir / "postgres"), "--version"], capture_output=True,
                                text=True, check=True, timeout=COMMAND_TIMEOUT_SECONDS)
        return result.stdout.strip()

    def postmaster_pid(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().split()[0])

    def create_database(self) -> str:
        """Create a new empty database and return its SQLAlchemy URL."""
        import psycopg

        self.databases += 1
        name = f"bench_{self.databases}"
        with psycopg.connect(host=HOST, port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{name}"

    def _run(self, program: str, *arguments: str) -> None:
        command = [*self.run_as, str(self.bin_dir / program), *arguments]
        result = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_SECONDS)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed with exit code {result.returncode}: "
                               f"{result.stderr.strip() or result.stdout.strip()}")

    def start(self) -> None:
        self._run("initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        options = f"-h {HOST} -p {self.port} -k {self.base_dir} -c max_connections=100"
        self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.base_dir / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server (by pg_ctl, else by the postmaster's PID) and delete its data."""
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        except (RuntimeError, subprocess.TimeoutExpired):
            try:
                psutil.Process(self.postmaster_pid()).terminate()
            except (OSError, ValueError, psutil.Error):
                pass
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start_postgres() -> BenchPostgres:
    """Start a server from the newest installed PostgreSQL; the caller must call stop()."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql; "
                           "install Debian's postgresql package or run with --databases sqlite")
    base_dir = Path(tempfile.mkdtemp(prefix="lime-scim-bench-postgres-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base_dir, user="postgres", group="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    server = BenchPostgres(bin_dir=bin_dir, base_dir=base_dir, port=free_port(), run_as=run_as)
    try:
        server.start()
    except BaseException:
        shutil.rmtree(base_dir, ignore_errors=True)
        raise
    return server
