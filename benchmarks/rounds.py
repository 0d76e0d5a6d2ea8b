"""Combine the results of several rounds of the same servers into one result per server.

On a shared machine one round's rates can differ from the next by tens of percent, for every
server alike. Each round runs the peer, the ceiling and lime-scim one after the other, so a
median over rounds evens out the load that any one of them met.
"""

from __future__ import annotations

import copy
import statistics
from collections.abc import Sequence
from typing import Any

# Figures of a run and of a request kind that are combined by their median over the rounds.
_RUN_MEDIANS = ("requests_per_second", "server_cpu_seconds", "database_cpu_seconds", "client_cpu_seconds")
_KIND_MEDIANS = ("seconds", "requests_per_second", "p50_ms", "p95_ms", "p99_ms")
# Counts that are added up, so that an error in any round shows.
_RUN_SUMS = ("errors", "skipped", "reconnects")
_KIND_SUMS = ("errors", "skipped")


def _key(run: dict[str, Any]) -> tuple[str, str, int]:
    return run["server"], run["database"], run["workers"]


def _median(values: Sequence[Any]) -> Any:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def combine_rounds(rounds: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Return one result per server, store and worker count, with the median of each rate.

    Rates, latencies, cycle times and CPU times are medians over the rounds, peak RSS is the
    highest, and error counts are summed. Each result lists its rounds' rates per request kind in
    ``round_rates``. Raises ValueError when the rounds did not run the same servers in the same order.
    """
    if not rounds:
        return []
    order = [_key(run) for run in rounds[0]]
    for other in rounds[1:]:
        if [_key(run) for run in other] != order:
            raise ValueError("every round must run the same servers, stores and worker counts in order")

    combined = []
    for position in range(len(order)):
        runs = [round_runs[position] for round_runs in rounds]
        kind_order = [(kind["cycle"], kind["kind"]) for kind in runs[0]["kinds"]]
        if any([(kind["cycle"], kind["kind"]) for kind in run["kinds"]] != kind_order for run in runs[1:]):
            raise ValueError("every round must send the same request kinds in order")
        result = copy.deepcopy(runs[0])
        for name in _RUN_MEDIANS:
            result[name] = _median([run.get(name) for run in runs])
        for name in _RUN_SUMS:
            result[name] = sum(run.get(name) or 0 for run in runs)
        result["timed_out"] = any(run.get("timed_out") for run in runs)
        result["server_peak_rss_mb"] = max(run["server_peak_rss_mb"] for run in runs)
        result["cycle_seconds"] = {
            cycle: _median([run["cycle_seconds"][cycle] for run in runs]) for cycle in runs[0]["cycle_seconds"]
        }
        result["exit_status"] = next((run["exit_status"] for run in runs if run.get("exit_status")), 0)
        result["rounds"] = len(runs)
        result["round_rates"] = {}
        for index, kind in enumerate(result["kinds"]):
            same_kind = [run["kinds"][index] for run in runs]
            for name in _KIND_MEDIANS:
                kind[name] = _median([entry.get(name) for entry in same_kind])
            for name in _KIND_SUMS:
                kind[name] = sum(entry.get(name) or 0 for entry in same_kind)
            kind["error_samples"] = [sample for entry in same_kind for sample in entry.get("error_samples", [])][:5]
            result["round_rates"][f"{kind['cycle']}: {kind['kind']}"] = [
                entry["requests_per_second"] for entry in same_kind
            ]
        combined.append(result)
    return combined
