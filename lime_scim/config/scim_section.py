"""Validation of one application's ``config.scim`` and ``secrets.scim`` sections."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ._messages import describe_type, show_key, show_value
from .errors import ConfigError
from .model import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_MAX_RESULTS,
    ExtraMapping,
    RateLimit,
    RequestLimits,
    ScimSettings,
)

CONFIG_KEYS = (
    "enabled",
    "use_legacy_resource_ids",
    "database_url",
    "datamodel",
    "max_results",
    "coworker_limetype",
    "mappings",
    "max_body_bytes",
    "max_json_depth",
    "max_filter_length",
    "max_filter_depth",
    "max_patch_operations",
    "max_members",
    "rate_limit_per_second",
    "rate_limit_burst",
    "busy_timeout_ms",
)
MAPPING_TARGETS = ("label", "property", "user_column")
SECRET_KEYS = ("token", "database_url")

# Enough to catch a host name or a file path given in place of a URL, without importing
# SQLAlchemy into the config package.
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class _Section:
    """One raw ``scim`` section and where it sits, for error messages."""

    source: str
    application: str
    part: str
    values: Mapping[object, object]

    @property
    def prefix(self) -> str:
        return f"{show_key(self.application)}.{self.part}.scim"

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        dotted = f"{self.prefix}.{key}"
        message = f"{self.source}: {dotted} {problem}. {fix}"
        return ConfigError(message, source=self.source, key=dotted)


def _as_section(raw: object, *, source: str, application: str, part: str) -> _Section:
    if raw is None:
        return _Section(source, application, part, {})
    if isinstance(raw, dict):
        return _Section(source, application, part, raw)

    dotted = f"{show_key(application)}.{part}.scim"
    message = (
        f"{source}: {dotted} must be a mapping of settings, got {describe_type(raw)}. "
        "Write scim: followed by indented key: value lines."
    )
    raise ConfigError(message, source=source, key=dotted)


def _check_keys(
    section: _Section, allowed: tuple[str, ...], other_part_keys: tuple[str, ...]
) -> None:
    for key in section.values:
        if key in allowed:
            continue

        name = show_key(key)
        other_part = "secrets" if section.part == "config" else "config"
        if key in other_part_keys:
            target = f"{show_key(section.application)}.{other_part}.scim.{name}"
            reason = " because it is a secret" if other_part == "secrets" else ""
            raise section.error(name, "is not allowed here", f"Move it to {target}{reason}.")

        close = difflib.get_close_matches(str(key), allowed, n=1)
        suggestion = f"Did you mean {close[0]}? " if close else ""
        fix = f"{suggestion}Allowed keys in {section.prefix}: {', '.join(allowed)}."
        raise section.error(name, "is not a known setting", fix)


def _read_bool(section: _Section, key: str, default: bool) -> bool:
    value = section.values.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    problem = f"must be true or false, got {show_value(value)}"
    raise section.error(key, problem, "Write true or false.")


def _read_positive_int(section: _Section, key: str, default: int) -> int:
    value = section.values.get(key)
    if value is None:
        return default
    # bool is a subclass of int, so true would otherwise pass as 1.
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise section.error(
        key,
        f"must be a positive whole number, got {show_value(value)}",
        f"Write a number such as {default}.",
    )


def _read_positive_number(section: _Section, key: str) -> float | None:
    value = section.values.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf"):
        return float(value)
    raise section.error(
        key,
        f"must be a positive number, got {show_value(value)}",
        "Write a number such as 50, or remove the key to turn the limit off.",
    )


def _read_limits(section: _Section) -> RequestLimits:
    defaults = RequestLimits()
    values = {
        name: _read_positive_int(section, name, getattr(defaults, name))
        for name in RequestLimits.__dataclass_fields__
    }
    return RequestLimits(**values)


def _read_rate_limit(section: _Section) -> RateLimit | None:
    per_second = _read_positive_number(section, "rate_limit_per_second")
    burst = section.values.get("rate_limit_burst")
    if per_second is None:
        if burst is not None:
            raise section.error(
                "rate_limit_burst",
                "is set, but rate_limit_per_second is not",
                "Set rate_limit_per_second as well, or remove rate_limit_burst.",
            )
        return None
    # By default a client may send one second's worth of requests at once.
    default_burst = max(1, math.ceil(per_second))
    return RateLimit(per_second=per_second, burst=_read_positive_int(section, "rate_limit_burst", default_burst))


def _read_text(section: _Section, key: str, *, secret: bool) -> str | None:
    """Return a text value, or None when unset. A secret value is never put in a message."""
    value = section.values.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        value_text = describe_type(value) if secret else show_value(value)
        raise section.error(key, f"must be text, got {value_text}", "Put the value in quotes.")
    if not value.strip():
        raise section.error(key, "is empty", "Set a value or remove the key.")
    return value


def _read_database_url(config: _Section, secrets: _Section) -> str | None:
    # Secrets win because a URL with a password belongs there.
    section = secrets if secrets.values.get("database_url") is not None else config
    url = _read_text(section, "database_url", secret=True)
    if url is not None and not _URL_SCHEME.match(url):
        raise section.error(
            "database_url",
            "is not a database URL",
            "Write it as dialect://user@host/database, for example "
            "postgresql+psycopg://scim@localhost/lime, or remove it to use SQLite.",
        )
    return url


def _read_datamodel(config: _Section, base_dir: Path) -> Path | None:
    text = _read_text(config, "datamodel", secret=False)
    if text is None:
        return None
    path = Path(text)
    return path if path.is_absolute() else base_dir / path


def _read_token(secrets: _Section, *, enabled: bool, enabled_key: str) -> str | None:
    value = secrets.values.get("token")
    fix = f"Generate one with lime-scim token and set it as {secrets.prefix}.token."
    if value is not None and not isinstance(value, str):
        problem = f"must be text, got {describe_type(value)}"
        raise secrets.error("token", problem, "Put the token in quotes.")

    if value is None or not value.strip():
        if enabled:
            problem = "is missing" if value is None else "is empty"
            raise secrets.error("token", f"{problem}, but {enabled_key} is true", fix)
        return None

    if any(character.isspace() for character in value):
        raise secrets.error(
            "token",
            "contains spaces or line breaks",
            "Set it to the token alone, exactly as lime-scim token prints it.",
        )
    return value


def _read_mapping_target(section: _Section, attribute: str, target: object) -> ExtraMapping:
    key = f"mappings.{attribute}"
    fix = (f"Write it as {attribute}: {{label: <field label>}}, {{property: <property name>}} "
           "or {user_column: <[user] column>}.")
    if not isinstance(target, dict):
        raise section.error(key, f"must be a mapping with one target, got {show_value(target)}", fix)
    unknown = [show_key(name) for name in target if name not in MAPPING_TARGETS]
    if unknown:
        raise section.error(key, f"has the unknown key {unknown[0]}", fix)
    given = {name: value for name, value in target.items() if value is not None}
    if len(given) != 1:
        raise section.error(key, f"must name exactly one target, got {len(given)}", fix)
    (name, value), = given.items()
    if not isinstance(value, str) or not value.strip():
        raise section.error(f"{key}.{name}", f"must be non-empty text, got {show_value(value)}", fix)
    return ExtraMapping(attribute=attribute, **{str(name): value.strip()})


def _read_mappings(section: _Section) -> tuple[ExtraMapping, ...]:
    """Read ``mappings``: SCIM attribute paths to coworker properties or [user] columns."""
    raw = section.values.get("mappings")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise section.error(
            "mappings", f"must be a mapping, got {describe_type(raw)}",
            "Write one 'SCIM attribute: {label: <field label>}' line per attribute.",
        )
    mappings = []
    for attribute, target in raw.items():
        if not isinstance(attribute, str) or not attribute.strip():
            raise section.error("mappings", f"has the key {show_value(attribute)}, which is not an "
                                "attribute path", "Use SCIM attribute paths such as nickName as keys.")
        mappings.append(_read_mapping_target(section, attribute.strip(), target))
    return tuple(mappings)


def read_scim_settings(
    application: str,
    config_scim: object,
    secrets_scim: object,
    *,
    source: str,
    base_dir: Path,
) -> ScimSettings:
    """Validate the raw ``config.scim`` and ``secrets.scim`` values of one application.

    A missing section or a key set to null (empty in YAML) takes the default. Raises
    ConfigError for a section that is not a mapping, an unknown key, a value of the wrong
    type, or an enabled application without a token.
    """
    config = _as_section(config_scim, source=source, application=application, part="config")
    secrets = _as_section(secrets_scim, source=source, application=application, part="secrets")
    _check_keys(config, CONFIG_KEYS, other_part_keys=SECRET_KEYS)
    _check_keys(secrets, SECRET_KEYS, other_part_keys=CONFIG_KEYS)

    enabled = _read_bool(config, "enabled", default=False)
    return ScimSettings(
        application=application,
        enabled=enabled,
        use_legacy_resource_ids=_read_bool(config, "use_legacy_resource_ids", default=True),
        token=_read_token(secrets, enabled=enabled, enabled_key=f"{config.prefix}.enabled"),
        database_url=_read_database_url(config, secrets),
        datamodel=_read_datamodel(config, base_dir),
        max_results=_read_positive_int(config, "max_results", default=DEFAULT_MAX_RESULTS),
        coworker_limetype=_read_text(config, "coworker_limetype", secret=False),
        mappings=_read_mappings(config),
        limits=_read_limits(config),
        rate_limit=_read_rate_limit(config),
        busy_timeout_ms=_read_positive_int(config, "busy_timeout_ms", default=DEFAULT_BUSY_TIMEOUT_MS),
    )
