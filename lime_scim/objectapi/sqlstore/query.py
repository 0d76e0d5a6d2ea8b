"""Translate the port's criteria into SQL conditions, and run paged and batched queries.

Every comparison is two-valued: it is true or false, never NULL, even on a NULL column or on
the columns of a missing linked object. So ``Negate(x)`` matches exactly the rows that ``x``
does not match, as SCIM's ``not`` requires. Values are always bound parameters.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    RowMapping,
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
    UnknownLimetype,
    ValueRejected,
)
from .values import check_value

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


def fetch_page(
    connection: Connection,
    table: Table,
    source: FromClause,
    condition: ColumnElement[bool],
    *,
    joined: bool,
    offset: int,
    limit: int | None,
) -> tuple[int, Sequence[RowMapping]]:
    """Return the number of matching rows of ``table`` and one page of them ordered by id.

    ``source`` is ``table`` itself or a join on it. A join can repeat a row of ``table``
    (a user linked from two objects), so with ``joined`` rows are counted and returned once.
    """
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, not {offset}")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be 0 or more, not {limit}")

    counted = func.count(distinct(table.c.id)) if joined else func.count()
    total = connection.execute(select(counted).select_from(source).where(condition)).scalar_one()
    if limit == 0 or offset >= total:
        return total, ()

    statement = select(table).select_from(source).where(condition)
    if joined:
        statement = statement.distinct()
    statement = statement.order_by(table.c.id).offset(offset).limit(limit)
    return total, connection.execute(statement).mappings().all()


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
    rows: list[RowMapping] = []
    for batch in chunks(dict.fromkeys(values)):
        condition = column.in_(batch) if extra is None else and_(column.in_(batch), extra)
        rows.extend(connection.execute(select(table).where(condition)).mappings())
    return rows


class CriterionCompiler:
    """Compile port criteria into SQLAlchemy conditions for one query.

    ``sources`` maps each allowed ``Field.table`` ("user", "group", "object") to the table it
    reads. ``dialect_name`` selects the case-exact pattern match: SQLite's LIKE ignores
    ASCII letter case, so case-exact patterns use GLOB there.
    """

    def __init__(self, sources: Mapping[str, FieldSource], dialect_name: str) -> None:
        self._sources = sources
        self._dialect_name = dialect_name

    def compile(self, criterion: Criterion | None) -> ColumnElement[bool]:
        if criterion is None:
            return true()
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
        allowed = source.columns
        if field.name not in source.table.c or (allowed is not None and field.name not in allowed):
            raise UnknownLimetype(f"{source.entity} has no property or column '{field.name}'")
        return source, source.table.c[field.name]

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
