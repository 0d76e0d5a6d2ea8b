"""Turn result rows into the port's immutable records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import RowMapping

from ..port import GroupRecord, LimeObject, UserRecord


def user_record(row: RowMapping) -> UserRecord:
    return UserRecord(
        id=row["id"],
        username=row["username"],
        fullname=row["fullname"],
        active=row["active"],
        external_id=row["external_id"],
        scim_id=row["scim_id"],
        scim_managed=row["scim_managed"],
        scim_deleted=row["scim_deleted"],
        created=row["created"],
        updated=row["updated"],
        version=row["version"],
    )


def group_record(row: RowMapping) -> GroupRecord:
    return GroupRecord(
        id=row["id"],
        name=row["name"],
        active=row["active"],
        external_id=row["external_id"],
        scim_id=row["scim_id"],
        scim_managed=row["scim_managed"],
        scim_deleted=row["scim_deleted"],
        created=row["created"],
        updated=row["updated"],
        version=row["version"],
    )


def lime_object(limetype: str, row: Mapping[str, Any], property_names: Iterable[str]) -> LimeObject:
    """Build a LimeObject whose values cannot be changed through the record."""
    values: dict[str, Any] = {name: row[name] for name in property_names}
    return LimeObject(limetype=limetype, id=row["id"], values=MappingProxyType(values))
