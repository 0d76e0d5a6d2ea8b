"""Several benchmark rounds combine into one result per server, with medians of the rates."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.rounds import combine_rounds


def _kind(name: str, rate: float, p50: float, errors: int = 0) -> dict[str, Any]:
    return {"cycle": "initial", "kind": name, "requests": 100, "errors": errors, "skipped": 0,
            "seconds": 100 / rate, "requests_per_second": rate, "p50_ms": p50, "p95_ms": p50 * 2,
            "p99_ms": p50 * 3, "error_samples": [f"sample {errors}"] if errors else []}


def _run(server: str, rate: float, rss: float, *, errors: int = 0, exit_status: int = 0) -> dict[str, Any]:
    return {"server": server, "database": "sqlite", "workers": 1, "requests": 200, "errors": errors,
            "skipped": 0, "timed_out": False, "reconnects": 0, "requests_per_second": rate,
            "server_peak_rss_mb": rss, "server_cpu_seconds": rate / 100, "database_cpu_seconds": None,
            "client_cpu_seconds": 1.0, "cycle_seconds": {"initial": 200 / rate, "incremental": 1.0},
            "exit_status": exit_status,
            "kinds": [_kind("user create (POST)", rate, 10.0, errors), _kind("user lookup", rate * 2, 5.0)]}


def test_rates_are_medians() -> None:
    rounds = [[_run("lime-scim", 300, 100)], [_run("lime-scim", 500, 120)], [_run("lime-scim", 400, 110)]]

    (combined,) = combine_rounds(rounds)

    assert combined["requests_per_second"] == 400
    assert combined["kinds"][0]["requests_per_second"] == 400
    assert combined["kinds"][1]["requests_per_second"] == 800
    assert combined["kinds"][0]["p50_ms"] == 10.0
    assert combined["cycle_seconds"]["initial"] == pytest.approx(0.5)
    assert combined["rounds"] == 3
    assert combined["round_rates"]["initial: user create (POST)"] == [300, 500, 400]


def test_rss_is_highest_and_errors_add_up() -> None:
    rounds = [[_run("lime-scim", 300, 100, errors=1)], [_run("lime-scim", 500, 130, exit_status=1)],
              [_run("lime-scim", 400, 110, errors=2)]]

    (combined,) = combine_rounds(rounds)

    assert combined["server_peak_rss_mb"] == 130
    assert combined["errors"] == 3
    assert combined["kinds"][0]["errors"] == 3
    assert combined["kinds"][0]["error_samples"] == ["sample 1", "sample 2"]
    assert combined["exit_status"] == 1


def test_missing_cpu_time_stays_missing() -> None:
    (combined,) = combine_rounds([[_run("ceiling", 300, 60)], [_run("ceiling", 500, 60)]])

    assert combined["database_cpu_seconds"] is None
    assert combined["server_cpu_seconds"] == 4.0


def test_servers_keep_their_order() -> None:
    rounds = [[_run("scim2-server", 100, 70), _run("lime-scim", 300, 100)],
              [_run("scim2-server", 200, 80), _run("lime-scim", 500, 110)]]

    peer, lime = combine_rounds(rounds)

    assert (peer["server"], peer["requests_per_second"]) == ("scim2-server", 150)
    assert (lime["server"], lime["requests_per_second"]) == ("lime-scim", 400)


def test_different_server_order_rejected() -> None:
    rounds = [[_run("scim2-server", 100, 70), _run("lime-scim", 300, 100)],
              [_run("lime-scim", 500, 110), _run("scim2-server", 200, 80)]]

    with pytest.raises(ValueError, match="same servers"):
        combine_rounds(rounds)


def test_different_kinds_rejected() -> None:
    other = _run("lime-scim", 500, 110)
    other["kinds"].reverse()

    with pytest.raises(ValueError, match="same request kinds"):
        combine_rounds([[_run("lime-scim", 300, 100)], [other]])


def test_no_rounds_no_results() -> None:
    assert combine_rounds([]) == []
