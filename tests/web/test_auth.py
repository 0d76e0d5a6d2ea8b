"""Tests of bearer token authentication: check_bearer alone, and through the Flask test client."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from lime_scim.scim.errors import Unauthorized
from lime_scim.web.auth import check_bearer
from tests.support.webapp import BASE, OTHER_BASE, OTHER_TOKEN, TOKEN, auth

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"

# ---------------------------------------------------------------------------------------------
# check_bearer


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER {TOKEN}", f"  Bearer   {TOKEN}  "],
    ids=["canonical", "lower-case-scheme", "upper-case-scheme", "extra-spaces"],
)
def test_check_bearer_accepts_token(authorization: str) -> None:
    check_bearer(authorization, TOKEN)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        TOKEN,
        f"Basic {TOKEN}",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}0",
        f"Bearer {TOKEN.upper()}",
        f"Bearer {OTHER_TOKEN}",
        f"Bearer {TOKEN} {TOKEN}",
    ],
    ids=[
        "missing",
        "empty",
        "no-scheme",
        "basic-scheme",
        "scheme-only",
        "scheme-and-space",
        "truncated",
        "extended",
        "wrong-case",
        "other-token",
        "token-twice",
    ],
)
def test_check_bearer_rejects_header(authorization: str | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        check_bearer(authorization, TOKEN)

    assert caught.value.status == 401
    assert TOKEN not in caught.value.detail


def test_check_bearer_rejects_empty_expected() -> None:
    with pytest.raises(Unauthorized):
        check_bearer("Bearer ", "")


# ---------------------------------------------------------------------------------------------
# Through the app


REJECTED_HEADERS = {
    "missing": {},
    "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    "bearer-without-token": {"Authorization": "Bearer"},
    "wrong-token": {"Authorization": "Bearer " + "0" * 128},
    "other-application-token": auth(OTHER_TOKEN),
}


@pytest.mark.parametrize("headers", REJECTED_HEADERS.values(), ids=REJECTED_HEADERS.keys())
def test_request_rejected_with_401(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get(f"{BASE}/Users", headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="SCIM"'
    assert response.mimetype == "application/scim+json"
    body = response.get_json(force=True)
    assert body["schemas"] == [ERROR_URN]
    assert body["status"] == "401"
    assert "Authorization: Bearer" in body["detail"]


@pytest.mark.parametrize("headers", REJECTED_HEADERS.values(), ids=REJECTED_HEADERS.keys())
def test_rejection_never_echoes_token(
    client: FlaskClient, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)

    response = client.get(f"{BASE}/Users", headers=headers)

    text = response.get_data(as_text=True) + str(response.headers)
    for secret in (TOKEN, OTHER_TOKEN, "0" * 128, "dXNlcjpwYXNz"):
        assert secret not in text
        assert secret not in caplog.text


def test_rejection_same_for_every_cause(client: FlaskClient) -> None:
    bodies = {client.get(f"{BASE}/Users", headers=headers).get_data() for headers in REJECTED_HEADERS.values()}

    assert len(bodies) == 1


def test_rejected_write_changes_nothing(client: FlaskClient) -> None:
    created = client.post(f"{BASE}/Users", json={"userName": "karin"}, headers=auth(OTHER_TOKEN))
    listed = client.get(f"{BASE}/Users", headers=auth()).get_json(force=True)

    assert created.status_code == 401
    assert listed["totalResults"] == 0


def test_unauthenticated_unknown_path_401(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Nowhere")

    assert response.status_code == 401


def test_valid_token_accepted(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Users", headers=auth())

    assert response.status_code == 200


def test_lower_case_scheme_accepted(client: FlaskClient) -> None:
    response = client.get(f"{BASE}/Users", headers={"Authorization": f"bearer {TOKEN}"})

    assert response.status_code == 200


def test_each_application_own_token(client: FlaskClient) -> None:
    own = client.get(f"{OTHER_BASE}/Users", headers=auth(OTHER_TOKEN))
    foreign = client.get(f"{OTHER_BASE}/Users", headers=auth(TOKEN))

    assert own.status_code == 200
    assert foreign.status_code == 401
