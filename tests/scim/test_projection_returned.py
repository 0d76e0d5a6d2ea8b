"""Tests of the ``returned`` characteristic in projections (RFC 7643 §7, RFC 7644 §3.4.2.5)."""

from __future__ import annotations

from typing import Any

from lime_scim.scim.definitions import AttributeDef, ResourceDef, SchemaDef
from lime_scim.scim.projection import Projection

_CORE = SchemaDef(
    id="urn:ietf:params:scim:schemas:core:2.0:Thing",
    name="Thing",
    description="A resource with one attribute per returned value",
    attributes=(
        AttributeDef("id", returned="always"),
        AttributeDef("shown"),
        AttributeDef("secret", returned="never"),
        AttributeDef("extra", returned="request"),
        AttributeDef("members", type="complex", multi_valued=True, sub_attributes=(
            AttributeDef("value"),
            AttributeDef("display", returned="request"),
        )),
    ),
)
DEFINITION = ResourceDef(name="Thing", endpoint="/Things", core=_CORE)


def _resource() -> dict[str, Any]:
    return {"id": "1", "shown": "a", "secret": "s", "extra": "e",
            "members": [{"value": "m1", "display": "One"}]}


def test_default_hides_never_and_request() -> None:
    projected = Projection().apply(_resource(), DEFINITION)

    assert projected == {"id": "1", "shown": "a", "members": [{"value": "m1"}]}


def test_attributes_returns_named_request_attribute() -> None:
    projected = Projection.from_query("extra,members.display", None).apply(_resource(), DEFINITION)

    assert projected == {"id": "1", "extra": "e", "members": [{"display": "One"}]}


def test_attributes_never_returns_never() -> None:
    projected = Projection.from_query("secret,shown", None).apply(_resource(), DEFINITION)

    assert projected == {"id": "1", "shown": "a"}


def test_excluded_attributes_still_hides_request() -> None:
    projected = Projection.from_query(None, "shown").apply(_resource(), DEFINITION)

    assert projected == {"id": "1", "members": [{"value": "m1"}]}
