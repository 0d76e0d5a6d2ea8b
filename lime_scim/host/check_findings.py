"""Findings of ``lime-scim check``: a severity, a subject, a message and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How much a finding matters. Only ERROR makes ``lime-scim check`` exit non-zero."""

    ERROR = "ERROR"
    WARNING = "WARNING"
    OK = "OK"
    INFO = "INFO"


# Width of the severity column: the length of the longest name, WARNING.
SEVERITY_WIDTH = max(len(severity.value) for severity in Severity)


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check.

    ``subject`` names what was checked, usually a config key or a datamodel element. ``fix``
    is None when there is nothing to do or when ``message`` already ends with the fix, as the
    messages of ConfigError, DatamodelError and MappingError do.
    """

    severity: Severity
    subject: str
    message: str
    fix: str | None = None

    def line(self) -> str:
        """Return the finding as one output line, without indentation."""
        text = f"{self.severity.value:<{SEVERITY_WIDTH}}  {self.subject}: {self.message}"
        if self.fix:
            text += f" Fix: {self.fix}"
        return text


def error(subject: str, message: str, fix: str | None = None) -> Finding:
    return Finding(Severity.ERROR, subject, message, fix)


def warning(subject: str, message: str, fix: str | None = None) -> Finding:
    return Finding(Severity.WARNING, subject, message, fix)


def ok(subject: str, message: str) -> Finding:
    return Finding(Severity.OK, subject, message)


def info(subject: str, message: str, fix: str | None = None) -> Finding:
    return Finding(Severity.INFO, subject, message, fix)


def one_line(text: str) -> str:
    """Return ``text`` with its line breaks and repeated spaces collapsed, for a finding."""
    return " ".join(text.split())
