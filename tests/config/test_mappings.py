"""Tests of the coworker_limetype and mappings keys of the scim config section."""

from __future__ import annotations

from pathlib import Path

import pytest

from lime_scim.config import ConfigError, ExtraMapping, parse_config

_TEMPLATE = """\
crm:
  config:
    scim:
      enabled: true
      coworker_limetype: staff
      mappings:
{mappings}
  secrets:
    scim:
      token: abcdef0123456789
"""


def _parse(mappings: str) -> object:
    text = _TEMPLATE.format(mappings=mappings)
    return parse_config(text, source="app.yaml", base_dir=Path("/tmp")).applications["crm"]


def test_mappings_read_each_target_kind() -> None:
    settings = _parse(
        "        nickName: {label: Nickname}\n"
        "        urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department: {property: dept}\n"
        "        locale: {user_column: fullname}\n"
    )

    assert settings.mappings == (  # type: ignore[attr-defined]
        ExtraMapping("nickName", label="Nickname"),
        ExtraMapping("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", property="dept"),
        ExtraMapping("locale", user_column="fullname"),
    )
    assert settings.coworker_limetype == "staff"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("mappings", "expected"),
    [
        ("        nickName: Nickname\n", "must be a mapping with one target"),
        ("        nickName: {label: a, property: b}\n", "exactly one target, got 2"),
        ("        nickName: {}\n", "exactly one target, got 0"),
        ("        nickName: {lable: a}\n", "unknown key lable"),
        ("        nickName: {label: 3}\n", "must be non-empty text"),
        ("        nickName: {label: ' '}\n", "must be non-empty text"),
    ],
)
def test_mappings_invalid_target_rejected(mappings: str, expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _parse(mappings)

    message = str(raised.value)
    assert expected in message
    assert "crm.config.scim.mappings.nickName" in message
    assert "{label: <field label>}" in message


def test_mappings_list_rejected() -> None:
    text = _TEMPLATE.format(mappings="        - nickName\n")

    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="app.yaml", base_dir=Path("/tmp"))

    assert "crm.config.scim.mappings must be a mapping" in str(raised.value)
