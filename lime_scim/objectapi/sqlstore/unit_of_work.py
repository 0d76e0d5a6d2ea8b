"""The store's unit of work: one database transaction on one pooled connection."""

from __future__ import annotations

from .groups import GroupOperations
from .members import MembershipOperations
from .objects import ObjectOperations
from .users import UserOperations


class SqlUnitOfWork(UserOperations, GroupOperations, MembershipOperations, ObjectOperations):
    """The port's UnitOfWork on one SQLAlchemy connection inside an open transaction.

    The operations live in one class per table family; this class only combines them.
    Besides the port's errors, updates raise LookupError for a record that does not exist.
    """
