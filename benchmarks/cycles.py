"""One measured run: a server, the initial and the incremental cycle, and the resources it used."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from .client import LoadClient, Session
from .servers import ProcessTree, ServerProcess
from .workload import EntraWorkload, Forms, Sizes

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """Settings of one run: the server, its store and process model, and the client."""

    server: str
    database: str
    workers: int
    threads: int
    concurrency: int
    max_seconds: float


def run_cycles(server: ServerProcess, settings: RunSettings, sizes: Sizes, forms: Forms,
               database_pid: int | None = None) -> dict[str, Any]:
    """Replay both cycles against ``server``; return the per-kind figures and resource use.

    ``database_pid`` is the PostgreSQL postmaster, whose process tree's CPU time is reported
    apart from the server's.
    """
    workload = EntraWorkload(sizes, forms)
    deadline = time.monotonic() + settings.max_seconds
    client = LoadClient(server.base_url, server.token, concurrency=settings.concurrency, deadline=deadline)
    server_tree = ProcessTree(server.pid)
    database_tree = ProcessTree(database_pid) if database_pid is not None else None
    server_tree.start()
    if database_tree is not None:
        database_tree.start()
    client_cpu_start = time.process_time()

    kinds: list[dict[str, Any]] = []
    cycle_seconds: dict[str, float] = {}
    try:
        for cycle, phases in (("initial", workload.initial_phases()), ("incremental", workload.incremental_phases())):
            started = time.perf_counter()
            for phase in phases:
                stats = client.run(phase)
                summary = stats.summary()
                kinds.append(summary)
                logger.info("%s %s/%dw %s %s: %d requests, %d errors, %s req/s, p50 %s ms",
                            settings.server, settings.database, settings.workers, cycle, phase.kind,
                            summary["requests"], summary["errors"], summary["requests_per_second"],
                            summary["p50_ms"])
            cycle_seconds[cycle] = round(time.perf_counter() - started, 2)
    finally:
        client.close()
        client_cpu = time.process_time() - client_cpu_start
        server_use = server_tree.stop()
        database_use = database_tree.stop() if database_tree is not None else None

    forms = _answers_to_entra_forms(server, workload) if settings.server != "ceiling" else []
    requests = sum(kind["requests"] for kind in kinds)
    wall = sum(cycle_seconds.values())
    return {
        "server": settings.server,
        "database": settings.database,
        "workers": settings.workers,
        "threads": settings.threads,
        "concurrency": settings.concurrency,
        "kinds": kinds,
        "cycle_seconds": cycle_seconds,
        "requests": requests,
        "errors": sum(kind["errors"] for kind in kinds),
        "skipped": sum(kind["skipped"] for kind in kinds),
        "timed_out": client.timed_out,
        "reconnects": client.reconnects,
        "requests_per_second": round(requests / wall, 1) if wall else None,
        "server_peak_rss_mb": server_use["peak_rss_mb"],
        "server_cpu_seconds": server_use["cpu_seconds"],
        "database_cpu_seconds": database_use["cpu_seconds"] if database_use else None,
        "client_cpu_seconds": round(client_cpu, 2),
        "entra_form_answers": forms,
    }


def _answers_to_entra_forms(server: ServerProcess, workload: EntraWorkload) -> list[dict[str, Any]]:
    """Send each of Entra's own forms once, untimed, and return the kind, status and body start."""
    session = Session(server.base_url, server.token)
    answers = []
    try:
        for request in workload.exact_entra_forms():
            status, body, _ = session.send(request)
            answers.append({"kind": request.kind, "status": status,
                            "body": body[:200].decode("utf-8", "replace")})
    finally:
        session.close()
    return answers
