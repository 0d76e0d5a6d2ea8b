"""SCIM filter expressions (RFC 7644 §3.4.2.2): parser, renderer and evaluator.

:func:`parse_filter` turns filter text into a small tree of frozen nodes. :func:`render_filter`
turns a tree back into text that parses to the same tree, and :func:`evaluate` tests one
resource or one element of a multi-valued attribute against a tree. Translating a tree into a
store query is the store adapter's job, not this module's.

Besides RFC 7644 the parser accepts two forms that Entra ID sends: a value path followed by a
sub-attribute comparison (``emails[type eq "work"].value eq "x"``) and an unquoted string value
(``externalId eq jyoung``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeAlias

from .definitions import AttributeDef
from .errors import InvalidFilter

ComparisonValue: TypeAlias = str | bool | int | float | None

COMPARISON_OPERATORS = ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr")
_ORDERING_OPERATORS = frozenset({"gt", "ge", "lt", "le"})

# ATTRNAME of RFC 7644 §3.4.2.2 (a letter, then letters, digits, '-' or '_'). The optional '$'
# admits "$ref", which RFC 7643 §2.4 uses as a sub-attribute name.
_ATTRIBUTE_NAME = re.compile(r"\$?[A-Za-z][A-Za-z0-9_-]*")
# A JSON number (RFC 8259 §6).
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# A word runs up to whitespace, a bracket, a parenthesis or a quote. Attribute paths, operators,
# keywords, numbers and unquoted values are all words.
_WORD = re.compile(r'[^\s()\[\]"]+')
_WHITESPACE = re.compile(r"\s*")
_STRING_CHARACTERS = re.compile(r'[^"\\]*')
_JSON_ESCAPE = re.compile(r'\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})')


@dataclass(frozen=True, slots=True)
class AttrPath:
    """An attribute path: optional schema URN, attribute name and optional sub-attribute."""

    schema: str | None
    attribute: str
    sub_attribute: str | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    """An attribute expression such as ``userName eq "alice"``. The ``value`` of ``pr`` is None."""

    path: AttrPath
    op: str
    value: ComparisonValue


def _chain_equal(self: And | Or, other: object) -> bool:
    if not isinstance(other, (And, Or)) or type(other) is not type(self):
        return False
    return bool(chain_operands(self) == chain_operands(other))


def _chain_hash(self: And | Or) -> int:
    return hash((type(self).__name__, *chain_operands(self)))


def _chain_repr(self: And | Or) -> str:
    first, *rest = chain_operands(self)
    text = repr(first)
    for operand in rest:
        text = f"{type(self).__name__}(left={text}, right={operand!r})"
    return text


# A 4096-character filter can chain about 450 comparisons with 'and'. The generated __eq__,
# __hash__ and __repr__ would recurse once per operator and exceed Python's recursion limit,
# so And and Or walk their left-nested chains in a loop instead.


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class And:
    left: Expr
    right: Expr

    __eq__ = _chain_equal
    __hash__ = _chain_hash
    __repr__ = _chain_repr


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Or:
    left: Expr
    right: Expr

    __eq__ = _chain_equal
    __hash__ = _chain_hash
    __repr__ = _chain_repr


@dataclass(frozen=True, slots=True)
class Not:
    expr: Expr


@dataclass(frozen=True, slots=True)
class ValuePath:
    """A filter on the elements of a complex attribute, such as ``emails[type eq "work"]``."""

    path: AttrPath
    filter: Expr


Expr: TypeAlias = Comparison | And | Or | Not | ValuePath


# ---------------------------------------------------------------------------------------------
# Attribute paths


def parse_attr_path(text: str) -> AttrPath:
    """Parse ``[URN ":"] name ["." sub-attribute]`` (RFC 7644 §3.4.2.2 attrPath).

    The schema URN is everything before the last ':', so the '2.0' inside a URN is never read
    as a sub-attribute. Raises ValueError with a message for the client when the text is not a
    valid attribute path. Callers turn it into the SCIM error that fits their context.
    """
    schema: str | None = None
    rest = text
    if ":" in text:
        schema, _, rest = text.rpartition(":")
        if not schema.lower().startswith("urn:"):
            raise ValueError(
                f"Invalid attribute path {text!r}: only a schema URN such as "
                f"'urn:ietf:params:scim:schemas:core:2.0:User' may come before a ':'."
            )

    attribute, dot, sub_attribute = rest.partition(".")
    for name in (attribute, sub_attribute) if dot else (attribute,):
        if not _ATTRIBUTE_NAME.fullmatch(name):
            where = "" if name == text else f" in {text!r}"
            raise ValueError(
                f"Invalid attribute name {name!r}{where}: a name starts with a letter and "
                f"contains only letters, digits, '-' and '_', with at most one '.' before a "
                f"sub-attribute."
            )
    return AttrPath(schema, attribute, sub_attribute or None)


def render_attr_path(path: AttrPath) -> str:
    """Return the text form of ``path``, such as ``urn:...:User:name.familyName``."""
    text = path.attribute if path.schema is None else f"{path.schema}:{path.attribute}"
    return text if path.sub_attribute is None else f"{text}.{path.sub_attribute}"


# ---------------------------------------------------------------------------------------------
# Tokenizer


@dataclass(frozen=True, slots=True)
class _Token:
    # kind is "word", "string", "end" or one of the characters ( ) [ ].
    kind: str
    text: str
    position: int
    # The decoded value of a "string" token.
    value: str = ""

    def is_keyword(self, *keywords: str) -> bool:
        return self.kind == "word" and self.text.lower() in keywords

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the filter"
        if self.kind == "string":
            return f"the string {self.text}"
        return repr(self.text)


def _match_end(pattern: re.Pattern[str], text: str, position: int) -> int:
    match = pattern.match(text, position)
    assert match is not None  # the pattern also matches the empty string
    return match.end()


def _read_string(text: str, start: int) -> _Token:
    """Read the JSON string (RFC 8259 §7) that starts with the quote at ``start``."""
    position = start + 1
    while True:
        position = _match_end(_STRING_CHARACTERS, text, position)
        if position >= len(text):
            raise InvalidFilter(
                "Unterminated string: expected a closing '\"' before the end of the filter.",
                position=start,
            )
        if text[position] == '"':
            raw = text[start : position + 1]
            return _Token("string", raw, start, json.loads(raw, strict=False))
        escape = _JSON_ESCAPE.match(text, position)
        if escape is None:
            raise InvalidFilter(
                f"Invalid escape {text[position : position + 2]!r} in a string: use one of "
                f'\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX.',
                position=position,
            )
        position = escape.end()


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        position = _match_end(_WHITESPACE, text, position)
        if position == len(text):
            tokens.append(_Token("end", "", position))
            return tokens

        character = text[position]
        if character in "()[]":
            token = _Token(character, character, position)
        elif character == '"':
            token = _read_string(text, position)
        else:
            word = _WORD.match(text, position)
            assert word is not None  # every other character starts a word
            token = _Token("word", word.group(), position)
        tokens.append(token)
        position += len(token.text)


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    """Recursive-descent parser over the token list, with precedence not > and > or."""

    def __init__(self, tokens: list[_Token], max_depth: int) -> None:
        self._tokens = tokens
        self._index = 0
        self._depth = 0
        self._max_depth = max_depth
        self._in_value_filter = False

    def parse(self) -> Expr:
        expression = self._parse_or()
        token = self._peek()
        if token.kind in (")", "]"):
            opening = "(" if token.kind == ")" else "["
            raise InvalidFilter(
                f"Unbalanced {token.text!r}: no {opening!r} is open before it.",
                position=token.position,
            )
        if token.kind != "end":
            raise InvalidFilter(
                f"Expected 'and', 'or' or the end of the filter, found {token.describe()}.",
                position=token.position,
            )
        return expression

    def _peek(self, offset: int = 0) -> _Token:
        return self._tokens[min(self._index + offset, len(self._tokens) - 1)]

    def _advance(self) -> _Token:
        token = self._peek()
        self._index += 1
        return token

    def _parse_or(self) -> Expr:
        # Loops rather than recursion keep and/or left-associative.
        expression = self._parse_and()
        while self._peek().is_keyword("or"):
            self._advance()
            expression = Or(expression, self._parse_and())
        return expression

    def _parse_and(self) -> Expr:
        expression = self._parse_term()
        while self._peek().is_keyword("and"):
            self._advance()
            expression = And(expression, self._parse_term())
        return expression

    def _parse_term(self) -> Expr:
        token = self._peek()
        if token.kind == "(":
            return self._parse_group()
        if token.is_keyword("not"):
            following = self._peek(1)
            if following.kind == "(":
                self._advance()
                return Not(self._parse_group())
            # 'not' followed by an operator is an attribute that happens to be called "not".
            if following.kind != "[" and not following.is_keyword(*COMPARISON_OPERATORS):
                raise InvalidFilter(
                    f"Expected '(' after 'not', found {following.describe()}: "
                    f"write not (expression).",
                    position=following.position,
                )
        if token.kind == "word" and not token.is_keyword("and", "or"):
            return self._parse_attribute_expression()
        raise InvalidFilter(
            f"Missing operand: expected an attribute name, 'not' or '(', found {token.describe()}.",
            position=token.position,
        )

    def _parse_group(self) -> Expr:
        opening = self._advance()
        self._enter(opening)
        expression = self._parse_or()
        self._expect_closing(opening, ")")
        self._depth -= 1
        return expression

    def _enter(self, token: _Token) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise InvalidFilter(
                f"The filter nests parentheses and brackets more than {self._max_depth} levels "
                f"deep, which is the maximum (the max_filter_depth setting).",
                position=token.position,
            )

    def _expect_closing(self, opening: _Token, closing: str) -> None:
        token = self._advance()
        if token.kind != closing:
            raise InvalidFilter(
                f"Expected {closing!r} to close the {opening.text!r} at position "
                f"{opening.position}, found {token.describe()}.",
                position=token.position,
            )

    def _parse_attribute_expression(self) -> Expr:
        token = self._advance()
        path = self._attr_path(token)
        if self._peek().kind == "[":
            return self._parse_value_path(path, token)
        return self._parse_comparison(path, token)

    def _attr_path(self, token: _Token) -> AttrPath:
        try:
            return parse_attr_path(token.text)
        except ValueError as error:
            raise InvalidFilter(str(error), position=token.position) from None

    def _parse_value_path(self, path: AttrPath, path_token: _Token) -> Expr:
        opening = self._advance()
        self._check_value_path(path, path_token, opening)
        self._enter(opening)
        self._in_value_filter = True
        inner = self._parse_or()
        self._expect_closing(opening, "]")
        self._in_value_filter = False
        self._depth -= 1
        return ValuePath(path, self._parse_sub_attribute_comparison(inner))

    def _check_value_path(self, path: AttrPath, path_token: _Token, opening: _Token) -> None:
        if self._in_value_filter:
            raise InvalidFilter(
                "A value filter cannot contain another '[...]' value filter.",
                position=opening.position,
            )
        if path.sub_attribute is not None:
            raise InvalidFilter(
                f"A value filter follows an attribute, not a sub-attribute: write "
                f"'{path.attribute}[...].{path.sub_attribute}' instead of "
                f"{path_token.text!r}[...].",
                position=opening.position,
            )

    def _parse_sub_attribute_comparison(self, inner: Expr) -> Expr:
        # Entra's extension: 'emails[type eq "work"].value eq "x"' is the value path
        # 'emails[type eq "work" and value eq "x"]'.
        suffix = self._peek()
        if suffix.kind != "word" or not suffix.text.startswith("."):
            return inner
        self._advance()
        sub_path = self._attr_path(_Token("word", suffix.text[1:], suffix.position + 1))
        if sub_path.schema is not None or sub_path.sub_attribute is not None:
            raise InvalidFilter(
                f"Expected one sub-attribute name after ']', found {suffix.text!r}.",
                position=suffix.position,
            )
        return And(inner, self._parse_comparison(sub_path, suffix))

    def _parse_comparison(self, path: AttrPath, path_token: _Token) -> Comparison:
        token = self._advance()
        if token.kind != "word":
            raise InvalidFilter(
                f"Expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after "
                f"{path_token.text!r}, found {token.describe()}.",
                position=token.position,
            )
        operator = token.text.lower()
        if operator not in COMPARISON_OPERATORS:
            raise InvalidFilter(
                f"Unknown operator {token.text!r}: expected eq, ne, co, sw, ew, gt, ge, lt, le "
                f"or pr.",
                position=token.position,
            )
        if operator == "pr":
            self._reject_presence_value()
            return Comparison(path, "pr", None)

        value_token = self._peek()
        value = self._parse_value(token)
        if operator in _ORDERING_OPERATORS and (value is None or isinstance(value, bool)):
            # RFC 7644 §3.4.2.2: gt, ge, lt and le on a boolean fail with invalidFilter, and
            # null has no order either.
            raise InvalidFilter(
                f"The operator {operator!r} cannot compare with {value_token.text}: "
                f"use eq or ne for true, false and null.",
                position=value_token.position,
            )
        return Comparison(path, operator, value)

    def _reject_presence_value(self) -> None:
        token = self._peek()
        takes_value = token.kind == "string" or (
            token.kind == "word" and not token.is_keyword("and", "or")
        )
        if takes_value:
            raise InvalidFilter(
                f"The operator 'pr' takes no value, found {token.describe()}: remove the value.",
                position=token.position,
            )

    def _parse_value(self, operator: _Token) -> ComparisonValue:
        token = self._peek()
        if token.kind == "string":
            self._advance()
            return token.value
        if token.kind != "word" or token.is_keyword("and", "or"):
            raise InvalidFilter(
                f"Missing operand: expected a value after {operator.text!r} (a quoted string, "
                f"a number, true, false or null), found {token.describe()}.",
                position=token.position,
            )

        self._advance()
        keyword = token.text.lower()
        if keyword in ("true", "false"):
            return keyword == "true"
        if keyword == "null":
            return None
        number = _NUMBER.fullmatch(token.text)
        if number is not None:
            return self._number(token, number)
        # Entra's extension: an unquoted value is a string.
        return token.text

    def _number(self, token: _Token, number: re.Match[str]) -> int | float:
        fraction, exponent = number.group(1), number.group(2)
        if fraction is None and exponent is None:
            try:
                return int(token.text)
            except ValueError:
                # Python refuses to convert more than sys.get_int_max_str_digits() digits
                # (4300 by default), which a filter longer than the default maximum can hold.
                raise InvalidFilter(
                    f"The number has {len(token.text)} digits, which is too long. Quote it to "
                    "compare it as text.",
                    position=token.position,
                ) from None
        value = float(token.text)
        if value in (float("inf"), float("-inf")):
            raise InvalidFilter(
                f"The number {token.text} is out of range.", position=token.position
            )
        return value


def parse_filter(text: str, *, max_length: int = 4096, max_depth: int = 32) -> Expr:
    """Parse a filter expression (RFC 7644 §3.4.2.2) into its syntax tree.

    Operators and the keywords and, or, not, true, false and null are matched without regard
    to letter case, and operators are returned in lower case. Raises InvalidFilter, with the
    0-based character offset of the problem as ``position``, when the text is empty, longer than
    ``max_length`` characters, nested deeper than ``max_depth`` levels, or not a valid filter.
    """
    if len(text) > max_length:
        raise InvalidFilter(
            f"The filter is {len(text)} characters long, but the maximum is {max_length} "
            "(the max_filter_length setting).",
            position=max_length,
        )
    if not text.strip():
        raise InvalidFilter(
            'The filter is empty: expected an expression such as userName eq "alice".',
            position=0,
        )
    return _Parser(_tokenize(text), max_depth).parse()


# ---------------------------------------------------------------------------------------------
# Renderer


def chain_operands(expression: And | Or) -> list[Expr]:
    """Return the operands of a left-nested chain of one operator, such as a and b and c.

    Walking the left spine in a loop keeps long chains from exhausting the recursion limit.
    """
    kind = type(expression)
    right_operands: list[Expr] = []
    current: Expr = expression
    while isinstance(current, kind):
        right_operands.append(current.right)
        current = current.left
    return [current, *reversed(right_operands)]


def _render_value(value: ComparisonValue) -> str:
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _render_chain(expression: And | Or) -> str:
    keyword = " and " if isinstance(expression, And) else " or "
    first, *rest = chain_operands(expression)
    # 'and' binds tighter than 'or', and both are left-associative, so only these operands
    # need parentheses to parse back to the same tree.
    parts = [_render_operand(first, wrap=(Or,) if isinstance(expression, And) else ())]
    wrap_right: tuple[type, ...] = (And, Or) if isinstance(expression, And) else (Or,)
    parts.extend(_render_operand(operand, wrap=wrap_right) for operand in rest)
    return keyword.join(parts)


def _render_operand(operand: Expr, *, wrap: tuple[type, ...]) -> str:
    text = render_filter(operand)
    return f"({text})" if isinstance(operand, wrap) else text


def render_filter(expression: Expr) -> str:
    """Return filter text that :func:`parse_filter` turns back into ``expression``."""
    if isinstance(expression, Comparison):
        path = render_attr_path(expression.path)
        if expression.op == "pr":
            return f"{path} pr"
        return f"{path} {expression.op} {_render_value(expression.value)}"
    if isinstance(expression, (And, Or)):
        return _render_chain(expression)
    if isinstance(expression, Not):
        return f"not ({render_filter(expression.expr)})"
    return f"{render_attr_path(expression.path)}[{render_filter(expression.filter)}]"


# ---------------------------------------------------------------------------------------------
# Evaluator


def _lookup(mapping: Mapping[str, Any], name: str) -> Any:
    """Return the value of the key ``name`` in any letter case (RFC 7643 §2.1), or None."""
    if name in mapping:
        return mapping[name]
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return value
    return None


def _candidate_values(element: Mapping[str, Any], path: AttrPath) -> list[Any]:
    """Return the values that ``path`` names in ``element``, one per element of a list."""
    container: Any = element
    if path.schema is not None:
        # An extension attribute lives in an object under its schema URN, but a core attribute
        # lives at the top level. So a URN without such an object means the core schema.
        extension = _lookup(element, path.schema)
        if isinstance(extension, Mapping):
            container = extension

    value = _lookup(container, path.attribute)
    values = value if isinstance(value, list) else [value]
    if path.sub_attribute is not None:
        values = [
            _lookup(item, path.sub_attribute) if isinstance(item, Mapping) else None
            for item in values
        ]
    return [item for item in values if item is not None]


def _attribute_definition(definition: AttributeDef | None, path: AttrPath) -> AttributeDef | None:
    attribute = definition.sub(path.attribute) if definition is not None else None
    if attribute is not None and path.sub_attribute is not None:
        attribute = attribute.sub(path.sub_attribute)
    return attribute


def _is_present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def as_boolean(value: Any) -> bool | None:
    """Return ``value`` as a boolean, accepting the strings "true" and "false" in any case.

    Entra sends booleans as the strings "True" and "False" (``active``, ``primary`` and filter
    values such as ``roles[primary eq "True"]``). Returns None for anything else.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _order(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "eq":
        return bool(actual == expected)
    if operator == "gt":
        return bool(actual > expected)
    if operator == "ge":
        return bool(actual >= expected)
    if operator == "lt":
        return bool(actual < expected)
    if operator == "le":
        return bool(actual <= expected)
    return False


def _parse_datetime(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    # A time without an offset is taken as UTC so that it can be compared with one that has one.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _compare_strings(
    operator: str, actual: str, expected: str, attribute: AttributeDef | None
) -> bool:
    if attribute is not None and attribute.type == "dateTime" and operator in _ORDERING_OPERATORS:
        actual_moment, expected_moment = _parse_datetime(actual), _parse_datetime(expected)
        if actual_moment is not None and expected_moment is not None:
            return _order(operator, actual_moment, expected_moment)

    # RFC 7644 §3.4.2.2: strings compare without regard to case unless the attribute is caseExact.
    if attribute is None or not attribute.case_exact:
        actual, expected = actual.casefold(), expected.casefold()
    if operator == "co":
        return expected in actual
    if operator == "sw":
        return actual.startswith(expected)
    if operator == "ew":
        return actual.endswith(expected)
    return _order(operator, actual, expected)


def _compare(
    operator: str, actual: Any, expected: ComparisonValue, attribute: AttributeDef | None
) -> bool:
    if isinstance(actual, Mapping):
        # RFC 7644 §3.4.2.2: a complex attribute without a sub-attribute compares its "value".
        actual = _lookup(actual, "value")
        attribute = attribute.sub("value") if attribute is not None else None
    if actual is None:
        return False

    is_boolean = attribute is not None and attribute.type == "boolean"
    if is_boolean or isinstance(actual, bool) or isinstance(expected, bool):
        actual_boolean, expected_boolean = as_boolean(actual), as_boolean(expected)
        if actual_boolean is None or expected_boolean is None:
            return False
        return operator == "eq" and actual_boolean == expected_boolean
    if _is_number(actual) and _is_number(expected):
        return _order(operator, actual, expected)
    if isinstance(actual, str) and _is_number(expected):
        # An unquoted number compared with a string attribute, e.g. employeeNumber eq 10442.
        expected = str(expected)
    if isinstance(actual, str) and isinstance(expected, str):
        return _compare_strings(operator, actual, expected, attribute)
    return False


def _evaluate_comparison(
    comparison: Comparison, element: Mapping[str, Any], definition: AttributeDef | None
) -> bool:
    values = _candidate_values(element, comparison.path)
    attribute = _attribute_definition(definition, comparison.path)
    if comparison.op == "pr":
        return any(_is_present(value) for value in values)
    if comparison.value is None:
        # eq null matches an absent value, and ne null a present one.
        has_value = any(_is_present(value) for value in values)
        return has_value if comparison.op == "ne" else not has_value
    if comparison.op == "ne":
        return not any(_compare("eq", value, comparison.value, attribute) for value in values)
    return any(_compare(comparison.op, value, comparison.value, attribute) for value in values)


def _evaluate_value_path(
    value_path: ValuePath, element: Mapping[str, Any], definition: AttributeDef | None
) -> bool:
    attribute = _attribute_definition(definition, value_path.path)
    items = _candidate_values(element, value_path.path)
    return any(
        isinstance(item, Mapping) and evaluate(value_path.filter, item, attribute) for item in items
    )


def evaluate(expression: Expr, element: Mapping[str, Any], definition: AttributeDef | None) -> bool:
    """Return whether ``element`` matches the filter ``expression`` (RFC 7644 §3.4.2.2).

    ``element`` is one element of a multi-valued complex attribute, whose sub-attributes
    ``definition`` describes, or a whole resource with ``definition`` None. Attribute names
    match in any letter case. Strings compare without regard to case unless the attribute
    definition is caseExact. Booleans compare leniently, so "True" matches true, because Entra
    sends booleans as strings. ``pr`` matches a value that is present and neither null, "",
    an empty list nor an empty object.
    """
    if isinstance(expression, Comparison):
        return _evaluate_comparison(expression, element, definition)
    if isinstance(expression, And):
        operands = chain_operands(expression)
        return all(evaluate(operand, element, definition) for operand in operands)
    if isinstance(expression, Or):
        operands = chain_operands(expression)
        return any(evaluate(operand, element, definition) for operand in operands)
    if isinstance(expression, Not):
        return not evaluate(expression.expr, element, definition)
    return _evaluate_value_path(expression, element, definition)
