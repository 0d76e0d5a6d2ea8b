"""The Markdown report of a run: per-kind tables of lime-scim vs peer vs ceiling, and the probes."""

from __future__ import annotations

import math
from typing import Any

# A kind with fewer requests than this has too short a phase for a meaningful rate, so it is
# shown but left out of the throughput target.
MIN_REQUESTS_FOR_TARGET = 20
PEER_RATIO_TARGET = 3.0
LOOKUP_RATIO_TARGET = 1.3
MEMBER_ADD_RATIO_TARGET = 1.5
# "Flat in group size": held to the lookup's bar.
EXCLUDED_GET_RATIO_TARGET = 1.3
RSS_TARGET_MB = 150.0


def _number(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _ratio(numerator: Any, denominator: Any) -> float | None:
    if not numerator or not denominator or any(isinstance(v, float) and math.isnan(v) for v in (numerator, denominator)):
        return None
    return numerator / denominator


def _by_kind(run: dict[str, Any] | None) -> dict[tuple[str, str], dict[str, Any]]:
    return {} if run is None else {(kind["cycle"], kind["kind"]): kind for kind in run["kinds"]}


def _find(runs: list[dict[str, Any]], server: str, database: str | None = None,
          workers: int | None = None) -> dict[str, Any] | None:
    for run in runs:
        if run["server"] == server and database in (None, run["database"]) and workers in (None, run["workers"]):
            return run
    return None


def _header(document: dict[str, Any]) -> list[str]:
    env = document["environment"]
    sizes = document["sizes"]
    packages = ", ".join(f"{name} {version}" for name, version in env["packages"].items())
    return [
        "# lime-scim benchmark results",
        "",
        f"Command: `{document['command']}` (took {document.get('total_seconds', '-')} s)",
        "",
        f"Machine: {env['cpus']} CPUs ({env['cpu_model']}), {env['memory_gib']} GiB memory, {env['os']}, "
        f"load average at start {env['load_average']}. Python {env['python']}, SQLite {env['sqlite']}, "
        f"PostgreSQL: {env['postgresql']}. Commit {env['git_commit']}.",
        "",
        f"Packages: {packages}.",
        "",
        f"Workload: {sizes['users']} users, {sizes['groups']} groups, {sizes['memberships']} memberships, "
        f"member batches of {sizes['batch_size']}; {document['concurrency']} client threads "
        f"({document.get('peer_concurrency', document['concurrency'])} for scim2-server); "
        f"{document['threads']} threads per gunicorn worker. The client and the servers share the machine.",
        "",
    ] + _rounds_lines(document.get("rounds", 1))


def _rounds_lines(rounds: int) -> list[str]:
    if rounds <= 1:
        return []
    return [f"Rounds: {rounds}. Each round ran every server once, in the same order. Rates, latencies and CPU "
            "times are medians over the rounds, peak RSS is the highest and errors are summed; "
            "results.json lists each round's rate per request kind.", ""]


def _kind_table(runs: list[dict[str, Any]], database: str, workers: int) -> list[str]:
    ours = _find(runs, "lime-scim", database, workers)
    peer = _find(runs, "scim2-server")
    ceiling = _find(runs, "ceiling", None, workers)
    if ours is None:
        return []
    peer_kinds, ceiling_kinds = _by_kind(peer), _by_kind(ceiling)
    lines = [
        f"### {database}, {workers} worker{'s' if workers > 1 else ''}",
        "",
        "| cycle | request kind | requests | lime-scim req/s | lime-scim p50 / p95 / p99 ms "
        "| scim2-server req/s | scim2-server p50 ms | lime ÷ peer | ceiling req/s | lime ÷ ceiling "
        "| errors lime / peer |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind in ours["kinds"]:
        key = (kind["cycle"], kind["kind"])
        other = peer_kinds.get(key, {})
        top = ceiling_kinds.get(key, {})
        rate = kind["requests_per_second"]
        peer_ratio = _ratio(rate, other.get("requests_per_second"))
        lines.append(
            f"| {kind['cycle']} | {kind['kind']} | {kind['requests']} | {_number(rate)} "
            f"| {_number(kind['p50_ms'], 1)} / {_number(kind['p95_ms'], 1)} / {_number(kind['p99_ms'], 1)} "
            f"| {_number(other.get('requests_per_second'))} | {_number(other.get('p50_ms'), 1)} "
            f"| {_number(peer_ratio, 1)}x | {_number(top.get('requests_per_second'))} "
            f"| {_number(_ratio(rate, top.get('requests_per_second')), 2)} "
            f"| {kind['errors']} / {other.get('errors', '-')} |"
        )
    lines.append("")
    return lines


def _runs_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| server | store | workers | initial cycle s | incremental cycle s | requests | req/s | errors "
        "| skipped | peak server RSS MB | server CPU s | PostgreSQL CPU s | client CPU s |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        cycles = run["cycle_seconds"]
        lines.append(
            f"| {run['server']} | {run['database']} | {run['workers']} | {_number(cycles.get('initial'), 1)} "
            f"| {_number(cycles.get('incremental'), 1)} | {run['requests']} | {_number(run['requests_per_second'])} "
            f"| {run['errors']} | {run['skipped']} | {_number(run['server_peak_rss_mb'], 1)} "
            f"| {_number(run['server_cpu_seconds'], 1)} | {_number(run['database_cpu_seconds'], 1)} "
            f"| {_number(run['client_cpu_seconds'], 1)} |"
        )
    lines.append("")
    return lines


def throughput_misses(runs: list[dict[str, Any]]) -> list[str]:
    """Return one line per lime-scim request kind below PEER_RATIO_TARGET times the peer's rate."""
    peer = _by_kind(_find(runs, "scim2-server"))
    misses = []
    for run in runs:
        if run["server"] != "lime-scim":
            continue
        for kind in run["kinds"]:
            other = peer.get((kind["cycle"], kind["kind"]))
            if other is None or kind["requests"] < MIN_REQUESTS_FOR_TARGET:
                continue
            ratio = _ratio(kind["requests_per_second"], other["requests_per_second"])
            if ratio is None or ratio < PEER_RATIO_TARGET:
                misses.append(f"{run['database']}, {run['workers']} workers, {kind['cycle']} {kind['kind']}: "
                              f"{_number(kind['requests_per_second'])} vs {_number(other['requests_per_second'])} "
                              f"req/s ({_number(ratio, 2)}x)")
    return misses


def _probe_lines(probes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## Scaling probes",
        "",
        "The stores were seeded through `lime_scim.objectapi.sqlstore.create_object_api` before the servers "
        "started. One server with 1 worker served each store, requests went one at a time, and the two "
        "variants of a probe took turns. Latencies are in ms.",
        "",
        "| store | probe | small p50 / p95 | large p50 / p95 | p50 ratio | target | met |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    for probe in probes:
        rows = [
            (f"userName lookup, 100 vs {probe['users']:,} users", "lookup_small", "lookup_large", LOOKUP_RATIO_TARGET),
            (f"add 1 member, group of 5 vs {probe['members']:,}", "member_add_small", "member_add_large",
             MEMBER_ADD_RATIO_TARGET),
            (f"GET excludedAttributes=members, group of 5 vs {probe['members']:,}", "group_get_small",
             "group_get_large", EXCLUDED_GET_RATIO_TARGET),
        ]
        for label, small_key, large_key, target in rows:
            small, large = probe[small_key], probe[large_key]
            ratio = _ratio(large["p50_ms"], small["p50_ms"])
            met = "yes" if ratio is not None and ratio <= target else "no"
            lines.append(f"| {probe['database']} | {label} | {_number(small['p50_ms'], 2)} / {_number(small['p95_ms'], 2)} "
                         f"| {_number(large['p50_ms'], 2)} / {_number(large['p95_ms'], 2)} | {_number(ratio, 2)} "
                         f"| ≤ {target} | {met} |")
    lines.append("")
    for probe in probes:
        met = "yes" if probe["peak_rss_mb"] <= RSS_TARGET_MB else "no"
        lines.append(f"- {probe['database']}: seeding {probe['users']:,} users took {probe['seed_seconds']} s; "
                     f"server RSS (gunicorn master + 1 worker) {probe['idle_rss_mb']} MB after start, peak "
                     f"{probe['peak_rss_mb']} MB during the probes (target ≤ {RSS_TARGET_MB:.0f} MB: {met}).")
    lines.append("")
    return lines


def _adaptation_lines(adaptations: list[dict[str, Any]], runs: list[dict[str, Any]]) -> list[str]:
    """Return the forms the peer got in place of Entra's, with each server's status for Entra's form."""
    if not adaptations:
        return []
    statuses_by_kind: dict[str, list[str]] = {}
    for run in runs:
        if run["server"] == "ceiling":
            continue
        label = run["server"] if run["server"] != "lime-scim" else f"lime-scim ({run['database']}, {run['workers']}w)"
        for answer in run.get("entra_form_answers", []):
            statuses_by_kind.setdefault(answer["kind"], []).append(f"{label} {answer['status']}")
    lines = ["## Forms sent to the peer in place of Entra's", "",
             "After its cycles, each server got each of Entra's own forms once, untimed; the status it "
             "returned follows each item.", ""]
    for item in adaptations:
        statuses = ", ".join(statuses_by_kind.get(item["kind"], [])) or "not sent"
        lines.append(f"- {item['kind']}: Entra sends {item['entra_form']}; the peer gets {item['sent_form']}. "
                     f"Status for Entra's form: {statuses}.")
    lines.append("")
    return lines


def render(document: dict[str, Any]) -> str:
    """Return the whole report as Markdown."""
    lines = _header(document)
    runs = document.get("runs", [])
    if runs:
        lines += ["## Entra cycles: requests per second and latency per request kind", ""]
        combos = sorted({(run["database"], run["workers"]) for run in runs if run["server"] == "lime-scim"})
        for database, workers in combos:
            lines += _kind_table(runs, database, workers)
        lines += ["## Whole runs", ""] + _runs_table(runs)
        misses = throughput_misses(runs)
        lines += [f"## Throughput target: every kind at least {PEER_RATIO_TARGET:.0f}x the peer", ""]
        lines += [f"- missed: {miss}" for miss in misses] or ["- met for every kind with at least "
                                                              f"{MIN_REQUESTS_FOR_TARGET} requests"]
        lines.append("")
        lines += _adaptation_lines(document.get("peer_adaptations", []), runs)
    if document.get("probes"):
        lines += _probe_lines(document["probes"])
    return "\n".join(lines)
