"""``lime-scim check``: find configuration, datamodel and data problems before Entra does.

:func:`run_check` checks the config file first. Then it checks each enabled application, or
the one named, in four steps: its scim settings, its datamodel and mapping, and the data
already in its store, which it only reads. Given a tenant URL, it also runs Entra's Test
Connection against a running server. :func:`render_report` returns the output lines: one
per finding, grouped per application, and a summary.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ConfigError, ConfigFile, ScimSettings, load_config
from .check_config import check_enabled, check_resource_ids, check_token
from .check_connection import TenantUrl, application_in_url, run_test_connection
from .check_data import check_data
from .check_datamodel import check_datamodel
from .check_findings import Finding, Severity, error, info, ok, one_line

INDENT = "  "


@dataclass
class ApplicationReport:
    """The findings on one application, in the order they were made."""

    name: str
    findings: list[Finding] = field(default_factory=list)


@dataclass
class CheckReport:
    """Everything ``lime-scim check`` found: on the file, then per application."""

    config_path: Path
    file_findings: list[Finding] = field(default_factory=list)
    applications: list[ApplicationReport] = field(default_factory=list)

    def all_findings(self) -> Iterator[Finding]:
        yield from self.file_findings
        for application in self.applications:
            yield from application.findings

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.all_findings() if finding.severity is severity)

    @property
    def failed(self) -> bool:
        return self.count(Severity.ERROR) > 0


class _LogCollector(logging.Handler):
    """Collects the warnings that the config loader logs, so they become findings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _collect_warnings(logger_name: str) -> Iterator[_LogCollector]:
    logger = logging.getLogger(logger_name)
    collector = _LogCollector()
    logger.addHandler(collector)
    propagate = logger.propagate
    logger.propagate = False
    try:
        yield collector
    finally:
        logger.propagate = propagate
        logger.removeHandler(collector)


def _load(report: CheckReport, application: str | None) -> ConfigFile | None:
    with _collect_warnings("lime_scim.config") as collected:
        try:
            config_file = load_config(report.config_path, application=application)
        except ConfigError as problem:
            report.file_findings.append(error("config", one_line(str(problem))))
            return None
    # Keys beside config and secrets belong to other packages, so they are only noted.
    for message in collected.messages:
        report.file_findings.append(info("config", one_line(message)))
    return config_file


def _select(report: CheckReport, config_file: ConfigFile, application: str | None) -> list[ScimSettings]:
    """Return the applications to check and report the ones left out."""
    names = ", ".join(config_file.applications) or "none"
    report.file_findings.append(ok("config", f"the file is valid. Applications: {names}."))
    if application is not None:
        return list(config_file.applications.values())

    selected = config_file.enabled_applications()
    for settings in config_file.applications.values():
        if not settings.enabled:
            report.file_findings.append(info(
                f"application {settings.application}",
                f"not checked because {settings.application}.config.scim.enabled is false.",
                f"pass --application {settings.application} to check it anyway.",
            ))
    if not selected:
        report.file_findings.append(error(
            "config", "no application is enabled, so the server serves none.",
            "set <application>.config.scim.enabled to true and <application>.secrets.scim.token "
            "to a token from lime-scim token.",
        ))
    return selected


def _connection_target(report: CheckReport, selected: list[ScimSettings], url: str) -> str | None:
    """Return the application that ``url`` serves, or None after reporting why it is unknown."""
    if len(selected) == 1:
        return selected[0].application
    named = application_in_url(url)
    if named is not None and any(settings.application == named for settings in selected):
        return named
    checked = ", ".join(settings.application for settings in selected)
    report.file_findings.append(error(
        "connection",
        f"--url does not name one of the checked applications ({checked}), so Test Connection "
        "was not run.",
        "pass --application with the application that the URL serves.",
    ))
    return None


def _check_application(config_file: ConfigFile, settings: ScimSettings, url: str | None) -> ApplicationReport:
    report = ApplicationReport(settings.application)
    report.findings.append(check_enabled(settings))
    report.findings.append(check_token(settings))

    datamodel = check_datamodel(settings)
    shared_ids = None
    data_findings: list[Finding] = []
    if datamodel.limetypes is not None:
        data = check_data(config_file.database_url_for(settings.application), datamodel.limetypes)
        data_findings = data.findings
        shared_ids = data.shared_ids
    else:
        data_findings.append(info("data", "not checked, because the datamodel did not load."))

    report.findings.append(check_resource_ids(settings, shared_ids))
    report.findings.extend(datamodel.findings)
    report.findings.extend(data_findings)

    if url is not None:
        if settings.token:
            report.findings.append(run_test_connection(url, settings.token))
        else:
            report.findings.append(info("connection", "Test Connection not run, because the "
                                                      "application has no token."))
    return report


def _note_dropped_flag(report: CheckReport, tenant_url: TenantUrl) -> None:
    if tenant_url.dropped_flag is None:
        return
    report.file_findings.append(info(
        "connection",
        f"the query ?{tenant_url.dropped_flag} of --url was ignored, so the tenant URL is "
        f"{tenant_url.url}. The query only turns on Entra's SCIM 2.0 compliant requests, and "
        "lime-scim serves Entra with and without it.",
    ))


def run_check(config_path: Path, *, application: str | None = None,
              tenant_url: TenantUrl | None = None) -> CheckReport:
    """Check the config file and its applications, and return every finding.

    Without ``application`` every enabled application is checked. With it only that one,
    enabled or not. Test Connection runs only for the application that ``tenant_url`` serves.
    """
    report = CheckReport(config_path.absolute())
    config_file = _load(report, application)
    if config_file is None:
        return report

    selected = _select(report, config_file, application)
    url = None
    if tenant_url is not None:
        _note_dropped_flag(report, tenant_url)
        url = tenant_url.url
    target = _connection_target(report, selected, url) if url is not None and selected else None
    for settings in selected:
        application_url = url if settings.application == target else None
        report.applications.append(_check_application(config_file, settings, application_url))
    return report


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def render_report(report: CheckReport) -> list[str]:
    """Return the output lines: the file's findings, each application's, then a summary."""
    lines = [f"Config file {report.config_path}"]
    lines.extend(INDENT + finding.line() for finding in report.file_findings)
    for application in report.applications:
        lines.append("")
        lines.append(f"Application {application.name}")
        lines.extend(INDENT + finding.line() for finding in application.findings)

    errors = report.count(Severity.ERROR)
    warnings = report.count(Severity.WARNING)
    outcome = "check failed" if report.failed else "check passed"
    lines.append("")
    lines.append(f"Summary: {_plural(errors, 'error')}, {_plural(warnings, 'warning')} in "
                 f"{_plural(len(report.applications), 'application')}; {outcome}.")
    return lines
