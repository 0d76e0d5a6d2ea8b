"""``lime-scim check``: the datamodel of one application and the attribute mapping on it.

The resolver stops at the first problem, so these checks call it step by step, and once per
configured mapping, to report every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import ExtraMapping, ScimSettings
from ..mapping.labels import normalize_label
from ..mapping.resolver import (
    MappingError,
    ResolvedAttribute,
    UserMapping,
    find_coworker_limetype,
    resolve_user_mapping,
)
from ..objectapi.datamodel import DatamodelError, default_datamodel_path, load_datamodel
from ..objectapi.port import LimetypeInfo
from ..provisioning.binding import bind_user_mapping
from .check_findings import Finding, Severity, error, info, ok, one_line, warning

# LISA captions of the labels in the default mapping, by label key, for messages.
_CAPTIONS = {
    "name": "Name",
    "firstname": "First Name",
    "lastname": "Last Name",
    "primaryemailaddress": "Email",
    "secondaryemailaddress": "Email 2",
    "inactive": "Inactive",
    "jobtitle": "Job Title",
    "businesstelephonenumber": "Business Telephone Number",
    "mobiletelephonenumber": "Mobile Telephone Number",
    "hometelephonenumber": "Home Telephone Number",
    "responsiblecoworker": "Responsible Co-worker",
}


@dataclass
class DatamodelCheck:
    """The findings on the datamodel, and the limetypes when the file loaded."""

    findings: list[Finding] = field(default_factory=list)
    limetypes: Mapping[str, LimetypeInfo] | None = None


def _describe_label(key: str) -> str:
    caption = _CAPTIONS.get(key)
    if caption is None:
        return f"'{key}'"
    return f"'{caption}'" if caption.lower() == key else f"'{caption}' (key {key})"


def _duplicate_labels(coworker: LimetypeInfo) -> list[Finding]:
    """Report each label that more than one coworker property carries."""
    by_label: dict[str, list[str]] = {}
    for prop in coworker.properties.values():
        if prop.label is None:
            continue
        key = normalize_label(prop.label)
        if key in ("", "none"):
            continue
        by_label.setdefault(key, []).append(prop.name)

    findings = []
    for key, names in by_label.items():
        if len(names) < 2:
            continue
        listed = " and ".join(f"'{name}'" for name in names)
        findings.append(error(
            "duplicate label",
            f"the label {_describe_label(key)} is on {len(names)} properties of "
            f"'{coworker.name}': {listed}. The server does not start, because it cannot tell "
            "which property stores the attribute.",
            "remove the label from all but one of them in LISA (in the datamodel file: label).",
        ))
    return findings


def _target_of(resolved: ResolvedAttribute) -> str:
    if resolved.row.user_column is not None:
        return f"the [user] column {resolved.row.user_column}"
    assert resolved.property is not None
    return f"the property '{resolved.property.name}' ({resolved.property.type})"


def _check_extra_mapping(settings: ScimSettings, limetypes: Mapping[str, LimetypeInfo],
                         mapping: ExtraMapping) -> Finding:
    subject = f"mappings.{mapping.attribute}"
    try:
        resolved = resolve_user_mapping(
            limetypes, coworker_limetype=settings.coworker_limetype, extra=[mapping]
        )
        bind_user_mapping(resolved)
    except MappingError as problem:
        return error(subject, one_line(str(problem)))
    attribute = resolved.attribute(mapping.attribute)
    assert attribute is not None
    return ok(subject, f"stored in {_target_of(attribute)}.")


def _missing_label(mapping: UserMapping, resolved: ResolvedAttribute) -> Finding:
    label = _describe_label(resolved.row.label or "")
    coworker = mapping.coworker.name
    fix = (f"give the coworker property that should store it the field label {label} in LISA "
           "(in the datamodel file: label), or remove the attribute from the attribute mapping "
           "in Entra so that Entra stops sending it.")
    if resolved.row.user_column is not None:
        return warning(
            f"label {resolved.row.label}",
            f"no property of '{coworker}' has the label {label}, so {resolved.path} is stored "
            f"only in the [user] column {resolved.row.user_column}, not on the coworker.",
            fix,
        )
    return warning(
        f"label {resolved.row.label}",
        f"no property of '{coworker}' has the label {label}, so {resolved.path} is not stored. "
        "Values that Entra sends for it are accepted and ignored, and responses leave it out.",
        fix,
    )


def _mapping_findings(mapping: UserMapping) -> list[Finding]:
    findings = [_missing_label(mapping, resolved) for resolved in mapping.missing_labels]
    labelled = [resolved for resolved in mapping.attributes if resolved.row.label is not None]
    if not findings:
        findings.append(ok("labels", f"all {len(labelled)} labels of the mapping are on properties "
                                     f"of '{mapping.coworker.name}'."))
    for prop in mapping.unfillable:
        findings.append(error(
            "required property",
            f"'{mapping.coworker.name}.{prop.name}' is required and has no default and no mapped "
            "label, so every user create fails with 400.",
            f"give '{prop.name}' a default in the datamodel, or a field label of the mapping, or "
            "map a SCIM attribute to it under mappings in the scim config.",
        ))
    return findings


def _load(settings: ScimSettings, check: DatamodelCheck) -> Mapping[str, LimetypeInfo] | None:
    path = settings.datamodel or default_datamodel_path()
    try:
        limetypes = load_datamodel(path)
    except DatamodelError as problem:
        check.findings.append(error("datamodel", one_line(str(problem))))
        return None
    origin = "the packaged default datamodel" if settings.datamodel is None else str(path)
    check.findings.append(ok("datamodel", f"{origin} loaded, with the limetypes "
                                          f"{', '.join(sorted(limetypes))}."))
    return limetypes


def check_datamodel(settings: ScimSettings) -> DatamodelCheck:
    """Check the datamodel file, the coworker limetype, its labels and the configured mappings."""
    check = DatamodelCheck()
    limetypes = _load(settings, check)
    if limetypes is None:
        return check
    check.limetypes = limetypes

    try:
        coworker = find_coworker_limetype(limetypes, settings.coworker_limetype)
    except MappingError as problem:
        check.findings.append(error("coworker limetype", one_line(str(problem))))
        return check

    duplicates = _duplicate_labels(coworker)
    if duplicates:
        check.findings.extend(duplicates)
        check.findings.append(info("mapping", "labels, required properties and mappings are "
                                              "checked once each label is on one property."))
        return check

    try:
        base = resolve_user_mapping(limetypes, coworker_limetype=settings.coworker_limetype)
        bind_user_mapping(base)
    except MappingError as problem:
        check.findings.append(error("coworker limetype", one_line(str(problem))))
        return check
    found_by = ("named by coworker_limetype" if settings.coworker_limetype is not None
                else f"found by its table label '{coworker.table_label}'")
    check.findings.append(ok("coworker limetype", f"'{coworker.name}', {found_by}, linked to [user] "
                                                  f"by its property '{base.link_property}'."))

    valid = []
    for extra in settings.mappings:
        finding = _check_extra_mapping(settings, limetypes, extra)
        check.findings.append(finding)
        if finding.severity is not Severity.ERROR:
            valid.append(extra)

    try:
        combined = resolve_user_mapping(
            limetypes, coworker_limetype=settings.coworker_limetype, extra=valid
        )
        bind_user_mapping(combined)
    except MappingError as problem:
        # Each mapping is valid alone, but two of them can still point at one property.
        check.findings.append(error("mappings", one_line(str(problem))))
        combined = base
    check.findings.extend(_mapping_findings(combined))
    return check
