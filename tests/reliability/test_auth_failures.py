"""Bearer authentication on a live server: one 401 for every failure, rate-limited failure
logs with the client address, and tokens that open only their own application.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from lime_scim.web.throttle import ThrottledWarning
from tests.reliability.live import APPLICATION, LiveApp, application_entry, new_token, serve_app

OTHER_APPLICATION = "sales"
DISABLED_APPLICATION = "archive"


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveApp, str]]:
    """A server of one worker with two enabled applications and a disabled one.

    Yields the first application and the token of the second.
    """
    folder = tmp_path_factory.mktemp("auth")
    other_token = new_token()
    extra = {
        OTHER_APPLICATION: application_entry(other_token),
        DISABLED_APPLICATION: application_entry(new_token(), enabled=False),
    }
    with serve_app(folder, database_url=None, workers=1, threads=4, extra_applications=extra) as app:
        yield app, other_token


def raw_get(url: str, headers: dict[str, str]) -> requests.Response:
    return requests.get(url, headers=headers, timeout=30)


def failure_headers(token: str, other_token: str) -> dict[str, dict[str, str]]:
    """Return one Authorization header (or none) per way a request can fail to authenticate."""
    return {
        "missing": {},
        "empty": {"Authorization": ""},
        "basic scheme": {"Authorization": f"Basic {token}"},
        "no scheme": {"Authorization": token},
        "scheme only": {"Authorization": "Bearer"},
        "two tokens": {"Authorization": f"Bearer {token} {token}"},
        "truncated": {"Authorization": f"Bearer {token[:-1]}"},
        "one character off": {"Authorization": f"Bearer {token[:-1]}{'0' if token[-1] != '0' else '1'}"},
        "upper case": {"Authorization": f"Bearer {token.upper()}"},
        "other application's": {"Authorization": f"Bearer {other_token}"},
        "non-ASCII": {"Authorization": "Bearer tök€n".encode().decode("latin-1")},
    }


def test_every_failure_same_401(two_apps: tuple[LiveApp, str]) -> None:
    app, other_token = two_apps
    url = f"{app.tenant_url}/Users"
    responses = {name: raw_get(url, headers) for name, headers in failure_headers(app.token, other_token).items()}

    first = responses["missing"]
    assert first.status_code == 401
    assert first.headers["WWW-Authenticate"] == 'Bearer realm="SCIM"'
    assert first.headers["Content-Type"] == "application/scim+json"
    for name, response in responses.items():
        assert response.status_code == 401, name
        assert response.content == first.content, name
        assert response.headers["WWW-Authenticate"] == first.headers["WWW-Authenticate"], name
        assert app.token not in response.text, name
        assert other_token not in response.text, name


def test_token_opens_only_its_application(two_apps: tuple[LiveApp, str]) -> None:
    app, other_token = two_apps
    base = app.server.base_url
    tokens = {APPLICATION: app.token, OTHER_APPLICATION: other_token}

    for owner, token in tokens.items():
        for application in tokens:
            response = raw_get(f"{base}/{application}/api/v1/scim/Users", {"Authorization": f"Bearer {token}"})
            expected = 200 if application == owner else 401
            assert response.status_code == expected, f"{owner}'s token on {application}"


def test_disabled_application_not_served(two_apps: tuple[LiveApp, str]) -> None:
    app, other_token = two_apps
    url = f"{app.server.base_url}/{DISABLED_APPLICATION}/api/v1/scim/Users"

    for token in (app.token, other_token):
        response = raw_get(url, {"Authorization": f"Bearer {token}"})
        assert response.status_code == 404


def test_each_application_own_store(two_apps: tuple[LiveApp, str]) -> None:
    app, other_token = two_apps
    other = app.client(other_token)
    other.tenant_url = f"{app.server.base_url}/{OTHER_APPLICATION}/api/v1/scim"

    created = other.create_user("only.in.sales")

    assert created.status == 201
    found = app.client().request("GET", "/Users", params={"filter": 'userName eq "only.in.sales"'})
    assert found.body["totalResults"] == 0


def test_failures_logged_once_per_address(tmp_path: Path) -> None:
    """Twenty failures from one address give one log line, with the address and no token."""
    wrong_token = new_token()
    with serve_app(tmp_path, database_url=None, workers=1, threads=2) as app:
        for _ in range(20):
            assert raw_get(f"{app.tenant_url}/Users", {"Authorization": f"Bearer {wrong_token}"}).status_code == 401
        assert raw_get(f"{app.tenant_url}/Users", {}).status_code == 401
        log = app.server.log

    failures = [line for line in log.splitlines() if "Authentication failed" in line]
    assert len(failures) == 1, failures
    assert "application crm from 127.0.0.1" in failures[0]
    assert "GET /crm/api/v1/scim/Users" in failures[0]
    assert wrong_token not in log
    assert wrong_token[:16] not in log
    assert app.token not in log
    # The per-request lines still show every rejected request.
    assert sum(" 401 " in line for line in log.splitlines()) == 21


def test_throttled_warning_counts_suppressed(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    warning = ThrottledWarning(logging.getLogger("test.throttle"), interval=60, clock=lambda: now[0])

    with caplog.at_level(logging.WARNING, logger="test.throttle"):
        logged = [warning.warn("10.0.0.1", "failed from %s", "10.0.0.1") for _ in range(6)]
        other = warning.warn("10.0.0.2", "failed from %s", "10.0.0.2")
        now[0] += 59.9
        early = warning.warn("10.0.0.1", "failed from %s", "10.0.0.1")
        now[0] += 0.1
        late = warning.warn("10.0.0.1", "failed from %s", "10.0.0.1")

    assert logged == [True, False, False, False, False, False]
    assert other is True
    assert early is False
    assert late is True
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "failed from 10.0.0.1",
        "failed from 10.0.0.2",
        "failed from 10.0.0.1 (6 similar lines were not logged since the previous one)",
    ]


def test_throttled_warning_bounds_keys() -> None:
    warning = ThrottledWarning(logging.getLogger("test.throttle.keys"), max_keys=3, clock=lambda: 0.0)

    for number in range(10):
        warning.warn(f"10.0.0.{number}", "failed")

    # The oldest keys were dropped, so the first address is logged again at once.
    assert warning.warn("10.0.0.0", "failed") is True
    assert warning.warn("10.0.0.9", "failed") is False
