"""Translate the port's criteria into SQL conditions, and run paged and batched queries.

Every comparison is two-valued: it is true or false, never NULL, even on a NULL column or on
the columns of a missing linked object. So ``Negate(x)`` matches exactly the rows that ``x``
does not match, as SCIM's ``not`` requires. Values are always bound parameters.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    case,
    Connection,
    FromClause,
    RowMapping,
    Select,
    String,
    Table,
    and_,
    bindparam,
    distinct,
    false,
    func,
    not_,
    or_,
    select,
    true,
)

from ..port import (
    AllOf,
    AnyOf,
    Compare,
    Criterion,
    Field,
    Negate,
    Nothing,
    Order,
    UnknownLimetype,
    ValueRejected,
)
from . import statements
from .values import check_value, is_record_id

T = TypeVar("T")

# Maximum number of values in one IN list. SQLite allows 32766 bound parameters per
# statement since 3.32; smaller batches also keep PostgreSQL's plans simple.
CHUNK_SIZE = 500

# Escape character for LIKE patterns, declared in every LIKE with ESCAPE.
_LIKE_ESCAPE = "\\"
_ORDERING: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


@dataclass(frozen=True, slots=True)
class FieldSource:
    """A table that ``Field(table, ...)`` names: its entity name for errors, and the table.

    ``outer`` marks a LEFT OUTER JOINed table, whose columns can be NULL on any row.
    ``columns`` limits which columns a filter may name; None allows every column.
    """

    entity: str
    table: Table
    outer: bool = False
    columns: frozenset[str] | None = None


def chunks(values: Iterable[T], size: int = CHUNK_SIZE) -> Iterator[list[T]]:
    """Yield ``values`` in lists of at most ``size`` items."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def references_table(criterion: Criterion | None, table: str) -> bool:
    """Return whether ``criterion`` names a field of ``table`` ("user", "group" or "object")."""
    if isinstance(criterion, Compare):
        return criterion.field.table == table
    if isinstance(criterion, (AllOf, AnyOf)):
        return any(references_table(item, table) for item in criterion.items)
    if isinstance(criterion, Negate):
        return references_table(criterion.item, table)
    return False


SortColumn = Callable[[Field], ColumnElement[Any]]


def sort_columns(order: Sequence[Order], column_of: SortColumn) -> list[ColumnElement[Any]]:
    """Return ORDER BY terms for ``order``; ``column_of`` gives the expression of a field.

    RFC 7644 §3.4.2.3 puts resources without a ``sortBy`` value last in ascending and first
    in descending order. NULL and the empty string both count as no value.
    """
    terms: list[ColumnElement[Any]] = []
    for key in order:
        column = column_of(key.field)
        is_text = isinstance(column.type, String)
        missing = or_(column.is_(None), column == "") if is_text else column.is_(None)
        no_value = case((missing, 1), else_=0)
        value = func.lower(column) if is_text and not key.case_exact else column
        if key.descending:
            terms.extend((no_value.desc(), value.desc()))
        else:
            terms.extend((no_value.asc(), value.asc()))
    return terms


def table_column(source: FieldSource, field: Field) -> ColumnElement[Any]:
    """Return the column of ``source`` that ``field`` names, or raise UnknownLimetype."""
    allowed = source.columns
    if field.name not in source.table.c or (allowed is not None and field.name not in allowed):
        raise UnknownLimetype(f"{source.entity} has no property or column '{field.name}'")
    return source.table.c[field.name]


@dataclass(frozen=True, slots=True)
class VisibleEquality:
    """A query for rows not deleted through SCIM whose column equals a value."""

    column_name: str
    value: object
    ignore_case: bool
    limit: int


def visible_equality(
    table: Table,
    entity: str,
    criterion: Criterion | None,
    *,
    columns: Collection[str],
    offset: int,
    limit: int | None,
    order: Sequence[Order],
) -> VisibleEquality | None:
    """Return the parts of a first page of ``column eq value AND scim_deleted eq false``.

    That is the criterion of Entra's lookups by userName, displayName or externalId, so most
    queries can run a prebuilt statement instead of building one. Return None, and leave the
    query to :func:`fetch_page`, for any other criterion, a sort order, an offset, no or a zero
    limit, and a value that compiles to ``IS NULL``.
    """
    if offset != 0 or not limit or order or not isinstance(criterion, AllOf):
        return None
    if len(criterion.items) != 2:
        return None
    match, visible = criterion.items
    if visible != Compare(Field(entity, "scim_deleted"), "eq", False):
        return None
    if not isinstance(match, Compare) or match.op != "eq" or match.field.table != entity:
        return None
    if match.field.name not in columns or match.field.name == "scim_deleted":
        return None
    column = table.c[match.field.name]
    value = check_value(entity, match.field.name, column, match.value, check_length=False)
    if value is None:
        return None
    ignore_case = isinstance(column.type, String) and not match.case_exact
    return VisibleEquality(match.field.name, value, ignore_case, limit)


def fetch_visible_equal_page(
    connection: Connection, table: Table, query: VisibleEquality
) -> tuple[int, Sequence[RowMapping]] | None:
    """Return the total and the rows of ``query``, or None when the page is full.

    A full page needs a COUNT for its total, which :func:`fetch_page` runs.
    """
    statement = statements.select_visible_page(table, query.column_name, ignore_case=query.ignore_case)
    rows = connection.execute(statement, {statements.VALUE: query.value, statements.LIMIT: query.limit})
    page = rows.mappings().all()
    if len(page) >= query.limit:
        return None
    return len(page), page


def fetch_page(
    connection: Connection,
    table: Table,
    source: FromClause,
    condition: ColumnElement[bool],
    *,
    joined: bool,
    offset: int,
    limit: int | None,
    order_by: Sequence[ColumnElement[Any]] = (),
) -> tuple[int, Sequence[RowMapping]]:
    """Return the number of matching rows of ``table`` and one page of them.

    Rows are sorted by ``order_by`` and then by id. ``source`` is ``table`` itself or a join
    on it. A join can repeat a row of ``table`` (a user linked from two objects), so with
    ``joined`` rows are counted and returned once.
    """
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, not {offset}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")

    counted = func.count(distinct(table.c.id)) if joined else func.count()
    count_statement = select(counted).select_from(source).where(condition)
    total: int | None = None
    if offset > 0 or limit == 0:
        # Counting first answers an offset past the end without running it, which also keeps
        # offsets beyond SQLite's 64-bit integers out of the query.
        total = connection.execute(count_statement).scalar_one()
        if limit == 0 or offset >= total:
            return total, ()

    if joined:
        # Select the matching ids through the join and the rows from the table alone, so a
        # row is returned once without DISTINCT. PostgreSQL rejects a SELECT DISTINCT whose
        # ORDER BY has expressions outside its select list, as the sort keys are.
        matching = select(table.c.id).select_from(source).where(condition)
        statement = select(table).where(table.c.id.in_(matching))
    else:
        statement = select(table).select_from(source).where(condition)
    statement = statement.order_by(*order_by, table.c.id).offset(offset).limit(limit)
    rows = connection.execute(statement).mappings().all()
    if total is not None:
        return total, rows
    # A first page that is not full contains the whole result, so its length is the total.
    # Entra's userName and displayName lookups take this path and run no COUNT.
    if limit is None or len(rows) < limit:
        return len(rows), rows
    return connection.execute(count_statement).scalar_one(), rows


def fetch_in_chunks(
    connection: Connection,
    table: Table,
    column_name: str,
    values: Iterable[object],
    *,
    extra: ColumnElement[bool] | None = None,
) -> list[RowMapping]:
    """Return the rows of ``table`` whose column is one of ``values``, in batched IN lists."""
    column = table.c[column_name]
    unique = list(dict.fromkeys(values))
    if len(unique) == 1 and extra is None:
        # Most requests read one user or coworker. An expanding IN renders its SQL again on
        # every run, so one value takes the prebuilt "column = :value" statement instead.
        single = connection.execute(statements.select_by(table, column_name), {statements.VALUE: unique[0]})
        return list(single.mappings())
    rows: list[RowMapping] = []
    for batch in chunks(unique):
        if extra is None:
            result = connection.execute(_select_in(table, column_name), {_IN_VALUES: batch})
        else:
            result = connection.execute(select(table).where(and_(column.in_(batch), extra)))
        rows.extend(result.mappings())
    return rows


_IN_VALUES = "in_values"


@functools.lru_cache(maxsize=256)
def _select_in(table: Table, column_name: str) -> Select[Any]:
    """Return ``SELECT * FROM table WHERE column IN (:in_values)``, built once per table and column.

    Most requests read rows by id this way. Under cProfile these reads took about a fifth of a
    userName lookup's time, much of it spent building each statement and its cache key, so the
    statement is built once and reused with an expanding parameter. The cache holds tables of
    closed stores too, up to its size.
    """
    return select(table).where(table.c[column_name].in_(bindparam(_IN_VALUES, expanding=True)))


@dataclass(frozen=True, slots=True)
class MembershipSource:
    """The tables a ``Field("member", ...)`` criterion on groups reads."""

    group: Table
    member: Table
    user: Table


class CriterionCompiler:
    """Compile port criteria into SQLAlchemy conditions for one query.

    ``sources`` maps each allowed ``Field.table`` ("user", "group", "object") to the table it
    reads. ``dialect_name`` selects the case-exact pattern match: SQLite's LIKE ignores
    ASCII letter case, so case-exact patterns use GLOB there.
    """

    def __init__(
        self,
        sources: Mapping[str, FieldSource],
        dialect_name: str,
        membership: MembershipSource | None = None,
    ) -> None:
        self._sources = sources
        self._dialect_name = dialect_name
        self._membership = membership

    def compile(self, criterion: Criterion | None) -> ColumnElement[bool]:
        if criterion is None:
            return true()
        if isinstance(criterion, Compare) and criterion.field.table == "member":
            return self._member(criterion)
        if isinstance(criterion, Compare):
            return self._compare(criterion)
        if isinstance(criterion, AllOf):
            return and_(true(), *(self.compile(item) for item in criterion.items))
        if isinstance(criterion, AnyOf):
            return or_(false(), *(self.compile(item) for item in criterion.items))
        if isinstance(criterion, Negate):
            return not_(self.compile(criterion.item))
        if isinstance(criterion, Nothing):
            return false()
        raise TypeError(f"unknown criterion {criterion!r}")

    def _resolve(self, field: Field) -> tuple[FieldSource, ColumnElement[Any]]:
        source = self._sources.get(field.table)
        if source is None:
            raise ValueError(
                f"this query cannot filter on Field({field.table!r}, ...); it reads "
                f"{', '.join(sorted(self._sources))}"
            )
        return source, table_column(source, field)

    def _member(self, criterion: Compare) -> ColumnElement[bool]:
        """Compile a membership test: does the group have a member with this id?

        Only ``eq`` and ``pr`` are supported; each is one EXISTS on the membership table's
        primary key or user index, so it never reads the group's other members.
        """
        tables = self._membership
        if tables is None:
            raise ValueError("this query cannot filter on group members")
        member = tables.member
        belongs = member.c.group_id == tables.group.c.id
        if criterion.op == "pr":
            return select(member.c.user_id).where(belongs).exists()
        if criterion.op != "eq":
            raise ValueRejected("group", "members", f"operator {criterion.op} is not supported on members")
        if criterion.field.name == "user_id":
            if not is_record_id(criterion.value):
                return false()
            return select(member.c.user_id).where(belongs, member.c.user_id == criterion.value).exists()
        if criterion.field.name == "user_scim_id":
            if not isinstance(criterion.value, str):
                return false()
            user = tables.user
            matching_user = select(user.c.id).where(user.c.scim_id == criterion.value).scalar_subquery()
            return select(member.c.user_id).where(belongs, member.c.user_id == matching_user).exists()
        raise UnknownLimetype(f"group members have no field '{criterion.field.name}'")

    def _compare(self, criterion: Compare) -> ColumnElement[bool]:
        source, column = self._resolve(criterion.field)
        may_be_null = source.outer or bool(getattr(column, "nullable", True))
        is_text = isinstance(column.type, String)

        if criterion.op == "pr":
            present = column.is_not(None)
            return and_(present, column != "") if is_text else present

        value = check_value(
            source.entity, criterion.field.name, column, criterion.value, check_length=False
        )
        if value is None:
            return self._compare_null(source, criterion)

        fold_case = is_text and not criterion.case_exact
        left = func.lower(column) if fold_case else column
        right: ColumnElement[Any] = bindparam(None, value, type_=column.type)
        if fold_case:
            right = func.lower(right)

        if criterion.op == "ne":
            return or_(column.is_(None), left != right) if may_be_null else left != right
        if criterion.op == "eq":
            condition = left == right
        elif criterion.op in _ORDERING:
            condition = _ORDERING[criterion.op](left, right)
        else:
            condition = self._pattern(source, criterion, column, str(value))
        # "column IS NOT NULL AND ..." is false, not NULL, on a NULL column.
        return and_(column.is_not(None), condition) if may_be_null else condition

    def _compare_null(self, source: FieldSource, criterion: Compare) -> ColumnElement[bool]:
        column = source.table.c[criterion.field.name]
        if criterion.op == "eq":
            return column.is_(None)
        if criterion.op == "ne":
            return column.is_not(None)
        raise ValueRejected(
            source.entity, criterion.field.name, f"operator {criterion.op} needs a value"
        )

    def _pattern(
        self, source: FieldSource, criterion: Compare, column: ColumnElement[Any], value: str
    ) -> ColumnElement[bool]:
        if not isinstance(column.type, String):
            raise ValueRejected(
                source.entity,
                criterion.field.name,
                f"operator {criterion.op} applies to strings only",
            )
        wrap = _PATTERN_SHAPES[criterion.op]

        if criterion.case_exact and self._dialect_name == "sqlite":
            pattern = wrap(_escape_glob(value), "*")
            return column.op("GLOB", is_comparison=True)(bindparam(None, pattern, type_=String()))

        pattern_param = bindparam(None, wrap(_escape_like(value), "%"), type_=String())
        if criterion.case_exact:
            return column.like(pattern_param, escape=_LIKE_ESCAPE)
        return func.lower(column).like(func.lower(pattern_param), escape=_LIKE_ESCAPE)


_PATTERN_SHAPES: dict[str, Callable[[str, str], str]] = {
    "co": lambda value, wildcard: f"{wildcard}{value}{wildcard}",
    "sw": lambda value, wildcard: f"{value}{wildcard}",
    "ew": lambda value, wildcard: f"{wildcard}{value}",
}


def _escape_like(value: str) -> str:
    """Escape LIKE's wildcards and the escape character itself."""
    return (
        value.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )


def _escape_glob(value: str) -> str:
    """Escape GLOB's wildcards; GLOB has no escape character, a one-character class works."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in value)
