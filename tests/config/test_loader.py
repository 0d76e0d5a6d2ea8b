"""Tests of lime_scim.config: both layouts, defaults, and every ConfigError."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lime_scim.config import ConfigError, ConfigFile, ScimSettings, load_config, parse_config

SOURCE = "application_config.yaml"
BASE_DIR = Path("/srv/lime")
TOKEN = "5ecre7" + "ab" * 61
assert len(TOKEN) == 128


def parse(text: str, *, application: str | None = None) -> ConfigFile:
    return parse_config(
        textwrap.dedent(text),
        source=SOURCE,
        base_dir=BASE_DIR,
        application=application,
    )


def parse_error(text: str, *, application: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(text, application=application)
    return str(caught.value)


def assert_message(message: str, *parts: str) -> None:
    """Check the rules that every ConfigError message follows, and that it names ``parts``."""
    assert "\n" not in message
    assert TOKEN not in message
    assert message.startswith(f"{SOURCE}: ")
    for part in parts:
        assert part in message


def on_prem(config_scim: str = "", secrets_scim: str = "") -> str:
    """Return an on-prem file with the application myapp and the given scim lines."""
    config_lines = textwrap.indent(textwrap.dedent(config_scim), " " * 6)
    secrets_lines = textwrap.indent(textwrap.dedent(secrets_scim), " " * 6)
    return f"myapp:\n  config:\n    scim:\n{config_lines}\n  secrets:\n    scim:\n{secrets_lines}\n"


ENABLED_ON_PREM = f"""\
myapp:
  config:
    scim:
      enabled: true
      use_legacy_resource_ids: false
  secrets:
    scim:
      token: {TOKEN}
"""


# On-prem layout


def test_on_prem_enabled_application() -> None:
    config = parse(ENABLED_ON_PREM)

    settings = config.applications["myapp"]
    assert settings.application == "myapp"
    assert settings.enabled is True
    assert settings.use_legacy_resource_ids is False
    assert settings.token == TOKEN


def test_on_prem_defaults() -> None:
    config = parse(on_prem())

    assert config.applications["myapp"] == ScimSettings(application="myapp")
    settings = config.applications["myapp"]
    assert settings.enabled is False
    assert settings.use_legacy_resource_ids is True
    assert settings.token is None
    assert settings.database_url is None
    assert settings.datamodel is None
    assert settings.max_results == 1000


def test_on_prem_keeps_applications_without_scim() -> None:
    text = f"""\
    other:
      config:
        softphone:
          hostname: pbx.example
      secrets:
        softphone:
          password: hunter2
    bare:
    {textwrap.indent(ENABLED_ON_PREM, "    ").strip()}
    """
    config = parse(text)

    assert list(config.applications) == ["other", "bare", "myapp"]
    assert config.applications["other"] == ScimSettings(application="other")
    assert config.applications["bare"] == ScimSettings(application="bare")
    assert [s.application for s in config.enabled_applications()] == ["myapp"]


def test_on_prem_missing_secrets_section_disabled() -> None:
    config = parse("myapp:\n  config:\n    scim:\n      use_legacy_resource_ids: false\n")

    settings = config.applications["myapp"]
    assert settings.enabled is False
    assert settings.use_legacy_resource_ids is False
    assert settings.token is None


def test_on_prem_disabled_application_needs_no_token() -> None:
    config = parse(on_prem("enabled: false"))

    assert config.applications["myapp"].enabled is False
    assert config.enabled_applications() == []


def test_on_prem_null_values_take_defaults() -> None:
    config = parse(on_prem("enabled:\nuse_legacy_resource_ids:\nmax_results:\n"))

    assert config.applications["myapp"] == ScimSettings(application="myapp")


def test_on_prem_application_selects_one() -> None:
    text = ENABLED_ON_PREM + "second:\n  config:\n    scim:\n      enabled: false\n"
    config = parse(text, application="second")

    assert list(config.applications) == ["second"]


def test_on_prem_application_named_scim() -> None:
    text = ENABLED_ON_PREM.replace("myapp:", "scim:")
    config = parse(text)

    assert config.applications["scim"].enabled is True
    assert config.applications["scim"].token == TOKEN


def test_on_prem_application_named_config() -> None:
    text = ENABLED_ON_PREM.replace("myapp:", "config:")
    config = parse(text)

    assert config.applications["config"].enabled is True


def test_on_prem_unknown_entry_key_warns(caplog: pytest.LogCaptureFixture) -> None:
    text = ENABLED_ON_PREM + "  extra:\n    password: hunter2\n"
    config = parse(text)

    assert config.applications["myapp"].enabled is True
    assert "myapp.extra is ignored" in caplog.text
    assert "hunter2" not in caplog.text


def test_all_settings_read() -> None:
    text = on_prem(
        """\
        enabled: true
        use_legacy_resource_ids: false
        datamodel: models/crm.yaml
        max_results: 200
        """,
        f"""\
        token: {TOKEN}
        database_url: postgresql+psycopg://scim:pw@127.0.0.1/lime
        """,
    )
    settings = parse(text).applications["myapp"]

    assert settings == ScimSettings(
        application="myapp",
        enabled=True,
        use_legacy_resource_ids=False,
        token=TOKEN,
        database_url="postgresql+psycopg://scim:pw@127.0.0.1/lime",
        datamodel=BASE_DIR / "models/crm.yaml",
        max_results=200,
    )


# Lime Cloud layout


def test_cloud_two_bare_fragments() -> None:
    text = f"""\
    scim:
      enabled: true
      use_legacy_resource_ids: false
    ---
    scim:
      token: {TOKEN}
    """
    config = parse(text, application="cloudapp")

    assert list(config.applications) == ["cloudapp"]
    settings = config.applications["cloudapp"]
    assert settings.enabled is True
    assert settings.use_legacy_resource_ids is False
    assert settings.token == TOKEN


def test_cloud_two_wrapped_fragments() -> None:
    text = f"""\
    config:
      scim:
        enabled: true
    ---
    secrets:
      scim:
        token: {TOKEN}
    """
    settings = parse(text, application="cloudapp").applications["cloudapp"]

    assert settings.enabled is True
    assert settings.use_legacy_resource_ids is True
    assert settings.token == TOKEN


def test_cloud_fragments_keep_other_packages() -> None:
    text = f"""\
    softphone:
      hostname: pbx.example
    scim:
      enabled: true
    ---
    softphone:
      password: hunter2
    scim:
      token: {TOKEN}
    """
    settings = parse(text, application="cloudapp").applications["cloudapp"]

    assert settings.enabled is True
    assert settings.token == TOKEN


def test_cloud_one_document_both_wrapped() -> None:
    text = f"""\
    config:
      scim:
        enabled: true
    secrets:
      scim:
        token: {TOKEN}
    """
    settings = parse(text, application="cloudapp").applications["cloudapp"]

    assert settings.enabled is True
    assert settings.token == TOKEN


def test_cloud_one_bare_configuration_fragment() -> None:
    config = parse("scim:\n  use_legacy_resource_ids: false\n", application="cloudapp")

    settings = config.applications["cloudapp"]
    assert settings.enabled is False
    assert settings.use_legacy_resource_ids is False


def test_cloud_empty_secret_document() -> None:
    config = parse("scim:\n  enabled: false\n---\n", application="cloudapp")

    assert config.applications["cloudapp"] == ScimSettings(application="cloudapp")


def test_cloud_application_defaults_to_file_stem() -> None:
    text = f"scim:\n  enabled: true\n---\nscim:\n  token: {TOKEN}\n"
    config = parse_config(text, source="myapp.yaml", base_dir=BASE_DIR)

    assert list(config.applications) == ["myapp"]


def test_cloud_load_config_uses_file_stem(tmp_path: Path) -> None:
    path = tmp_path / "crm-prod.yaml"
    path.write_text(f"scim:\n  enabled: true\n---\nscim:\n  token: {TOKEN}\n")
    config = load_config(path)

    assert list(config.applications) == ["crm-prod"]


# ConfigFile


def test_database_url_secrets_win_over_config() -> None:
    text = on_prem(
        "database_url: postgresql://config-host/lime",
        "database_url: postgresql://scim:pw@secret-host/lime",
    )
    config = parse(text)

    assert config.applications["myapp"].database_url == "postgresql://scim:pw@secret-host/lime"
    assert config.database_url_for("myapp") == "postgresql://scim:pw@secret-host/lime"


def test_database_url_from_config() -> None:
    config = parse(on_prem("database_url: sqlite:////var/lib/lime/scim.sqlite3"))

    assert config.database_url_for("myapp") == "sqlite:////var/lib/lime/scim.sqlite3"


def test_database_url_defaults_to_sqlite_next_to_file() -> None:
    config = parse(on_prem())

    assert config.path == BASE_DIR / SOURCE
    assert config.database_url_for("myapp") == "sqlite:////srv/lime/myapp.sqlite3"


def test_database_url_default_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / SOURCE).write_text(on_prem())
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("conf") / SOURCE)

    assert config.path == tmp_path / "conf" / SOURCE
    assert config.database_url_for("myapp") == f"sqlite:///{tmp_path}/conf/myapp.sqlite3"


def test_database_url_for_unknown_application() -> None:
    with pytest.raises(KeyError):
        parse(on_prem()).database_url_for("nosuchapp")


def test_datamodel_relative_to_config_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / SOURCE).write_text(on_prem("datamodel: models/crm.yaml"))
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("conf") / SOURCE)

    assert config.applications["myapp"].datamodel == tmp_path / "conf" / "models" / "crm.yaml"


def test_datamodel_absolute_kept() -> None:
    config = parse(on_prem("datamodel: /opt/models/crm.yaml"))

    assert config.applications["myapp"].datamodel == Path("/opt/models/crm.yaml")


def test_enabled_applications_in_file_order() -> None:
    text = "".join(
        ENABLED_ON_PREM.replace("myapp:", f"{name}:") for name in ("zeta", "alpha", "mid")
    )
    text += "off:\n  config:\n    scim:\n      enabled: false\n"
    config = parse(text)

    assert [s.application for s in config.enabled_applications()] == ["zeta", "alpha", "mid"]


def test_repr_hides_token_and_database_url() -> None:
    text = on_prem("enabled: true", f"token: {TOKEN}\ndatabase_url: postgresql://u:pw@127.0.0.1/db")
    config = parse(text)

    assert TOKEN not in repr(config)
    assert "pw@" not in repr(config)


def test_applications_mapping_read_only() -> None:
    config = parse(on_prem())

    with pytest.raises(TypeError):
        config.applications["new"] = ScimSettings(application="new")  # type: ignore[index]


# ConfigError: reading the file


def test_error_file_missing(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)

    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert "not found" in message
    assert "Check the path" in message


def test_error_file_unreadable(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    path.mkdir()
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)

    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert "cannot be read" in message
    assert "permissions" in message


def test_error_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / SOURCE
    path.write_bytes(b"myapp:\n  config: \xff\xfe\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)

    assert "\n" not in message
    assert "not UTF-8" in message
    assert "Save it with UTF-8" in message


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (f"myapp:\n  config:\n    scim: [enabled\n  secrets:\n    scim: {{token: {TOKEN}}}\n", 4),
        (f"myapp:\n  secrets:\n    scim:\n      token: {TOKEN}\n    enabled: true: x\n", 5),
        ("myapp:\n\tconfig: {}\n", 2),
    ],
)
def test_error_malformed_yaml(text: str, line: int) -> None:
    message = parse_error(text)

    assert_message(message, "invalid YAML", f"line {line}", "Correct the syntax")


def test_error_duplicate_key() -> None:
    text = ENABLED_ON_PREM + ENABLED_ON_PREM
    message = parse_error(text)

    assert_message(message, "line 9", "'myapp' appears twice", "Remove or rename")


def test_error_duplicate_token_key() -> None:
    message = parse_error(on_prem("enabled: true", f"token: {TOKEN}\ntoken: {TOKEN}"))

    assert_message(message, "'token' appears twice")


def test_merge_key_override_is_not_duplicate() -> None:
    text = f"""\
    defaults: &defaults
      config:
        scim:
          enabled: false
    myapp:
      <<: *defaults
      config:
        scim:
          enabled: true
      secrets:
        scim:
          token: {TOKEN}
    """
    config = parse(text)

    assert config.applications["myapp"].enabled is True


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "{}\n", "---\n---\n"])
def test_error_empty_file(text: str) -> None:
    message = parse_error(text)

    assert_message(message, "the file is empty", "Add one top-level key per application")


# ConfigError: structure


@pytest.mark.parametrize(("text", "kind"), [("- myapp\n- other\n", "a list"), ("myapp\n", "text")])
def test_error_top_level_not_mapping(text: str, kind: str) -> None:
    message = parse_error(text)

    assert_message(message, "top level must be a mapping", f"got {kind}", "one key per application")


@pytest.mark.parametrize(("value", "kind"), [("5", "a number"), ("[config, secrets]", "a list")])
def test_error_application_entry_not_mapping(value: str, kind: str) -> None:
    message = parse_error(f"myapp: {value}\n")

    assert_message(message, "myapp must be a mapping", f"got {kind}", "keys config and secrets")


def test_error_application_name_not_text() -> None:
    message = parse_error("123:\n  config: {}\n")

    assert_message(message, "application name 123 is not text", "in quotes")


@pytest.mark.parametrize("part", ["config", "secrets"])
def test_error_part_not_mapping(part: str) -> None:
    message = parse_error(f"myapp:\n  {part}: on\n")

    assert_message(message, f"myapp.{part} must be a mapping", "got text", f"Write {part}:")


@pytest.mark.parametrize("part", ["config", "secrets"])
@pytest.mark.parametrize(("value", "kind"), [("true", "true or false"), ("[a, b]", "a list")])
def test_error_scim_not_mapping(part: str, value: str, kind: str) -> None:
    message = parse_error(f"myapp:\n  {part}:\n    scim: {value}\n")

    assert_message(message, f"myapp.{part}.scim must be a mapping", f"got {kind}", "key: value lines")


def test_error_cloud_scim_not_mapping() -> None:
    message = parse_error("scim: 5\n---\n", application="cloudapp")

    assert_message(message, "cloudapp.config.scim must be a mapping", "got a number")


def test_error_cloud_fragment_not_mapping() -> None:
    message = parse_error(f"scim:\n  enabled: true\n---\n- {TOKEN}\n", application="cloudapp")

    assert_message(message, "cloudapp Secret box fragment must be a mapping", "starts with scim:")


def test_error_cloud_too_many_documents() -> None:
    message = parse_error("scim: {}\n---\nscim: {}\n---\nscim: {}\n", application="cloudapp")

    assert_message(message, "3 YAML documents", "at most two", "then a line ---")


def test_error_cloud_fragments_swapped() -> None:
    text = f"secrets:\n  scim:\n    token: {TOKEN}\n---\nconfig:\n  scim:\n    enabled: true\n"
    message = parse_error(text, application="cloudapp")

    assert_message(message, "cloudapp.secrets", "first YAML document", "Move it to the other document")


def test_error_cloud_wrapped_and_bare_scim() -> None:
    message = parse_error("scim: {enabled: true}\nconfig:\n  scim: {enabled: true}\n", application="cloudapp")

    assert_message(message, "cloudapp.config and a bare scim section", "Keep only cloudapp.config.scim")


def test_error_application_not_in_file() -> None:
    message = parse_error(ENABLED_ON_PREM, application="other")

    assert_message(message, "application other was not found", "contains: myapp", "Use one of these")


# ConfigError: values


@pytest.mark.parametrize(
    ("key", "value", "expected_text"),
    [
        ("enabled", "'yes'", "'yes'"),
        ("enabled", "yes", "'yes'"),
        ("enabled", "on", "'on'"),
        ("enabled", "'true'", "'true'"),
        ("enabled", "1", "1"),
        ("enabled", "[true]", "a list"),
        ("use_legacy_resource_ids", "no", "'no'"),
        ("use_legacy_resource_ids", "0", "0"),
    ],
)
def test_error_bool_wrong_type(key: str, value: str, expected_text: str) -> None:
    message = parse_error(on_prem(f"{key}: {value}", f"token: {TOKEN}"))

    assert_message(
        message,
        f"myapp.config.scim.{key} must be true or false, got {expected_text}.",
        "Write true or false.",
    )


@pytest.mark.parametrize(
    ("value", "expected_text"),
    [("true", "true"), ("'100'", "'100'"), ("0", "0"), ("-5", "-5"), ("1.5", "1.5")],
)
def test_error_max_results_wrong_type(value: str, expected_text: str) -> None:
    message = parse_error(on_prem(f"max_results: {value}"))

    assert_message(
        message,
        f"myapp.config.scim.max_results must be a positive whole number, got {expected_text}.",
        "Write a number such as 1000.",
    )


def test_error_token_not_text() -> None:
    message = parse_error(on_prem("enabled: true", "token: 1234567890"))

    assert_message(message, "myapp.secrets.scim.token must be text, got a number", "quotes")
    assert "1234567890" not in message


def test_error_token_with_whitespace() -> None:
    message = parse_error(on_prem("enabled: true", f"token: '{TOKEN} '"))

    assert_message(message, "myapp.secrets.scim.token contains spaces", "lime-scim token")


def test_error_enabled_without_token() -> None:
    message = parse_error(on_prem("enabled: true"))

    assert_message(
        message,
        "myapp.secrets.scim.token is missing",
        "myapp.config.scim.enabled is true",
        "lime-scim token",
    )


def test_error_enabled_without_secrets_section() -> None:
    message = parse_error("myapp:\n  config:\n    scim:\n      enabled: true\n")

    assert_message(message, "myapp.secrets.scim.token is missing", "lime-scim token")


@pytest.mark.parametrize("value", ["''", "'   '", ""])
def test_error_enabled_with_empty_token(value: str) -> None:
    message = parse_error(on_prem("enabled: true", f"token: {value}"))

    expected = "is missing" if value == "" else "is empty"
    assert_message(message, f"myapp.secrets.scim.token {expected}", "lime-scim token")


def test_error_cloud_enabled_without_token() -> None:
    message = parse_error("scim:\n  enabled: true\n---\nscim: {}\n", application="cloudapp")

    assert_message(message, "cloudapp.secrets.scim.token is missing", "lime-scim token")


@pytest.mark.parametrize(
    ("part", "key", "value"),
    [("secrets", "database_url", "5"), ("config", "database_url", "[a]"), ("config", "datamodel", "5")],
)
def test_error_text_wrong_type(part: str, key: str, value: str) -> None:
    scim_lines = {"config": "", "secrets": ""}
    scim_lines[part] = f"{key}: {value}"
    message = parse_error(on_prem(scim_lines["config"], scim_lines["secrets"]))

    assert_message(message, f"myapp.{part}.scim.{key} must be text", "quotes")


def test_error_database_url_not_url() -> None:
    message = parse_error(on_prem("", "database_url: scim:secretpw@127.0.0.1"))

    assert_message(message, "myapp.secrets.scim.database_url is not a database URL", "dialect://")
    assert "secretpw" not in message


def test_error_empty_datamodel() -> None:
    message = parse_error(on_prem("datamodel: ''"))

    assert_message(message, "myapp.config.scim.datamodel is empty", "remove the key")


def test_error_unknown_key_suggests_close_match() -> None:
    message = parse_error(on_prem("enable: true", f"token: {TOKEN}"))

    assert_message(
        message,
        "myapp.config.scim.enable is not a known setting",
        "Did you mean enabled?",
        "Allowed keys in myapp.config.scim: enabled, use_legacy_resource_ids",
    )


def test_error_unknown_secret_key_lists_allowed() -> None:
    message = parse_error(on_prem("", "password: hunter2"))

    assert_message(message, "myapp.secrets.scim.password is not a known setting", "token, database_url")
    assert "hunter2" not in message


def test_error_token_in_config_section() -> None:
    message = parse_error(on_prem(f"enabled: true\ntoken: {TOKEN}"))

    assert_message(message, "myapp.config.scim.token is not allowed here", "Move it to myapp.secrets.scim.token")


def test_error_config_key_in_secrets_section() -> None:
    message = parse_error(on_prem("", f"token: {TOKEN}\nenabled: true"))

    assert_message(
        message,
        "myapp.secrets.scim.enabled is not allowed here",
        "Move it to myapp.config.scim.enabled",
    )


def test_error_cloud_token_in_configuration_fragment() -> None:
    message = parse_error(f"scim:\n  enabled: true\n  token: {TOKEN}\n", application="cloudapp")

    assert_message(message, "cloudapp.config.scim.token is not allowed here", "cloudapp.secrets.scim.token")


def test_error_carries_source_and_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse(on_prem("enabled: 'yes'"))

    assert caught.value.source == SOURCE
    assert caught.value.key == "myapp.config.scim.enabled"
