"""Create the store's tables in a new database and check them in an existing one."""

from __future__ import annotations

import logging

from sqlalchemy import Connection, Engine, func, inspect, select, text

from .engine import WRITE_OPTION
from .tables import FIRST_RECORD_ID, StoreTables

logger = logging.getLogger(__name__)

# Key of the PostgreSQL advisory lock that serialises schema creation between hosts that
# start at the same time on one database. Any constant works if nothing else uses it.
_SCHEMA_LOCK_KEY = 0x4C696D6553

# Seeds SQLite's AUTOINCREMENT counter so that the first id is FIRST_RECORD_ID. SQLite
# creates the counter row only on the first insert, so the seed adds it when it is missing.
_SEED_SQLITE_SEQUENCE = text(
    "INSERT INTO sqlite_sequence (name, seq) "
    "SELECT :table_name, :last_id "
    "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = :table_name)"
)


class SchemaMismatch(RuntimeError):
    """An existing limetype table lacks columns that the datamodel defines."""


def create_schema(engine: Engine, tables: StoreTables) -> None:
    """Create the missing tables and indexes, and check that existing tables fit the datamodel.

    Raises :class:`SchemaMismatch` when a limetype table exists without a column for one of
    its properties, because the store does not alter existing tables.
    """
    # Every worker process opens the store when it starts. When all tables exist, a read
    # transaction is enough, so a worker that starts while requests hold the write lock does
    # not fail on it (gunicorn stops the whole server when a worker fails to start).
    with engine.connect() as connection, connection.begin():
        existing = set(inspect(connection).get_table_names())
        if all(table.name in existing for table in tables.metadata.sorted_tables):
            _check_columns(connection, tables)
            return

    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK_KEY)))
            tables.metadata.create_all(connection)
            if connection.dialect.name == "sqlite":
                _seed_sqlite_sequences(connection, tables)
            _check_columns(connection, tables)


def _seed_sqlite_sequences(connection: Connection, tables: StoreTables) -> None:
    table_names = [tables.user.name, tables.group.name, *(t.name for t in tables.objects.values())]
    for table_name in table_names:
        connection.execute(
            _SEED_SQLITE_SEQUENCE, {"table_name": table_name, "last_id": FIRST_RECORD_ID - 1}
        )


def _check_columns(connection: Connection, tables: StoreTables) -> None:
    inspector = inspect(connection)
    for table in tables.objects.values():
        existing = {column["name"] for column in inspector.get_columns(table.name)}
        missing = [column.name for column in table.columns if column.name not in existing]
        if missing:
            # NOTE: the store creates tables but never adds columns to an existing one.
            raise SchemaMismatch(
                f"table {table.name} has no columns {', '.join(missing)} that the datamodel "
                f"defines; add them with ALTER TABLE {table.name} ADD COLUMN, or remove the "
                "properties from the datamodel"
            )
