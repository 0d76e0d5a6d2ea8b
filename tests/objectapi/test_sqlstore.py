"""Tests of the embedded CRM store on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import dataclasses
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import (
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    Field,
    GroupRecord,
    LimetypeInfo,
    Negate,
    Nothing,
    ObjectApi,
    ObjectLink,
    StoreBusy,
    UniqueViolation,
    UnitOfWork,
    UnknownLimetype,
    ValueRejected,
)
from lime_scim.objectapi.sqlstore import SchemaMismatch, SqlObjectApi, create_object_api
from lime_scim.objectapi.sqlstore.engine import normalize_url
from lime_scim.objectapi.sqlstore.errors import unique_violations_translated
from lime_scim.objectapi.sqlstore.unit_of_work import SqlUnitOfWork
from tests.support.sql import captured_statements

COWORKER_LINK = ObjectLink("coworker", "username")


def add_users(uow: SqlUnitOfWork, *usernames: str) -> list[int]:
    return [uow.insert_user(username=name, fullname=name.title()).id for name in usernames]


def user_ids(api: SqlObjectApi, where: Criterion | None, **options: Any) -> list[int]:
    with api.unit_of_work() as uow:
        return [record.id for record in uow.query_users(where, **options).records]


def user_field(name: str) -> Field:
    return Field("user", name)


# --- URLs and engine set-up


@pytest.mark.parametrize(
    "url",
    [
        "postgres://scim@db.example/crm",
        "postgresql://scim@db.example/crm",
        "postgresql+psycopg://scim@db.example/crm",
    ],
)
def test_postgresql_url_uses_psycopg(url: str) -> None:
    assert normalize_url(url).drivername == "postgresql+psycopg"


def test_url_keeps_password() -> None:
    assert normalize_url("postgres://scim:secret@db.example/crm").password == "secret"


@pytest.mark.parametrize("url", ["mysql://scim@db.example/crm", "not a url"])
def test_unsupported_url_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="sqlite:///PATH or postgresql://"):
        normalize_url(url)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_memory_sqlite_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="in-memory"):
        normalize_url(url)


def test_sqlite_missing_directory_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        normalize_url(f"sqlite:///{tmp_path / 'missing' / 'store.sqlite3'}")


def test_sqlite_file_created(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> None:
    path = tmp_path / "new.sqlite3"
    store = create_object_api(f"sqlite:///{path}", datamodel)
    store.close()
    assert path.is_file()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("synchronous", 2), ("foreign_keys", 1), ("busy_timeout", 2500)],
)
def test_sqlite_pragmas(
    tmp_path: Path, datamodel: dict[str, LimetypeInfo], pragma: str, expected: object
) -> None:
    store = create_object_api(
        f"sqlite:///{tmp_path / 's.sqlite3'}", datamodel, busy_timeout_ms=2500
    )
    try:
        with store.engine.connect() as connection:
            value = connection.exec_driver_sql(f"PRAGMA {pragma}").scalar()
    finally:
        store.close()
    assert value == expected


def test_sqlite_write_unit_begins_immediate(
    tmp_path: Path, datamodel: dict[str, LimetypeInfo]
) -> None:
    store = create_object_api(f"sqlite:///{tmp_path / 's.sqlite3'}", datamodel)
    try:
        with captured_statements(store.engine) as statements:
            with store.unit_of_work(write=True):
                pass
            with store.unit_of_work():
                pass
    finally:
        store.close()
    assert [sql for sql, _ in statements] == ["BEGIN IMMEDIATE", "BEGIN"]


def test_sqlite_second_writer_waits_for_lock(
    tmp_path: Path, datamodel: dict[str, LimetypeInfo]
) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite3'}"
    first = create_object_api(url, datamodel)
    second = create_object_api(url, datamodel, busy_timeout_ms=50)
    try:
        with first.unit_of_work(write=True) as uow:
            uow.insert_user(username="holder")
            # The lock is taken at BEGIN, before the second unit runs any statement.
            with pytest.raises(StoreBusy, match="locked"):
                with second.unit_of_work(write=True):
                    pass
    finally:
        first.close()
        second.close()


def test_reopen_keeps_data(database_url: str, datamodel: dict[str, LimetypeInfo]) -> None:
    first = create_object_api(database_url, datamodel)
    with first.unit_of_work(write=True) as uow:
        uow.insert_user(username="kept")
    first.close()

    second = create_object_api(database_url, datamodel)
    try:
        with second.unit_of_work() as uow:
            assert uow.find_user_by_username("kept") is not None
    finally:
        second.close()


def test_missing_column_raises_schema_mismatch(
    database_url: str, datamodel: dict[str, LimetypeInfo], tmp_path: Path
) -> None:
    create_object_api(database_url, datamodel).close()
    extended_path = tmp_path / "extended.yaml"
    extended_path.write_text(
        default_datamodel_path()
        .read_text()
        .replace("      office:", "      nickname:\n        type: string\n      office:")
    )
    with pytest.raises(SchemaMismatch, match="lt_coworker has no columns nickname"):
        create_object_api(database_url, load_datamodel(extended_path))


def test_store_fits_port(api: SqlObjectApi) -> None:
    # mypy checks these assignments against the port's protocols.
    port_api: ObjectApi = api
    with port_api.unit_of_work() as uow:
        port_uow: UnitOfWork = uow
        assert port_uow.get_user(1001) is None


def test_limetypes_match_datamodel(api: SqlObjectApi, datamodel: dict[str, LimetypeInfo]) -> None:
    assert dict(api.limetypes) == datamodel


# --- [user]


def test_user_ids_start_at_1001(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ids = add_users(uow, "a", "b")
    assert ids == [1001, 1002]


def test_user_and_group_share_id(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="same")
        group = uow.insert_group(name="same")
    assert user.id == group.id


def test_insert_user_record(api: SqlObjectApi) -> None:
    before = datetime.now(timezone.utc)
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(
            username="ann@example.com", fullname="Ann", external_id="e1", scim_managed=True
        )
    assert user.username == "ann@example.com"
    assert user.fullname == "Ann"
    assert user.active is True
    assert user.external_id == "e1"
    assert user.scim_managed is True
    assert user.scim_deleted is False
    assert user.version == 1
    assert uuid.UUID(user.scim_id).version == 4
    assert user.created.tzinfo == timezone.utc
    assert user.created >= before - timedelta(seconds=1)
    assert user.updated == user.created


def test_get_user_round_trip(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann", fullname="Ann", active=False)
    with api.unit_of_work() as uow:
        fetched = uow.get_user(inserted.id)
    assert fetched == inserted


def test_created_returned_in_utc(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
    with api.unit_of_work() as uow:
        fetched = uow.get_user(inserted.id)
    assert fetched is not None
    assert fetched.created.utcoffset() == timedelta(0)


@pytest.mark.parametrize("user_id", [999_999, 2**40, -1])
def test_get_user_missing_is_none(api: SqlObjectApi, user_id: int) -> None:
    with api.unit_of_work() as uow:
        assert uow.get_user(user_id) is None


def test_get_user_for_update(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
    with captured_statements(api.engine) as statements:
        with api.unit_of_work(write=True) as uow:
            locked = uow.get_user(inserted.id, for_update=True)
    assert locked == inserted
    selects = [sql for sql, _ in statements if sql.lstrip().upper().startswith("SELECT")]
    locks = ["FOR UPDATE" in sql for sql in selects]
    assert locks == [api.engine.dialect.name == "postgresql"]


def test_get_user_by_scim_id(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
    with api.unit_of_work() as uow:
        assert uow.get_user_by_scim_id(inserted.scim_id) == inserted
        assert uow.get_user_by_scim_id(str(uuid.uuid4())) is None
        assert uow.get_user_by_scim_id(inserted.scim_id, for_update=True) == inserted


@pytest.mark.parametrize("lookup", ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.Com"])
def test_find_user_by_username_ignores_case(api: SqlObjectApi, lookup: str) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="Ann@example.com")
    with api.unit_of_work() as uow:
        assert uow.find_user_by_username(lookup) == inserted


def test_find_user_by_username_missing(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        assert uow.find_user_by_username("nobody") is None
        assert uow.find_user_by_username("nul\x00") is None


def test_find_users_by_external_id_is_case_exact(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        first = uow.insert_user(username="a", external_id="ext-1")
        uow.insert_user(username="b", external_id="EXT-1")
        third = uow.insert_user(username="c", external_id="ext-1")
    with api.unit_of_work() as uow:
        found = uow.find_users_by_external_id("ext-1")
    assert [user.id for user in found] == [first.id, third.id]


def test_get_users_chunks_ids(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ids = add_users(uow, *(f"user{i}" for i in range(1200)))
    with api.unit_of_work() as uow:
        found = uow.get_users([*ids, 5, 2**40])
    assert sorted(found) == ids
    assert found[ids[700]].username == "user700"


def test_get_users_by_scim_ids(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        users = [uow.insert_user(username=f"user{i}") for i in range(600)]
    requested = [user.scim_id for user in users] + ["missing"]
    with api.unit_of_work() as uow:
        found = uow.get_users_by_scim_ids(requested)
    assert set(found) == {user.scim_id for user in users}
    assert found[users[550].scim_id] == users[550]


def test_update_user_bumps_version(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann", fullname="Ann")
    with api.unit_of_work(write=True) as uow:
        updated = uow.update_user(
            inserted.id,
            {
                "fullname": "Ann B",
                "active": False,
                "external_id": "x",
                "scim_managed": True,
                "scim_deleted": True,
            },
        )
    assert updated.fullname == "Ann B"
    assert updated.active is False
    assert updated.external_id == "x"
    assert updated.scim_managed is True
    assert updated.scim_deleted is True
    assert updated.version == 2
    assert updated.updated >= inserted.updated
    assert updated.created == inserted.created
    assert updated.scim_id == inserted.scim_id


def test_update_user_persists(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
        uow.update_user(inserted.id, {"username": "ann.b"})
    with api.unit_of_work() as uow:
        assert uow.find_user_by_username("ann.b") is not None


def test_update_user_empty_changes_writes_nothing(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
        unchanged = uow.update_user(inserted.id, {})
    assert unchanged == inserted


def test_update_user_clears_external_id(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann", external_id="x")
        updated = uow.update_user(inserted.id, {"external_id": None})
    assert updated.external_id is None


def test_update_missing_user_raises(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(LookupError):
            uow.update_user(999_999, {"fullname": "x"})


@pytest.mark.parametrize("column", ["id", "scim_id", "version", "created", "password"])
def test_update_user_rejects_column(api: SqlObjectApi, column: str) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
        with pytest.raises(UnknownLimetype, match=f"no writable column '{column}'"):
            uow.update_user(inserted.id, {column: 1})


@pytest.mark.parametrize("changes", [{"username": None}, {"username": ""}, {"active": None}])
def test_update_user_rejects_empty_value(api: SqlObjectApi, changes: dict[str, object]) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
        with pytest.raises(ValueRejected):
            uow.update_user(inserted.id, changes)


def test_records_are_immutable(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="ann")
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.username = "bob"  # type: ignore[misc]


# --- uniqueness


@pytest.mark.parametrize("duplicate", ["ann@example.com", "ANN@EXAMPLE.COM", "Ann@Example.com"])
def test_insert_user_duplicate_username(api: SqlObjectApi, duplicate: str) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="ann@example.com")
    with pytest.raises(UniqueViolation) as caught:
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username=duplicate)
    assert (caught.value.entity, caught.value.field) == ("user", "username")


def test_update_user_to_taken_username(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="ann")
        bob = uow.insert_user(username="bob")
    with pytest.raises(UniqueViolation) as caught:
        with api.unit_of_work(write=True) as uow:
            uow.update_user(bob.id, {"username": "ANN"})
    assert (caught.value.entity, caught.value.field) == ("user", "username")


@pytest.mark.parametrize("duplicate", ["Sales", "SALES", "sales"])
def test_insert_group_duplicate_name(api: SqlObjectApi, duplicate: str) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_group(name="Sales")
    with pytest.raises(UniqueViolation) as caught:
        with api.unit_of_work(write=True) as uow:
            uow.insert_group(name=duplicate)
    assert (caught.value.entity, caught.value.field) == ("group", "name")


def test_update_group_to_taken_name(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_group(name="Sales")
        other = uow.insert_group(name="Support")
    with pytest.raises(UniqueViolation) as caught:
        with api.unit_of_work(write=True) as uow:
            uow.update_group(other.id, {"name": "sales"})
    assert (caught.value.entity, caught.value.field) == ("group", "name")


def test_duplicate_scim_id_is_unique_violation(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        first = uow.insert_user(username="a")
        second = uow.insert_user(username="b")
    table = "lime_user"
    with pytest.raises(Exception) as caught:
        with api.unit_of_work(write=True) as uow:
            # No port method writes scim_id, so the duplicate is written with SQL.
            with unique_violations_translated():
                uow._connection.execute(
                    text(f"UPDATE {table} SET scim_id = :scim_id WHERE id = :id"),
                    {"scim_id": first.scim_id, "id": second.id},
                )
    assert isinstance(caught.value, UniqueViolation)
    assert (caught.value.entity, caught.value.field) == ("user", "scim_id")


def test_concurrent_inserts_create_one_user(api: SqlObjectApi) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()

    def insert(name: str) -> None:
        try:
            with api.unit_of_work(write=True) as uow:
                if uow.find_user_by_username(name) is None:
                    uow.insert_user(username=name)
            outcome = "created"
        except UniqueViolation:
            outcome = "duplicate"
        with lock:
            outcomes.append(outcome)

    names = ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.com"]
    threads = [threading.Thread(target=insert, args=(name,)) for name in names * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with api.unit_of_work() as uow:
        total = uow.query_users(None).total
    assert total == 1
    assert len(outcomes) == len(threads)


# --- value checks


@pytest.mark.parametrize(
    ("changes", "entity", "column", "limit"),
    [
        ({"username": "u" * 257}, "user", "username", "256"),
        ({"fullname": "f" * 257}, "user", "fullname", "256"),
        ({"external_id": "e" * 257}, "user", "external_id", "256"),
    ],
)
def test_update_user_too_long(
    api: SqlObjectApi, changes: dict[str, object], entity: str, column: str, limit: str
) -> None:
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_user(username="ann")
        with pytest.raises(ValueRejected) as caught:
            uow.update_user(inserted.id, changes)
        # PostgreSQL aborts a transaction after a failed statement, so a working
        # follow-up query shows that nothing was sent to the database.
        assert uow.get_user(inserted.id) == inserted
    assert (caught.value.limetype, caught.value.property) == (entity, column)
    assert limit in caught.value.reason


def test_insert_user_max_length_accepted(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="u" * 256)
    assert len(user.username) == 256


def test_insert_user_too_long(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected) as caught:
            uow.insert_user(username="u" * 257)
    assert caught.value.property == "username"
    assert "maximum of 256" in caught.value.reason


def test_insert_group_too_long(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected) as caught:
            uow.insert_group(name="g" * 257)
    assert (caught.value.limetype, caught.value.property) == ("group", "name")


@pytest.mark.parametrize(
    "values",
    [
        {"username": 5},
        {"fullname": None},
        {"active": "yes"},
        {"username": ""},
        {"username": "a\x00b"},
    ],
)
def test_insert_user_rejects_value(api: SqlObjectApi, values: dict[str, Any]) -> None:
    arguments = {"username": "ann", **values}
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected):
            uow.insert_user(**arguments)


def test_insert_object_too_long(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected) as caught:
            uow.insert_object("coworker", {"email": "e" * 257})
        assert uow.get_objects("coworker", range(1000, 1100)) == {}
    assert (caught.value.limetype, caught.value.property) == ("coworker", "email")
    assert "256" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("title", 5),
        ("title", "t" * 11),
        ("done", "yes"),
        ("done", 1),
        ("count", "5"),
        ("count", True),
        ("count", 2**31),
        ("count", 1.5),
        ("ratio", "1.5"),
        ("ratio", float("nan")),
        ("due", "2024-01-01"),
        ("due", datetime(2024, 1, 1)),
        ("status", 3),
        ("owner", "1001"),
    ],
)
def test_insert_object_rejects_wrong_value(api: SqlObjectApi, name: str, value: object) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected) as caught:
            uow.insert_object("sample", {name: value})
    assert (caught.value.limetype, caught.value.property) == ("sample", name)


def test_insert_object_all_types_round_trip(api: SqlObjectApi) -> None:
    due = datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    values = {
        "title": "t" * 10,
        "notes": "n" * 5000,
        "count": -(2**31),
        "ratio": 2,
        "due": due,
        "status": "closed",
        "done": True,
        "code": "c1",
    }
    with api.unit_of_work(write=True) as uow:
        inserted = uow.insert_object("sample", values)
    with api.unit_of_work() as uow:
        fetched = uow.get_object("sample", inserted.id)
    assert fetched == inserted
    assert fetched is not None
    assert fetched.values["ratio"] == 2.0
    assert fetched.values["due"] == due
    stored_due = fetched.values["due"]
    assert isinstance(stored_due, datetime)
    assert stored_due.tzinfo == timezone.utc
    assert fetched.values["notes"] == "n" * 5000


def test_insert_object_fills_defaults(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        sample = uow.insert_object("sample", {})
        coworker = uow.insert_object("coworker", {"name": "Ann"})
    assert sample.values["status"] == "open"
    assert sample.values["done"] is False
    assert sample.values["code"] == "none"
    assert sample.values["title"] is None
    assert coworker.values["inactive"] is False


def test_insert_object_value_overrides_default(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        coworker = uow.insert_object("coworker", {"inactive": True})
    assert coworker.values["inactive"] is True


def test_insert_object_required_without_value(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected) as caught:
            uow.insert_object("sample", {"code": None})
    assert (caught.value.limetype, caught.value.property) == ("sample", "code")
    assert "required" in caught.value.reason


def test_update_object_required_to_none(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        sample = uow.insert_object("sample", {})
        with pytest.raises(ValueRejected, match="required"):
            uow.update_object("sample", sample.id, {"code": None})


@pytest.mark.parametrize(("name", "value"), [("username", 999_999), ("manager", 999_999)])
def test_insert_object_missing_relation(api: SqlObjectApi, name: str, value: int) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(ValueRejected) as caught:
            uow.insert_object("coworker", {name: value})
    assert (caught.value.limetype, caught.value.property) == ("coworker", name)
    assert "999999" in caught.value.reason


def test_insert_object_relations(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="ann")
        boss = uow.insert_object("coworker", {"name": "Boss"})
        coworker = uow.insert_object("coworker", {"username": user.id, "manager": boss.id})
    assert coworker.values["username"] == user.id
    assert coworker.values["manager"] == boss.id


def test_relation_to_seen_row_runs_no_check(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="seen")
        with captured_statements(api.engine) as statements:
            coworker = uow.insert_object("coworker", {"username": user.id})

    assert coworker.values["username"] == user.id
    assert len(statements) == 1
    assert statements[0][0].startswith("INSERT")


def test_relation_to_unseen_missing_row_rejected(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="seen-too")
        with pytest.raises(ValueRejected) as caught:
            uow.insert_object("coworker", {"username": user.id + 1000})
    assert caught.value.property == "username"


@pytest.mark.parametrize(
    ("limetype", "values"),
    [("nosuchtype", {}), ("coworker", {"nosuchproperty": "x"}), ("coworker", {"id": 5})],
)
def test_insert_object_unknown_names(
    api: SqlObjectApi, limetype: str, values: dict[str, Any]
) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(UnknownLimetype):
            uow.insert_object(limetype, values)


def test_unknown_limetype_in_lookups(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(UnknownLimetype):
            uow.get_object("nosuchtype", 1001)
        with pytest.raises(UnknownLimetype):
            uow.find_objects("coworker", "nosuchproperty", "x")
        with pytest.raises(UnknownLimetype):
            uow.find_objects_in("nosuchtype", "name", ["x"])


def test_object_values_are_read_only(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        coworker = uow.insert_object("coworker", {"name": "Ann"})
    with pytest.raises(TypeError):
        coworker.values["name"] = "Bob"  # type: ignore[index]


# --- business objects


def test_object_ids_start_at_1001(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        first = uow.insert_object("coworker", {})
        company = uow.insert_object("company", {})
    assert (first.id, company.id) == (1001, 1001)


def test_get_object_missing(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        assert uow.get_object("coworker", 1001) is None
        assert uow.get_object("coworker", 2**40) is None


def test_get_objects_chunks_ids(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ids = [uow.insert_object("company", {"name": f"c{i}"}).id for i in range(700)]
    with api.unit_of_work() as uow:
        found = uow.get_objects("company", [*ids, 1])
    assert sorted(found) == ids
    assert found[ids[600]].values["name"] == "c600"


def test_find_objects_case(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ann = uow.insert_object("coworker", {"email": "Ann@Example.com"})
        uow.insert_object("coworker", {"email": "bob@example.com"})
    with api.unit_of_work() as uow:
        exact_hit = uow.find_objects("coworker", "email", "Ann@Example.com")
        exact_miss = uow.find_objects("coworker", "email", "ann@example.com")
        folded = uow.find_objects("coworker", "email", "ANN@EXAMPLE.COM", case_exact=False)
    assert [obj.id for obj in exact_hit] == [ann.id]
    assert exact_miss == ()
    assert [obj.id for obj in folded] == [ann.id]


def test_find_objects_by_relation_and_none(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        user = uow.insert_user(username="ann")
        linked = uow.insert_object("coworker", {"username": user.id})
        unlinked = uow.insert_object("coworker", {})
    with api.unit_of_work() as uow:
        by_user = uow.find_objects("coworker", "username", user.id)
        without_user = uow.find_objects("coworker", "username", None)
    assert [obj.id for obj in by_user] == [linked.id]
    assert [obj.id for obj in without_user] == [unlinked.id]


def test_find_objects_returns_at_most_100(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for _ in range(120):
            uow.insert_object("company", {"name": "same"})
    with api.unit_of_work() as uow:
        found = uow.find_objects("company", "name", "same")
    assert len(found) == 100
    assert [obj.id for obj in found] == list(range(1001, 1101))


def test_find_objects_wrong_type(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(ValueRejected):
            uow.find_objects("coworker", "username", "ann")


def test_find_objects_in(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ids = [uow.insert_object("company", {"name": f"c{i}"}).id for i in range(600)]
    requested = [f"c{i}" for i in range(599, -1, -2)] + ["c1", "missing", None]
    with api.unit_of_work() as uow:
        found = uow.find_objects_in("company", "name", requested)
    assert [obj.id for obj in found] == sorted(ids[1::2])


def test_update_object(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        coworker = uow.insert_object("coworker", {"name": "Ann", "title": "Dev"})
        updated = uow.update_object("coworker", coworker.id, {"title": None, "phone": "+46 1"})
    with api.unit_of_work() as uow:
        fetched = uow.get_object("coworker", coworker.id)
    assert updated.values["title"] is None
    assert updated.values["phone"] == "+46 1"
    assert updated.values["name"] == "Ann"
    assert fetched == updated


def test_update_object_missing(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(LookupError):
            uow.update_object("coworker", 999_999, {"name": "x"})


def test_update_object_too_long(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        coworker = uow.insert_object("coworker", {"name": "Ann"})
        with pytest.raises(ValueRejected) as caught:
            uow.update_object("coworker", coworker.id, {"title": "t" * 129})
        assert uow.get_object("coworker", coworker.id) == coworker
    assert (caught.value.limetype, caught.value.property) == ("coworker", "title")
    assert "128" in caught.value.reason


# --- groups and memberships


def test_insert_and_get_group(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales", external_id="g1", scim_managed=True)
    with api.unit_of_work() as uow:
        assert uow.get_group(group.id) == group
        assert uow.get_group(group.id, for_update=True) == group
        assert uow.get_group_by_scim_id(group.scim_id) == group
        assert uow.get_group_by_scim_id(group.scim_id, for_update=True) == group
        assert uow.find_group_by_name("SALES") == group
        assert uow.get_group(999_999) is None
        assert uow.get_group_by_scim_id("missing") is None
        assert uow.find_group_by_name("missing") is None
    assert group.id == 1001
    assert group.version == 1
    assert group.external_id == "g1"
    assert uuid.UUID(group.scim_id).version == 4


def test_get_groups_by_ids(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        groups = [uow.insert_group(name=f"g{i}") for i in range(550)]
    with api.unit_of_work() as uow:
        by_id = uow.get_groups([group.id for group in groups] + [5])
        by_scim_id = uow.get_groups_by_scim_ids([group.scim_id for group in groups] + ["x"])
    assert sorted(by_id) == [group.id for group in groups]
    assert set(by_scim_id) == {group.scim_id for group in groups}


def test_update_group(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales")
        updated = uow.update_group(
            group.id, {"name": "Sales EU", "active": False, "scim_deleted": True}
        )
        unchanged = uow.update_group(group.id, {})
    assert updated.name == "Sales EU"
    assert updated.active is False
    assert updated.scim_deleted is True
    assert updated.version == 2
    assert unchanged == updated


def test_update_missing_group(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        with pytest.raises(LookupError):
            uow.update_group(999_999, {"name": "x"})
        with pytest.raises(LookupError):
            uow.update_group(999_999, {})


def test_add_members_is_idempotent(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales")
        ids = add_users(uow, "a", "b", "c")
        first = uow.add_members(group.id, ids[:2])
        second = uow.add_members(group.id, ids[:2])
        overlapping = uow.add_members(group.id, [ids[2], ids[1], ids[2]])
        nothing = uow.add_members(group.id, [])
    assert (first, second, overlapping, nothing) == (2, 0, 1, 0)


def test_list_members_ordered(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales")
        ids = add_users(uow, "a", "b", "c")
        uow.add_members(group.id, [ids[2], ids[0]])
    with api.unit_of_work() as uow:
        members = uow.list_members(group.id)
        empty = uow.list_members(999_999)
    assert [user.id for user in members] == [ids[0], ids[2]]
    assert empty == ()


def test_remove_members(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales")
        ids = add_users(uow, "a", "b", "c")
        uow.add_members(group.id, ids)
        removed = uow.remove_members(group.id, [ids[0], ids[1], 999_999])
        again = uow.remove_members(group.id, [ids[0]])
        remaining = [user.id for user in uow.list_members(group.id)]
    assert (removed, again) == (2, 0)
    assert remaining == [ids[2]]


def test_remove_all_members(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        sales = uow.insert_group(name="Sales")
        support = uow.insert_group(name="Support")
        ids = add_users(uow, "a", "b")
        uow.add_members(sales.id, ids)
        uow.add_members(support.id, ids)
        removed = uow.remove_all_members(sales.id)
        again = uow.remove_all_members(sales.id)
        support_members = uow.list_members(support.id)
    assert (removed, again) == (2, 0)
    assert len(support_members) == 2


def test_groups_of_users(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        sales = uow.insert_group(name="Sales")
        support = uow.insert_group(name="Support")
        ann, bob, eve = add_users(uow, "ann", "bob", "eve")
        uow.add_members(support.id, [ann])
        uow.add_members(sales.id, [ann, bob])
    with api.unit_of_work() as uow:
        groups = uow.groups_of_users([ann, bob, eve])
    assert [group.id for group in groups[ann]] == [sales.id, support.id]
    assert [group.name for group in groups[bob]] == ["Sales"]
    assert groups[eve] == ()


def test_add_members_to_missing_group(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        ids = add_users(uow, "a")
        with pytest.raises(LookupError):
            uow.add_members(999_999, ids)


def test_add_missing_user_writes_nothing(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales")
        ids = add_users(uow, "a")
        with pytest.raises(ValueRejected) as caught:
            uow.add_members(group.id, [ids[0], 999_999])
        assert uow.list_members(group.id) == ()
    assert "999999" in caught.value.reason


def test_membership_survives_deactivation(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        group = uow.insert_group(name="Sales")
        ids = add_users(uow, "a")
        uow.add_members(group.id, ids)
        uow.update_user(ids[0], {"active": False, "scim_deleted": True})
        uow.update_group(group.id, {"active": False})
    with api.unit_of_work() as uow:
        assert [user.id for user in uow.list_members(group.id)] == ids


def test_add_member_cost_independent_of_group_size(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        small = uow.insert_group(name="small")
        large = uow.insert_group(name="large")
        ids = add_users(uow, *(f"user{i}" for i in range(2002)))
        uow.add_members(small.id, ids[:5])
        uow.add_members(large.id, ids[:2000])

    def statements_to_add(group_id: int, user_id: int) -> list[str]:
        with captured_statements(api.engine) as statements:
            with api.unit_of_work(write=True) as uow:
                uow.add_members(group_id, [user_id])
        return [sql for sql, _ in statements]

    small_statements = statements_to_add(small.id, ids[2000])
    large_statements = statements_to_add(large.id, ids[2001])
    assert small_statements == large_statements
    member_reads = [sql for sql in large_statements if re.search(r"FROM\s+lime_group_member", sql)]
    assert member_reads == []


# --- transactions


def test_rollback_on_exception(api: SqlObjectApi) -> None:
    with pytest.raises(RuntimeError, match="abort"):
        with api.unit_of_work(write=True) as uow:
            user = uow.insert_user(username="ann")
            group = uow.insert_group(name="Sales")
            uow.add_members(group.id, [user.id])
            uow.insert_object("coworker", {"username": user.id})
            raise RuntimeError("abort")
    with api.unit_of_work() as uow:
        assert uow.find_user_by_username("ann") is None
        assert uow.find_group_by_name("Sales") is None
        assert uow.get_object("coworker", 1001) is None
        assert uow.query_users(None).total == 0


def test_rollback_after_unique_violation(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="ann")
    with pytest.raises(UniqueViolation):
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="bob")
            uow.insert_user(username="ANN")
    with api.unit_of_work() as uow:
        assert uow.find_user_by_username("bob") is None


def test_commit_is_visible_to_next_unit(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="ann")
    with api.unit_of_work() as uow:
        assert uow.find_user_by_username("ann") is not None


# --- paging


def test_query_users_pages(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        add_users(uow, *(f"user{i:02}" for i in range(25)))
    with api.unit_of_work() as uow:
        page = uow.query_users(None, offset=10, limit=10)
        last = uow.query_users(None, offset=20, limit=10)
        past_end = uow.query_users(None, offset=30, limit=10)
        count_only = uow.query_users(None, limit=0)
        everything = uow.query_users(None)
    assert page.total == 25
    assert [user.id for user in page.records] == list(range(1011, 1021))
    assert [user.id for user in last.records] == list(range(1021, 1026))
    assert (past_end.total, past_end.records) == (25, ())
    assert (count_only.total, count_only.records) == (25, ())
    assert len(everything.records) == 25


def test_query_total_counts_matches_only(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for i in range(12):
            uow.insert_user(username=f"user{i}", active=i % 3 != 0)
    with api.unit_of_work() as uow:
        page = uow.query_users(Compare(user_field("active"), "eq", False), limit=2)
    assert page.total == 4
    assert [user.id for user in page.records] == [1001, 1004]


@pytest.mark.parametrize(("offset", "limit"), [(-1, None), (0, -1)])
def test_query_rejects_negative_paging(api: SqlObjectApi, offset: int, limit: int | None) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(ValueError):
            uow.query_users(None, offset=offset, limit=limit)


def test_query_groups_filters_and_pages(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        for name in ["Sales EU", "Sales US", "Support", "sales asia"]:
            uow.insert_group(name=name)
    with api.unit_of_work() as uow:
        page = uow.query_groups(
            Compare(Field("group", "name"), "sw", "SALES", case_exact=False), offset=1, limit=1
        )
    assert page.total == 3
    assert [group.name for group in page.records if isinstance(group, GroupRecord)] == ["Sales US"]


def test_query_groups_rejects_user_field(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(ValueError, match="cannot filter on Field"):
            uow.query_groups(Compare(Field("user", "username"), "eq", "x"))


# --- criteria


@pytest.fixture
def filter_users(api: SqlObjectApi) -> dict[str, int]:
    """Users whose names exercise case, wildcards, quotes and control characters."""
    usernames = {
        "ann": "Ann@Example.com",
        "anne": "anne@example.com",
        "percent": "100%sure",
        "hundred": "100xsure",
        "underscore": "a_b",
        "axb": "axb",
        "backslash": "back\\slash",
        "quotes": 'o\'hara "q"',
        "control": "tab\there\x01\x1f",
        "glob": "star*?[x]",
        "plain": "starzz",
    }
    with api.unit_of_work(write=True) as uow:
        ids = {key: uow.insert_user(username=name).id for key, name in usernames.items()}
        uow.update_user(ids["ann"], {"external_id": "E1"})
        uow.update_user(ids["anne"], {"external_id": ""})
        uow.update_user(ids["axb"], {"external_id": "e1", "active": False})
    return ids


def ids_of(filter_users: dict[str, int], *keys: str) -> list[int]:
    return sorted(filter_users[key] for key in keys)


CRITERIA_CASES = {
    "eq exact": (Compare(user_field("username"), "eq", "Ann@Example.com"), ["ann"]),
    "eq exact other case": (Compare(user_field("username"), "eq", "ann@example.com"), []),
    "eq folded": (
        Compare(user_field("username"), "eq", "ANN@EXAMPLE.COM", case_exact=False),
        ["ann"],
    ),
    "eq quotes": (Compare(user_field("username"), "eq", 'o\'hara "q"'), ["quotes"]),
    "eq control characters": (
        Compare(user_field("username"), "eq", "tab\there\x01\x1f"),
        ["control"],
    ),
    "eq backslash": (Compare(user_field("username"), "eq", "back\\slash"), ["backslash"]),
    "eq boolean": (Compare(user_field("active"), "eq", False), ["axb"]),
    "eq integer": (Compare(user_field("id"), "eq", 1002), ["anne"]),
    "eq null": (
        Compare(user_field("external_id"), "eq", None),
        [
            "percent",
            "hundred",
            "underscore",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "ne includes null": (
        Compare(user_field("external_id"), "ne", "E1"),
        [
            "anne",
            "percent",
            "hundred",
            "underscore",
            "axb",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "ne folded": (
        Compare(user_field("external_id"), "ne", "e1", case_exact=False),
        [
            "anne",
            "percent",
            "hundred",
            "underscore",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "ne null": (Compare(user_field("external_id"), "ne", None), ["ann", "anne", "axb"]),
    "co percent escaped": (Compare(user_field("username"), "co", "%"), ["percent"]),
    "co underscore escaped": (Compare(user_field("username"), "co", "_"), ["underscore"]),
    "co percent folded": (
        Compare(user_field("username"), "co", "0%S", case_exact=False),
        ["percent"],
    ),
    "co underscore folded": (
        Compare(user_field("username"), "co", "A_", case_exact=False),
        ["underscore"],
    ),
    "co backslash folded": (
        Compare(user_field("username"), "co", "K\\S", case_exact=False),
        ["backslash"],
    ),
    "co backslash escaped": (Compare(user_field("username"), "co", "\\"), ["backslash"]),
    "co quote": (Compare(user_field("username"), "co", "'h"), ["quotes"]),
    "co control character": (Compare(user_field("username"), "co", "\there"), ["control"]),
    "co exact case": (Compare(user_field("username"), "co", "Example"), ["ann"]),
    "co folded": (
        Compare(user_field("username"), "co", "EXAMPLE", case_exact=False),
        ["ann", "anne"],
    ),
    "co glob characters": (Compare(user_field("username"), "co", "*?["), ["glob"]),
    "co glob star only": (Compare(user_field("username"), "co", "r*"), ["glob"]),
    "sw exact": (Compare(user_field("username"), "sw", "ann"), ["anne"]),
    "sw folded": (Compare(user_field("username"), "sw", "ANN", case_exact=False), ["ann", "anne"]),
    "sw percent escaped": (Compare(user_field("username"), "sw", "100%"), ["percent"]),
    "sw underscore folded": (
        Compare(user_field("username"), "sw", "A_", case_exact=False),
        ["underscore"],
    ),
    "ew exact": (Compare(user_field("username"), "ew", ".com"), ["ann", "anne"]),
    "ew folded": (Compare(user_field("username"), "ew", "X]", case_exact=False), ["glob"]),
    "ew glob bracket": (Compare(user_field("username"), "ew", "[x]"), ["glob"]),
    "gt id": (Compare(user_field("id"), "gt", 1009), ["glob", "plain"]),
    "ge id": (Compare(user_field("id"), "ge", 1010), ["glob", "plain"]),
    "lt id": (Compare(user_field("id"), "lt", 1002), ["ann"]),
    "le id": (Compare(user_field("id"), "le", 1002), ["ann", "anne"]),
    "gt string exact": (
        Compare(user_field("username"), "gt", "star"),
        ["glob", "plain", "control"],
    ),
    "le string folded": (
        Compare(user_field("username"), "le", "ANNE@EXAMPLE.COM", case_exact=False),
        [
            "ann",
            "anne",
            "percent",
            "hundred",
            "underscore",
        ],
    ),
    "gt external id skips null": (Compare(user_field("external_id"), "gt", ""), ["ann", "axb"]),
    "pr skips null and empty": (Compare(user_field("external_id"), "pr"), ["ann", "axb"]),
    "pr boolean": (
        Compare(user_field("active"), "pr"),
        [
            "ann",
            "anne",
            "percent",
            "hundred",
            "underscore",
            "axb",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "not eq includes null": (
        Negate(Compare(user_field("external_id"), "eq", "E1")),
        [
            "anne",
            "percent",
            "hundred",
            "underscore",
            "axb",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "not pr": (
        Negate(Compare(user_field("external_id"), "pr")),
        [
            "anne",
            "percent",
            "hundred",
            "underscore",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "all of": (
        AllOf(
            (
                Compare(user_field("username"), "sw", "100"),
                Compare(user_field("username"), "ew", "sure"),
                Negate(Compare(user_field("username"), "co", "%")),
            )
        ),
        ["hundred"],
    ),
    "any of": (
        AnyOf(
            (
                Compare(user_field("username"), "eq", "axb"),
                Compare(user_field("username"), "eq", "a_b"),
            )
        ),
        ["underscore", "axb"],
    ),
    "empty all of": (
        AllOf(()),
        [
            "ann",
            "anne",
            "percent",
            "hundred",
            "underscore",
            "axb",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
    "empty any of": (AnyOf(()), []),
    "nothing": (Nothing(), []),
    "not nothing": (
        Negate(Nothing()),
        [
            "ann",
            "anne",
            "percent",
            "hundred",
            "underscore",
            "axb",
            "backslash",
            "quotes",
            "control",
            "glob",
            "plain",
        ],
    ),
}


@pytest.mark.parametrize(
    ("criterion", "expected"), CRITERIA_CASES.values(), ids=CRITERIA_CASES.keys()
)
def test_criteria_on_user_columns(
    api: SqlObjectApi, filter_users: dict[str, int], criterion: Criterion, expected: list[str]
) -> None:
    assert user_ids(api, criterion) == ids_of(filter_users, *expected)


def test_criteria_on_timestamps(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        first = uow.insert_user(username="first")
    with api.unit_of_work(write=True) as uow:
        second = uow.insert_user(username="second")
    after_first = first.created + timedelta(microseconds=1)
    assert user_ids(api, Compare(user_field("created"), "ge", after_first)) == [second.id]
    assert user_ids(api, Compare(user_field("created"), "lt", after_first)) == [first.id]
    in_other_zone = first.created.astimezone(timezone(timedelta(hours=-5)))
    assert user_ids(api, Compare(user_field("created"), "eq", in_other_zone)) == [first.id]


@pytest.mark.parametrize(
    ("criterion", "error"),
    [
        (Compare(user_field("password"), "eq", "x"), UnknownLimetype),
        (Compare(user_field("id"), "eq", "abc"), ValueRejected),
        (Compare(user_field("active"), "eq", "true"), ValueRejected),
        (Compare(user_field("username"), "eq", "nul\x00"), ValueRejected),
        (Compare(user_field("id"), "co", 1), ValueRejected),
        (Compare(user_field("username"), "gt", None), ValueRejected),
        (Compare(Field("group", "name"), "eq", "x"), ValueError),
        (Compare(Field("object", "email"), "eq", "x"), ValueError),
    ],
)
def test_invalid_criteria_raise(
    api: SqlObjectApi, criterion: Criterion, error: type[Exception]
) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(error):
            uow.query_users(criterion)


def test_long_filter_value_matches_nothing(api: SqlObjectApi) -> None:
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="ann")
    assert user_ids(api, Compare(user_field("username"), "eq", "a" * 1000)) == []


# --- criteria on the linked coworker


@pytest.fixture
def linked_users(api: SqlObjectApi) -> dict[str, int]:
    """Users with a coworker each, except ``lonely``; ``twice`` has two coworkers."""
    with api.unit_of_work(write=True) as uow:
        ids = {
            name: uow.insert_user(username=name).id for name in ["ann", "bob", "lonely", "twice"]
        }
        uow.insert_object(
            "coworker", {"username": ids["ann"], "email": "Ann@Example.com", "title": "Dev"}
        )
        uow.insert_object("coworker", {"username": ids["bob"], "email": "bob@example.com"})
        uow.insert_object(
            "coworker", {"username": ids["twice"], "email": "t1@example.com", "title": "Dev"}
        )
        uow.insert_object(
            "coworker", {"username": ids["twice"], "email": "t2@example.com", "title": "Dev"}
        )
    return ids


def test_object_field_eq_folded(api: SqlObjectApi, linked_users: dict[str, int]) -> None:
    criterion = Compare(Field("object", "email"), "eq", "ann@example.COM", case_exact=False)
    assert user_ids(api, criterion, link=COWORKER_LINK) == [linked_users["ann"]]


def test_object_field_duplicates_counted_once(
    api: SqlObjectApi, linked_users: dict[str, int]
) -> None:
    criterion = Compare(Field("object", "title"), "eq", "Dev")
    with api.unit_of_work() as uow:
        page = uow.query_users(criterion, link=COWORKER_LINK)
    assert page.total == 2
    assert [user.id for user in page.records] == [linked_users["ann"], linked_users["twice"]]


def test_object_field_negation_includes_unlinked(
    api: SqlObjectApi, linked_users: dict[str, int]
) -> None:
    criterion = Negate(Compare(Field("object", "title"), "eq", "Dev"))
    assert user_ids(api, criterion, link=COWORKER_LINK) == [
        linked_users["bob"],
        linked_users["lonely"],
    ]


def test_object_field_pr(api: SqlObjectApi, linked_users: dict[str, int]) -> None:
    criterion = Compare(Field("object", "title"), "pr")
    assert user_ids(api, criterion, link=COWORKER_LINK) == [
        linked_users["ann"],
        linked_users["twice"],
    ]


def test_object_and_user_fields_combined(api: SqlObjectApi, linked_users: dict[str, int]) -> None:
    criterion = AnyOf(
        (
            Compare(Field("object", "email"), "sw", "BOB", case_exact=False),
            Compare(user_field("username"), "eq", "lonely"),
        )
    )
    assert user_ids(api, criterion, link=COWORKER_LINK) == [
        linked_users["bob"],
        linked_users["lonely"],
    ]


def test_link_without_object_field_keeps_all_users(
    api: SqlObjectApi, linked_users: dict[str, int]
) -> None:
    with api.unit_of_work() as uow:
        page = uow.query_users(None, link=COWORKER_LINK)
    assert page.total == 4


@pytest.mark.parametrize(
    "link", [ObjectLink("nosuchtype", "username"), ObjectLink("coworker", "name")]
)
def test_invalid_link_raises(api: SqlObjectApi, link: ObjectLink) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(UnknownLimetype):
            uow.query_users(Compare(Field("object", "email"), "pr"), link=link)


def test_unknown_object_property_raises(api: SqlObjectApi) -> None:
    with api.unit_of_work() as uow:
        with pytest.raises(UnknownLimetype):
            uow.query_users(Compare(Field("object", "nosuch"), "pr"), link=COWORKER_LINK)


# --- indexes


def index_names(api: SqlObjectApi, table: str) -> set[str]:
    with api.engine.connect() as connection:
        if api.engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
        else:
            query = "SELECT indexname FROM pg_indexes WHERE tablename = :table"
        return set(connection.execute(text(query), {"table": table}).scalars())


@pytest.mark.parametrize(
    ("table", "index"),
    [
        ("lime_user", "ux_lime_user_username_lower"),
        ("lime_user", "ux_lime_user_scim_id"),
        ("lime_user", "ix_lime_user_external_id"),
        ("lime_user", "ix_lime_user_fullname_lower"),
        ("lime_group", "ux_lime_group_name_lower"),
        ("lime_group", "ux_lime_group_scim_id"),
        ("lime_group", "ix_lime_group_external_id"),
        ("lime_group_member", "ix_lime_group_member_user_id"),
        ("lt_coworker", "ix_lt_coworker_username"),
        ("lt_coworker", "ix_lt_coworker_manager"),
        ("lt_coworker", "ix_lt_coworker_email_lower"),
        ("lt_coworker", "ix_lt_coworker_name_lower"),
        ("lt_coworker", "ix_lt_coworker_mobilephone_lower"),
        ("lt_sample", "ix_lt_sample_owner"),
        ("lt_sample", "ix_lt_sample_parent"),
    ],
)
def test_index_exists(api: SqlObjectApi, table: str, index: str) -> None:
    assert index in index_names(api, table)


@pytest.mark.parametrize("table", ["lt_coworker", "lt_sample"])
def test_no_index_on_unlabelled_or_text(api: SqlObjectApi, table: str) -> None:
    names = index_names(api, table)
    assert "ix_lt_coworker_office_lower" not in names
    assert "ix_lt_sample_notes_lower" not in names


def sqlite_query_plan(store: SqlObjectApi, statement: str, parameters: Any) -> str:
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return " | ".join(str(row[-1]) for row in rows)


@pytest.fixture
def sqlite_api(tmp_path: Path, datamodel: dict[str, LimetypeInfo]) -> Iterator[SqlObjectApi]:
    store = create_object_api(f"sqlite:///{tmp_path / 'plan.sqlite3'}", datamodel)
    with store.unit_of_work(write=True) as uow:
        for i in range(50):
            user = uow.insert_user(username=f"user{i}@example.com")
            uow.insert_object("coworker", {"username": user.id, "email": f"User{i}@Example.com"})
    try:
        yield store
    finally:
        store.close()


def last_select(statements: list[tuple[str, Any]]) -> tuple[str, Any]:
    selects = [
        (sql, params) for sql, params in statements if sql.lstrip().upper().startswith("SELECT")
    ]
    return selects[-1]


def test_sqlite_username_lookup_uses_index(sqlite_api: SqlObjectApi) -> None:
    with captured_statements(sqlite_api.engine) as statements:
        with sqlite_api.unit_of_work() as uow:
            assert uow.find_user_by_username("USER7@example.com") is not None
    plan = sqlite_query_plan(sqlite_api, *last_select(statements))
    assert "USING INDEX ux_lime_user_username_lower" in plan


def test_sqlite_email_lookup_uses_index(sqlite_api: SqlObjectApi) -> None:
    with captured_statements(sqlite_api.engine) as statements:
        with sqlite_api.unit_of_work() as uow:
            assert (
                len(uow.find_objects("coworker", "email", "user7@example.com", case_exact=False))
                == 1
            )
    plan = sqlite_query_plan(sqlite_api, *last_select(statements))
    assert "USING INDEX ix_lt_coworker_email_lower" in plan


def test_sqlite_email_filter_uses_index(sqlite_api: SqlObjectApi) -> None:
    criterion = Compare(Field("object", "email"), "eq", "user7@example.com", case_exact=False)
    with captured_statements(sqlite_api.engine) as statements:
        with sqlite_api.unit_of_work() as uow:
            assert uow.query_users(criterion, link=COWORKER_LINK).total == 1
    plan = sqlite_query_plan(sqlite_api, *last_select(statements))
    assert "ix_lt_coworker_email_lower" in plan
    assert "SCAN lt_coworker" not in plan


def test_sqlite_username_filter_uses_index(sqlite_api: SqlObjectApi) -> None:
    criterion = Compare(user_field("username"), "eq", "USER7@example.com", case_exact=False)
    with captured_statements(sqlite_api.engine) as statements:
        with sqlite_api.unit_of_work() as uow:
            assert uow.query_users(criterion).total == 1
    plan = sqlite_query_plan(sqlite_api, *last_select(statements))
    assert "USING INDEX ux_lime_user_username_lower" in plan


# ---------------------------------------------------------------------------------------------
# PostgreSQL read units run without a transaction


def _transaction_states(api: SqlObjectApi, *, write: bool) -> list[str]:
    """Return psycopg's transaction status after each statement of a unit that reads one user."""
    states: list[str] = []

    def record(connection: Any, *_args: Any) -> None:
        states.append(connection.connection.driver_connection.info.transaction_status.name)

    event.listen(api.engine, "after_cursor_execute", record)
    try:
        with api.unit_of_work(write=write) as uow:
            uow.find_user_by_username("reader")
    finally:
        event.remove(api.engine, "after_cursor_execute", record)
    return states


def test_postgresql_read_unit_autocommits(api: SqlObjectApi, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite read units begin a deferred transaction")
    with api.unit_of_work(write=True) as uow:
        uow.insert_user(username="reader")

    read_states = _transaction_states(api, write=False)
    write_states = _transaction_states(api, write=True)

    assert read_states == ["IDLE"]
    assert write_states == ["INTRANS"]


def test_postgresql_write_after_read_rolls_back(api: SqlObjectApi, database_url: str) -> None:
    """The connection a read unit used leaves autocommit mode before a write unit gets it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite read units begin a deferred transaction")
    with api.unit_of_work() as uow:
        uow.find_user_by_username("nobody")

    with pytest.raises(RuntimeError):
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="rolled-back")
            raise RuntimeError("fail the unit of work")

    with api.unit_of_work() as uow:
        assert uow.find_user_by_username("rolled-back") is None
