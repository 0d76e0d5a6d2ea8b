"""Property-based tests of the SCIM filter parser (lime_scim.scim.filter) with hypothesis.

Rendering a syntax tree and parsing the text again gives the same tree, and no text makes the
parser raise anything but InvalidFilter.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lime_scim.config import RequestLimits
from lime_scim.provisioning.common import parse_optional_filter
from lime_scim.scim.errors import InvalidFilter
from lime_scim.scim.filter import AttrPath, Comparison, Expr, parse_filter, render_filter
from tests.reliability.strategies import expressions, token_soup

# The full fuzz run (LIME_SCIM_FUZZ_REQUESTS of 10000 or more) also runs more parser examples.
_FUZZ_REQUESTS = os.environ.get("LIME_SCIM_FUZZ_REQUESTS", "")
EXAMPLES = 2000 if _FUZZ_REQUESTS.isdigit() and int(_FUZZ_REQUESTS) >= 10000 else 300
PROPERTY_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(expressions)
def test_rendered_tree_parses_back(expression: Expr) -> None:
    text = render_filter(expression)

    assert parse_filter(text, max_length=len(text)) == expression


@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_raises_only_invalid_filter(text: str) -> None:
    try:
        parse_filter(text)
    except InvalidFilter:
        pass


@PROPERTY_SETTINGS
@given(token_soup)
def test_token_soup_raises_only_invalid_filter(text: str) -> None:
    try:
        parse_filter(text)
    except InvalidFilter:
        pass


@PROPERTY_SETTINGS
@given(token_soup)
def test_server_filter_raises_only_invalid_filter(text: str) -> None:
    """The server's entry point adds checks of the values to the parser's."""
    try:
        parse_optional_filter(text, RequestLimits())
    except InvalidFilter:
        pass


def test_long_number_parses() -> None:
    text = "count eq " + "9" * 4000

    assert parse_filter(text) == Comparison(AttrPath(None, "count"), "eq", int("9" * 4000))


@pytest.mark.parametrize("digits", [5000, 20000])
def test_too_long_number_raises_invalid_filter(digits: int) -> None:
    """Python converts at most 4300 digits to an int, so a longer number is an invalid filter."""
    text = "count eq " + "9" * digits

    with pytest.raises(InvalidFilter, match="too long"):
        parse_filter(text, max_length=len(text))


@pytest.mark.parametrize("depth", [31, 32])
def test_nesting_at_limit_parses(depth: int) -> None:
    text = "(" * depth + 'a eq "b"' + ")" * depth

    assert parse_filter(text, max_depth=32) == Comparison(AttrPath(None, "a"), "eq", "b")


def test_nesting_over_limit_raises() -> None:
    with pytest.raises(InvalidFilter, match="max_filter_depth"):
        parse_filter("(" * 33 + 'a eq "b"' + ")" * 33, max_depth=32)


def test_long_chain_parses_without_recursion() -> None:
    text = " and ".join(f'a{number} eq "{number}"' for number in range(2000))

    parsed = parse_filter(text, max_length=len(text))

    assert render_filter(parsed) == text
