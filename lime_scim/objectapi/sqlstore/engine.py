"""Engine set-up per database: an SQLite file, or PostgreSQL through psycopg 3."""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from .writer_lock import WriterLock

logger = logging.getLogger(__name__)

# Execution option that marks a connection as a write unit of work. On SQLite it selects
# BEGIN IMMEDIATE in place of a deferred BEGIN.
WRITE_OPTION = "lime_scim_write"
# Key in a pooled SQLite connection's info dict. It is set while the connection's write
# transaction holds the engine's writer lock, and the pool's checkin event releases the lock.
_HOLDS_WRITER_LOCK = "lime_scim_holds_writer_lock"

# The writer lock of each SQLite engine, closed by dispose_engine().
_writer_locks: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()

_POSTGRESQL_DRIVERS = frozenset({"postgres", "postgresql", "postgresql+psycopg"})
_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})

# Connection pool for PostgreSQL. A threaded WSGI server uses at most one connection per
# request thread, so 10 pooled plus 10 overflow connections serve up to 20 threads.
# NOTE: these are fixed defaults. A host with more request threads than that waits up to
# POOL_TIMEOUT_SECONDS for a free connection.
POOL_SIZE = 10
POOL_MAX_OVERFLOW = 10
POOL_TIMEOUT_SECONDS = 30
# Replace connections after 30 minutes so that idle-session timeouts on the server or a
# proxy in between do not hand out dead connections.
POOL_RECYCLE_SECONDS = 1800


def normalize_url(url: str) -> URL:
    """Parse ``url`` and return it with the driver this store uses for its database.

    ``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://``. Raises
    ValueError for a URL that is not a PostgreSQL URL or an SQLite file URL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(
            "invalid database URL; use sqlite:///PATH or postgresql://USER@HOST/DATABASE"
        ) from exc

    if parsed.drivername in _POSTGRESQL_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_DRIVERS:
        _check_sqlite_database(parsed)
        return parsed.set(drivername="sqlite+pysqlite")
    raise ValueError(
        f"unsupported database URL scheme {parsed.drivername!r}; "
        "use sqlite:///PATH or postgresql://USER@HOST/DATABASE"
    )


def _check_sqlite_database(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        # Every pooled connection would open its own empty in-memory database.
        raise ValueError(
            "in-memory SQLite databases are not supported; use sqlite:///PATH to a file"
        )
    directory = Path(database).parent
    if not directory.is_dir():
        raise ValueError(
            f"the directory {directory} of the SQLite database does not exist; create it "
            "or change the database URL"
        )


def create_store_engine(url: URL, *, busy_timeout_ms: int) -> Engine:
    """Create the engine for a URL returned by :func:`normalize_url`.

    ``busy_timeout_ms`` is how long a statement waits for a lock held by another
    transaction before it fails: SQLite's busy timeout, PostgreSQL's ``lock_timeout``.
    Zero makes SQLite fail at once but lets PostgreSQL wait without limit.
    """
    if busy_timeout_ms < 0:
        raise ValueError(f"busy_timeout_ms must be 0 or more, not {busy_timeout_ms}")
    if url.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url, busy_timeout_ms)
    return _create_postgresql_engine(url, busy_timeout_ms)


def dispose_engine(engine: Engine) -> None:
    """Close the engine's pooled connections and, on SQLite, its writer lock file."""
    engine.dispose()
    writer_lock = _writer_locks.pop(engine, None)
    if writer_lock is not None:
        writer_lock.close()


def _create_private_file(database: str | None) -> None:
    """Create the SQLite file readable by its owner only, when it does not exist yet.

    SQLite would create it with the umask's mode, usually readable by every local user, and it
    contains the provisioned users. SQLite gives its -wal and -shm files the same mode.
    """
    if not database:
        return
    try:
        descriptor = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(descriptor)


def _create_sqlite_engine(url: URL, busy_timeout_ms: int) -> Engine:
    _create_private_file(url.database)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
    # Write transactions queue on this lock before BEGIN IMMEDIATE, so that SQLite's busy
    # handler rarely sleeps (see writer_lock.py).
    assert url.database is not None  # normalize_url rejects SQLite URLs without a file
    writer_lock = WriterLock(url.database)
    _writer_locks[engine] = writer_lock

    def configure_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        _configure_sqlite_connection(dbapi_connection, busy_timeout_ms)

    def begin_transaction(connection: Connection) -> None:
        _begin_sqlite_transaction(connection, writer_lock, busy_timeout_ms / 1000)

    def release_writer_lock(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Checkin follows the COMMIT or ROLLBACK, also when BEGIN IMMEDIATE itself failed.
        if record.info.pop(_HOLDS_WRITER_LOCK, False):
            writer_lock.release()

    event.listen(engine, "connect", configure_connection)
    event.listen(engine, "begin", begin_transaction)
    event.listen(engine, "checkin", release_writer_lock)
    return engine


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite_connection(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    # SQLite's built-in lower() folds ASCII letters only, so "Åsa" and "åsa" would pass the
    # case-insensitive unique indexes and lookups. A function registered under the same name
    # replaces the built-in on this connection. Every connection of the store registers it,
    # so the lower() indexes and the queries agree. Indexes built without it need a REINDEX.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    # pysqlite's own transaction handling starts no transaction before a SELECT and none
    # before DDL. Turning it off and emitting BEGIN from SQLAlchemy's "begin" event is the
    # recipe in SQLAlchemy's SQLite dialect documentation ("Transactions with SQLite and
    # the sqlite3 driver") for Python versions before 3.12.
    dbapi_connection.isolation_level = None

    cursor = dbapi_connection.cursor()
    try:
        # Set the busy timeout first, so that switching to WAL waits for other connections.
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        journal_mode = cursor.fetchone()[0]
        # FULL syncs the WAL on every commit, so an acknowledged write survives a power loss.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()

    if str(journal_mode).lower() != "wal":
        logger.warning(
            "SQLite kept journal mode %s instead of WAL; readers and writers will block each other",
            journal_mode,
        )


def _begin_sqlite_transaction(connection: Connection, writer_lock: WriterLock,
                              timeout_seconds: float) -> None:
    # A deferred transaction that reads first and writes later must upgrade its lock. When
    # two such writers meet, SQLite fails one at once with "database is locked" instead of
    # waiting out the busy timeout. Taking the write lock at BEGIN avoids that.
    if not connection.get_execution_options().get(WRITE_OPTION, False):
        connection.exec_driver_sql("BEGIN")
        return
    pooled: PoolProxiedConnection = connection.connection
    # NOTE: after a timeout the transaction begins without the writer lock, so SQLite's
    # busy timeout applies once more and the wait can reach twice busy_timeout_ms.
    if writer_lock.acquire(timeout_seconds):
        pooled.info[_HOLDS_WRITER_LOCK] = True
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _create_postgresql_engine(url: URL, busy_timeout_ms: int) -> Engine:
    options = f"-c lock_timeout={int(busy_timeout_ms)}"
    url_options = url.query.get("options")
    if isinstance(url_options, str) and url_options:
        options = f"{url_options} {options}"

    return create_engine(
        url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_MAX_OVERFLOW,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_recycle=POOL_RECYCLE_SECONDS,
        # Test each connection on checkout, so that a restarted server costs one retry
        # instead of failing a request.
        pool_pre_ping=True,
        connect_args={"options": options},
    )
