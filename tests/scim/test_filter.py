"""Tests of the SCIM filter parser, renderer and evaluator (RFC 7644 §3.4.2.2)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lime_scim.scim.definitions import AttributeDef
from lime_scim.scim.errors import InvalidFilter
from lime_scim.scim.filter import (
    And,
    AttrPath,
    Comparison,
    Expr,
    Not,
    Or,
    ValuePath,
    chain_operands,
    evaluate,
    parse_attr_path,
    parse_filter,
    render_filter,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def attr(text: str, schema: str | None = None) -> AttrPath:
    """Build an AttrPath from 'name' or 'name.sub', with any URN passed as ``schema``."""
    attribute, _, sub_attribute = text.partition(".")
    return AttrPath(schema, attribute, sub_attribute or None)


def cmp(text: str, op: str, value: Any = None, schema: str | None = None) -> Comparison:
    return Comparison(attr(text, schema), op, value)


# ---------------------------------------------------------------------------------------------
# Valid filters

VALID_FILTERS = [
    # The examples of RFC 7644 §3.4.2.2.
    pytest.param('userName eq "bjensen"', cmp("userName", "eq", "bjensen"), id="rfc-eq"),
    pytest.param('name.familyName co "O\'Malley"', cmp("name.familyName", "co", "O'Malley"), id="rfc-co-sub"),
    pytest.param('userName sw "J"', cmp("userName", "sw", "J"), id="rfc-sw"),
    pytest.param(
        f'{USER_URN}:userName sw "J"', cmp("userName", "sw", "J", schema=USER_URN), id="rfc-urn-qualified"
    ),
    pytest.param("title pr", cmp("title", "pr"), id="rfc-pr"),
    pytest.param(
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        cmp("meta.lastModified", "gt", "2011-05-13T04:42:34Z"),
        id="rfc-gt",
    ),
    pytest.param(
        'meta.lastModified ge "2011-05-13T04:42:34Z"',
        cmp("meta.lastModified", "ge", "2011-05-13T04:42:34Z"),
        id="rfc-ge",
    ),
    pytest.param(
        'meta.lastModified lt "2011-05-13T04:42:34Z"',
        cmp("meta.lastModified", "lt", "2011-05-13T04:42:34Z"),
        id="rfc-lt",
    ),
    pytest.param(
        'meta.lastModified le "2011-05-13T04:42:34Z"',
        cmp("meta.lastModified", "le", "2011-05-13T04:42:34Z"),
        id="rfc-le",
    ),
    pytest.param(
        'title pr and userType eq "Employee"',
        And(cmp("title", "pr"), cmp("userType", "eq", "Employee")),
        id="rfc-and",
    ),
    pytest.param(
        'title pr or userType eq "Intern"',
        Or(cmp("title", "pr"), cmp("userType", "eq", "Intern")),
        id="rfc-or",
    ),
    pytest.param(
        f'schemas eq "{ENTERPRISE_URN}"', cmp("schemas", "eq", ENTERPRISE_URN), id="rfc-schemas-eq-urn"
    ),
    pytest.param(
        'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
        And(
            cmp("userType", "eq", "Employee"),
            Or(cmp("emails", "co", "example.com"), cmp("emails.value", "co", "example.org")),
        ),
        id="rfc-and-parenthesised-or",
    ),
    pytest.param(
        'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
        And(
            cmp("userType", "ne", "Employee"),
            Not(Or(cmp("emails", "co", "example.com"), cmp("emails.value", "co", "example.org"))),
        ),
        id="rfc-not",
    ),
    pytest.param(
        'userType eq "Employee" and (emails.type eq "work")',
        And(cmp("userType", "eq", "Employee"), cmp("emails.type", "eq", "work")),
        id="rfc-parenthesised-single",
    ),
    pytest.param(
        'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
        And(
            cmp("userType", "eq", "Employee"),
            ValuePath(attr("emails"), And(cmp("type", "eq", "work"), cmp("value", "co", "@example.com"))),
        ),
        id="rfc-value-path",
    ),
    pytest.param(
        'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
        Or(
            ValuePath(attr("emails"), And(cmp("type", "eq", "work"), cmp("value", "co", "@example.com"))),
            ValuePath(attr("ims"), And(cmp("type", "eq", "xmpp"), cmp("value", "co", "@foo.com"))),
        ),
        id="rfc-two-value-paths",
    ),
    # Precedence is not > and > or, and both and and or are left-associative.
    pytest.param(
        "a pr or b pr and c pr",
        Or(cmp("a", "pr"), And(cmp("b", "pr"), cmp("c", "pr"))),
        id="precedence-and-over-or",
    ),
    pytest.param(
        "a pr and b pr or c pr",
        Or(And(cmp("a", "pr"), cmp("b", "pr")), cmp("c", "pr")),
        id="precedence-and-first",
    ),
    pytest.param(
        "a pr and b pr and c pr",
        And(And(cmp("a", "pr"), cmp("b", "pr")), cmp("c", "pr")),
        id="and-left-associative",
    ),
    pytest.param(
        "a pr or b pr or c pr",
        Or(Or(cmp("a", "pr"), cmp("b", "pr")), cmp("c", "pr")),
        id="or-left-associative",
    ),
    pytest.param(
        "a pr and (b pr or c pr)",
        And(cmp("a", "pr"), Or(cmp("b", "pr"), cmp("c", "pr"))),
        id="parentheses-override-precedence",
    ),
    pytest.param(
        "not (a pr) and b pr",
        And(Not(cmp("a", "pr")), cmp("b", "pr")),
        id="not-binds-tightest",
    ),
    pytest.param("not(a pr)", Not(cmp("a", "pr")), id="not-without-space"),
    pytest.param("((a pr))", cmp("a", "pr"), id="redundant-parentheses"),
    pytest.param('not eq "x"', cmp("not", "eq", "x"), id="attribute-called-not"),
    # Letter case of operators and keywords does not matter.
    pytest.param(
        'userName EQ "x" AND title Pr OR NOT (active Eq TRUE)',
        Or(And(cmp("userName", "eq", "x"), cmp("title", "pr")), Not(cmp("active", "eq", True))),
        id="case-insensitive-keywords",
    ),
    # Values.
    pytest.param("active eq true", cmp("active", "eq", True), id="value-true"),
    pytest.param("active eq False", cmp("active", "eq", False), id="value-false-mixed-case"),
    pytest.param("manager eq NULL", cmp("manager", "eq", None), id="value-null"),
    pytest.param("age gt 42", cmp("age", "gt", 42), id="value-int"),
    pytest.param("age gt -7", cmp("age", "gt", -7), id="value-negative-int"),
    pytest.param("age gt 0", cmp("age", "gt", 0), id="value-zero"),
    pytest.param("score ge 2.5", cmp("score", "ge", 2.5), id="value-decimal"),
    pytest.param("score lt -1.25e3", cmp("score", "lt", -1250.0), id="value-exponent"),
    pytest.param("score le 1E+2", cmp("score", "le", 100.0), id="value-exponent-plus"),
    pytest.param(
        r'title eq "a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"',
        cmp("title", "eq", 'a"b\\c/d\b\f\n\r\té\U0001f600'),
        id="value-all-json-escapes",
    ),
    pytest.param('title eq ""', cmp("title", "eq", ""), id="value-empty-string"),
    pytest.param(
        'title eq "a ] ) and ("', cmp("title", "eq", "a ] ) and ("), id="value-with-syntax-characters"
    ),
    pytest.param('displayName eq "Åsa Öberg"', cmp("displayName", "eq", "Åsa Öberg"), id="value-non-ascii"),
    # Attribute paths.
    pytest.param(
        f'{ENTERPRISE_URN}:employeeNumber eq "10442"',
        cmp("employeeNumber", "eq", "10442", schema=ENTERPRISE_URN),
        id="enterprise-urn-attribute",
    ),
    pytest.param(
        f'{USER_URN}:name.familyName eq "Holm"',
        cmp("name.familyName", "eq", "Holm", schema=USER_URN),
        id="urn-with-sub-attribute",
    ),
    pytest.param(
        f'{ENTERPRISE_URN}:manager.value eq "M1"',
        cmp("manager.value", "eq", "M1", schema=ENTERPRISE_URN),
        id="enterprise-manager-value",
    ),
    pytest.param("members.$ref pr", cmp("members.$ref", "pr"), id="ref-sub-attribute"),
    pytest.param("x-custom_attr2 pr", cmp("x-custom_attr2", "pr"), id="name-with-dash-underscore-digit"),
    pytest.param("  title \t pr  ", cmp("title", "pr"), id="surrounding-whitespace"),
    # The filters Entra ID sends (default mappings, Test Connection, matching, historic manager check).
    pytest.param(
        'userName eq "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d"',
        cmp("userName", "eq", "9f0c6a1e-2b77-4d5c-a3c1-0d4e5b6a7c8d"),
        id="entra-test-connection-guid",
    ),
    pytest.param(
        'userName eq "karin.lindqvist@contoso-example.se"',
        cmp("userName", "eq", "karin.lindqvist@contoso-example.se"),
        id="entra-match-user-name",
    ),
    pytest.param(
        'externalId eq "5b8d7c1e-0a4f-4e2b-9d36-2c1f0e9a7b44"',
        cmp("externalId", "eq", "5b8d7c1e-0a4f-4e2b-9d36-2c1f0e9a7b44"),
        id="entra-match-external-id",
    ),
    pytest.param(
        'displayName eq "Key Accounts South"',
        cmp("displayName", "eq", "Key Accounts South"),
        id="entra-match-group-display-name",
    ),
    pytest.param("externalId eq jyoung", cmp("externalId", "eq", "jyoung"), id="entra-unquoted-value"),
    pytest.param(
        "userName eq alice@contoso.com and active eq true",
        And(cmp("userName", "eq", "alice@contoso.com"), cmp("active", "eq", True)),
        id="entra-unquoted-value-then-and",
    ),
    pytest.param(
        'emails[type eq "work"].value eq "karin.holm@contoso-example.se"',
        ValuePath(
            attr("emails"),
            And(cmp("type", "eq", "work"), cmp("value", "eq", "karin.holm@contoso-example.se")),
        ),
        id="entra-value-path-sub-attribute-comparison",
    ),
    pytest.param(
        'emails[type eq "work"].value eq "a@x" and active eq true',
        And(
            ValuePath(attr("emails"), And(cmp("type", "eq", "work"), cmp("value", "eq", "a@x"))),
            cmp("active", "eq", True),
        ),
        id="entra-value-path-sub-attribute-then-and",
    ),
    pytest.param(
        'id eq "U1" and manager eq "M1"',
        And(cmp("id", "eq", "U1"), cmp("manager", "eq", "M1")),
        id="entra-historic-manager-check",
    ),
    pytest.param(
        'roles[primary eq "True"]',
        ValuePath(attr("roles"), cmp("primary", "eq", "True")),
        id="entra-string-boolean-value-path",
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID_FILTERS)
def test_parse_filter_valid(text: str, expected: Expr) -> None:
    assert parse_filter(text) == expected


def comparison_value(text: str) -> object:
    expression = parse_filter(text)
    assert isinstance(expression, Comparison)
    return expression.value


def test_parse_filter_keeps_value_types() -> None:
    # 1 == True in Python, so the AST comparison above cannot tell an int from a boolean.
    assert type(comparison_value("a eq 1")) is int
    assert type(comparison_value("a eq true")) is bool
    assert type(comparison_value("a eq 1.0")) is float
    assert type(comparison_value('a eq "1"')) is str
    assert type(comparison_value("a eq 1abc")) is str


def test_parse_filter_long_and_chain() -> None:
    text = " and ".join(["a pr"] * 455)
    expression = parse_filter(text)
    assert expression == parse_filter(text)
    assert hash(expression) == hash(parse_filter(text))
    assert render_filter(expression) == text
    assert repr(expression).startswith("And(left=And(left=")


def test_chain_operands_stops_at_parentheses() -> None:
    operands = chain_operands(And(And(cmp("a", "pr"), cmp("b", "pr")), And(cmp("c", "pr"), cmp("d", "pr"))))
    assert operands == [cmp("a", "pr"), cmp("b", "pr"), And(cmp("c", "pr"), cmp("d", "pr"))]


def test_parse_filter_max_length_boundary() -> None:
    text = "a eq " + '"' + "x" * 4089 + '"'
    assert len(text) == 4096
    assert parse_filter(text) == cmp("a", "eq", "x" * 4089)


def test_parse_filter_max_depth_boundary() -> None:
    assert parse_filter("(" * 32 + "a pr" + ")" * 32) == cmp("a", "pr")


# ---------------------------------------------------------------------------------------------
# Invalid filters

INVALID_FILTERS = [
    pytest.param("", 0, "empty", id="empty"),
    pytest.param("   ", 0, "empty", id="only-whitespace"),
    pytest.param("a" * 4097, 4096, "maximum is 4096", id="too-long"),
    pytest.param("(" * 33 + "a pr" + ")" * 33, 32, "more than 32 levels", id="too-deep-parentheses"),
    pytest.param("not (" * 33 + "a pr" + ")" * 33, 164, "more than 32 levels", id="too-deep-not"),
    pytest.param('userName eq "abc', 12, "Unterminated string", id="unterminated-string"),
    pytest.param('userName eq "abc\\"', 12, "Unterminated string", id="unterminated-after-escaped-quote"),
    pytest.param(r'userName eq "a\x"', 14, "Invalid escape '\\\\x'", id="bad-escape"),
    pytest.param(r'userName eq "\u12g4"', 13, "Invalid escape", id="bad-unicode-escape"),
    pytest.param("userName eq", 11, "Missing operand: expected a value after 'eq'", id="missing-value"),
    pytest.param('userName eq "a" and', 19, "Missing operand", id="missing-right-operand"),
    pytest.param('and userName eq "a"', 0, "Missing operand", id="missing-left-operand"),
    pytest.param('userName eq "a" or or title pr', 19, "Missing operand", id="double-keyword"),
    pytest.param("userName eq and title pr", 12, "expected a value after 'eq'", id="keyword-as-value"),
    pytest.param("()", 1, "Missing operand", id="empty-parentheses"),
    pytest.param("userName", 8, "Expected an operator", id="missing-operator"),
    pytest.param('userName "a"', 9, "Expected an operator", id="string-instead-of-operator"),
    pytest.param('userName eq "a" title pr', 16, "Expected 'and', 'or' or the end", id="trailing-input"),
    pytest.param('userName eq "a" "b"', 16, "Expected 'and', 'or' or the end", id="trailing-string"),
    pytest.param('userName like "a"', 9, "Unknown operator 'like'", id="unknown-operator"),
    pytest.param('userName == "a"', 9, "Unknown operator '=='", id="symbolic-operator"),
    pytest.param('title pr "x"', 9, "'pr' takes no value", id="pr-with-string"),
    pytest.param("title pr true", 9, "'pr' takes no value", id="pr-with-keyword"),
    pytest.param("active gt true", 10, "cannot compare with true", id="gt-boolean"),
    pytest.param("active ge false", 10, "cannot compare with false", id="ge-boolean"),
    pytest.param("manager lt null", 11, "cannot compare with null", id="lt-null"),
    pytest.param("manager le NULL", 11, "cannot compare with NULL", id="le-null"),
    pytest.param(
        "(userName pr", 12, "Expected ')' to close the '(' at position 0", id="unclosed-parenthesis"
    ),
    pytest.param("userName pr)", 11, "Unbalanced ')'", id="extra-closing-parenthesis"),
    pytest.param("title pr]", 8, "Unbalanced ']'", id="extra-closing-bracket"),
    pytest.param(
        'emails[type eq "work"', 21, "Expected ']' to close the '[' at position 6", id="unclosed-bracket"
    ),
    pytest.param('emails[type eq "work")', 21, "Expected ']'", id="bracket-closed-by-parenthesis"),
    pytest.param('(emails[type eq "work")]', 22, "Expected ']'", id="crossed-brackets"),
    pytest.param("emails[]", 7, "Missing operand", id="empty-value-filter"),
    pytest.param('emails[type[value eq "x"]]', 11, "cannot contain another", id="nested-value-filter"),
    pytest.param(
        'name.x[type eq "a"]', 6, "follows an attribute, not a sub-attribute", id="sub-attribute-filter"
    ),
    pytest.param(
        'emails[type eq "work"].value', 28, "Expected an operator", id="entra-suffix-without-operator"
    ),
    pytest.param(
        'emails[type eq "work"].value.x eq "a"', 22, "Expected one sub-attribute", id="entra-suffix-too-long"
    ),
    pytest.param('1abc eq "x"', 0, "Invalid attribute name '1abc'", id="name-starts-with-digit"),
    pytest.param('a.b.c eq "x"', 0, "Invalid attribute name 'b.c'", id="two-sub-attributes"),
    pytest.param('foo:bar eq "x"', 0, "only a schema URN", id="colon-without-urn"),
    pytest.param(f'{ENTERPRISE_URN}: eq "x"', 0, "Invalid attribute name ''", id="urn-without-attribute"),
    pytest.param("not title pr", 4, "Expected '(' after 'not'", id="not-without-parentheses"),
    pytest.param("score eq 1e999", 9, "out of range", id="number-out-of-range"),
]


@pytest.mark.parametrize(("text", "position", "detail"), INVALID_FILTERS)
def test_parse_filter_invalid(text: str, position: int, detail: str) -> None:
    with pytest.raises(InvalidFilter) as raised:
        parse_filter(text)
    assert raised.value.position == position
    assert detail in raised.value.detail
    assert raised.value.scim_type == "invalidFilter"
    assert raised.value.status == 400


def test_parse_filter_custom_limits() -> None:
    with pytest.raises(InvalidFilter, match="maximum is 10"):
        parse_filter('userName eq "alice"', max_length=10)
    with pytest.raises(InvalidFilter, match="more than 1 levels"):
        parse_filter("((a pr))", max_depth=1)


def test_parse_filter_detail_names_expected_and_found() -> None:
    with pytest.raises(InvalidFilter) as raised:
        parse_filter('userName eq "a" title pr')
    assert raised.value.detail == (
        "Expected 'and', 'or' or the end of the filter, found 'title'. (at position 16)"
    )


def test_parse_attr_path_splits_urn_at_last_colon() -> None:
    path = parse_attr_path(f"{USER_URN}:name.familyName")
    assert path == AttrPath(USER_URN, "name", "familyName")


def test_parse_attr_path_rejects_with_value_error() -> None:
    with pytest.raises(ValueError, match="Invalid attribute name"):
        parse_attr_path("name.")


# ---------------------------------------------------------------------------------------------
# Rendering

HAND_BUILT = [
    pytest.param(
        And(cmp("a", "pr"), And(cmp("b", "pr"), cmp("c", "pr"))),
        "a pr and (b pr and c pr)",
        id="right-nested-and",
    ),
    pytest.param(
        Or(cmp("a", "pr"), Or(cmp("b", "pr"), cmp("c", "pr"))), "a pr or (b pr or c pr)", id="right-nested-or"
    ),
    pytest.param(
        And(Or(cmp("a", "pr"), cmp("b", "pr")), cmp("c", "pr")), "(a pr or b pr) and c pr", id="or-inside-and"
    ),
    pytest.param(
        Or(And(cmp("a", "pr"), cmp("b", "pr")), cmp("c", "pr")), "a pr and b pr or c pr", id="and-inside-or"
    ),
    pytest.param(
        Or(cmp("a", "pr"), And(cmp("b", "pr"), cmp("c", "pr"))), "a pr or b pr and c pr", id="and-right-of-or"
    ),
    pytest.param(Not(Or(cmp("a", "pr"), cmp("b", "pr"))), "not (a pr or b pr)", id="not"),
    pytest.param(
        ValuePath(attr("emails"), And(cmp("type", "eq", "work"), cmp("value", "eq", "x"))),
        'emails[type eq "work" and value eq "x"]',
        id="value-path",
    ),
    pytest.param(cmp("title", "eq", 'say "hi"\n'), 'title eq "say \\"hi\\"\\n"', id="escaped-string"),
    pytest.param(cmp("title", "eq", "Åsa"), 'title eq "Åsa"', id="non-ascii-string"),
    pytest.param(cmp("age", "ge", 2.5), "age ge 2.5", id="float"),
    pytest.param(cmp("age", "ge", 1e20), "age ge 1e+20", id="float-exponent"),
    pytest.param(cmp("active", "eq", False), "active eq false", id="boolean"),
    pytest.param(cmp("manager", "ne", None), "manager ne null", id="null"),
    pytest.param(
        cmp("department", "eq", "Sales", schema=ENTERPRISE_URN),
        f'{ENTERPRISE_URN}:department eq "Sales"',
        id="urn",
    ),
]


@pytest.mark.parametrize(("expression", "text"), HAND_BUILT)
def test_render_filter_text(expression: Expr, text: str) -> None:
    assert render_filter(expression) == text


@pytest.mark.parametrize(("expression", "text"), HAND_BUILT)
def test_render_filter_parses_back(expression: Expr, text: str) -> None:
    assert parse_filter(render_filter(expression)) == expression


@pytest.mark.parametrize(("text", "expected"), VALID_FILTERS)
def test_render_filter_round_trip(text: str, expected: Expr) -> None:
    assert parse_filter(render_filter(parse_filter(text))) == expected


_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,6}", fullmatch=True).filter(
    lambda name: name.lower() not in ("and", "or", "not")
)
_PATHS = st.builds(
    AttrPath,
    st.sampled_from([None, USER_URN, ENTERPRISE_URN]),
    _NAMES,
    st.one_of(st.none(), _NAMES),
)
_ORDERED_VALUES = st.one_of(
    st.text(max_size=8),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
)
_COMPARISONS = st.one_of(
    st.builds(Comparison, _PATHS, st.just("pr"), st.none()),
    st.builds(
        Comparison,
        _PATHS,
        st.sampled_from(["eq", "ne"]),
        st.one_of(_ORDERED_VALUES, st.booleans(), st.none()),
    ),
    st.builds(
        Comparison, _PATHS, st.sampled_from(["co", "sw", "ew", "gt", "ge", "lt", "le"]), _ORDERED_VALUES
    ),
)


def _logical(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    return st.one_of(
        st.builds(And, children, children), st.builds(Or, children, children), st.builds(Not, children)
    )


_VALUE_FILTERS = st.recursive(_COMPARISONS, _logical, max_leaves=4)
_EXPRESSIONS = st.recursive(
    st.one_of(_COMPARISONS, st.builds(ValuePath, st.builds(AttrPath, st.none(), _NAMES), _VALUE_FILTERS)),
    _logical,
    max_leaves=8,
)


@given(_EXPRESSIONS)
def test_render_filter_round_trip_generated(expression: Expr) -> None:
    assert parse_filter(render_filter(expression), max_length=100_000) == expression


# ---------------------------------------------------------------------------------------------
# Evaluation

EMAILS = AttributeDef(
    name="emails",
    type="complex",
    multi_valued=True,
    sub_attributes=(
        AttributeDef(name="value"),
        AttributeDef(name="type"),
        AttributeDef(name="primary", type="boolean"),
    ),
)
MEMBERS = AttributeDef(
    name="members",
    type="complex",
    multi_valued=True,
    sub_attributes=(AttributeDef(name="value", case_exact=True), AttributeDef(name="display")),
)
META = AttributeDef(
    name="meta", type="complex", sub_attributes=(AttributeDef(name="lastModified", type="dateTime"),)
)
RECORD = AttributeDef(
    name="record",
    type="complex",
    sub_attributes=(
        AttributeDef(name="count", type="integer"),
        AttributeDef(name="score", type="decimal"),
        AttributeDef(name="active", type="boolean"),
        AttributeDef(name="title"),
        AttributeDef(name="code", case_exact=True),
        META,
    ),
)

WORK_EMAIL = {"value": "Karin.Holm@Contoso-Example.se", "type": "work", "primary": True}
USER = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "id": "U1",
    "userName": "karin.holm@contoso-example.se",
    "active": True,
    "name": {"givenName": "Karin", "familyName": "Holm"},
    "emails": [WORK_EMAIL, {"value": "karin@example.org", "type": "home"}],
    "meta": {"lastModified": "2025-03-02T09:14:00Z"},
    ENTERPRISE_URN: {"department": "Sales", "employeeNumber": "10442", "manager": {"value": "M1"}},
}

EVALUATIONS = [
    # Strings: case-insensitive unless caseExact (RFC 7644 §3.4.2.2).
    pytest.param('value eq "karin.holm@contoso-example.se"', WORK_EMAIL, EMAILS, True, id="eq-ignores-case"),
    pytest.param('value eq "other@contoso-example.se"', WORK_EMAIL, EMAILS, False, id="eq-different"),
    pytest.param('value eq "u7"', {"value": "U7"}, MEMBERS, False, id="eq-case-exact"),
    pytest.param('value eq "U7"', {"value": "U7"}, MEMBERS, True, id="eq-case-exact-same"),
    pytest.param('display eq "babs"', {"display": "Babs"}, MEMBERS, True, id="eq-sub-not-case-exact"),
    pytest.param('value ne "x@y"', WORK_EMAIL, EMAILS, True, id="ne"),
    pytest.param('value co "CONTOSO"', WORK_EMAIL, EMAILS, True, id="co"),
    pytest.param('value sw "karin."', WORK_EMAIL, EMAILS, True, id="sw"),
    pytest.param('value ew ".SE"', WORK_EMAIL, EMAILS, True, id="ew"),
    pytest.param('value ew ".org"', WORK_EMAIL, EMAILS, False, id="ew-no-match"),
    pytest.param('code co "ab"', {"code": "xABy"}, RECORD, False, id="co-case-exact"),
    pytest.param('title gt "alpha"', {"title": "Beta"}, RECORD, True, id="gt-string-ignores-case"),
    # Attribute names in any letter case (RFC 7643 §2.1).
    pytest.param('TYPE eq "work"', WORK_EMAIL, EMAILS, True, id="name-case-insensitive"),
    pytest.param('type eq "work"', {"Type": "work"}, EMAILS, True, id="element-key-case-insensitive"),
    # Booleans compare leniently because Entra sends "True" and "False".
    pytest.param('primary eq "True"', WORK_EMAIL, EMAILS, True, id="entra-string-true-matches-true"),
    pytest.param('primary eq "true"', WORK_EMAIL, None, True, id="entra-string-true-without-definition"),
    pytest.param('primary eq "False"', WORK_EMAIL, EMAILS, False, id="entra-string-false-against-true"),
    pytest.param("primary eq true", {"primary": "True"}, EMAILS, True, id="entra-stored-string-true"),
    pytest.param("primary eq false", {"primary": "yes"}, EMAILS, False, id="boolean-unparseable"),
    pytest.param("primary ne true", {"value": "x"}, EMAILS, True, id="ne-boolean-absent"),
    # Presence: present and not null, "", [] or {}.
    pytest.param("value pr", WORK_EMAIL, EMAILS, True, id="pr-present"),
    pytest.param("value pr", {"value": ""}, EMAILS, False, id="pr-empty-string"),
    pytest.param("value pr", {"value": None}, EMAILS, False, id="pr-null"),
    pytest.param("value pr", {"type": "work"}, EMAILS, False, id="pr-absent"),
    pytest.param("emails pr", {"emails": []}, None, False, id="pr-empty-list"),
    pytest.param("name pr", {"name": {}}, None, False, id="pr-empty-object"),
    pytest.param("primary pr", {"primary": False}, EMAILS, True, id="pr-false-is-present"),
    pytest.param("name pr", USER, None, True, id="pr-complex"),
    # Absent values and null.
    pytest.param('type ne "work"', {"value": "x"}, EMAILS, True, id="ne-absent"),
    pytest.param('type eq "work"', {"value": "x"}, EMAILS, False, id="eq-absent"),
    pytest.param("type eq null", {"value": "x"}, EMAILS, True, id="eq-null-absent"),
    pytest.param("type eq null", WORK_EMAIL, EMAILS, False, id="eq-null-present"),
    pytest.param("type ne null", WORK_EMAIL, EMAILS, True, id="ne-null-present"),
    # Numbers and dates.
    pytest.param("count gt 4", {"count": 5}, RECORD, True, id="gt-int"),
    pytest.param("count ge 5", {"count": 5}, RECORD, True, id="ge-int"),
    pytest.param("count lt 5", {"count": 5}, RECORD, False, id="lt-int"),
    pytest.param("score le 2.5", {"score": 2.5}, RECORD, True, id="le-decimal"),
    pytest.param("count eq 5.0", {"count": 5}, RECORD, True, id="eq-int-float"),
    pytest.param('count eq "5"', {"count": 5}, RECORD, False, id="eq-number-string"),
    pytest.param("count co 5", {"count": 5}, RECORD, False, id="co-number"),
    pytest.param(
        "title eq 10442", {"title": "10442"}, RECORD, True, id="eq-unquoted-number-string-attribute"
    ),
    pytest.param(
        'meta.lastModified gt "2025-03-02T10:00:00+02:00"',
        {"meta": {"lastModified": "2025-03-02T09:14:00Z"}},
        RECORD,
        True,
        id="gt-datetime-offsets",
    ),
    pytest.param(
        'meta.lastModified lt "2025-03-02T09:14:00.5Z"',
        {"meta": {"lastModified": "2025-03-02T09:14:00Z"}},
        RECORD,
        True,
        id="lt-datetime-fraction",
    ),
    # Logical operators.
    pytest.param('type eq "work" and primary eq true', WORK_EMAIL, EMAILS, True, id="and-true"),
    pytest.param('type eq "work" and primary eq false', WORK_EMAIL, EMAILS, False, id="and-false"),
    pytest.param('type eq "home" or primary eq true', WORK_EMAIL, EMAILS, True, id="or-true"),
    pytest.param('type eq "home" or value pr and type eq "x"', WORK_EMAIL, EMAILS, False, id="or-and-false"),
    pytest.param('not (type eq "home")', WORK_EMAIL, EMAILS, True, id="not"),
    # Whole resources (definition None).
    pytest.param('userName eq "KARIN.HOLM@contoso-example.se"', USER, None, True, id="resource-eq"),
    pytest.param('name.familyName sw "ho"', USER, None, True, id="resource-sub-attribute"),
    pytest.param('emails.value co "example.org"', USER, None, True, id="resource-multi-valued-sub"),
    pytest.param('emails co "example.org"', USER, None, True, id="resource-complex-compares-value"),
    pytest.param('emails.type eq "other"', USER, None, False, id="resource-multi-valued-no-match"),
    pytest.param('emails[type eq "work" and value co "contoso"]', USER, None, True, id="resource-value-path"),
    pytest.param(
        'emails[type eq "home" and primary eq true]', USER, None, False, id="resource-value-path-no-match"
    ),
    pytest.param(
        'emails[type eq "work"].value eq "karin.holm@contoso-example.se"',
        USER,
        None,
        True,
        id="entra-resource-value-path-sub-attribute",
    ),
    pytest.param(f"{USER_URN}:userName pr", USER, None, True, id="resource-core-urn"),
    pytest.param(f'{ENTERPRISE_URN}:department eq "sales"', USER, None, True, id="resource-extension-urn"),
    pytest.param(f'{ENTERPRISE_URN}:manager.value eq "M1"', USER, None, True, id="resource-extension-sub"),
    pytest.param(
        f"{ENTERPRISE_URN}:employeeNumber eq 10442", USER, None, True, id="resource-unquoted-number"
    ),
    pytest.param('id eq "U1" and manager eq "M1"', USER, None, False, id="entra-manager-check-without-urn"),
]


@pytest.mark.parametrize(("text", "element", "definition", "expected"), EVALUATIONS)
def test_evaluate(
    text: str, element: dict[str, Any], definition: AttributeDef | None, expected: bool
) -> None:
    assert evaluate(parse_filter(text), element, definition) is expected


def test_evaluate_long_or_chain() -> None:
    expression = parse_filter(
        " or ".join(f'value eq "U{number}"' for number in range(300)), max_length=10_000
    )
    assert evaluate(expression, {"value": "U299"}, MEMBERS) is True
