"""Tests of the lime-scim command line, run through the installed console script."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from lime_scim.config import load_config
from lime_scim.host.cli import main
from lime_scim.objectapi.datamodel import default_datamodel_path, load_datamodel
from lime_scim.objectapi.sqlstore import create_object_api
from tests.support.server import (
    HOST,
    console_script,
    free_port,
    read_log,
    running_server,
    start_process,
    stop_process,
    wait_for_port,
    write_config,
)

TOKEN_PATTERN = re.compile(r"[0-9a-f]{128}")
TOKEN = "c0ffee" + "12" * 61
SUBPROCESS_TIMEOUT_SECONDS = 60
PRINT_TIMEOUT_SECONDS = 30


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(console_script()), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )


def enabled_application(token: str = TOKEN) -> dict[str, object]:
    return {
        "config": {"scim": {"enabled": True, "use_legacy_resource_ids": False}},
        "secrets": {"scim": {"token": token}},
    }


def wait_for_output(
    log_path: Path, pattern: re.Pattern[str], process: subprocess.Popen[bytes]
) -> re.Match[str]:
    deadline = time.monotonic() + PRINT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        match = pattern.search(read_log(log_path))
        if match:
            return match
        if process.poll() is not None:
            break
        time.sleep(0.1)
    stop_process(process)
    pytest.fail(f"no line matching {pattern.pattern!r} in the output:\n{read_log(log_path)}")


# token


def test_token_prints_128_hex_characters() -> None:
    result = run_cli("token")

    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.endswith("\n")
    assert TOKEN_PATTERN.fullmatch(result.stdout.strip())


def test_token_differs_each_run() -> None:
    first = run_cli("token").stdout.strip()
    second = run_cli("token").stdout.strip()

    assert first != second


def test_token_through_python_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lime_scim.host", "token"],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )

    assert result.returncode == 0
    assert TOKEN_PATTERN.fullmatch(result.stdout.strip())


def test_main_token_returns_zero(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["token"])

    assert status == 0
    assert TOKEN_PATTERN.fullmatch(capsys.readouterr().out.strip())


# serve: errors before the server starts


def test_serve_invalid_config_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    config_path.write_text(
        f"myapp:\n  config:\n    scim:\n      enabled: 'yes'\n  secrets:\n    scim:\n      token: {TOKEN}\n"
    )
    result = run_cli("serve", "--config", str(config_path), "--port", str(free_port()))

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"lime-scim: error: {config_path}: myapp.config.scim.enabled")
    assert "Write true or false." in lines[0]
    assert TOKEN not in result.stderr
    assert TOKEN not in result.stdout


def test_serve_enabled_without_token_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": {"config": {"scim": {"enabled": True}}}})
    result = run_cli("serve", "--config", str(config_path), "--port", str(free_port()))

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "myapp.secrets.scim.token is missing" in lines[0]
    assert "lime-scim token" in lines[0]


def test_serve_missing_config_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "nosuch.yaml"
    result = run_cli("serve", "--config", str(config_path), "--port", str(free_port()), cwd=tmp_path)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"lime-scim: error: {config_path}: file not found")
    assert list(tmp_path.iterdir()) == []


def test_serve_no_enabled_application_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": {"config": {"scim": {"enabled": False}}}, "other": {}})
    result = run_cli("serve", "--config", str(config_path), "--port", str(free_port()))

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"lime-scim: error: {config_path}: no application is enabled")
    assert "config.scim.enabled to true" in lines[0]
    assert "lime-scim token" in lines[0]


def test_serve_unknown_application_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    result = run_cli("serve", "--config", str(config_path), "--application", "other", "--port", "1")

    assert result.returncode == 2
    assert "application other was not found" in result.stderr


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [text for text in result.stderr.splitlines() if text.startswith("lime-scim: error:")]


@pytest.mark.parametrize(
    ("database_url", "problem"),
    [
        (
            "mysql://scim:pw-s3cret@localhost/lime",
            "database_url is invalid: unsupported database URL scheme 'mysql'; use sqlite:///PATH "
            "or postgresql://USER@HOST/DATABASE.",
        ),
        (
            "postgresql://scim:pw-s3cret@localhost:x1/lime",
            "database_url cannot be parsed as a URL.",
        ),
        (
            "sqlite:///{folder}/missing/myapp.sqlite3",
            "database_url is invalid: the directory {folder}/missing of the SQLite database does "
            "not exist; create it or change the database URL.",
        ),
        (
            "sqlite:///{folder}",
            "cannot open the database sqlite:///{folder}: unable to open database file. "
            "Check that database_url names an SQLite database file",
        ),
        (
            "postgresql://scim:pw-s3cret@127.0.0.1:1/lime",
            "cannot open the database postgresql://scim:***@127.0.0.1:1/lime: connection "
            "failed:",
        ),
    ],
    ids=["unsupported-scheme", "port-not-a-number", "missing-folder", "folder-not-file", "server-down"],
)
def test_serve_bad_database_url_exits_2(tmp_path: Path, database_url: str, problem: str) -> None:
    config_path = tmp_path / "application_config.yaml"
    entry = enabled_application()
    entry["secrets"]["scim"]["database_url"] = database_url.format(folder=tmp_path)  # type: ignore[index]
    write_config(config_path, {"myapp": entry})

    result = run_cli("serve", "--config", str(config_path), "--port", str(free_port()))

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "pw-s3cret" not in result.stderr + result.stdout
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    expected_start = f"lime-scim: error: {config_path}: application myapp: {problem.format(folder=tmp_path)}"
    assert lines[0].startswith(expected_start)


def test_serve_busy_port_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other_program:
        other_program.bind((HOST, 0))
        other_program.listen()
        port = other_program.getsockname()[1]
        started = time.monotonic()
        result = run_cli("serve", "--config", str(config_path), "--port", str(port))
        elapsed = time.monotonic() - started

    assert result.returncode == 2, result.stderr
    assert error_lines(result) == [
        f"lime-scim: error: cannot listen on {HOST}:{port}: Address already in use. Stop the "
        "other program or pass --port."
    ]
    assert "Can't connect" not in result.stderr
    # Gunicorn alone retries for 5 s before it gives up.
    assert elapsed < 5, f"serve took {elapsed:.1f} s to report the busy port"


def test_serve_foreign_address_exits_2(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    # 192.0.2.1 is in TEST-NET-1 (RFC 5737), which no interface of the test machine has.
    port = free_port()

    result = run_cli("serve", "--config", str(config_path), "--host", "192.0.2.1", "--port", str(port))

    assert result.returncode == 2, result.stderr
    assert error_lines(result) == [
        f"lime-scim: error: cannot listen on 192.0.2.1:{port}: Cannot assign requested address. "
        "Pass a --host that is an IP address of this machine."
    ]


def write_datamodel_with_nickname(path: Path) -> None:
    """Write the default datamodel with the extra coworker property ``nickname``."""
    document = yaml.safe_load(default_datamodel_path().read_text(encoding="utf-8"))
    document["limetypes"]["coworker"]["properties"]["nickname"] = {"type": "string", "length": 64}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


def create_default_store(database: Path) -> None:
    create_object_api(f"sqlite:///{database.as_posix()}", load_datamodel(default_datamodel_path())).close()


@pytest.mark.parametrize(
    ("scim", "problem"),
    [
        ({"datamodel": "nope.yaml"}, "{folder}/nope.yaml: cannot read the datamodel file"),
        ({"coworker_limetype": "staff"}, "The configured coworker_limetype 'staff' is not in the datamodel"),
        ({"datamodel": "nickname.yaml"}, "table lt_coworker has no columns nickname"),
    ],
    ids=["datamodel-missing", "mapping-invalid", "schema-mismatch"],
)
def test_serve_names_failed_application(tmp_path: Path, scim: dict[str, str], problem: str) -> None:
    write_datamodel_with_nickname(tmp_path / "nickname.yaml")
    create_default_store(tmp_path / "beta.sqlite3")
    broken = enabled_application()
    broken["config"]["scim"].update(scim)  # type: ignore[index]
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"alpha": enabled_application(), "beta": broken})

    result = run_cli("serve", "--config", str(config_path), "--port", str(free_port()))

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    expected_start = f"lime-scim: error: {config_path}: application beta: {problem.format(folder=tmp_path)}"
    assert lines[0].startswith(expected_start)


@pytest.mark.parametrize(
    "option",
    [["--port", "0"], ["--port", "65536"], ["--workers", "0"], ["--threads", "x"], ["--log-level", "LOUD"]],
)
def test_serve_invalid_option_exits_2(tmp_path: Path, option: list[str]) -> None:
    result = run_cli("serve", "--config", str(tmp_path / "unused.yaml"), *option)

    assert result.returncode == 2
    assert f"argument {option[0]}" in result.stderr


# serve: running servers


def test_serve_logs_tenant_urls_not_token(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(
        config_path,
        {"alpha": enabled_application(), "beta": enabled_application(), "off": {}},
    )

    with running_server(config_path, workers=2, threads=2) as server:
        deadline = time.monotonic() + PRINT_TIMEOUT_SECONDS
        while "beta/api/v1/scim/" not in server.log and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.log

    assert f"Serving application alpha at {server.base_url}/alpha/api/v1/scim/" in log
    assert f"Serving application beta at {server.base_url}/beta/api/v1/scim/" in log
    assert "Application off is not served" in log
    assert TOKEN not in server.log
    assert server.returncode == 0


def test_serve_warns_short_tokens(tmp_path: Path) -> None:
    short_token = "short-s3cret-token"
    medium_token = "5eed" * 16
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {
        "short": enabled_application(short_token),
        "medium": enabled_application(medium_token),
        "full": enabled_application(),
    })

    with running_server(config_path) as server:
        log = server.log

    assert (
        f"WARNING lime_scim.host.cli: Application short has a token of {len(short_token)} "
        "characters, fewer than the 128 that lime-scim token generates and too short to resist "
        "guessing. Generate one with lime-scim token, set it as short.secrets.scim.token"
    ) in log
    assert (
        "WARNING lime_scim.host.cli: Application medium has a token of 64 characters, fewer than "
        "the 128 that lime-scim token generates. Generate one with lime-scim token"
    ) in log
    assert "Application full has a token" not in log
    assert short_token not in log
    assert medium_token not in log
    assert TOKEN not in log


def test_serve_warns_legacy_resource_ids(tmp_path: Path) -> None:
    legacy = enabled_application()
    legacy["config"]["scim"]["use_legacy_resource_ids"] = True  # type: ignore[index]
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"legacy": legacy, "opaque": enabled_application()})

    with running_server(config_path) as server:
        log = server.log

    assert (
        "WARNING lime_scim.host.cli: Application legacy has use_legacy_resource_ids true, so its "
        "SCIM ids are record ids. A user and a group can get the same record id, and Entra then "
        "fails with DuplicateTargetEntries. Set legacy.config.scim.use_legacy_resource_ids to "
        "false, as every new setup should."
    ) in log
    assert "Application opaque has use_legacy_resource_ids" not in log


def test_serve_sigint_exits_0(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    port = free_port()
    log_path = tmp_path / "serve.log"
    args = ["serve", "--config", str(config_path), "--port", str(port)]
    process = start_process(args, cwd=tmp_path, log_path=log_path)
    wait_for_port(process, port, log_path)
    # NOTE: the threaded worker of gunicorn 27.0.1 calls ThreadPoolExecutor.shutdown in its
    # SIGINT handler. That deadlocks when the signal arrives while submit(), which holds the
    # same lock, passes a new connection to the pool, and gunicorn then kills the worker
    # after 30 s. Answering one request first ensures the port probe has been passed on.
    response = requests.get(f"http://127.0.0.1:{port}/", timeout=PRINT_TIMEOUT_SECONDS)
    assert response.status_code == 404

    status = stop_process(process, sig=signal.SIGINT)

    assert status == 0, read_log(log_path)


def test_serve_first_run_creates_demo_config(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path.parent / f"{tmp_path.name}-first-run.log"
    process = start_process(["serve", "--port", str(port)], cwd=tmp_path, log_path=log_path)
    match = wait_for_output(log_path, re.compile(r"^Secret Token: (\S+)$", re.MULTILINE), process)
    printed_token = match.group(1)
    wait_for_port(process, port, log_path)

    config_path = tmp_path / "application_config.yaml"
    assert config_path.stat().st_mode & 0o777 == 0o600
    settings = load_config(config_path).applications["demo"]
    assert settings.enabled is True
    assert settings.use_legacy_resource_ids is False
    assert TOKEN_PATTERN.fullmatch(printed_token)
    assert settings.token == printed_token
    output = read_log(log_path)
    assert f"Created {config_path}" in output
    assert f"Tenant URL: http://127.0.0.1:{port}/demo/api/v1/scim/" in output
    assert output.count(printed_token) == 1

    status = stop_process(process)
    assert status == 0, read_log(log_path)


def test_serve_first_run_mentions_https(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path.parent / f"{tmp_path.name}-first-run.log"
    process = start_process(["serve", "--port", str(port)], cwd=tmp_path, log_path=log_path)
    wait_for_port(process, port, log_path)
    status = stop_process(process)

    assert status == 0, read_log(log_path)
    assert (
        "Entra ID only calls HTTPS URLs, so put this server behind a TLS-terminating reverse "
        "proxy (see README.md) and enter the proxy's https:// URL as Tenant URL."
    ) in read_log(log_path)


def test_serve_first_run_database_private(tmp_path: Path) -> None:
    port = free_port()
    log_path = tmp_path.parent / f"{tmp_path.name}-first-run.log"
    # Umask 0 shows that the mode does not come from the umask. SQLite alone creates 0644.
    previous_umask = os.umask(0)
    try:
        process = start_process(["serve", "--port", str(port)], cwd=tmp_path, log_path=log_path)
    finally:
        os.umask(previous_umask)
    wait_for_port(process, port, log_path)
    # A request makes the worker open the store, so the -wal and -shm files exist.
    response = requests.get(f"http://{HOST}:{port}/demo/api/v1/scim/Users", timeout=PRINT_TIMEOUT_SECONDS)
    assert response.status_code == 401

    database = tmp_path / "demo.sqlite3"
    modes = {
        path.name: path.stat().st_mode & 0o777
        for path in (database, tmp_path / "demo.sqlite3-wal", tmp_path / "demo.sqlite3-shm")
        if path.exists()
    }
    status = stop_process(process)

    assert status == 0, read_log(log_path)
    assert "demo.sqlite3" in modes
    assert "demo.sqlite3-wal" in modes
    assert modes == dict.fromkeys(modes, 0o600)
    assert (tmp_path / "application_config.yaml").stat().st_mode & 0o777 == 0o600


def test_serve_second_run_keeps_config(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"demo": enabled_application()})
    original = config_path.read_bytes()
    original_mtime = config_path.stat().st_mtime_ns
    port = free_port()
    log_path = tmp_path.parent / f"{tmp_path.name}-second-run.log"

    process = start_process(["serve", "--port", str(port)], cwd=tmp_path, log_path=log_path)
    wait_for_port(process, port, log_path)
    status = stop_process(process)

    assert status == 0, read_log(log_path)
    assert config_path.read_bytes() == original
    assert config_path.stat().st_mtime_ns == original_mtime
    assert "Secret Token" not in read_log(log_path)
    assert TOKEN not in read_log(log_path)


def test_serve_first_run_then_second_run(tmp_path: Path) -> None:
    log_path = tmp_path.parent / f"{tmp_path.name}-runs.log"
    config_path = tmp_path / "application_config.yaml"

    first_port = free_port()
    first = start_process(["serve", "--port", str(first_port)], cwd=tmp_path, log_path=log_path)
    wait_for_port(first, first_port, log_path)
    assert stop_process(first) == 0, read_log(log_path)
    created = config_path.read_bytes()

    second_port = free_port()
    second = start_process(["serve", "--port", str(second_port)], cwd=tmp_path, log_path=log_path)
    wait_for_port(second, second_port, log_path)
    assert stop_process(second) == 0, read_log(log_path)

    assert config_path.read_bytes() == created
    assert "Secret Token" not in read_log(log_path)


# export and check: a reader that closes stdout early, as head does


def run_cli_into_closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run lime-scim with stdout on a pipe whose read end is already closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [str(console_script()), *args],
            cwd=cwd,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=SUBPROCESS_TIMEOUT_SECONDS,
            check=False,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize("command", ["export", "check"])
def test_closed_stdout_exits_quietly(tmp_path: Path, command: str) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    create_default_store(tmp_path / "myapp.sqlite3")
    args = ["--application", "myapp"] if command == "export" else []

    result = run_cli_into_closed_pipe(command, "--config", str(config_path), *args, cwd=tmp_path)

    assert result.returncode == 141, result.stderr
    assert result.stderr == ""


# export


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_prints_store(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    database = tmp_path / "myapp.sqlite3"
    api = create_object_api(f"sqlite:///{database.as_posix()}", load_datamodel(default_datamodel_path()))
    try:
        with api.unit_of_work(write=True) as uow:
            user = uow.insert_user(username="ann@contoso.se", fullname="Ann")
            group = uow.insert_group(name="Sales")
            uow.add_members(group.id, [user.id])
    finally:
        api.close()

    result = run_cli("export", "--config", str(config_path), "--application", "myapp")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = json.loads(result.stdout)
    assert [user["username"] for user in document["users"]] == ["ann@contoso.se"]
    assert [group["name"] for group in document["groups"]] == ["Sales"]
    assert document["memberships"] == [{"group_id": group.id, "user_id": user.id}]
    assert document["coworkers"]["limetype"] == "coworker"


EMPTY_EXPORT = {
    "application": "myapp",
    "users": [],
    "groups": [],
    "memberships": [],
    "coworkers": {"limetype": "coworker", "objects": []},
}


def test_export_missing_database_not_created(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    database = tmp_path / "myapp.sqlite3"

    result = run_cli("export", "--config", str(config_path), "--application", "myapp")

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"lime-scim: {config_path}: application myapp has no store yet, because the SQLite file "
        f"{database} does not exist, so nothing has been provisioned to it. The export is empty."
    ]
    assert json.loads(result.stdout) == EMPTY_EXPORT
    assert not database.exists()


def test_export_database_without_tables_unchanged(tmp_path: Path) -> None:
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": enabled_application()})
    database = tmp_path / "myapp.sqlite3"
    database.touch()

    result = run_cli("export", "--config", str(config_path), "--application", "myapp")

    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"lime-scim: {config_path}: application myapp has no store yet, because the database "
        f"sqlite:///{database} has none of its tables, so nothing has been provisioned to it. "
        "The export is empty."
    ]
    assert json.loads(result.stdout) == EMPTY_EXPORT
    assert database.stat().st_size == 0


def test_export_missing_tables_exits_2(tmp_path: Path) -> None:
    create_default_store(tmp_path / "myapp.sqlite3")
    document = yaml.safe_load(default_datamodel_path().read_text(encoding="utf-8"))
    document["limetypes"]["deal"] = {"table_label": "project", "properties": {"name": {"type": "string"}}}
    (tmp_path / "datamodel.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    entry = enabled_application()
    entry["config"]["scim"]["datamodel"] = "datamodel.yaml"  # type: ignore[index]
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": entry})
    before = file_digest(tmp_path / "myapp.sqlite3")

    result = run_cli("export", "--config", str(config_path), "--application", "myapp")

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert error_lines(result) == [
        f"lime-scim: error: {config_path}: application myapp: the database "
        f"sqlite:///{tmp_path / 'myapp.sqlite3'} lacks the tables lt_deal, and export does not "
        "create them. Start lime-scim serve once, which creates them, and export again."
    ]
    assert file_digest(tmp_path / "myapp.sqlite3") == before


@pytest.mark.parametrize(
    ("scim", "problem"),
    [
        (
            {"database_url": "mysql://scim:pw-s3cret@localhost/lime"},
            "database_url is invalid: unsupported database URL scheme 'mysql'",
        ),
        (
            {"database_url": "postgresql://scim:pw-s3cret@127.0.0.1:1/lime"},
            "cannot open the database postgresql://scim:***@127.0.0.1:1/lime: connection failed:",
        ),
        ({"datamodel": "nickname.yaml"}, "table lt_coworker has no columns nickname"),
    ],
    ids=["unsupported-scheme", "server-down", "schema-mismatch"],
)
def test_export_store_error_exits_2(tmp_path: Path, scim: dict[str, str], problem: str) -> None:
    write_datamodel_with_nickname(tmp_path / "nickname.yaml")
    create_default_store(tmp_path / "myapp.sqlite3")
    entry = enabled_application()
    entry["config"]["scim"].update(scim)  # type: ignore[index]
    config_path = tmp_path / "application_config.yaml"
    write_config(config_path, {"myapp": entry})

    result = run_cli("export", "--config", str(config_path), "--application", "myapp")

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert "pw-s3cret" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lime-scim: error: {config_path}: application myapp: {problem}")
