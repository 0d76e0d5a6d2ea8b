"""The store's ObjectApi: a datamodel, an engine, and units of work on it."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from ..port import LimetypeInfo
from .engine import WRITE_OPTION, create_store_engine, dispose_engine, normalize_url
from .errors import transient_error_of
from .schema import create_schema
from .tables import StoreTables, build_tables
from .unit_of_work import SqlUnitOfWork

logger = logging.getLogger(__name__)


class SqlObjectApi:
    """The port's ObjectApi on an SQLite file or a PostgreSQL database."""

    def __init__(
        self, engine: Engine, tables: StoreTables, datamodel: Mapping[str, LimetypeInfo]
    ) -> None:
        self._engine = engine
        self._tables = tables
        self._limetypes: Mapping[str, LimetypeInfo] = MappingProxyType(dict(datamodel))

    @property
    def limetypes(self) -> Mapping[str, LimetypeInfo]:
        return self._limetypes

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for tools and tests that inspect the database."""
        return self._engine

    @contextmanager
    def unit_of_work(self, *, write: bool = False) -> Iterator[SqlUnitOfWork]:
        """Open a transaction; ``write=True`` takes the write lock up front where that matters.

        On SQLite a write unit starts with BEGIN IMMEDIATE and a read unit with a deferred
        BEGIN. On PostgreSQL a read unit runs its statements in autocommit mode, which saves
        the round trips of BEGIN and COMMIT. Under PostgreSQL's default READ COMMITTED each
        statement reads its own snapshot inside a transaction too, so reads return the same data.
        A read unit must therefore not write: its writes would commit one statement at a
        time. A write unit commits when the block ends normally and rolls back when it raises.

        Raises StoreBusy, after the rollback, when a lock wait outlasts the busy timeout or
        the database breaks a deadlock, and StoreUnavailable when the database cannot be
        reached. Other database errors propagate unchanged.
        """
        try:
            with self._engine.connect() as connection:
                if write or connection.dialect.name != "postgresql":
                    connection.execution_options(**{WRITE_OPTION: write})
                else:
                    # The pool restores the default isolation level when the connection returns.
                    connection.execution_options(isolation_level="AUTOCOMMIT")
                with connection.begin():
                    yield SqlUnitOfWork(connection, self._tables, self._limetypes)
        except DBAPIError as error:
            transient = transient_error_of(error)
            if transient is None:
                raise
            raise transient from error

    def close(self) -> None:
        """Close every pooled connection; the object must not be used afterwards."""
        dispose_engine(self._engine)


def create_object_api(
    url: str, datamodel: Mapping[str, LimetypeInfo], *, busy_timeout_ms: int = 10000
) -> SqlObjectApi:
    """Open the store at ``url`` and create its missing tables for ``datamodel``.

    ``url`` is ``sqlite:///PATH`` (the file is created on first use) or a PostgreSQL URL
    (``postgresql://``, ``postgres://`` or ``postgresql+psycopg://``). ``busy_timeout_ms``
    is how long a statement waits for another transaction's lock before it fails.
    Raises ValueError for an unsupported URL and schema.SchemaMismatch when an existing
    table lacks columns of the datamodel.
    """
    engine_url = normalize_url(url)
    engine = create_store_engine(engine_url, busy_timeout_ms=busy_timeout_ms)
    tables = build_tables(datamodel)
    try:
        create_schema(engine, tables)
    except Exception:
        dispose_engine(engine)
        raise
    logger.info(
        "opened the CRM store at %s with limetypes %s",
        engine_url.render_as_string(hide_password=True),
        ", ".join(sorted(datamodel)),
    )
    return SqlObjectApi(engine, tables, datamodel)
