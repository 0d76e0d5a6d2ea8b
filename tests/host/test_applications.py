"""Tests of opening an application of the standalone host."""

from __future__ import annotations

from pathlib import Path

import pytest

from lime_scim.config import load_config
from lime_scim.host.applications import open_application
from lime_scim.mapping.resolver import MappingError
from tests.support.server import write_config

_BROKEN_DATAMODEL = """\
limetypes:
  coworker:
    table_label: company
    properties:
      name: {type: string, label: Name, length: 128}
"""


def test_mapping_error_creates_no_database(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(_BROKEN_DATAMODEL)
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"crm": {
        "config": {"scim": {"enabled": True, "datamodel": "broken.yaml"}},
        "secrets": {"scim": {"token": "t" * 128}},
    }})
    config = load_config(config_path)

    with pytest.raises(MappingError) as raised:
        open_application(config, config.applications["crm"])

    assert "table label" in str(raised.value)
    assert not (tmp_path / "crm.sqlite3").exists()
