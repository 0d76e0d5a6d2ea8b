"""Tests of ``lime-scim check``, run through the installed console script.

Each test writes a config file (and where needed a datamodel and a store) in a temporary
folder, runs the command, and checks its exit status and the line of each finding. Test
Connection runs against ``lime-scim serve`` processes and small HTTP servers that the tests
start on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
import http.server
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.sqlstore import create_object_api
from tests.support.server import HOST, console_script, free_port, running_server, write_config

TOKEN = "c0ffee" + "12" * 61
OTHER_TOKEN = "beef" + "34" * 62
MEDIUM_TOKEN = "5eed" * 16
SUBPROCESS_TIMEOUT_SECONDS = 60
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "datamodels"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CUSTOM = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User"
# Every token a test writes into a config. None may appear in any output.
SECRETS = (TOKEN, OTHER_TOKEN, MEDIUM_TOKEN, "abc", "pw-s3cret-9271")


def run_check(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``lime-scim check`` and assert that no configured secret is in its output."""
    result = subprocess.run(
        [str(console_script()), "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    return result


def line(result: subprocess.CompletedProcess[str], start: str) -> str:
    """Return the one output line that starts with ``start`` after its indentation."""
    found = [text.strip() for text in result.stdout.splitlines() if text.strip().startswith(start)]
    if len(found) != 1:
        pytest.fail(f"{len(found)} lines start with {start!r} in the output:\n{result.stdout}{result.stderr}")
    return found[0]


def has_line(result: subprocess.CompletedProcess[str], start: str) -> bool:
    return any(text.strip().startswith(start) for text in result.stdout.splitlines())


def scim_entry(*, token: str | None = TOKEN, enabled: bool = True, legacy_ids: bool = False,
               **scim: Any) -> dict[str, Any]:
    """Return one application's config entry, with ``scim`` added to its config.scim."""
    config = {"enabled": enabled, "use_legacy_resource_ids": legacy_ids, **scim}
    secrets = {} if token is None else {"token": token}
    return {"config": {"scim": config}, "secrets": {"scim": secrets}}


def write_app(folder: Path, **scim: Any) -> Path:
    """Write a config with the one application ``crm`` and return its path."""
    path = folder / "application_config.yaml"
    write_config(path, {"crm": scim_entry(**scim)})
    return path


def write_datamodel(folder: Path, limetypes: Mapping[str, Any], name: str = "datamodel.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump({"limetypes": dict(limetypes)}, sort_keys=False), encoding="utf-8")
    return path


def coworker_properties(**changes: Any) -> dict[str, Any]:
    """Return the packaged coworker properties, with ``changes`` replacing or adding some."""
    document = yaml.safe_load(default_datamodel_path().read_text(encoding="utf-8"))
    properties = dict(document["limetypes"]["coworker"]["properties"])
    for name, definition in changes.items():
        if definition is None:
            properties.pop(name, None)
        else:
            properties[name] = definition
    return properties


def seed_store(database: Path, *, usernames: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> None:
    """Create the store at ``database`` with the default datamodel, and insert users and groups."""
    api = create_object_api(f"sqlite:///{database.as_posix()}", load_datamodel(default_datamodel_path()))
    try:
        with api.unit_of_work(write=True) as uow:
            for username in usernames:
                uow.insert_user(username=username)
            for name in groups:
                uow.insert_group(name=name)
    finally:
        api.close()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------------------------
# Output format


def test_output_grouped_with_summary(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    write_config(config, {
        "crm": scim_entry(token=MEDIUM_TOKEN),
        "archive": scim_entry(enabled=False),
    })

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        f"Config file {config}",
        "  OK       config: the file is valid. Applications: crm, archive.",
        "  INFO     application archive: not checked because archive.config.scim.enabled is false. "
        "Fix: pass --application archive to check it anyway.",
        "",
        "Application crm",
        "  OK       scim.enabled: true, so the server serves this application.",
        "  WARNING  token: the token has 64 characters, fewer than the 128 that lime-scim token "
        "generates. Fix: generate a token with lime-scim token, set it as crm.secrets.scim.token, "
        "and enter the same token as Secret Token in Entra.",
        "  OK       use_legacy_resource_ids: false, so SCIM ids are opaque and unique across users "
        "and groups.",
        "  OK       datamodel: the packaged default datamodel loaded, with the limetypes company, "
        "coworker.",
        "  OK       coworker limetype: 'coworker', found by its table label 'user', linked to [user] "
        "by its property 'username'.",
        "  OK       labels: all 11 labels of the mapping are on properties of 'coworker'.",
        f"  INFO     data: the SQLite file {tmp_path / 'crm.sqlite3'} does not exist yet, so there is "
        "no data to check. lime-scim serve creates it on its first start.",
        "",
        "Summary: 0 errors, 1 warning in 1 application; check passed.",
    ]


def test_summary_counts_errors_and_warnings(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    write_config(config, {
        "crm": scim_entry(token="abc", legacy_ids=True),
        "sales": scim_entry(token=MEDIUM_TOKEN),
    })

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == "Summary: 1 error, 2 warnings in 2 applications; check failed."
    assert has_line(result, "Application crm")
    assert has_line(result, "Application sales")


def test_help_lists_check() -> None:
    result = subprocess.run([str(console_script()), "check", "--help"], capture_output=True, text=True,
                            timeout=SUBPROCESS_TIMEOUT_SECONDS, check=False)

    assert result.returncode == 0
    assert "--url TENANT_URL" in result.stdout
    assert "--application NAME" in result.stdout


# ----------------------------------------------------------------------------------------------
# Config


def test_missing_config_file_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    result = run_check("--config", str(missing))

    assert result.returncode == 1
    assert line(result, "ERROR") == f"ERROR    config: {missing}: file not found. Check the path, or create the file."
    assert result.stdout.splitlines()[-1] == "Summary: 1 error, 0 warnings in 0 applications; check failed."


def test_unreadable_config_error(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    config.write_bytes(b"crm:\n  config: \xff\xfe\n")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR").startswith(f"ERROR    config: {config}: the file is not UTF-8 text")


def test_unknown_key_error(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    write_config(config, {"crm": {"config": {"scim": {"enable": True}}, "secrets": {"scim": {"token": TOKEN}}}})

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR").startswith(
        f"ERROR    config: {config}: crm.config.scim.enable is not a known setting. Did you mean "
        "enabled? Allowed keys in crm.config.scim: enabled, use_legacy_resource_ids, "
    )


def test_wrong_type_error(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    config.write_text("crm:\n  config:\n    scim:\n      enabled: 'yes'\n", encoding="utf-8")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR") == (
        f"ERROR    config: {config}: crm.config.scim.enabled must be true or false, got 'yes'. "
        "Write true or false."
    )


def test_enabled_without_token_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, token=None)

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR").startswith(
        f"ERROR    config: {config}: crm.secrets.scim.token is missing, but crm.config.scim.enabled is true."
    )


def test_ignored_entry_key_info(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    write_config(config, {"crm": {**scim_entry(), "plugins": {"other": True}}})

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "INFO     config:") == (
        f"INFO     config: {config}: crm.plugins is ignored because lime-scim reads only the config "
        "and secrets of an application"
    )


def test_no_enabled_application_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, enabled=False)

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR") == (
        "ERROR    config: no application is enabled, so the server serves none. Fix: set "
        "<application>.config.scim.enabled to true and <application>.secrets.scim.token to a "
        "token from lime-scim token."
    )
    assert not has_line(result, "Application crm")


def test_disabled_application_checked_by_name(tmp_path: Path) -> None:
    config = tmp_path / "application_config.yaml"
    write_config(config, {"crm": scim_entry(), "archive": scim_entry(enabled=False, token=None)})

    result = run_check("--config", str(config), "--application", "archive")

    assert result.returncode == 1
    assert line(result, "ERROR    scim.enabled") == (
        "ERROR    scim.enabled: false, so the server responds with 404 to every request for this "
        "application and Entra's Test Connection fails. Fix: set archive.config.scim.enabled to true."
    )
    assert line(result, "ERROR    token") == (
        "ERROR    token: archive.secrets.scim.token is missing, so every request is rejected with "
        "401. Fix: generate a token with lime-scim token, set it as archive.secrets.scim.token, and "
        "enter the same token as Secret Token in Entra."
    )
    assert not has_line(result, "Application crm")


def test_unknown_application_error(tmp_path: Path) -> None:
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--application", "sales")

    assert result.returncode == 1
    assert line(result, "ERROR") == (
        f"ERROR    config: {config}: the application sales was not found. The file contains: crm. "
        "Use one of these names."
    )


def test_cloud_fragments_named_by_application(tmp_path: Path) -> None:
    config = tmp_path / "fragments.yaml"
    config.write_text(f"scim:\n  enabled: true\n  use_legacy_resource_ids: false\n---\nscim:\n  token: {TOKEN}\n",
                      encoding="utf-8")

    result = run_check("--config", str(config), "--application", "lime")

    assert result.returncode == 0
    assert has_line(result, "Application lime")
    assert line(result, "OK       token") == "OK       token: present, 128 characters."


@pytest.mark.parametrize(("length", "severity", "status"), [
    (128, "OK", 0),
    (200, "OK", 0),
    (127, "WARNING", 0),
    (32, "WARNING", 0),
    (31, "ERROR", 1),
])
def test_token_length(tmp_path: Path, length: int, severity: str, status: int) -> None:
    token = ("0123456789abcdef" * 13)[:length]
    config = write_app(tmp_path, token=token)

    result = run_check("--config", str(config))

    assert result.returncode == status
    assert line(result, f"{severity:<7}  token:")
    assert token not in result.stdout


def test_short_token_error_message(tmp_path: Path) -> None:
    config = write_app(tmp_path, token="abc")

    result = run_check("--config", str(config))

    assert line(result, "ERROR    token") == (
        "ERROR    token: the token has 3 characters, fewer than 32, which is too short to resist "
        "guessing. Fix: generate a token with lime-scim token, set it as crm.secrets.scim.token, "
        "and enter the same token as Secret Token in Entra."
    )


def test_legacy_ids_shared_record_id_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, legacy_ids=True)
    seed_store(tmp_path / "crm.sqlite3", usernames=("ann@contoso.se", "bo@contoso.se"), groups=("Sales",))

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    use_legacy_resource_ids") == (
        "ERROR    use_legacy_resource_ids: true, and 1 record id is used by a user and a group alike "
        "(user 'ann@contoso.se' and group 'Sales' are both 1001). With legacy ids these are also "
        "their SCIM ids, which makes Entra fail with DuplicateTargetEntries. Fix: set "
        "crm.config.scim.use_legacy_resource_ids to false, which gives every user and group an "
        "opaque id and keeps the record ids Entra knows working. Then restart provisioning in "
        "Entra to clear the errors it has recorded."
    )


def test_legacy_ids_without_shared_id_warning(tmp_path: Path) -> None:
    config = write_app(tmp_path, legacy_ids=True)
    seed_store(tmp_path / "crm.sqlite3", usernames=("ann@contoso.se",))

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "WARNING  use_legacy_resource_ids") == (
        "WARNING  use_legacy_resource_ids: true, so SCIM ids are record ids. A user and a group can "
        "get the same record id, and Entra then fails with DuplicateTargetEntries. Fix: set "
        "crm.config.scim.use_legacy_resource_ids to false. Record ids that Entra already knows keep "
        "working."
    )


def test_opaque_ids_ignore_shared_record_id(tmp_path: Path) -> None:
    config = write_app(tmp_path, legacy_ids=False)
    seed_store(tmp_path / "crm.sqlite3", usernames=("ann@contoso.se",), groups=("Sales",))

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "OK       use_legacy_resource_ids").startswith("OK       use_legacy_resource_ids: false")


# ----------------------------------------------------------------------------------------------
# Datamodel and mapping


def test_datamodel_file_missing_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel="nope.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    datamodel") == (
        f"ERROR    datamodel: {tmp_path / 'nope.yaml'}: cannot read the datamodel file (No such file "
        "or directory); check the path and its permissions"
    )
    assert line(result, "INFO     data:") == "INFO     data: not checked, because the datamodel did not load."


def test_datamodel_invalid_yaml_error(tmp_path: Path) -> None:
    (tmp_path / "datamodel.yaml").write_text("limetypes: [unclosed\n", encoding="utf-8")
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    datamodel").startswith(
        f"ERROR    datamodel: {tmp_path / 'datamodel.yaml'}: invalid YAML at line 2"
    )


def test_coworker_limetype_not_found_error(tmp_path: Path) -> None:
    write_datamodel(tmp_path, {
        "staff": {"table_label": None, "properties": coworker_properties(
            manager={"type": "belongsto", "related": "staff", "label": "Responsible Co-worker"},
        )},
        "company": {"table_label": "company", "properties": {"name": {"type": "string"}}},
    })
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    coworker limetype") == (
        "ERROR    coworker limetype: No limetype has the table label 'user' or 'coworker' "
        "(limetypes: company, staff). Give the coworker limetype one of these table labels in "
        "LISA, or set coworker_limetype in the scim config."
    )


def test_two_coworker_limetypes_error(tmp_path: Path) -> None:
    write_datamodel(tmp_path, {
        "coworker": {"table_label": "user", "properties": coworker_properties()},
        "person": {"table_label": "Coworker", "properties": {"name": {"type": "string"}}},
    })
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    coworker limetype") == (
        "ERROR    coworker limetype: Several limetypes have the table label 'user' or 'coworker': "
        "coworker, person. Keep the label on the coworker limetype only, or set coworker_limetype "
        "in the scim config."
    )


def test_configured_coworker_limetype_found(tmp_path: Path) -> None:
    write_datamodel(tmp_path, {"staff": {"table_label": "employee", "properties": coworker_properties(
        manager={"type": "belongsto", "related": "staff", "label": "Responsible Co-worker"},
    )}})
    config = write_app(tmp_path, datamodel="datamodel.yaml", coworker_limetype="staff")

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "OK       coworker limetype") == (
        "OK       coworker limetype: 'staff', named by coworker_limetype, linked to [user] by its "
        "property 'username'."
    )


def test_configured_coworker_limetype_unknown_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, coworker_limetype="staff")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    coworker limetype") == (
        "ERROR    coworker limetype: The configured coworker_limetype 'staff' is not in the "
        "datamodel (limetypes: company, coworker). Set it to the coworker limetype's name."
    )


def test_coworker_without_user_link_error(tmp_path: Path) -> None:
    write_datamodel(tmp_path, {"coworker": {"table_label": "user",
                                            "properties": coworker_properties(username=None)}})
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    coworker limetype") == (
        "ERROR    coworker limetype: The coworker limetype 'coworker' has no property of type user, "
        "so coworkers cannot be linked to their [user] rows. Add one (usually named 'username')."
    )


def test_missing_labels_warned(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "missing_labels_with_default.yaml"))

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "WARNING  label jobtitle") == (
        "WARNING  label jobtitle: no property of 'coworker' has the label 'Job Title' (key "
        "jobtitle), so title is not stored. Values that Entra sends for it are accepted and "
        "ignored, and responses leave it out. Fix: give the coworker property that should store "
        "it the field label 'Job Title' (key jobtitle) in LISA (in the datamodel file: label), or "
        "remove the attribute from the attribute mapping in Entra so that Entra stops sending it."
    )
    assert line(result, "WARNING  label hometelephonenumber").startswith(
        "WARNING  label hometelephonenumber: no property of 'coworker' has the label 'Home "
        "Telephone Number' (key hometelephonenumber), so phoneNumbers[type eq \"home\"].value is "
        "not stored."
    )
    assert not has_line(result, "OK       labels")
    assert not has_line(result, "ERROR")


def test_missing_name_label_keeps_user_column(tmp_path: Path) -> None:
    properties = coworker_properties(name={"type": "string", "length": 256})
    write_datamodel(tmp_path, {"coworker": {"table_label": "user", "properties": properties}})
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert line(result, "WARNING  label name").startswith(
        "WARNING  label name: no property of 'coworker' has the label 'Name', so displayName is "
        "stored only in the [user] column fullname, not on the coworker."
    )


def test_duplicate_label_error(tmp_path: Path) -> None:
    properties = coworker_properties(email_old={"type": "link", "label": "primaryemailaddress"})
    write_datamodel(tmp_path, {"coworker": {"table_label": "user", "properties": properties}})
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    duplicate label") == (
        "ERROR    duplicate label: the label 'Email' (key primaryemailaddress) is on 2 properties "
        "of 'coworker': 'email' and 'email_old'. The server does not start, because it cannot "
        "tell which property stores the attribute. Fix: remove the label from all but one of "
        "them in LISA (in the datamodel file: label)."
    )
    assert line(result, "INFO     mapping") == (
        "INFO     mapping: labels, required properties and mappings are checked once each label "
        "is on one property."
    )


def test_required_property_without_default_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "missing_labels_without_default.yaml"))

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    required property") == (
        "ERROR    required property: 'coworker.region' is required and has no default and no "
        "mapped label, so every user create fails with 400. Fix: give 'region' a default in the "
        "datamodel, or a field label of the mapping, or map a SCIM attribute to it under mappings "
        "in the scim config."
    )


def test_required_property_with_default_passes(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "missing_labels_with_default.yaml"))

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert not has_line(result, "ERROR")


def test_required_property_filled_by_mapping(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "missing_labels_without_default.yaml"),
                       mappings={"locale": {"property": "region"}})

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "OK       mappings.locale") == (
        "OK       mappings.locale: stored in the property 'region' (string)."
    )


def test_renamed_datamodel_passes(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "renamed.yaml"))

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "OK       coworker limetype") == (
        "OK       coworker limetype: 'medarbetare', found by its table label 'coworker', linked to "
        "[user] by its property 'anvandare'."
    )
    assert line(result, "OK       labels") == (
        "OK       labels: all 11 labels of the mapping are on properties of 'medarbetare'."
    )


def test_extra_mappings_valid_ok(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "renamed.yaml"), mappings={
        f"{ENTERPRISE}:department": {"label": "Department"},
        f"{ENTERPRISE}:employeeNumber": {"property": "anstallningsnummer"},
        'addresses[type eq "work"].locality': {"property": "kontor"},
        f"{CUSTOM}:nickName": {"property": "title"},
    })

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, f"OK       mappings.{ENTERPRISE}:department") == (
        f"OK       mappings.{ENTERPRISE}:department: stored in the property 'avdelning' (string)."
    )
    assert line(result, f"OK       mappings.{ENTERPRISE}:employeeNumber") == (
        f"OK       mappings.{ENTERPRISE}:employeeNumber: stored in the property 'anstallningsnummer' "
        "(integer)."
    )
    assert line(result, "OK       mappings.addresses") == (
        'OK       mappings.addresses[type eq "work"].locality: stored in the property \'kontor\' (string).'
    )
    assert line(result, f"OK       mappings.{CUSTOM}:nickName") == (
        f"OK       mappings.{CUSTOM}:nickName: stored in the property 'title' (string)."
    )


def test_replacing_mapping_takes_default_path(tmp_path: Path) -> None:
    config = write_app(tmp_path, datamodel=str(FIXTURES / "missing_labels_with_default.yaml"),
                       mappings={"title": {"property": "title"}})

    result = run_check("--config", str(config))

    assert line(result, "OK       mappings.title") == "OK       mappings.title: stored in the property 'title' (string)."
    assert not has_line(result, "WARNING  label jobtitle")


@pytest.mark.parametrize(("attribute", "target", "expected"), [
    ("nickName", {"label": "Nickname"},
     "ERROR    mappings.nickName: The mapping of 'nickName' points at a property labelled "
     "'nickname', which the coworker limetype 'coworker' does not have. Fix the label or property "
     "name, or remove the mapping."),
    ("nickName", {"property": "nick"},
     "ERROR    mappings.nickName: The mapping of 'nickName' points at the property 'nick', which "
     "the coworker limetype 'coworker' does not have. Fix the label or property name, or remove "
     "the mapping."),
    ("nickName", {"user_column": "nickname"},
     "ERROR    mappings.nickName: The mapping of 'nickName' names the [user] column 'nickname', "
     "which does not exist. Use one of username, fullname, active, external_id."),
    ("nickName", {"property": "username"},
     "ERROR    mappings.nickName: The mapping of 'nickName' points at 'username', a user property, "
     "which cannot hold a SCIM attribute value. Map it to a text, number or yes/no property."),
    ("shoeSize", {"property": "office"},
     "ERROR    mappings.shoeSize: 'shoeSize' is not a SCIM User attribute this server supports. "
     "Check the spelling against RFC 7643 section 4 or use a custom extension URN."),
    (f"{ENTERPRISE}:shoeSize", {"property": "office"},
     f"ERROR    mappings.{ENTERPRISE}:shoeSize: '{ENTERPRISE}:shoeSize' is not a SCIM User "
     "attribute this server supports. Check the spelling against RFC 7643 section 4 or use a "
     "custom extension URN."),
    ("addresses.locality", {"property": "office"},
     "ERROR    mappings.addresses.locality: 'addresses.locality' must select one element by type, "
     'as in addresses[type eq "work"].locality.'),
], ids=["unknown-label", "unknown-property", "unknown-user-column", "user-link", "unknown-attribute",
        "unknown-enterprise-attribute", "multi-valued-without-type"])
def test_extra_mapping_invalid_error(tmp_path: Path, attribute: str, target: dict[str, str],
                                     expected: str) -> None:
    config = write_app(tmp_path, mappings={attribute: target})

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, f"ERROR    mappings.{attribute}") == expected


def test_mappings_sharing_property_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, mappings={
        "nickName": {"property": "office"},
        "locale": {"property": "office"},
    })

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "OK       mappings.nickName")
    assert line(result, "OK       mappings.locale")
    assert line(result, "ERROR    mappings:") == (
        "ERROR    mappings: Both 'nickName' and 'locale' are mapped to the property 'office'. Map "
        "each attribute to a property of its own."
    )


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    config = write_app(tmp_path, token="abc", datamodel=str(FIXTURES / "missing_labels_without_default.yaml"),
                       mappings={"nickName": {"label": "Nickname"}, "locale": {"property": "nope"}})

    result = run_check("--config", str(config))

    errors = [text for text in result.stdout.splitlines() if text.strip().startswith("ERROR")]
    assert result.returncode == 1
    assert len(errors) == 4
    assert result.stdout.splitlines()[-1] == "Summary: 4 errors, 2 warnings in 1 application; check failed."


# ----------------------------------------------------------------------------------------------
# Data


def insert_without_store(database: Path, *usernames: str) -> None:
    """Insert users with plain sqlite3, whose built-in lower() folds ASCII letters only.

    That is how a database written by other tools can hold usernames that differ only in the
    case of non-ASCII letters, which the store's own unique index rejects.
    """
    connection = sqlite3.connect(database)
    try:
        with connection:
            for username in usernames:
                connection.execute(
                    "INSERT INTO lime_user (username, fullname, active, scim_id, scim_managed, "
                    "scim_deleted, created, updated, version) VALUES (?, '', 1, ?, 0, 0, "
                    "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)",
                    (username, str(uuid.uuid4())),
                )
    finally:
        connection.close()


def test_case_duplicate_usernames_error(tmp_path: Path) -> None:
    config = write_app(tmp_path)
    seed_store(tmp_path / "crm.sqlite3")
    insert_without_store(tmp_path / "crm.sqlite3", "Åsa.Berg@contoso.se", "åsa.berg@contoso.se", "ola@contoso.se")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    usernames") == (
        "ERROR    usernames: 2 usernames differ from another only in letter case: "
        "'Åsa.Berg@contoso.se' (user 1001) and 'åsa.berg@contoso.se' (user 1002). Entra matches "
        "userName without regard to case, so it cannot tell these users apart. A new store's "
        "unique index rejects such names too. "
        "Fix: rename or merge these users in Lime CRM so that each username is unique without "
        "regard to letter case."
    )
    assert line(result, "OK       data:") == "OK       data: read 3 users and 0 groups."


def test_non_email_usernames_warning(tmp_path: Path) -> None:
    config = write_app(tmp_path)
    names = ("admin", "ola@contoso.se", "CONTOSO\\per", "eva@localhost", "a", "b", "c")
    seed_store(tmp_path / "crm.sqlite3", usernames=names)

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "WARNING  usernames") == (
        "WARNING  usernames: 6 usernames are not email addresses: 'admin', 'CONTOSO\\\\per', "
        "'eva@localhost', 'a', 'b' and 1 more. Entra looks users up by their user principal name "
        "(name@domain), so it does not find such users and creates new ones beside them. Fix: set "
        "these usernames to the users' user principal names in Lime CRM, or map userName in Entra "
        "to an attribute that equals them."
    )


def test_clean_usernames_ok(tmp_path: Path) -> None:
    config = write_app(tmp_path)
    seed_store(tmp_path / "crm.sqlite3", usernames=("ann@contoso.se", "bo@sub.contoso.se"), groups=("Sales",))

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "OK       data:") == "OK       data: read 2 users and 1 group."
    assert line(result, "OK       usernames") == (
        "OK       usernames: each username is an email address and unique without regard to letter case."
    )


def test_data_check_writes_nothing(tmp_path: Path) -> None:
    config = write_app(tmp_path)
    database = tmp_path / "crm.sqlite3"
    seed_store(database, usernames=("admin",), groups=("Sales",))
    insert_without_store(database, "Åsa@contoso.se", "åsa@contoso.se")
    before = file_digest(database)

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert file_digest(database) == before


def test_absent_database_not_created(tmp_path: Path) -> None:
    config = write_app(tmp_path)

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "INFO     data:").startswith(
        f"INFO     data: the SQLite file {tmp_path / 'crm.sqlite3'} does not exist yet"
    )
    assert not (tmp_path / "crm.sqlite3").exists()


def test_missing_tables_not_created(tmp_path: Path) -> None:
    seed_store(tmp_path / "crm.sqlite3", usernames=("ann@contoso.se",))
    document = yaml.safe_load(default_datamodel_path().read_text(encoding="utf-8"))
    document["limetypes"]["deal"] = {"table_label": "project", "properties": {"name": {"type": "string"}}}
    write_datamodel(tmp_path, document["limetypes"])
    config = write_app(tmp_path, datamodel="datamodel.yaml")
    before = file_digest(tmp_path / "crm.sqlite3")

    result = run_check("--config", str(config))

    assert result.returncode == 0
    assert line(result, "INFO     data:") == (
        "INFO     data: the database lacks the tables lt_deal, so its data is not checked. "
        "lime-scim serve creates them on its next start."
    )
    assert file_digest(tmp_path / "crm.sqlite3") == before


def test_schema_mismatch_error(tmp_path: Path) -> None:
    seed_store(tmp_path / "crm.sqlite3", usernames=("ann@contoso.se",))
    properties = coworker_properties(nickname={"type": "string", "length": 64})
    document = yaml.safe_load(default_datamodel_path().read_text(encoding="utf-8"))
    write_datamodel(tmp_path, {**document["limetypes"], "coworker": {"table_label": "user", "properties": properties}})
    config = write_app(tmp_path, datamodel="datamodel.yaml")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    data:") == (
        "ERROR    data: table lt_coworker has no columns nickname that the datamodel defines; add "
        "them with ALTER TABLE lt_coworker ADD COLUMN, or remove the properties from the datamodel. "
        "lime-scim serve does not start until the tables match the datamodel."
    )


def test_database_url_directory_missing_error(tmp_path: Path) -> None:
    config = write_app(tmp_path, database_url=f"sqlite:///{(tmp_path / 'nope' / 'crm.sqlite3').as_posix()}")

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "ERROR    database_url") == (
        f"ERROR    database_url: the directory {tmp_path / 'nope'} of the SQLite database does not "
        "exist; create it or change the database URL. Fix: correct database_url in the scim "
        "config or secrets."
    )


def test_database_server_down_error(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "application_config.yaml"
    entry = scim_entry()
    entry["secrets"]["scim"]["database_url"] = f"postgresql://scim:pw-s3cret-9271@{HOST}:{port}/crm"
    write_config(config, {"crm": entry})

    result = run_check("--config", str(config))

    assert result.returncode == 1
    error_line = line(result, "ERROR    data:")
    assert error_line.startswith(f"ERROR    data: cannot read the database postgresql+psycopg://scim:***@{HOST}:{port}/crm: ")
    assert error_line.endswith(
        f"Fix: check database_url and that the database server at "
        f"postgresql+psycopg://scim:***@{HOST}:{port}/crm is running."
    )


def test_postgresql_store_read(tmp_path: Path, postgres_url: str) -> None:
    api = create_object_api(postgres_url, load_datamodel(default_datamodel_path()))
    try:
        with api.unit_of_work(write=True) as uow:
            uow.insert_user(username="ann@contoso.se")
            uow.insert_user(username="service-account")
            uow.insert_group(name="Sales")
    finally:
        api.close()
    config = tmp_path / "application_config.yaml"
    entry = scim_entry(legacy_ids=True)
    entry["secrets"]["scim"]["database_url"] = postgres_url
    write_config(config, {"crm": entry})

    result = run_check("--config", str(config))

    assert result.returncode == 1
    assert line(result, "OK       data:") == "OK       data: read 2 users and 1 group."
    assert line(result, "WARNING  usernames").startswith(
        "WARNING  usernames: 1 username is not an email address: 'service-account'."
    )
    assert line(result, "ERROR    use_legacy_resource_ids").startswith(
        "ERROR    use_legacy_resource_ids: true, and 1 record id is used by a user and a group alike "
        "(user 'ann@contoso.se' and group 'Sales' are both 1001)."
    )


# ----------------------------------------------------------------------------------------------
# Test Connection


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A running server with the applications crm and sales, and its config file."""
    folder = tmp_path_factory.mktemp("served")
    config = folder / "application_config.yaml"
    write_config(config, {"crm": scim_entry(), "sales": scim_entry()})
    with running_server(config) as server:
        yield server.base_url, config


def test_connection_passes(served: tuple[str, Path]) -> None:
    base_url, config = served

    result = run_check("--config", str(config), "--application", "crm", "--url", f"{base_url}/crm/api/v1/scim/")

    assert result.returncode == 0
    assert line(result, "OK       connection").startswith(
        f"OK       connection: Test Connection passed: {base_url}/crm/api/v1/scim responded with 200 with "
        "an empty ListResponse in "
    )


def test_connection_picks_application_from_url(served: tuple[str, Path]) -> None:
    base_url, config = served

    result = run_check("--config", str(config), "--url", f"{base_url}/sales/api/v1/scim")

    sales = result.stdout.split("Application sales", 1)[1]
    assert result.returncode == 0
    assert line(result, "OK       connection")
    assert "connection:" in sales


def test_connection_url_without_application_error(served: tuple[str, Path]) -> None:
    base_url, config = served

    result = run_check("--config", str(config), "--url", f"{base_url}/scim")

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        "ERROR    connection: --url does not name one of the checked applications (crm, sales), so "
        "Test Connection was not run. Fix: pass --application with the application that the URL serves."
    )


def test_connection_wrong_token_401(served: tuple[str, Path], tmp_path: Path) -> None:
    base_url, _ = served
    config = write_app(tmp_path, token=OTHER_TOKEN)

    result = run_check("--config", str(config), "--url", f"{base_url}/crm/api/v1/scim")

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: the server at {base_url}/crm/api/v1/scim responded with 401 (unauthorized): "
        "The bearer token is missing or invalid. Send 'Authorization: Bearer <token>' with the "
        "secret token configured for this application. Fix: the token in secrets.scim.token "
        "differs from the one that server uses. Use the same token in the config of the server, in "
        "this config, and as Secret Token in Entra."
    )


def test_connection_unknown_application_404(served: tuple[str, Path]) -> None:
    base_url, config = served

    result = run_check("--config", str(config), "--application", "crm", "--url", f"{base_url}/nosuch/api/v1/scim")

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: the server at {base_url}/nosuch/api/v1/scim responded with 404 (not found): "
        "No SCIM service is enabled for the application 'nosuch'. Fix: check the application name "
        "in the URL, and that scim.enabled is true for that application in the config the server "
        "runs with."
    )


def test_connection_refused(tmp_path: Path) -> None:
    config = write_app(tmp_path)
    port = free_port()

    result = run_check("--config", str(config), "--url", f"http://{HOST}:{port}/crm/api/v1/scim")

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: connection refused at {HOST}:{port}: the server is not running at "
        f"http://{HOST}:{port}/crm/api/v1/scim. Fix: start lime-scim serve, or correct the host and "
        "port in --url."
    )


def test_connection_timeout_bounded(tmp_path: Path) -> None:
    config = write_app(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        # Accepts connections into its backlog and never responds.
        silent.bind((HOST, 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.monotonic()

        result = run_check("--config", str(config), "--url", f"http://{HOST}:{port}/crm/api/v1/scim")
        elapsed = time.monotonic() - started

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: http://{HOST}:{port}/crm/api/v1/scim did not respond within 5 seconds. "
        "Fix: check that the server is running and not overloaded, and that no firewall drops the "
        "connection."
    )
    assert elapsed < 15


def test_connection_without_token_not_run(served: tuple[str, Path], tmp_path: Path) -> None:
    base_url, _ = served
    config = write_app(tmp_path, enabled=False, token=None)

    result = run_check("--config", str(config), "--application", "crm", "--url", f"{base_url}/crm/api/v1/scim")

    assert line(result, "INFO     connection") == (
        "INFO     connection: Test Connection not run, because the application has no token."
    )


def test_url_invalid_usage_error(tmp_path: Path) -> None:
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--url", "ftp://127.0.0.1/crm/api/v1/scim")

    assert result.returncode == 2
    assert "argument --url: 'ftp://127.0.0.1/crm/api/v1/scim' is not an http or https URL." in result.stderr


@pytest.mark.parametrize("suffix", ["?aadOptscim062020", "/?AADOPTSCIM062020", "?aadOptscim062020=true"])
def test_connection_drops_entra_flag(served: tuple[str, Path], suffix: str) -> None:
    base_url, config = served
    tenant_url = f"{base_url}/crm/api/v1/scim"
    flag = suffix.split("?", 1)[1]

    result = run_check("--config", str(config), "--application", "crm", "--url", tenant_url + suffix)

    assert result.returncode == 0, result.stdout + result.stderr
    assert line(result, "INFO     connection") == (
        f"INFO     connection: the query ?{flag} of --url was ignored, so the tenant URL is "
        f"{tenant_url}. The query only turns on Entra's SCIM 2.0 compliant requests, and "
        "lime-scim serves Entra with and without it."
    )
    assert line(result, "OK       connection").startswith(
        f"OK       connection: Test Connection passed: {tenant_url} responded with 200"
    )


def test_url_other_query_usage_error(tmp_path: Path) -> None:
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--url", "http://127.0.0.1:8080/crm/api/v1/scim?debug=1")

    assert result.returncode == 2
    assert ("argument --url: the URL must not contain a query other than ?aadOptscim062020, got "
            "?debug=1. Give the tenant URL only") in result.stderr


@pytest.mark.parametrize("endpoint", ["Users", "Groups", "users/"])
def test_url_with_resource_endpoint_usage_error(tmp_path: Path, endpoint: str) -> None:
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--url", f"http://127.0.0.1:8080/crm/api/v1/scim/{endpoint}")

    assert result.returncode == 2
    assert (f"argument --url: the URL ends in /{endpoint.rstrip('/')}, which Entra appends to the "
            "tenant URL itself. Give the tenant URL without it: "
            "http://127.0.0.1:8080/crm/api/v1/scim") in result.stderr


class _StubHandler(http.server.BaseHTTPRequestHandler):
    """Responds to every GET with the status, headers and body set on its server."""

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        stub: _StubServer = self.server  # type: ignore[assignment]
        stub.requests.append(self.path)
        self.send_response(stub.status)
        for name, value in stub.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(stub.body)))
        self.end_headers()
        self.wfile.write(stub.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


class _StubServer(http.server.ThreadingHTTPServer):
    status = 200
    headers: dict[str, str] = {}
    body = b""

    def __init__(self) -> None:
        super().__init__((HOST, 0), _StubHandler)
        self.requests: list[str] = []


@pytest.fixture
def stub_server() -> Iterator[_StubServer]:
    """An HTTP server on 127.0.0.1 whose response each test sets."""
    server = _StubServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_connection_redirect_not_followed(tmp_path: Path, stub_server: _StubServer) -> None:
    target = _StubServer()
    thread = threading.Thread(target=target.serve_forever, daemon=True)
    thread.start()
    target_url = f"http://{HOST}:{target.server_address[1]}/crm/api/v1/scim/Users"
    stub_server.status = 302
    stub_server.headers = {"Location": target_url}
    url = f"http://{HOST}:{stub_server.server_address[1]}/crm/api/v1/scim"
    config = write_app(tmp_path)

    try:
        result = run_check("--config", str(config), "--url", url)
    finally:
        target.shutdown()
        target.server_close()
        thread.join()

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: the server at {url} responded with 302 with a redirect to {target_url}. "
        "Fix: use the URL it redirects to as the tenant URL."
    )
    assert len(stub_server.requests) == 1
    assert target.requests == []


def test_connection_request_like_entra(tmp_path: Path, stub_server: _StubServer) -> None:
    stub_server.headers = {"Content-Type": "application/scim+json"}
    stub_server.body = (b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], '
                        b'"totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}')
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--url", f"http://{HOST}:{stub_server.server_address[1]}/crm/api/v1/scim")

    assert result.returncode == 0
    assert len(stub_server.requests) == 1
    path, query = stub_server.requests[0].split("?", 1)
    assert path == "/crm/api/v1/scim/Users"
    assert query.startswith("filter=userName%20eq%20%22")
    assert query.endswith("%22")


def test_connection_not_scim_error(tmp_path: Path, stub_server: _StubServer) -> None:
    stub_server.headers = {"Content-Type": "text/html"}
    stub_server.body = b"<html><body>Welcome to nginx</body></html>"
    url = f"http://{HOST}:{stub_server.server_address[1]}/crm/api/v1/scim"
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--url", url)

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: the server at {url} responded with 200, but not with a SCIM ListResponse: "
        "<html><body>Welcome to nginx</body></html> Fix: check that the URL is the tenant URL, "
        "ending in /api/v1/scim."
    )


def test_connection_server_error_detail(tmp_path: Path, stub_server: _StubServer) -> None:
    stub_server.status = 500
    stub_server.headers = {"Content-Type": "application/scim+json"}
    stub_server.body = (b'{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], '
                        b'"status": "500", "detail": "The database is not reachable."}')
    url = f"http://{HOST}:{stub_server.server_address[1]}/crm/api/v1/scim"
    config = write_app(tmp_path)

    result = run_check("--config", str(config), "--url", url)

    assert result.returncode == 1
    assert line(result, "ERROR    connection") == (
        f"ERROR    connection: the server at {url} responded with 500: The database is not reachable. "
        "Fix: look at the server's log for the cause."
    )
