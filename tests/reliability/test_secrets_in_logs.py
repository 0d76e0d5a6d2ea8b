"""No secret in the server's log output, at DEBUG, over a full Entra replay.

The server runs with --log-level DEBUG. The test replays both Entra provisioning cycles and the
other replay files of tests/fixtures/entra, then sends users with passwords, failed logins with
wrong tokens and Basic credentials, and requests that fail on purpose. Neither the log nor any
response contains the token, a password, or another application's token.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from pathlib import Path

import pytest
import requests

from tests.reliability.live import (
    APPLICATION,
    PATCH_URN,
    USER_URN,
    LiveApp,
    application_entry,
    new_token,
)
from tests.support.entra import CYCLE_FILES, DIALECTS, Replay, load_replay
from tests.support.postgres import PostgresServer
from tests.support.server import running_server, write_config

REPLAY_FILES = [*CYCLE_FILES.values(), "provision_on_demand.json", "validator_harness.json",
                "tolerance_cases.json", "rejections.json"]


def password_like() -> str:
    return f"Pw-{secrets.token_urlsafe(18)}"


def send_password_requests(app: LiveApp, passwords: list[str]) -> list[requests.Response]:
    """Send every way a password can reach the server: POST, PUT, PATCH, errors and filters."""
    client = app.client()
    sent = []
    run = uuid.uuid4().hex[:8]

    def post(body: dict) -> requests.Response:  # type: ignore[type-arg]
        response = requests.post(f"{app.tenant_url}/Users", json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {app.token}"})
        sent.append(response)
        return response

    created = post({"schemas": [USER_URN], "userName": f"pw.{run}", "password": passwords[0]})
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    # Invalid bodies that carry a password, so that the error handling gets it too.
    post({"schemas": [USER_URN], "password": passwords[1]})
    post({"schemas": [USER_URN], "userName": f"pw.{run}", "password": passwords[1]})
    post({"schemas": [USER_URN], "userName": f"pw2.{run}", "password": {"value": passwords[1]}, "active": "maybe"})
    post({"schemas": [USER_URN], "userName": f"pw3.{run}", "password": passwords[1],
          "title": "x" * 5000, "emails": "not a list"})

    for operations in (
        [{"op": "replace", "path": "password", "value": passwords[2]}],
        [{"op": "Replace", "value": {"password": passwords[2], "active": "False"}}],
        [{"op": "replace", "path": "password", "value": passwords[2]}, {"op": "bogus", "path": "title"}],
    ):
        sent.append(requests.patch(f"{app.tenant_url}/Users/{user_id}", timeout=30,
                                   json={"schemas": [PATCH_URN], "Operations": operations},
                                   headers={"Authorization": f"Bearer {app.token}"}))
    sent.append(requests.put(f"{app.tenant_url}/Users/{user_id}", timeout=30,
                             json={"schemas": [USER_URN], "userName": f"pw.{run}", "password": passwords[3]},
                             headers={"Authorization": f"Bearer {app.token}"}))
    # Filters naming a password: an error whose detail could echo the value.
    for filter_text in (f'password eq "{passwords[3]}"', f'userName eq "x" and password co "{passwords[3]}"'):
        sent.append(requests.get(f"{app.tenant_url}/Users", params={"filter": filter_text}, timeout=30,
                                 headers={"Authorization": f"Bearer {app.token}"}))
    assert client.request("GET", f"/Users/{user_id}").status == 200
    return sent


def send_failed_logins(app: LiveApp, wrong_tokens: list[str], basic_password: str) -> list[requests.Response]:
    basic = base64.b64encode(f"admin:{basic_password}".encode()).decode()
    headers = [
        {"Authorization": f"Bearer {wrong_tokens[0]}"},
        {"Authorization": f"Bearer {app.token[:-4]}{wrong_tokens[1][:4]}"},
        {"Authorization": f"Basic {basic}"},
        {"Authorization": wrong_tokens[2]},
    ]
    return [requests.get(f"{app.tenant_url}/Users", headers=header, timeout=30) for header in headers]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_debug_log_holds_no_secret(database: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    token = new_token()
    other_token = new_token()
    database_password = password_like()
    database_url = None
    if database == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        # The test server trusts loopback connections, so the password is sent and ignored.
        database_url = server.create_database().replace("postgres@", f"postgres:{database_password}@")
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {
        APPLICATION: application_entry(token, database_url=database_url),
        "other": application_entry(other_token),
    })
    passwords = [password_like() for _ in range(4)]
    wrong_tokens = [new_token() for _ in range(3)]
    basic_password = password_like()

    with running_server(config_path, workers=2, threads=4, extra_args=["--log-level", "DEBUG"]) as live:
        app = LiveApp(live, config_path, token)
        replay = Replay(app.tenant_url, token, variables={
            "RUN": uuid.uuid4().hex[:12], "GUID": str(uuid.uuid4()), "GUID2": str(uuid.uuid4()),
            "CRM3_SEEDED": "0",
        })
        for dialect in DIALECTS:
            replay.variables["DIALECT"] = dialect
            for file_name in REPLAY_FILES:
                replay.run(load_replay(file_name), keep_going=True)
        responses = send_password_requests(app, passwords)
        responses += send_failed_logins(app, wrong_tokens, basic_password)
        log = live.log

    succeeded_writes = [e for e in replay.exchanges if e.method != "GET" and 200 <= e.status < 300]
    secrets_to_hide = {
        "token": token,
        "other application's token": other_token,
        "database password": database_password,
        "Basic password": basic_password,
        "Basic credentials": base64.b64encode(f"admin:{basic_password}".encode()).decode(),
        **{f"password {number}": password for number, password in enumerate(passwords)},
        **{f"wrong token {number}": wrong for number, wrong in enumerate(wrong_tokens)},
    }

    # The replay ran for real, and the log is at DEBUG.
    assert len(replay.exchanges) > 100
    assert len(succeeded_writes) > 20
    assert " DEBUG " in log
    assert "Authentication failed" in log
    for name, secret in secrets_to_hide.items():
        assert secret not in log, f"the {name} is in the log"
        assert secret[:16] not in log, f"the start of the {name} is in the log"
    for response in responses:
        for name, secret in secrets_to_hide.items():
            assert secret not in response.text, f"the {name} is in a response to {response.request.method}"
    for exchange in replay.exchanges:
        assert token.encode() not in exchange.body
