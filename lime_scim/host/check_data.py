"""``lime-scim check``: the users and groups already in an application's store.

The store is read through the object API adapter and never written. A database or table
that does not exist yet is reported and left alone, because ``create_object_api`` would
create it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from ..objectapi.port import GroupRecord, LimetypeInfo, UserRecord
from ..objectapi.sqlstore import SchemaMismatch, create_object_api
from ..objectapi.sqlstore.engine import normalize_url
from ..objectapi.sqlstore.tables import build_tables
from .check_config import SharedRecordId
from .check_findings import Finding, error, info, ok, one_line, warning
from .store_reading import read_all_groups, read_all_users

# How long the first connection to a PostgreSQL server may take, in seconds. Without it,
# psycopg waits for an unreachable host as long as the operating system does.
_CONNECT_TIMEOUT_SECONDS = 10
# Usernames named in a finding. The finding gives the total count too.
MAX_EXAMPLES = 5
# An address with one @ and a dot in the domain, as a user principal name has.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


@dataclass
class DataCheck:
    """The findings on the store, and the record ids users and groups share.

    ``shared_ids`` is None when the store could not be read.
    """

    findings: list[Finding] = field(default_factory=list)
    shared_ids: list[SharedRecordId] | None = None


def _shared_record_ids(users: list[UserRecord], groups: list[GroupRecord]) -> list[SharedRecordId]:
    group_names = {group.id: group.name for group in groups}
    return [
        SharedRecordId(user.id, user.username, group_names[user.id])
        for user in users if user.id in group_names
    ]


def _case_duplicates(users: list[UserRecord]) -> Finding | None:
    by_lower: dict[str, list[UserRecord]] = {}
    for user in users:
        by_lower.setdefault(user.username.lower(), []).append(user)
    clashes = [same for same in by_lower.values() if len(same) > 1]
    if not clashes:
        return None

    examples = "; ".join(
        " and ".join(f"{user.username!r} (user {user.id})" for user in same)
        for same in clashes[:MAX_EXAMPLES]
    )
    more = f"; and {len(clashes) - MAX_EXAMPLES} more sets" if len(clashes) > MAX_EXAMPLES else ""
    count = sum(len(same) for same in clashes)
    return error(
        "usernames",
        f"{count} usernames differ from another only in letter case: {examples}{more}. Entra "
        "matches userName without regard to case, so it cannot tell these users apart. A new "
        "store's unique index rejects such names too.",
        "rename or merge these users in Lime CRM so that each username is unique without "
        "regard to letter case.",
    )


def _non_email_usernames(users: list[UserRecord]) -> Finding | None:
    not_email = [user for user in users if not _EMAIL.fullmatch(user.username)]
    if not not_email:
        return None

    examples = ", ".join(repr(user.username) for user in not_email[:MAX_EXAMPLES])
    more = f" and {len(not_email) - MAX_EXAMPLES} more" if len(not_email) > MAX_EXAMPLES else ""
    count = len(not_email)
    noun = "username is not an email address" if count == 1 else "usernames are not email addresses"
    return warning(
        "usernames",
        f"{count} {noun}: {examples}{more}. Entra looks users up by their user principal name "
        "(name@domain), so it does not find such users and creates new ones beside them.",
        "set these usernames to the users' user principal names in Lime CRM, or map userName "
        "in Entra to an attribute that equals them.",
    )


def _store_findings(users: list[UserRecord], groups: list[GroupRecord]) -> list[Finding]:
    users_read = f"{len(users)} user" if len(users) == 1 else f"{len(users)} users"
    groups_read = f"{len(groups)} group" if len(groups) == 1 else f"{len(groups)} groups"
    findings = [ok("data", f"read {users_read} and {groups_read}.")]
    problems = [_case_duplicates(users), _non_email_usernames(users)]
    findings.extend(problem for problem in problems if problem is not None)
    if len(findings) == 1 and users:
        findings.append(ok("usernames", "each username is an email address and unique without "
                                        "regard to letter case."))
    return findings


def missing_tables(url: URL, limetypes: Mapping[str, LimetypeInfo]) -> list[str]:
    """Return the store tables that the database lacks, using a read-only inspection."""
    expected = [table.name for table in build_tables(limetypes).metadata.sorted_tables]
    connect_args = {"connect_timeout": _CONNECT_TIMEOUT_SECONDS} if url.get_backend_name() == "postgresql" else {}
    engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
    try:
        existing = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    return [name for name in expected if name not in existing]


def _absent_database(url: URL) -> Finding | None:
    if url.get_backend_name() != "sqlite" or url.database is None:
        return None
    if Path(url.database).exists():
        return None
    return info("data", f"the SQLite file {url.database} does not exist yet, so there is no data "
                        "to check. lime-scim serve creates it on its first start.")


def check_data(database_url: str, limetypes: Mapping[str, LimetypeInfo]) -> DataCheck:
    """Read the store's users and groups and judge their usernames and record ids."""
    check = DataCheck()
    try:
        url = normalize_url(database_url)
    except ValueError as problem:
        check.findings.append(error("database_url", f"{problem}.", "correct database_url in the "
                                                                   "scim config or secrets."))
        return check
    display_url = url.render_as_string(hide_password=True)
    cannot_read = f"check database_url and that the database server at {display_url} is running."

    absent = _absent_database(url)
    if absent is not None:
        check.findings.append(absent)
        check.shared_ids = []
        return check

    try:
        missing = missing_tables(url, limetypes)
        if missing:
            check.findings.append(info(
                "data",
                f"the database lacks the tables {', '.join(missing)}, so its data is not checked. "
                "lime-scim serve creates them on its next start.",
            ))
            return check

        api = create_object_api(database_url, limetypes)
        try:
            with api.unit_of_work() as uow:
                users = read_all_users(uow)
                groups = read_all_groups(uow)
        finally:
            api.close()
    except SchemaMismatch as problem:
        check.findings.append(error("data", f"{one_line(str(problem))}. lime-scim serve does not "
                                            "start until the tables match the datamodel."))
        return check
    except SQLAlchemyError as problem:
        reason = one_line(str(problem).splitlines()[0]) if str(problem) else type(problem).__name__
        check.findings.append(error("data", f"cannot read the database {display_url}: {reason}.",
                                    cannot_read))
        return check

    check.findings.extend(_store_findings(users, groups))
    check.shared_ids = _shared_record_ids(users, groups)
    return check
