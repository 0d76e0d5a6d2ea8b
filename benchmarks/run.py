"""Replay Entra ID provisioning cycles against lime-scim, the scim2-server peer and a bare Flask ceiling.

Every server runs on 127.0.0.1, started and stopped by this program. The results go to
``OUTPUT/results.json`` and ``OUTPUT/results.md``, and the Markdown is printed too.

Example: ``python -m benchmarks.run --users 2000 --groups 100 --memberships 10000``.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import report
from .cycles import RunSettings, run_cycles
from .environment import describe_environment
from .postgres import BenchPostgres, start_postgres
from .probes import ProbeSizes, run_probes
from .rounds import combine_rounds
from .servers import ServerProcess, start_ceiling, start_lime, start_peer, write_lime_config
from .workload import PEER_ADAPTATIONS, Forms, Sizes

logger = logging.getLogger("benchmarks")

SERVERS = ("lime", "peer", "ceiling")
DATABASES = ("sqlite", "postgresql")


def _list_of(choices: tuple[str, ...]) -> Callable[[str], list[str]]:
    def parse(text: str) -> list[str]:
        items = [item.strip() for item in text.split(",") if item.strip()]
        unknown = [item for item in items if item not in choices]
        if not items or unknown:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(choices)}; "
                                             f"got {text!r}")
        return items
    return parse


def _positive_ints(text: str) -> list[int]:
    try:
        values = [int(item) for item in text.split(",") if item.strip()]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from error
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers of 1 or more, got {text!r}")
    return values


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    workload = parser.add_argument_group("workload")
    workload.add_argument("--users", "-N", type=int, default=2000, help="users provisioned (default: 2000)")
    workload.add_argument("--groups", "-G", type=int, default=100, help="groups provisioned (default: 100)")
    workload.add_argument("--memberships", "-M", type=int, default=10000,
                          help="group memberships added in the initial cycle (default: 10000)")
    workload.add_argument("--batch-size", type=int, default=25,
                          help="members per batch member PATCH; half of each group's members are added "
                               "one per PATCH, the rest in batches (default: 25)")
    workload.add_argument("--concurrency", "-C", type=int, default=8,
                          help="client threads, each with one persistent connection (default: 8)")
    servers = parser.add_argument_group("servers")
    servers.add_argument("--servers", type=_list_of(SERVERS), default=list(SERVERS),
                         help="servers to run: lime (lime-scim serve), peer (scim2-server), ceiling "
                              "(bare Flask on gunicorn) (default: lime,peer,ceiling)")
    servers.add_argument("--databases", type=_list_of(DATABASES), default=list(DATABASES),
                         help="stores of lime-scim (default: sqlite,postgresql)")
    servers.add_argument("--workers", type=_positive_ints, default=[1, 2],
                         help="gunicorn worker counts of lime-scim and the ceiling (default: 1,2)")
    servers.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default: 4)")
    servers.add_argument("--peer-concurrency", type=int, default=4,
                         help="client threads for the peer, whose server accepts connections with a "
                              "listen backlog of 5 and closes each one after its response; more threads "
                              "overflow the backlog, and each dropped connection stalls a client for 1 s "
                              "(default: 4)")
    servers.add_argument("--rounds", type=int, default=1,
                         help="run every server this many times, taking turns, and report the medians; "
                              "on a shared machine 3 rounds steady the ratios (default: 1)")
    servers.add_argument("--max-seconds", type=float, default=300.0,
                         help="time limit of one server's two cycles, in seconds; requests left "
                              "after it are skipped and reported (default: 300)")
    probes = parser.add_argument_group("scaling probes (lime-scim only)")
    probes.add_argument("--probes", action="store_true",
                        help="also run the scaling probes: lookups at 100 and at --probe-users users, "
                             "member adds to groups of 5 and of --probe-members members")
    probes.add_argument("--probes-only", action="store_true", help="run only the scaling probes")
    probes.add_argument("--probe-users", type=int, default=100_000,
                        help="users in the large probe database (default: 100000)")
    probes.add_argument("--probe-members", type=int, default=50_000,
                        help="members of the large probe group (default: 50000)")
    probes.add_argument("--probe-requests", type=int, default=300,
                        help="timed requests per probe, sent one at a time (default: 300)")
    output = parser.add_argument_group("output")
    output.add_argument("--output", type=Path, default=Path("benchmarks/results"),
                        help="folder for results.json and results.md (default: benchmarks/results)")
    output.add_argument("--keep-data", action="store_true",
                        help="keep the temporary folder with configs, SQLite files and server logs")
    return parser


def _measure(server: ServerProcess, settings: RunSettings, sizes: Sizes, forms: Forms,
             database: BenchPostgres | None = None) -> dict[str, Any]:
    try:
        server.wait_until_ready()
        database_pid = database.postmaster_pid() if database is not None else None
        result = run_cycles(server, settings, sizes, forms, database_pid)
    finally:
        status = server.stop()
    result["exit_status"] = status
    if result["errors"]:
        logger.warning("%s had %d errors; end of its log:\n%s", settings.server, result["errors"],
                       server.log_tail(10))
    return result


def run_matrix(args: argparse.Namespace, sizes: Sizes, workdir: Path,
               postgres: BenchPostgres | None) -> list[dict[str, Any]]:
    """Run every selected server, store and worker count once; return one result per run."""
    results = []

    def settings(server: str, database: str, workers: int, concurrency: int | None = None) -> RunSettings:
        return RunSettings(server, database, workers, args.threads, concurrency or args.concurrency,
                           args.max_seconds)

    if "peer" in args.servers:
        # The peer runs in one process with a thread per request and keeps resources in memory,
        # so it runs once, whatever the store and worker settings of the others.
        folder = Path(tempfile.mkdtemp(prefix="peer-", dir=workdir))
        results.append(_measure(start_peer(folder), settings("scim2-server", "memory", 1, args.peer_concurrency),
                                sizes, Forms(entra_exact=False)))
    for workers in args.workers:
        if "ceiling" in args.servers:
            folder = Path(tempfile.mkdtemp(prefix="ceiling-", dir=workdir))
            server = start_ceiling(folder, workers=workers, threads=args.threads)
            results.append(_measure(server, settings("ceiling", "none", workers), sizes,
                                    Forms(check_results=False)))
        if "lime" not in args.servers:
            continue
        for database in args.databases:
            folder = Path(tempfile.mkdtemp(prefix=f"lime-{database}-{workers}w-", dir=workdir))
            url = postgres.create_database() if database == "postgresql" and postgres else None
            config_path, token = write_lime_config(folder, database_url=url)
            server = start_lime(folder, config_path=config_path, token=token, workers=workers,
                                threads=args.threads)
            results.append(_measure(server, settings("lime-scim", database, workers), sizes, Forms(),
                                    postgres if database == "postgresql" else None))
    return results


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    sizes = Sizes(args.users, args.groups, args.memberships, args.batch_size)
    try:
        sizes.check()
    except ValueError as error:
        build_parser().error(str(error))
    if args.rounds < 1:
        build_parser().error(f"--rounds must be 1 or more, not {args.rounds}")

    needs_postgres = "postgresql" in args.databases and ("lime" in args.servers or args.probes
                                                         or args.probes_only)
    workdir = Path(tempfile.mkdtemp(prefix="lime-scim-bench-"))
    postgres = start_postgres() if needs_postgres else None
    started = time.time()
    document: dict[str, Any] = {
        "command": "python -m benchmarks.run " + shlex.join(sys.argv[1:] if argv is None else argv),
        "environment": describe_environment(postgres),
        "sizes": vars(sizes),
        "concurrency": args.concurrency,
        "peer_concurrency": args.peer_concurrency,
        "threads": args.threads,
        "peer_adaptations": [vars(adaptation) for adaptation in PEER_ADAPTATIONS],
        "rounds": args.rounds,
    }
    try:
        if not args.probes_only:
            rounds = []
            for number in range(1, args.rounds + 1):
                if args.rounds > 1:
                    logger.info("round %d of %d", number, args.rounds)
                rounds.append(run_matrix(args, sizes, workdir, postgres))
            document["runs"] = rounds[0] if args.rounds == 1 else combine_rounds(rounds)
        if args.probes or args.probes_only:
            probe_sizes = ProbeSizes(args.probe_users, args.probe_members, args.probe_requests)
            document["probes"] = [run_probes(database, probe_sizes, workdir, postgres, threads=args.threads)
                                  for database in args.databases]
    finally:
        if postgres is not None:
            postgres.stop()
        if args.keep_data:
            logger.info("kept %s", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    document["total_seconds"] = round(time.time() - started, 1)

    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    markdown = report.render(document)
    (args.output / "results.md").write_text(markdown, encoding="utf-8")
    print(markdown)
    logger.info("wrote %s and %s", args.output / "results.json", args.output / "results.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
