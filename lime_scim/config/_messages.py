"""Private: how config values are shown in error messages."""

from __future__ import annotations


def describe_type(value: object) -> str:
    """Return the kind of a YAML value in words, for messages that must not show the value."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def show_value(value: object) -> str:
    """Return a non-secret YAML value as the user would recognise it from the file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, (list, dict)):
        return describe_type(value)
    return repr(value)


def show_key(key: object) -> str:
    """Return a key or application name for a one-line message."""
    if isinstance(key, str) and key and key.isprintable():
        return key
    return repr(key)
