"""Tests of the YAML datamodel loader and of the datamodel that ships with the package."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lime_scim.objectapi.datamodel import DatamodelError, default_datamodel_path, load_datamodel
from lime_scim.objectapi.port import LimetypeInfo


def write_datamodel(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "datamodel.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def one_property(definition: str, *, name: str = "prop", extra: str = "") -> str:
    """Return a datamodel with limetype "thing" holding one property ``name``."""
    return (
        "limetypes:\n"
        "  thing:\n"
        "    table_label: thing\n"
        "    properties:\n"
        f"      {name}: {definition}\n"
        f"{extra}"
    )


@pytest.fixture(scope="module")
def default_model() -> dict[str, LimetypeInfo]:
    return load_datamodel(default_datamodel_path())


# --- the default datamodel


def test_default_path_exists() -> None:
    assert default_datamodel_path().is_file()


def test_default_coworker_table_label(default_model: dict[str, LimetypeInfo]) -> None:
    assert default_model["coworker"].table_label == "user"


@pytest.mark.parametrize(
    ("name", "property_type", "label"),
    [
        ("name", "string", "Name"),
        ("firstname", "string", "First Name"),
        ("lastname", "string", "Last Name"),
        ("email", "link", "Email"),
        ("email2", "link", "Email 2"),
        ("title", "string", "Job Title"),
        ("phone", "phone", "Business Telephone Number"),
        ("mobilephone", "phone", "Mobile Telephone Number"),
        ("homephone", "phone", "Home Telephone Number"),
        ("inactive", "yesno", "Inactive"),
        ("username", "user", None),
        ("manager", "belongsto", "Responsible Co-worker"),
        ("office", "string", None),
    ],
)
def test_default_coworker_property(
    default_model: dict[str, LimetypeInfo], name: str, property_type: str, label: str | None
) -> None:
    prop = default_model["coworker"].properties[name]
    assert prop.type == property_type
    assert prop.label == label


def test_default_inactive_defaults_to_false(default_model: dict[str, LimetypeInfo]) -> None:
    assert default_model["coworker"].properties["inactive"].default is False


def test_default_manager_points_at_coworker(default_model: dict[str, LimetypeInfo]) -> None:
    assert default_model["coworker"].properties["manager"].related_limetype == "coworker"


@pytest.mark.parametrize("name", ["name", "firstname", "lastname", "email", "title", "phone"])
def test_default_string_properties_have_length(
    default_model: dict[str, LimetypeInfo], name: str
) -> None:
    assert default_model["coworker"].properties[name].length in (128, 256)


def test_default_has_second_limetype(default_model: dict[str, LimetypeInfo]) -> None:
    assert "company" in default_model


def test_properties_are_read_only(default_model: dict[str, LimetypeInfo]) -> None:
    with pytest.raises(TypeError):
        default_model["coworker"].properties["extra"] = None  # type: ignore[index]


# --- valid files


def test_load_all_property_types(tmp_path: Path) -> None:
    path = write_datamodel(
        tmp_path,
        """
        limetypes:
          thing:
            table_label: null
            properties:
              a: {type: string, length: 10, default: "x"}
              b: {type: text}
              c: {type: phone}
              d: {type: link}
              e: {type: yesno, default: true}
              f: {type: integer, default: 3}
              g: {type: decimal, default: 2.5}
              h: {type: time, default: 2024-01-31T12:00:00Z}
              i: {type: option, default: open}
              j: {type: user}
              k: {type: belongsto, related: thing, required: true}
        """,
    )
    thing = load_datamodel(path)["thing"]
    assert thing.table_label is None
    assert [prop.type for prop in thing.properties.values()] == [
        "string",
        "text",
        "phone",
        "link",
        "yesno",
        "integer",
        "decimal",
        "time",
        "option",
        "user",
        "belongsto",
    ]
    assert thing.properties["h"].default == datetime(2024, 1, 31, 12, tzinfo=timezone.utc)
    assert thing.properties["k"].required is True


# --- errors


def test_missing_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(DatamodelError) as caught:
        load_datamodel(path)
    assert str(path) in str(caught.value)
    assert "cannot read" in str(caught.value)


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(DatamodelError, match="cannot read"):
        load_datamodel(tmp_path)


def test_invalid_yaml_gives_line(tmp_path: Path) -> None:
    path = write_datamodel(tmp_path, "limetypes:\n  thing: [unclosed\n")
    with pytest.raises(DatamodelError) as caught:
        load_datamodel(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert "invalid YAML at line" in message
    assert "\n" not in message


def test_invalid_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "datamodel.yaml"
    path.write_bytes(b"limetypes: \xff\n")
    with pytest.raises(DatamodelError, match="not valid UTF-8"):
        load_datamodel(path)


# Each case: datamodel text, then fragments that the message must contain.
ERROR_CASES = {
    "top level list": ("- a\n- b\n", ["single key 'limetypes'"]),
    "empty file": ("", ["single key 'limetypes'"]),
    "extra top-level key": ("limetypes: {}\nother: 1\n", ["single key 'limetypes'"]),
    "no limetypes": ("limetypes: {}\n", ["non-empty mapping"]),
    "limetype not mapping": ("limetypes:\n  thing: 5\n", ["limetype 'thing'", "must be a mapping"]),
    "unknown limetype key": (
        "limetypes:\n  thing:\n    tabel_label: x\n    properties: {a: {type: text}}\n",
        ["limetype 'thing'", "unknown keys ['tabel_label']"],
    ),
    "empty table label": (
        "limetypes:\n  thing:\n    table_label: ''\n    properties: {a: {type: text}}\n",
        ["limetype 'thing'", "'table_label'"],
    ),
    "properties missing": (
        "limetypes:\n  thing:\n    table_label: x\n",
        ["limetype 'thing'", "'properties'"],
    ),
    "property not mapping": (one_property("text"), ["property 'prop'", "must be a mapping"]),
    "unknown property key": (
        one_property("{type: string, lenght: 5}"),
        ["limetype 'thing'", "property 'prop'", "unknown keys ['lenght']"],
    ),
    "type missing": (one_property("{label: Name}"), ["property 'prop'", "'type' is missing"]),
    "unknown type": (
        one_property("{type: url}"),
        ["limetype 'thing'", "property 'prop'", "unknown type 'url'", "use one of", "belongsto"],
    ),
    "empty label": (one_property("{type: string, label: ''}"), ["property 'prop'", "'label'"]),
    "required not bool": (
        one_property("{type: string, required: 'yes'}"),
        ["property 'prop'", "'required' must be true or false"],
    ),
    "zero length": (
        one_property("{type: string, length: 0}"),
        ["limetype 'thing'", "property 'prop'", "'length' must be a positive integer"],
    ),
    "negative length": (
        one_property("{type: string, length: -5}"),
        ["property 'prop'", "'length' must be a positive integer"],
    ),
    "boolean length": (
        one_property("{type: string, length: true}"),
        ["property 'prop'", "'length' must be a positive integer"],
    ),
    "length on yesno": (
        one_property("{type: yesno, length: 5}"),
        ["property 'prop'", "'length' applies only"],
    ),
    "belongsto without related": (
        one_property("{type: belongsto}"),
        ["property 'prop'", "needs 'related'"],
    ),
    "belongsto unknown limetype": (
        one_property("{type: belongsto, related: nowhere}"),
        ["limetype 'thing'", "property 'prop'", "unknown limetype 'nowhere'", "use one of thing"],
    ),
    "related on string": (
        one_property("{type: string, related: thing}"),
        ["property 'prop'", "'related' applies only"],
    ),
    "yesno default string": (
        one_property("{type: yesno, default: 'yes'}"),
        ["limetype 'thing'", "property 'prop'", "does not fit type yesno", "true or false"],
    ),
    "integer default string": (
        one_property("{type: integer, default: '1'}"),
        ["property 'prop'", "does not fit type integer"],
    ),
    "integer default bool": (
        one_property("{type: integer, default: true}"),
        ["property 'prop'", "does not fit type integer"],
    ),
    "decimal default bool": (
        one_property("{type: decimal, default: false}"),
        ["property 'prop'", "does not fit type decimal"],
    ),
    "decimal default infinite": (
        one_property("{type: decimal, default: .inf}"),
        ["property 'prop'", "does not fit type decimal"],
    ),
    "string default number": (
        one_property("{type: string, default: 5}"),
        ["property 'prop'", "does not fit type string"],
    ),
    "time default naive": (
        one_property("{type: time, default: 2024-01-31 12:00:00}"),
        ["property 'prop'", "does not fit type time", "time zone"],
    ),
    "default longer than length": (
        one_property("{type: string, length: 3, default: abcd}"),
        ["property 'prop'", "longer than the length 3"],
    ),
    "default on relation": (
        one_property("{type: user, default: 1001}"),
        ["property 'prop'", "cannot have a default"],
    ),
    "property name with space": (
        one_property("{type: string}", name="'first name'"),
        ["limetype 'thing'", "property name 'first name' is not a valid identifier"],
    ),
    "property name with digit first": (
        one_property("{type: string}", name="'1st'"),
        ["property name '1st' is not a valid identifier"],
    ),
    "property name with SQL": (
        one_property("{type: string}", name="'x; DROP TABLE y'"),
        ["is not a valid identifier"],
    ),
    "property name not string": (
        one_property("{type: string}", name="5"),
        ["property name 5 is not a valid identifier"],
    ),
    "property name too long": (
        one_property("{type: string}", name="p" * 64),
        ["longer than 63 characters"],
    ),
    "property named id": (
        one_property("{type: string}", name="ID"),
        ["property 'ID'", "reserved for the record id"],
    ),
    "properties differ in case": (
        one_property("{type: string}", name="email", extra="      Email: {type: string}\n"),
        ["property 'Email'", "same name as 'email'"],
    ),
    "limetype name invalid": (
        "limetypes:\n  'my-thing':\n    properties: {a: {type: text}}\n",
        ["limetype name 'my-thing' is not a valid identifier"],
    ),
    "limetypes differ in case": (
        "limetypes:\n  thing:\n    properties: {a: {type: text}}\n"
        "  Thing:\n    properties: {a: {type: text}}\n",
        ["limetype 'Thing'", "same name as 'thing'"],
    ),
}


@pytest.mark.parametrize(("text", "fragments"), ERROR_CASES.values(), ids=ERROR_CASES.keys())
def test_invalid_datamodel_message(tmp_path: Path, text: str, fragments: list[str]) -> None:
    path = write_datamodel(tmp_path, text)
    with pytest.raises(DatamodelError) as caught:
        load_datamodel(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
