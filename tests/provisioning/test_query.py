"""Tests of the translation of SCIM filters into store criteria, with the default datamodel.

The first tests check the criteria trees. The last ones run criteria on a real SQLite store
and check that they find the records a SCIM client expects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lime_scim.mapping.resolver import resolve_user_mapping
from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import (
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    Field,
    LimetypeInfo,
    Negate,
    Nothing,
    ObjectLink,
    UserRecord,
)
from lime_scim.objectapi.sqlstore import SqlObjectApi, create_object_api
from lime_scim.provisioning.binding import UserBinding, bind_user_mapping
from lime_scim.provisioning.query import group_criteria, manager_ids, user_criteria
from lime_scim.scim.constants import ENTERPRISE_URN, GROUP_URN, USER_URN
from lime_scim.scim.errors import InvalidFilter
from lime_scim.scim.filter import parse_filter

DATAMODEL = load_datamodel(default_datamodel_path())
BINDING = bind_user_mapping(resolve_user_mapping(DATAMODEL))
USER_VISIBLE = Compare(Field("user", "scim_deleted"), "eq", False)
GROUP_VISIBLE = Compare(Field("group", "scim_deleted"), "eq", False)
SCIM_ID = "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d"


def without_label(label: str) -> UserBinding:
    """Return the binding of the default datamodel without the coworker property labelled ``label``."""
    coworker = DATAMODEL["coworker"]
    properties = {name: prop for name, prop in coworker.properties.items() if prop.label != label}
    limetypes = {**DATAMODEL, "coworker": dataclasses.replace(coworker, properties=properties)}
    return bind_user_mapping(resolve_user_mapping(limetypes))


def users(text: str, *, legacy: bool = False, binding: UserBinding = BINDING) -> Criterion:
    return user_criteria(parse_filter(text), binding, legacy_ids=legacy)


def groups(text: str, *, legacy: bool = False) -> Criterion:
    return group_criteria(parse_filter(text), legacy_ids=legacy)


def visible(criterion: Criterion) -> Criterion:
    """Return ``criterion`` as user_criteria combines it with the deleted-user check."""
    return AllOf((criterion, USER_VISIBLE))


def user_column(name: str, op: str, value: object, *, case_exact: bool) -> Compare:
    return Compare(Field("user", name), op, value, case_exact=case_exact)  # type: ignore[arg-type]


def coworker_property(name: str, op: str, value: object) -> Compare:
    return Compare(Field("object", name), op, value, case_exact=False)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Criteria trees: users


def test_no_filter_hides_deleted() -> None:
    assert user_criteria(None, BINDING, legacy_ids=False) == USER_VISIBLE


@pytest.mark.parametrize(
    "text",
    ['userName eq "Karin@Example.com"', f'{USER_URN}:userName eq "Karin@Example.com"',
     'USERNAME EQ "Karin@Example.com"'],
    ids=["plain", "core-urn", "upper-case"],
)
def test_user_name_case_insensitive(text: str) -> None:
    expected = user_column("username", "eq", "Karin@Example.com", case_exact=False)

    assert users(text) == visible(expected)


def test_external_id_case_exact() -> None:
    expected = user_column("external_id", "eq", "KLindqvist", case_exact=True)

    assert users('externalId eq "KLindqvist"') == visible(expected)


def test_external_id_unquoted_number() -> None:
    expected = user_column("external_id", "eq", "10442", case_exact=True)

    assert users("externalId eq 10442") == visible(expected)


def test_display_name_full_name_column() -> None:
    expected = user_column("fullname", "co", "Lindqvist", case_exact=False)

    assert users('displayName co "Lindqvist"') == visible(expected)


@pytest.mark.parametrize(
    ("text", "property_name"),
    [
        ('title eq "Key Account Manager"', "title"),
        ('name.givenName eq "Key Account Manager"', "firstname"),
        ('name.familyName eq "Key Account Manager"', "lastname"),
        ('emails[type eq "work"].value eq "Key Account Manager"', "email"),
        ('emails[type eq "home"].value eq "Key Account Manager"', "email2"),
        ('phoneNumbers[type eq "mobile"].value eq "Key Account Manager"', "mobilephone"),
        ('phoneNumbers[TYPE eq "Work"].value eq "Key Account Manager"', "phone"),
    ],
)
def test_coworker_attribute_by_label(text: str, property_name: str) -> None:
    assert users(text) == visible(coworker_property(property_name, "eq", "Key Account Manager"))


def test_emails_value_any_type() -> None:
    expected = AnyOf((coworker_property("email", "eq", "k@example.com"),
                      coworker_property("email2", "eq", "k@example.com")))

    assert users('emails.value eq "k@example.com"') == visible(expected)


def test_emails_without_sub_attribute() -> None:
    expected = AnyOf((coworker_property("email", "sw", "k@"), coworker_property("email2", "sw", "k@")))

    assert users('emails sw "k@"') == visible(expected)


def test_value_filter_home_and_contains() -> None:
    expected = coworker_property("email2", "co", "example")

    assert users('emails[type eq "home" and value co "example"]') == visible(expected)


def test_value_filter_any_type() -> None:
    expected = AnyOf((coworker_property("email", "ew", ".se"), coworker_property("email2", "ew", ".se")))

    assert users('emails[value ew ".se"]') == visible(expected)


def test_value_filter_unstored_type() -> None:
    assert users('emails[type eq "other" and value eq "x"]') == Nothing()


def test_value_filter_type_present() -> None:
    assert users('phoneNumbers[type pr]') == USER_VISIBLE


def test_not_negates_comparison() -> None:
    expected = Negate(user_column("username", "eq", "karin", case_exact=False))

    assert users('not (userName eq "karin")') == visible(expected)


def test_not_of_nothing_matches_all() -> None:
    assert users('not (emails[type eq "other"])') == USER_VISIBLE


def test_or_combines_comparisons() -> None:
    expected = AnyOf((user_column("username", "eq", "a", case_exact=False),
                      user_column("external_id", "eq", "b", case_exact=True)))

    assert users('userName eq "a" or externalId eq "b"') == visible(expected)


def test_and_flattens_chain() -> None:
    expected = AllOf((
        user_column("username", "eq", "a", case_exact=False),
        user_column("external_id", "eq", "b", case_exact=True),
        coworker_property("title", "eq", "c"),
        USER_VISIBLE,
    ))

    criterion = users('userName eq "a" and externalId eq "b" and title eq "c"')

    assert criterion == AllOf((AllOf(expected.items[:3]), USER_VISIBLE))


def test_active_boolean_column() -> None:
    assert users("active eq true") == visible(user_column("active", "eq", True, case_exact=False))


def test_active_present() -> None:
    assert users("active pr") == visible(user_column("active", "pr", None, case_exact=False))


@pytest.mark.parametrize(
    ("text", "column", "moment"),
    [
        ('meta.created gt "2025-01-31T09:14:00Z"', "created", datetime(2025, 1, 31, 9, 14, tzinfo=timezone.utc)),
        ('meta.created ge "2025-01-31"', "created", datetime(2025, 1, 31, tzinfo=timezone.utc)),
        ('meta.lastModified lt "2025-01-31T10:14:00+01:00"', "updated",
         datetime(2025, 1, 31, 9, 14, tzinfo=timezone.utc)),
        (f'{USER_URN}:meta.created le "2025-01-31T09:14:00Z"', "created",
         datetime(2025, 1, 31, 9, 14, tzinfo=timezone.utc)),
    ],
    ids=["timestamp", "date-only", "offset", "core-urn"],
)
def test_meta_dates_as_timestamps(text: str, column: str, moment: datetime) -> None:
    criterion = users(text)

    assert isinstance(criterion, AllOf)
    compare = criterion.items[0]
    assert isinstance(compare, Compare)
    assert compare.field == Field("user", column)
    assert compare.value == moment


# ---------------------------------------------------------------------------------------------
# Criteria trees: ids


def test_legacy_id_record_column() -> None:
    assert users('id eq "1001"', legacy=True) == visible(user_column("id", "eq", 1001, case_exact=True))


def test_opaque_id_scim_id_column() -> None:
    expected = user_column("scim_id", "eq", SCIM_ID, case_exact=True)

    assert users(f'id eq "{SCIM_ID}"') == visible(expected)


def test_opaque_mode_legacy_id() -> None:
    assert users('id eq "1001"') == visible(user_column("id", "eq", 1001, case_exact=True))


def test_legacy_mode_opaque_id() -> None:
    expected = user_column("scim_id", "eq", SCIM_ID, case_exact=True)

    assert users(f'id eq "{SCIM_ID}"', legacy=True) == visible(expected)


def test_id_unquoted_number() -> None:
    assert users("id eq 1001", legacy=True) == visible(user_column("id", "eq", 1001, case_exact=True))


def test_id_not_equal() -> None:
    expected = Negate(user_column("id", "eq", 1001, case_exact=True))

    assert users('id ne "1001"') == visible(expected)


# ---------------------------------------------------------------------------------------------
# Invalid user filters


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('nickName eq "kalle"', "nickName"),
        ('addresses[type eq "work"].locality eq "Lund"', "addresses"),
        ('active gt true', "'gt'"),
        ('active eq "yes"', "true or false"),
        ('meta.created gt 2025', "dateTime"),
        ('meta.created gt "last tuesday"', "last tuesday"),
        (f'{ENTERPRISE_URN}:manager co "100"', "manager"),
        ('urn:ietf:params:scim:schemas:extension:acme:2.0:User:costCenter eq "4"',
         "urn:ietf:params:scim:schemas:extension:acme:2.0:User"),
        (f'{GROUP_URN}:displayName eq "Sales"', GROUP_URN),
        ('emails[type eq "work" and display eq "Work"]', "display"),
        ('emails[value eq "a" and emails[value eq "b"]]', "value filter"),
    ],
    ids=[
        "unmapped-attribute",
        "unstored-multi-valued",
        "boolean-ordering",
        "boolean-string",
        "date-number",
        "date-text",
        "manager-contains",
        "unknown-extension-urn",
        "group-urn-on-users",
        "unstored-sub-attribute",
        "nested-value-filter",
    ],
)
def test_invalid_user_filter(text: str, named: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        users(text)

    assert named.lower() in caught.value.detail.lower()


def test_unstored_label_invalid_filter() -> None:
    binding = without_label("Job Title")

    with pytest.raises(InvalidFilter) as caught:
        users('title eq "Key Account Manager"', binding=binding)

    assert "'title'" in caught.value.detail


def test_unstored_type_other_types_kept() -> None:
    binding = without_label("Email 2")

    criterion = users('emails.value eq "k@example.com"', binding=binding)

    assert criterion == visible(coworker_property("email", "eq", "k@example.com"))


def test_invalid_filter_is_400() -> None:
    with pytest.raises(InvalidFilter) as caught:
        users('nickName eq "kalle"')

    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"


# ---------------------------------------------------------------------------------------------
# Criteria trees: groups


def test_group_no_filter_hides_deleted() -> None:
    assert group_criteria(None, legacy_ids=False) == GROUP_VISIBLE


def test_group_display_name_case_insensitive() -> None:
    expected = Compare(Field("group", "name"), "eq", "Sales", case_exact=False)

    assert groups('displayName eq "Sales"') == AllOf((expected, GROUP_VISIBLE))


def test_group_external_id_case_exact() -> None:
    expected = Compare(Field("group", "external_id"), "eq", "0F1E", case_exact=True)

    assert groups('externalId eq "0F1E"') == AllOf((expected, GROUP_VISIBLE))


def test_group_opaque_mode_legacy_id() -> None:
    expected = Compare(Field("group", "id"), "eq", 2001, case_exact=True)

    assert groups('id eq "2001"') == AllOf((expected, GROUP_VISIBLE))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('members eq "1001"', Compare(Field("member", "user_id"), "eq", 1001)),
        ('members.value eq "1001"', Compare(Field("member", "user_id"), "eq", 1001)),
        ('members[value eq "1001"]', Compare(Field("member", "user_id"), "eq", 1001)),
        ('members.value eq "3fa85f64"', Compare(Field("member", "user_scim_id"), "eq", "3fa85f64")),
        ("members pr", Compare(Field("member", "user_id"), "pr")),
    ],
    ids=["members", "members-value", "members-value-filter", "opaque-id", "present"],
)
def test_group_member_filter(text: str, expected: Criterion) -> None:
    assert groups(text) == AllOf((expected, GROUP_VISIBLE))


@pytest.mark.parametrize(
    "text",
    ['members co "10"', 'members[display eq "x"]', 'urn:ietf:params:scim:schemas:core:2.0:User:displayName eq "x"'],
    ids=["members-co", "members-display", "user-urn"],
)
def test_invalid_group_filter(text: str) -> None:
    with pytest.raises(InvalidFilter):
        groups(text)


# ---------------------------------------------------------------------------------------------
# Criteria on a real store

LINK = ObjectLink("coworker", "username")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlObjectApi]:
    api = create_object_api("sqlite:///" + str(tmp_path / "query.sqlite3"), DATAMODEL)
    try:
        yield api
    finally:
        api.close()


def add_user(store: SqlObjectApi, username: str, *, external_id: str | None = None,
             **coworker: object) -> UserRecord:
    with store.unit_of_work(write=True) as uow:
        user = uow.insert_user(username=username, external_id=external_id, scim_managed=True)
        uow.insert_object("coworker", {"username": user.id, **coworker})
    return user


def found(store: SqlObjectApi, criterion: Criterion) -> list[str]:
    with store.unit_of_work() as uow:
        page = uow.query_users(criterion, link=LINK)
    return [user.username for user in page.records]  # type: ignore[union-attr]


@pytest.fixture
def people(store: SqlObjectApi) -> dict[str, UserRecord]:
    return {
        "karin": add_user(store, "Karin@Example.com", external_id="klindqvist",
                          email="karin@example.com", email2="karin@home.example"),
        "olle": add_user(store, "olle@example.com", external_id="ohansson", email="olle@example.com"),
        "deleted": add_user(store, "gone@example.com"),
    }


def test_store_user_name_any_case(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    assert found(store, users('userName eq "KARIN@EXAMPLE.COM"')) == ["Karin@Example.com"]


def test_store_external_id_exact_case(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    assert found(store, users('externalId eq "KLINDQVIST"')) == []
    assert found(store, users('externalId eq "klindqvist"')) == ["Karin@Example.com"]


def test_store_any_email_value(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    assert found(store, users('emails.value eq "karin@home.example"')) == ["Karin@Example.com"]


def test_store_home_value_filter(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    assert found(store, users('emails[type eq "home" and value co "HOME"]')) == ["Karin@Example.com"]
    assert found(store, users('emails[type eq "home" and value co "olle"]')) == []


def test_store_not_excludes_match(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    names = found(store, users('not (emails[type eq "home"].value pr)'))

    assert names == ["olle@example.com", "gone@example.com"]


def test_store_hides_deleted_users(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    with store.unit_of_work(write=True) as uow:
        uow.update_user(people["deleted"].id, {"scim_deleted": True})

    assert found(store, users('userName eq "gone@example.com"')) == []


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy-mode", "opaque-mode"])
def test_store_record_id_finds_user(store: SqlObjectApi, people: dict[str, UserRecord], legacy: bool) -> None:
    record_id = people["olle"].id

    assert found(store, users(f'id eq "{record_id}"', legacy=legacy)) == ["olle@example.com"]


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy-mode", "opaque-mode"])
def test_store_scim_id_finds_user(store: SqlObjectApi, people: dict[str, UserRecord], legacy: bool) -> None:
    scim_id = people["olle"].scim_id

    assert found(store, users(f'id eq "{scim_id}"', legacy=legacy)) == ["olle@example.com"]


def test_store_created_after(store: SqlObjectApi, people: dict[str, UserRecord]) -> None:
    assert len(found(store, users('meta.created gt "2000-01-01"'))) == 3
    assert found(store, users('meta.created gt "2999-01-01T00:00:00Z"')) == []


def test_store_group_name_any_case(store: SqlObjectApi) -> None:
    with store.unit_of_work(write=True) as uow:
        uow.insert_group(name="Sales", scim_managed=True)
        group = uow.insert_group(name="Support", scim_managed=True)

    with store.unit_of_work() as uow:
        by_name = uow.query_groups(groups('displayName eq "SALES"'))
        by_record = uow.query_groups(groups(f'id eq "{group.id}"'))

    assert [record.name for record in by_name.records] == ["Sales"]  # type: ignore[union-attr]
    assert [record.name for record in by_record.records] == ["Support"]  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# Manager reference check (Entra's older documentation: id eq "U1" and manager eq "M1")


def test_manager_eq_uses_coworker_id() -> None:
    expr = parse_filter('id eq "1001" and manager eq "2002"')

    criterion = user_criteria(expr, BINDING, legacy_ids=True, managers={"2002": 77})

    assert isinstance(criterion, AllOf)
    translated = criterion.items[0]
    assert isinstance(translated, AllOf)
    assert Compare(Field("object", "manager"), "eq", 77) in translated.items


def test_manager_eq_unknown_matches_nothing() -> None:
    expr = parse_filter(f'{ENTERPRISE_URN}:manager.value eq "missing"')

    criterion = user_criteria(expr, BINDING, legacy_ids=False, managers={"missing": None})

    assert isinstance(criterion, Nothing)


def test_manager_ids_collects_values() -> None:
    expr = parse_filter('manager eq "a" or (userName eq "x" and not (manager.value eq "b"))')

    assert manager_ids(expr) == {"a", "b"}


@pytest.mark.parametrize("text", ['active eq "True"', 'active eq "true"', "active eq true"])
def test_active_accepts_string_booleans(text: str) -> None:
    criterion = users(text)

    assert isinstance(criterion, AllOf)
    assert criterion.items[0] == Compare(Field("user", "active"), "eq", True, case_exact=False)
