"""Translation of parsed SCIM filters into store criteria that run as indexed queries.

Every attribute the mapping stores can be filtered: ``[user]`` columns directly and coworker
properties through the user link. A value path over a multi-valued attribute that the CRM stores
as one property per ``type`` (``emails[type eq "work"].value``) becomes one condition per stored
type, with the ``type`` comparisons decided here. An attribute the CRM does not store cannot be
filtered: that is an ``invalidFilter`` error rather than an empty result, because an empty result
makes Entra create a duplicate user.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from dateutil import parser as date_parser

from ..mapping.resolver import MANAGER_PATH
from ..objectapi.port import AllOf, AnyOf, Compare, Criterion, Field, Negate, Nothing, Order
from ..scim.constants import ENTERPRISE_URN, GROUP_URN, USER_URN
from ..scim.errors import InvalidFilter, InvalidValue
from ..scim.filter import And, AttrPath, Comparison, Expr, Not, Or, ValuePath, chain_operands
from ..scim.schemas import parse_boolean
from ..scim.search import SortKey
from .binding import BoundAttribute, UserBinding
from .ids import parse_record_id

_ALWAYS = AllOf(())

# Operators that order values; RFC 7644 §3.4.2.2 forbids them on booleans.
_ORDERING = frozenset({"gt", "ge", "lt", "le"})
# Operators that match a substring, which only text attributes and string values have.
_TEXT_MATCHING = frozenset({"co", "sw", "ew"})


@dataclass(frozen=True, slots=True)
class _Column:
    field: Field
    case_exact: bool
    kind: str = "string"


def _simplify_and(items: list[Criterion]) -> Criterion:
    if any(isinstance(item, Nothing) for item in items):
        return Nothing()
    kept = tuple(item for item in items if item != _ALWAYS)
    if len(kept) == 1:
        return kept[0]
    return AllOf(kept)


def _simplify_or(items: list[Criterion]) -> Criterion:
    if any(item == _ALWAYS for item in items):
        return _ALWAYS
    kept = tuple(item for item in items if not isinstance(item, Nothing))
    if not kept:
        return Nothing()
    if len(kept) == 1:
        return kept[0]
    return AnyOf(kept)


def _timestamp(value: object, attribute: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidFilter(f"'{attribute}' is a dateTime; compare it with a quoted date such as "
                            "\"2025-01-31T00:00:00Z\".")
    try:
        parsed = date_parser.isoparse(value)
    except ValueError as error:
        raise InvalidFilter(f"'{value}' is not a valid dateTime for '{attribute}'.") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


class _Translator:
    """Shared walk over the AST; subclasses map each attribute path to a column."""

    # True when SCIM ids are record ids (use_legacy_resource_ids). Each subclass sets it.
    _legacy_ids: bool

    def translate(self, expr: Expr) -> Criterion:
        # chain_operands flattens long and/or chains, which would otherwise recurse once per term.
        if isinstance(expr, And):
            return _simplify_and([self.translate(operand) for operand in chain_operands(expr)])
        if isinstance(expr, Or):
            return _simplify_or([self.translate(operand) for operand in chain_operands(expr)])
        if isinstance(expr, Not):
            inner = self.translate(expr.expr)
            if isinstance(inner, Nothing):
                return _ALWAYS
            return Nothing() if inner == _ALWAYS else Negate(inner)
        if isinstance(expr, ValuePath):
            return self.value_path(expr)
        return self.comparison(expr)

    def value_path(self, expr: ValuePath) -> Criterion:
        raise InvalidFilter(f"Value filters are not supported on '{_name(expr.path)}'.")

    def id_criterion(self, table: Literal["user", "group"], op: str, value: object) -> Criterion:
        """Compare the resource id, resolving an id the way a GET by id does.

        In both id modes a plain number is a record id (the legacy form) and any other text
        is an opaque ``scim_id``, so ``id eq`` finds every resource that a GET by id finds.
        The other operators compare the column of the configured mode.
        """
        if isinstance(value, int) and not isinstance(value, bool):
            # An unquoted number (id eq 1001) is the same id as the quoted one.
            value = str(value)
        if op in ("eq", "ne") and isinstance(value, str):
            record_id = parse_record_id(value)
            if record_id is not None:
                match = Compare(Field(table, "id"), "eq", record_id)
            else:
                match = Compare(Field(table, "scim_id"), "eq", value)
            return match if op == "eq" else Negate(match)

        field = Field(table, "id") if self._legacy_ids else Field(table, "scim_id")
        column = _Column(field, True, "record_id" if self._legacy_ids else "string")
        return self.compare(column, op, value, "id")

    def comparison(self, expr: Comparison) -> Criterion:
        raise NotImplementedError

    @staticmethod
    def compare(column: _Column, op: str, value: object, attribute: str) -> Criterion:
        if column.kind == "boolean":
            if op in _ORDERING:
                raise InvalidFilter(f"'{attribute}' is a boolean and cannot be compared with '{op}'.")
            if op in ("eq", "ne") and isinstance(value, str):
                # Entra sends booleans as "True" and "False", in filters as in PATCH values.
                try:
                    value = parse_boolean(value)
                except ValueError as error:
                    raise InvalidFilter(f"'{attribute}' is a boolean; compare it with true or false, "
                                        f"not {value!r}.") from error
            if op in ("eq", "ne") and not isinstance(value, bool):
                raise InvalidFilter(f"'{attribute}' is a boolean; compare it with true or false.")
        if op in _TEXT_MATCHING and (column.kind != "string" or value is None or isinstance(value, bool)):
            raise InvalidFilter(f"The operator '{op}' matches text, so it needs a text attribute and a "
                                f"quoted string, not '{attribute}' and {_literal(value)}.")
        if column.kind == "string" and isinstance(value, bool):
            raise InvalidFilter(f"'{attribute}' is text; compare it with a quoted string, not {_literal(value)}.")
        if column.kind == "dateTime" and op != "pr":
            value = _timestamp(value, attribute)
        if column.kind == "record_id" and op != "pr":
            record_id = parse_record_id(value) if isinstance(value, str) else None
            if record_id is None:
                # No record has this id: it equals nothing and differs from everything.
                if op == "ne":
                    return _ALWAYS
                return Nothing()
            value = record_id
        if column.kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
            # An unquoted number (externalId eq 12345) compares as text with a string attribute.
            value = str(value)
        return Compare(column.field, op, value, case_exact=column.case_exact)  # type: ignore[arg-type]


def _literal(value: object) -> str:
    """Return ``value`` as the filter text that gives it: true, false, null, a number or a quoted string."""
    return json.dumps(value, ensure_ascii=False)


def _case_exact(binding: UserBinding, bound: BoundAttribute) -> bool:
    """Return the caseExact characteristic that the application's User schema gives ``bound``."""
    if bound.name == "externalId":
        return True
    definition = binding.resource.definition
    schema = definition.core if bound.urn.lower() == USER_URN.lower() else definition.extension(bound.urn)
    attribute = schema.attribute_named(bound.name) if schema is not None else None
    if attribute is not None and bound.sub_name is not None:
        attribute = attribute.sub(bound.sub_name)
    return attribute.case_exact if attribute is not None else False


def _name(path: AttrPath) -> str:
    name = path.attribute if path.sub_attribute is None else f"{path.attribute}.{path.sub_attribute}"
    return f"{path.schema}:{name}" if path.schema else name


def _check_schema(path: AttrPath, allowed: tuple[str, ...]) -> None:
    if path.schema is not None and path.schema.lower() not in {urn.lower() for urn in allowed}:
        raise InvalidFilter(f"The schema '{path.schema}' in '{_name(path)}' is not supported here.")


# ----------------------------------------------------------------------------------------------
# Users


class UserFilterTranslator(_Translator):
    """Translates user filters using the application's resolved mapping."""

    def __init__(self, binding: UserBinding, *, legacy_ids: bool,
                 managers: Mapping[str, int | None] | None = None) -> None:
        self._binding = binding
        self._legacy_ids = legacy_ids
        self._by_path = {bound.path.lower(): bound for bound in binding.attributes}
        # Coworker id of each manager id the filter names (None: no such user), resolved by the
        # caller because the filter names users by SCIM id and the store keeps coworker ids.
        self._managers = managers or {}

    def _column_of(self, bound: BoundAttribute) -> _Column:
        kind = "boolean" if bound.kind == "boolean" else "string"
        # RFC 7644 §3.4.2.2: strings compare by the attribute's caseExact characteristic.
        case_exact = _case_exact(self._binding, bound)
        if bound.user_column is not None:
            return _Column(Field("user", bound.user_column), case_exact, kind)
        if bound.property is None:
            raise InvalidFilter(f"'{bound.path}' is not stored by this CRM, so it cannot be filtered.")
        if bound.kind == "manager":
            raise InvalidFilter("Filtering on the manager is not supported.")
        return _Column(Field("object", bound.property.name), case_exact, kind)

    def comparison(self, expr: Comparison) -> Criterion:
        path = expr.path
        _check_schema(path, (USER_URN, ENTERPRISE_URN))
        name = _name(path).lower()
        if path.schema and path.schema.lower() == USER_URN.lower():
            name = _name(AttrPath(None, path.attribute, path.sub_attribute)).lower()

        if name == "id":
            return self.id_criterion("user", expr.op, expr.value)
        if name in ("meta.created", "meta.lastmodified"):
            field = Field("user", "created" if name == "meta.created" else "updated")
            return self.compare(_Column(field, True, "dateTime"), expr.op, expr.value, _name(path))
        if is_manager_path(path):
            return self._manager(expr)

        multi = self._multi_valued(path.attribute, path.sub_attribute or "value") if path.schema is None else []
        if multi:
            # emails.value eq "x": true when any stored email matches (RFC 7644 §3.4.2.2).
            return _simplify_or([self.compare(self._column_of(r), expr.op, expr.value, r.path) for r in multi])

        resolved = self._by_path.get(name)
        if resolved is None:
            raise InvalidFilter(f"'{_name(path)}' is not an attribute this server can filter on.")
        return self.compare(self._column_of(resolved), expr.op, expr.value, resolved.path)

    def _manager(self, expr: Comparison) -> Criterion:
        """Translate ``manager eq "id"``, the reference check of Entra's older documentation."""
        bound = self._binding.attribute(MANAGER_PATH)
        if bound is None or bound.property is None:
            raise InvalidFilter("The manager is not stored by this CRM, so it cannot be filtered.")
        field = Field("object", bound.property.name)
        if expr.op == "pr":
            return Compare(field, "pr")
        if expr.op not in ("eq", "ne") or not isinstance(expr.value, str):
            raise InvalidFilter("The manager can only be compared with eq or ne and a quoted user id.")
        coworker_id = self._managers.get(expr.value)
        if coworker_id is None:
            return Nothing() if expr.op == "eq" else _ALWAYS
        return Compare(field, expr.op, coworker_id)  # type: ignore[arg-type]

    def _multi_valued(self, attribute: str, sub: str | None) -> list[BoundAttribute]:
        """Return the stored elements of a multi-valued attribute; ``sub`` None means any."""
        wanted = attribute.lower()
        return [bound for bound in self._binding.attributes
                if bound.slot.multi_valued and bound.name.lower() == wanted
                and (sub is None or (bound.sub_name or "").lower() == sub.lower())]

    def value_path(self, expr: ValuePath) -> Criterion:
        candidates = self._multi_valued(expr.path.attribute, None)
        if not candidates:
            raise InvalidFilter(f"'{_name(expr.path)}' is not a multi-valued attribute this server stores.")
        types = dict.fromkeys(bound.slot.type_value or "" for bound in candidates)
        branches = []
        for type_value in types:
            subs = {(b.sub_name or "").lower(): b for b in candidates if b.slot.type_value == type_value}
            branches.append(self._element(expr.filter, type_value, subs))
        return _simplify_or(branches)

    def _element(self, expr: Expr, type_value: str, subs: dict[str, BoundAttribute]) -> Criterion:
        """Translate a value filter for the elements of one ``type``, whose stored
        sub-attributes are ``subs``."""
        if isinstance(expr, And):
            return _simplify_and([self._element(operand, type_value, subs) for operand in chain_operands(expr)])
        if isinstance(expr, Or):
            return _simplify_or([self._element(operand, type_value, subs) for operand in chain_operands(expr)])
        if isinstance(expr, Not):
            inner = self._element(expr.expr, type_value, subs)
            if isinstance(inner, Nothing):
                return _ALWAYS
            return Nothing() if inner == _ALWAYS else Negate(inner)
        if isinstance(expr, ValuePath):
            raise InvalidFilter("Value filters cannot be nested.")
        sub = expr.path.attribute.lower()
        if sub == "type":
            return _ALWAYS if _static_match(type_value, expr.op, expr.value) else Nothing()
        bound = subs.get(sub)
        if bound is not None:
            return self.compare(self._column_of(bound), expr.op, expr.value, bound.path)
        if any(sub in (other.sub_name or "").lower() for other in self._binding.attributes):
            # Stored for other types only: no element of this type can match.
            return Nothing()
        raise InvalidFilter(f"'{expr.path.attribute}' cannot be used inside a value filter on this server.")


def _static_match(actual: str, op: str, value: Any) -> bool:
    """Decide a comparison on a value known here (the ``type`` of a stored element)."""
    if op == "pr":
        return True
    if not isinstance(value, str):
        return op == "ne"
    checks: dict[str, Callable[[str, str], bool]] = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "co": lambda a, b: b in a,
        "sw": lambda a, b: a.startswith(b),
        "ew": lambda a, b: a.endswith(b),
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
    }
    return checks[op](actual.lower(), value.lower())


def is_manager_path(path: AttrPath) -> bool:
    """Return True for ``manager`` or ``manager.value``, bare or with the enterprise URN."""
    return (path.attribute.lower() == "manager"
            and (path.sub_attribute is None or path.sub_attribute.lower() == "value")
            and (path.schema is None or path.schema.lower() == ENTERPRISE_URN.lower()))


def manager_ids(expr: Expr | None) -> set[str]:
    """Return the user ids that ``manager`` comparisons in ``expr`` name."""
    found: set[str] = set()
    pending = [expr] if expr is not None else []
    while pending:
        node = pending.pop()
        if isinstance(node, (And, Or)):
            pending.extend(chain_operands(node))
        elif isinstance(node, Not):
            pending.append(node.expr)
        elif isinstance(node, Comparison) and is_manager_path(node.path) and isinstance(node.value, str):
            found.add(node.value)
    return found


def user_criteria(expr: Expr | None, binding: UserBinding, *, legacy_ids: bool,
                  managers: Mapping[str, int | None] | None = None) -> Criterion:
    """Return the store criteria for a user filter, always excluding deleted users.

    ``managers`` maps each id from :func:`manager_ids` to the manager's coworker id.
    """
    visible = Compare(Field("user", "scim_deleted"), "eq", False)
    if expr is None:
        return visible
    translator = UserFilterTranslator(binding, legacy_ids=legacy_ids, managers=managers)
    return _simplify_and([translator.translate(expr), visible])


# ----------------------------------------------------------------------------------------------
# Groups


class GroupFilterTranslator(_Translator):
    """Translates group filters: displayName, externalId, id, the meta dates and member ids."""

    def __init__(self, *, legacy_ids: bool) -> None:
        self._legacy_ids = legacy_ids

    def comparison(self, expr: Comparison) -> Criterion:
        path = expr.path
        _check_schema(path, (GROUP_URN,))
        name = _name(AttrPath(None, path.attribute, path.sub_attribute)).lower()
        columns = {
            "displayname": _Column(Field("group", "name"), False),
            "externalid": _Column(Field("group", "external_id"), True),
            "meta.created": _Column(Field("group", "created"), True, "dateTime"),
            "meta.lastmodified": _Column(Field("group", "updated"), True, "dateTime"),
        }
        if name == "id":
            return self.id_criterion("group", expr.op, expr.value)
        if name in ("members", "members.value"):
            return _member_criterion(expr.op, expr.value, _name(path))
        column = columns.get(name)
        if column is None:
            raise InvalidFilter(f"'{_name(path)}' is not an attribute this server can filter groups on.")
        return self.compare(column, expr.op, expr.value, _name(path))


    def value_path(self, expr: ValuePath) -> Criterion:
        if expr.path.attribute.lower() != "members" or (
                expr.path.schema is not None and expr.path.schema.lower() != GROUP_URN.lower()):
            return super().value_path(expr)
        inner = expr.filter
        if not (isinstance(inner, Comparison) and inner.path.schema is None and inner.path.sub_attribute is None
                and inner.path.attribute.lower() == "value"):
            raise InvalidFilter('A members value filter can only test the member id, as in members[value eq "id"].')
        return _member_criterion(inner.op, inner.value, "members.value")


def _member_criterion(op: str, value: object, attribute: str) -> Criterion:
    """Return the criterion of ``members.value eq "id"`` or ``members pr``.

    The id is resolved as a GET by id resolves it: a plain number is a record id and other
    text an opaque id. Other operators would need the members loaded, so they are rejected.
    """
    if op == "pr":
        return Compare(Field("member", "user_id"), "pr")
    if op != "eq":
        raise InvalidFilter(f"'{attribute}' can only be compared with eq (a member id) or pr.")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidFilter(f"Compare '{attribute}' with a member id in quotes, as in members.value eq \"2819c223\".")
    record_id = parse_record_id(value)
    if record_id is not None:
        return Compare(Field("member", "user_id"), "eq", record_id)
    return Compare(Field("member", "user_scim_id"), "eq", value)


def group_criteria(expr: Expr | None, *, legacy_ids: bool) -> Criterion:
    """Return the store criteria for a group filter, always excluding deleted groups."""
    visible = Compare(Field("group", "scim_deleted"), "eq", False)
    if expr is None:
        return visible
    return _simplify_and([GroupFilterTranslator(legacy_ids=legacy_ids).translate(expr), visible])


# ----------------------------------------------------------------------------------------------
# Sorting (RFC 7644 §3.4.2.3)


def _sort_name(sort: SortKey, core_urn: str) -> str:
    path = sort.path
    if path.schema is not None and path.schema.lower() == core_urn.lower():
        path = AttrPath(None, path.attribute, path.sub_attribute)
    return _name(path).lower()


def _id_order(table: Literal["user", "group"], legacy_ids: bool, descending: bool) -> Order:
    return Order(Field(table, "id" if legacy_ids else "scim_id"), descending)


def user_order(sort: SortKey | None, binding: UserBinding, *, legacy_ids: bool) -> tuple[Order, ...]:
    """Return the store order for ``sortBy`` on users: the column the attribute is stored in.

    A multi-valued attribute sorts by its first stored element (``emails`` by the work email),
    in place of the primary value that RFC 7644 §3.4.2.3 names. Raises InvalidValue
    for an attribute this application does not store or a complex attribute without a
    sub-attribute.
    """
    if sort is None:
        return ()
    name = _sort_name(sort, USER_URN)
    if name == "id":
        return (_id_order("user", legacy_ids, sort.descending),)
    if name in ("meta.created", "meta.lastmodified"):
        column = "created" if name == "meta.created" else "updated"
        return (Order(Field("user", column), sort.descending),)

    by_path = {bound.path.lower(): bound for bound in binding.attributes}
    bound = by_path.get(name)
    if bound is None and sort.path.schema is None:
        sub = (sort.path.sub_attribute or "value").lower()
        bound = next((candidate for candidate in binding.attributes
                      if candidate.slot.multi_valued and candidate.name.lower() == sort.path.attribute.lower()
                      and (candidate.sub_name or "").lower() == sub), None)
    if bound is None or bound.kind == "manager" or (bound.user_column is None and bound.property is None):
        raise InvalidValue(f"The sortBy attribute '{_name(sort.path)}' is not one this server can sort users by. "
                           "Use an attribute listed in /Schemas, such as userName or name.familyName.")
    case_exact = _case_exact(binding, bound)
    if bound.user_column is not None:
        field = Field("user", bound.user_column)
    else:
        assert bound.property is not None
        field = Field("object", bound.property.name)
    return (Order(field, sort.descending, case_exact),)


_GROUP_SORT_COLUMNS = {
    "displayname": ("name", False),
    "externalid": ("external_id", True),
    "meta.created": ("created", True),
    "meta.lastmodified": ("updated", True),
}


def group_order(sort: SortKey | None, *, legacy_ids: bool) -> tuple[Order, ...]:
    """Return the store order for ``sortBy`` on groups, or raise InvalidValue."""
    if sort is None:
        return ()
    name = _sort_name(sort, GROUP_URN)
    if name == "id":
        return (_id_order("group", legacy_ids, sort.descending),)
    column = _GROUP_SORT_COLUMNS.get(name)
    if column is None:
        raise InvalidValue(f"The sortBy attribute '{_name(sort.path)}' is not one this server can sort groups by. "
                           "Use displayName, externalId, id, meta.created or meta.lastModified.")
    return (Order(Field("group", column[0]), sort.descending, column[1]),)
