"""The embedded CRM store: the object API port on SQLAlchemy Core, for SQLite or PostgreSQL.

It models what the plugin needs of Lime CRM: the ``[user]`` and ``[group]`` system tables,
group memberships, and one table per limetype of the datamodel (see
:mod:`lime_scim.objectapi.datamodel`). The standalone host runs on it; several hosts can
share one PostgreSQL database.
"""

from __future__ import annotations

from .api import SqlObjectApi, create_object_api
from .schema import SchemaMismatch

__all__ = ["SchemaMismatch", "SqlObjectApi", "create_object_api"]
