"""The two layouts of an application config, and how the loader detects which one a file uses.

On-prem, ``application_config.yaml`` maps each application name to an entry with ``config``
and ``secrets``. In Lime Cloud, an application's page has a Configuration box and a Secret
box, and each contains a fragment ``scim: {...}``. :func:`is_cloud_layout` picks the layout;
``parse_config`` documents the rule for users.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ._messages import describe_type, show_key
from .errors import ConfigError

logger = logging.getLogger(__name__)

_ENTRY_KEYS = frozenset({"config", "secrets"})


@dataclass(frozen=True)
class RawApplication:
    """One application's unvalidated ``config.scim`` and ``secrets.scim`` values."""

    name: str
    config_scim: object
    secrets_scim: object


def _fail(source: str, key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{source}: {key} {problem}. {fix}", source=source, key=key)


def _is_application_entry(value: object) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= _ENTRY_KEYS


def _has_scim_section(value: object) -> bool:
    return isinstance(value, dict) and "scim" in value


def is_cloud_layout(documents: list[object]) -> bool:
    """Return whether ``documents`` are Lime Cloud fragments rather than an on-prem file.

    Two documents are always fragments. One document is a fragment when its top-level
    ``scim`` is not an application entry, which keeps an application named ``scim`` on
    the on-prem side, or when its top-level ``config`` or ``secrets`` contains ``scim``,
    which an on-prem application entry never does.
    """
    if len(documents) > 1:
        return True

    top = documents[0]
    if not isinstance(top, dict):
        return False
    if "scim" in top and not _is_application_entry(top["scim"]):
        return True
    return _has_scim_section(top.get("config")) or _has_scim_section(top.get("secrets"))


def _mapping_or_empty(value: object, *, source: str, key: str, fix: str) -> dict[object, object]:
    """Return ``value`` as a mapping. An empty YAML section (null) counts as an empty mapping."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise _fail(source, key, f"must be a mapping, got {describe_type(value)}", fix)


def _warn_ignored_keys(name: str, entry: dict[object, object], source: str) -> None:
    for key in entry:
        if key not in _ENTRY_KEYS:
            logger.warning(
                "%s: %s.%s is ignored because lime-scim reads only the config and secrets "
                "of an application",
                source,
                show_key(name),
                show_key(key),
            )


def _read_entry(name: object, entry: object, source: str) -> RawApplication:
    if not isinstance(name, str) or not name:
        message = (
            f"{source}: the application name {show_key(name)} is not text. Write the "
            "application name as the top-level key, in quotes if it looks like a number."
        )
        raise ConfigError(message, source=source, key=show_key(name))

    entry_fix = "Give the application the keys config and secrets, each with a scim section."
    entry = _mapping_or_empty(entry, source=source, key=show_key(name), fix=entry_fix)
    _warn_ignored_keys(name, entry, source)

    scim_sections = []
    for part in ("config", "secrets"):
        key = f"{show_key(name)}.{part}"
        fix = f"Write {part}: followed by indented sections such as scim:."
        section = _mapping_or_empty(entry.get(part), source=source, key=key, fix=fix)
        scim_sections.append(section.get("scim"))
    return RawApplication(name, *scim_sections)


def _read_on_prem(top: object, source: str) -> list[RawApplication]:
    if not isinstance(top, dict):
        message = (
            f"{source}: the top level must be a mapping of application names, "
            f"got {describe_type(top)}. "
            "Write one key per application, each with config and secrets."
        )
        raise ConfigError(message, source=source)
    return [_read_entry(name, entry, source) for name, entry in top.items()]


def _fragment(document: object, *, source: str, name: str, box: str) -> dict[object, object]:
    key = f"{show_key(name)} {box} box fragment"
    fix = f"Paste the {box} box fragment, which starts with scim:."
    return _mapping_or_empty(document, source=source, key=key, fix=fix)


def _wrapped_scim(
    fragment: dict[object, object], wrapper: str, *, source: str, name: str
) -> object:
    key = f"{show_key(name)}.{wrapper}"
    fix = f"Write {wrapper}: followed by an indented scim: section."
    return _mapping_or_empty(fragment.get(wrapper), source=source, key=key, fix=fix).get("scim")


def _unwrap_scim(
    fragment: dict[object, object], wrapper: str, *, source: str, name: str
) -> object:
    """Return the ``scim`` value of a fragment written bare or inside ``wrapper``."""
    if wrapper not in fragment:
        return fragment.get("scim")
    if "scim" in fragment:
        key = f"{show_key(name)}.{wrapper}"
        raise _fail(source, key, "and a bare scim section are both given", f"Keep only {key}.scim.")
    return _wrapped_scim(fragment, wrapper, source=source, name=name)


def _reject_part(
    fragment: dict[object, object], part: str, *, source: str, name: str, document: str
) -> None:
    if part not in fragment:
        return
    raise _fail(
        source,
        f"{show_key(name)}.{part}",
        f"is in the {document} YAML document",
        "The first document is the Configuration box and the second the Secret box. "
        "Move it to the other document.",
    )


def _read_cloud(documents: list[object], source: str, name: str) -> list[RawApplication]:
    if len(documents) > 2:
        message = (
            f"{source}: the file has {len(documents)} YAML documents, but a Lime Cloud file "
            "has at most two. Keep the Configuration box fragment, then a line ---, then the "
            "Secret box fragment."
        )
        raise ConfigError(message, source=source)

    config_fragment = _fragment(documents[0], source=source, name=name, box="Configuration")
    if len(documents) == 1:
        # One document may carry both parts, the secret one wrapped as secrets: {scim: ...}.
        config_scim = _unwrap_scim(config_fragment, "config", source=source, name=name)
        secrets_scim = _wrapped_scim(config_fragment, "secrets", source=source, name=name)
        return [RawApplication(name, config_scim, secrets_scim)]

    secret_fragment = _fragment(documents[1], source=source, name=name, box="Secret")
    _reject_part(config_fragment, "secrets", source=source, name=name, document="first")
    _reject_part(secret_fragment, "config", source=source, name=name, document="second")
    config_scim = _unwrap_scim(config_fragment, "config", source=source, name=name)
    secrets_scim = _unwrap_scim(secret_fragment, "secrets", source=source, name=name)
    return [RawApplication(name, config_scim, secrets_scim)]


def _select(
    applications: list[RawApplication], application: str, source: str
) -> list[RawApplication]:
    selected = [raw for raw in applications if raw.name == application]
    if selected:
        return selected

    names = ", ".join(show_key(raw.name) for raw in applications)
    message = (
        f"{source}: the application {show_key(application)} was not found. "
        f"The file contains: {names}. Use one of these names."
    )
    raise ConfigError(message, source=source, key=show_key(application))


def extract_applications(
    documents: list[object],
    *,
    source: str,
    application: str | None,
) -> list[RawApplication]:
    """Return the raw ``scim`` sections of each application, in file order.

    In the Lime Cloud layout ``application`` names the one application, and without it
    the file name without extension does. In the on-prem layout ``application`` selects
    one application of the file.
    """
    if is_cloud_layout(documents):
        name = application if application is not None else Path(source).stem
        return _read_cloud(documents, source, name)

    applications = _read_on_prem(documents[0], source)
    if application is None:
        return applications
    return _select(applications, application, source)
