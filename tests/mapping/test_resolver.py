"""Tests of the label-driven resolver on hand-made datamodels."""

from __future__ import annotations

import pytest

from lime_scim.mapping.labels import normalize_label
from lime_scim.config import ExtraMapping
from lime_scim.mapping.resolver import (
    DEFAULT_USER_MAPPING,
    MappingError,
    find_coworker_limetype,
    resolve_user_mapping,
)
from lime_scim.objectapi.port import LimetypeInfo, PropertyInfo


def _limetype(name: str, table_label: str | None, *props: PropertyInfo) -> LimetypeInfo:
    return LimetypeInfo(name, table_label, {prop.name: prop for prop in props})


def _coworker(*extra: PropertyInfo, table_label: str = "user") -> LimetypeInfo:
    return _limetype(
        "coworker", table_label,
        PropertyInfo("username", "user"),
        PropertyInfo("fullname_field", "string", label="Name"),
        PropertyInfo("surname", "string", label="lastname"),
        PropertyInfo("mail", "link", label="Email"),
        PropertyInfo("mail_private", "link", label="secondaryemailaddress"),
        PropertyInfo("disabled", "yesno", label="Inactive"),
        PropertyInfo("boss", "belongsto", label="Responsible Co-worker", related_limetype="coworker"),
        *extra,
    )


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Job Title", "jobtitle"),
        ("jobtitle", "jobtitle"),
        ("Email", "primaryemailaddress"),
        ("Email 2", "secondaryemailaddress"),
        ("Responsible Co-worker", "responsiblecoworker"),
        ("Business Telephone Number", "businesstelephonenumber"),
        ("visitingaddress-zipcode", "visitingaddresszipcode"),
    ],
)
def test_normalize_label_spellings(label: str, key: str) -> None:
    assert normalize_label(label) == key


def test_resolver_finds_properties_by_label() -> None:
    mapping = resolve_user_mapping({"coworker": _coworker()})

    by_path = {r.path: r.property.name if r.property else None for r in mapping.attributes}
    assert by_path["displayName"] == "fullname_field"
    assert by_path["name.familyName"] == "surname"
    assert by_path['emails[type eq "work"].value'] == "mail"
    assert by_path['emails[type eq "home"].value'] == "mail_private"
    assert by_path["active"] == "disabled"
    assert by_path["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"] == "boss"
    assert mapping.link_property == "username"


def test_resolver_reports_missing_labels() -> None:
    mapping = resolve_user_mapping({"coworker": _coworker()})

    missing = {r.path for r in mapping.missing_labels}
    assert "title" in missing
    assert "name.givenName" in missing
    assert 'phoneNumbers[type eq "mobile"].value' in missing
    assert "displayName" not in missing


def test_resolver_user_columns_stay_stored_without_labels() -> None:
    mapping = resolve_user_mapping({"coworker": _coworker()})

    stored = {r.path for r in mapping.stored_attributes}
    assert {"userName", "externalId", "active", "displayName"} <= stored
    assert "title" not in stored


def test_resolver_lists_unfillable_required_property() -> None:
    required = PropertyInfo("office", "string", required=True)
    defaulted = PropertyInfo("region", "string", required=True, default="north")

    mapping = resolve_user_mapping({"coworker": _coworker(required, defaulted)})

    assert [prop.name for prop in mapping.unfillable] == ["office"]


def test_coworker_found_by_label_coworker() -> None:
    limetypes = {"person": _limetype("person", "person"), "staff": _coworker(table_label="coworker")}

    assert find_coworker_limetype(limetypes).name == "coworker"


def test_coworker_missing_names_limetypes() -> None:
    with pytest.raises(MappingError) as raised:
        find_coworker_limetype({"person": _limetype("person", "person")})

    assert "person" in str(raised.value)
    assert "table label" in str(raised.value)


def test_coworker_twice_is_error() -> None:
    limetypes = {"a": _limetype("a", "user"), "b": _limetype("b", "coworker")}

    with pytest.raises(MappingError) as raised:
        find_coworker_limetype(limetypes)

    assert "a, b" in str(raised.value)


def test_duplicate_label_names_both_properties() -> None:
    twin = PropertyInfo("mail2", "link", label="primaryemailaddress")

    with pytest.raises(MappingError) as raised:
        resolve_user_mapping({"coworker": _coworker(twin)})

    assert "mail" in str(raised.value)
    assert "mail2" in str(raised.value)


def test_missing_user_link_is_error() -> None:
    limetypes = {"coworker": _limetype("coworker", "user", PropertyInfo("name", "string", label="Name"))}

    with pytest.raises(MappingError) as raised:
        resolve_user_mapping(limetypes)

    assert "type user" in str(raised.value)


def test_default_mapping_covers_design_table() -> None:
    paths = {row.path for row in DEFAULT_USER_MAPPING}

    assert len(paths) == 13
    assert 'phoneNumbers[type eq "home"].value' in paths


def test_coworker_limetype_override_by_name() -> None:
    limetypes = {"staff": _coworker(table_label="person"), "other": _limetype("other", "user")}

    mapping = resolve_user_mapping(limetypes, coworker_limetype="staff")

    assert mapping.coworker.name == "coworker"


def test_coworker_limetype_override_unknown() -> None:
    with pytest.raises(MappingError) as raised:
        resolve_user_mapping({"coworker": _coworker()}, coworker_limetype="staff")

    assert "'staff'" in str(raised.value)
    assert "coworker" in str(raised.value)


def test_extra_mapping_by_label_and_property() -> None:
    nick = PropertyInfo("nick", "string", label="Nickname")
    dept = PropertyInfo("dept", "string")
    extra = (
        ExtraMapping("nickName", label="nickname"),
        ExtraMapping("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", property="dept"),
    )

    mapping = resolve_user_mapping({"coworker": _coworker(nick, dept)}, extra=extra)

    assert mapping.attribute("nickName").property.name == "nick"  # type: ignore[union-attr]
    department = mapping.attribute("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")
    assert department is not None
    assert department.property is not None
    assert department.property.name == "dept"


def test_extra_mapping_replaces_default_row() -> None:
    job = PropertyInfo("role", "string")

    mapping = resolve_user_mapping({"coworker": _coworker(job)}, extra=(ExtraMapping("title", property="role"),))

    titles = [r for r in mapping.attributes if r.path == "title"]
    assert len(titles) == 1
    assert titles[0].property is not None
    assert titles[0].property.name == "role"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (ExtraMapping("nickName", label="Nickname"), "a property labelled 'nickname'"),
        (ExtraMapping("nickName", property="nick"), "the property 'nick'"),
        (ExtraMapping("nickName", user_column="email"), "[user] column 'email'"),
        (ExtraMapping("nickName", property="username"), "cannot hold a SCIM attribute value"),
        (ExtraMapping("nickName", property="surname"), "Both 'name.familyName' and 'nickName'"),
    ],
)
def test_extra_mapping_pointing_at_nothing(extra: ExtraMapping, expected: str) -> None:
    with pytest.raises(MappingError) as raised:
        resolve_user_mapping({"coworker": _coworker()}, extra=(extra,))

    assert expected in str(raised.value)
