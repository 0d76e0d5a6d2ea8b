"""The ``lime-scim`` command line: ``token``, ``serve``, ``export`` and ``check``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError

from ..config import ConfigError, ConfigFile, ScimSettings, load_config
from ..mapping.resolver import MappingError
from ..objectapi.datamodel import DatamodelError
from ..objectapi.sqlstore import SchemaMismatch
from ..objectapi.sqlstore.engine import normalize_url
from .check_config import MIN_TOKEN_LENGTH, RECOMMENDED_TOKEN_LENGTH
from .first_run import DEMO_APPLICATION, create_demo_config, create_demo_database
from .logs import LOG_LEVELS, configure_logging
from .server import ScimServer, ServerOptions, listen_problem
from .tokens import generate_token

if TYPE_CHECKING:
    from .check_connection import TenantUrl

logger = logging.getLogger(__name__)

PROG = "lime-scim"
DEFAULT_CONFIG = Path("application_config.yaml")

# Exit statuses. 2 is also what argparse uses for invalid arguments.
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG_ERROR = 2
# The status shells report for a program that SIGPIPE ended (128 + 13). Python ignores
# SIGPIPE, so export and check return it themselves when the reader of stdout has exited.
EXIT_BROKEN_PIPE = 141


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _port(text: str) -> int:
    port = _positive_int(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, got {port}")
    return port


def _add_serve_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve SCIM for every enabled application in the config",
        description=(
            "Serve SCIM for every application whose scim.enabled is true, on gunicorn. "
            f"Without --config and without ./{DEFAULT_CONFIG}, write that file with an "
            f"enabled application {DEMO_APPLICATION!r} and a new token, print both, then start."
        ),
    )
    serve.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help=f"application config file (default: ./{DEFAULT_CONFIG})",
    )
    serve.add_argument(
        "--application",
        metavar="NAME",
        help=(
            "serve only this application of an on-prem file. For a file of Lime Cloud "
            "fragments, the application name (default: the file name without extension)"
        ),
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="IP address or host name to listen on (default: 127.0.0.1)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8080,
        help="TCP port to listen on (default: 8080)",
    )
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="number of worker processes (default: 1)",
    )
    serve.add_argument(
        "--threads",
        type=_positive_int,
        default=4,
        metavar="M",
        help="request threads per worker process (default: 4)",
    )
    serve.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        metavar="LEVEL",
        help=f"lowest level that is logged to stderr: {', '.join(LOG_LEVELS)} (default: INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``lime-scim`` command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "SCIM 2.0 service provider that provisions Entra ID users and groups into Lime CRM."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    subparsers.add_parser(
        "token",
        help="print a new bearer token",
        description="Print a new random bearer token of 128 hexadecimal characters.",
    )
    _add_serve_parser(subparsers)
    export = subparsers.add_parser(
        "export",
        help="print an application's users, groups, memberships and coworkers as JSON",
        description=(
            "Print what the embedded store of one application holds: users, groups, "
            "memberships and coworker objects (by property name), as JSON on stdout."
        ),
    )
    export.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH",
                        help=f"application config file (default: ./{DEFAULT_CONFIG})")
    export.add_argument("--application", required=True, metavar="NAME",
                        help="the application to export")
    _add_check_parser(subparsers)
    return parser


def _tenant_url(text: str) -> TenantUrl:
    from .check_connection import validate_tenant_url

    try:
        return validate_tenant_url(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None


def _add_check_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = subparsers.add_parser(
        "check",
        help="check the config, datamodel and data of applications before Entra provisions them",
        description=(
            "Check the config file, then each enabled application: its scim settings, its "
            "datamodel and attribute mapping, and the users and groups already in its store, "
            "which are read and never written. Prints one line per finding with its severity "
            "(ERROR, WARNING, OK or INFO) and fix, and a summary. Exits with 1 when there is "
            "an error, else 0."
        ),
    )
    check.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH",
                       help=f"application config file (default: ./{DEFAULT_CONFIG})")
    check.add_argument(
        "--application",
        metavar="NAME",
        help=(
            "check only this application, even if it is disabled. For a file of Lime Cloud "
            "fragments, the application name (default: the file name without extension)"
        ),
    )
    check.add_argument(
        "--url",
        type=_tenant_url,
        metavar="TENANT_URL",
        help=(
            "also run Entra's Test Connection against the server running at this tenant URL, "
            "such as http://127.0.0.1:8080/myapp/api/v1/scim, with the configured token "
            "(timeout: a few seconds). A query ?aadOptscim062020 is ignored"
        ),
    )


def _print_error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Until gunicorn installs its own handlers, SIGTERM would otherwise end the process
    # with a nonzero status.
    raise SystemExit(EXIT_OK)


def _exit_status(code: object) -> int:
    """Return the process exit status that ``sys.exit(code)`` gives."""
    if code is None:
        return EXIT_OK
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_FAILURE


def _first_run(options: ServerOptions) -> bool:
    """Create the demo config, when it is missing, and print what Entra ID needs.

    Returns whether the config was created.
    """
    token = create_demo_config(DEFAULT_CONFIG)
    if token is None:
        return False

    # The only place where a configured token is printed, so that the newcomer can paste
    # it into Entra ID.
    print(f"Created {DEFAULT_CONFIG.absolute()} with the application {DEMO_APPLICATION}.")
    print(f"Tenant URL: {options.tenant_url(DEMO_APPLICATION)}")
    print(f"Secret Token: {token}")
    print(
        "Enter both in Entra ID under Provisioning > Admin Credentials. "
        "The token is stored in that file."
    )
    print(
        "Entra ID only calls HTTPS URLs, so put this server behind a TLS-terminating reverse "
        "proxy (see README.md) and enter the proxy's https:// URL as Tenant URL."
    )
    sys.stdout.flush()
    return True


def _warn_short_token(settings: ScimSettings) -> None:
    """Log a warning when the token is shorter than lime-scim token's, without the token."""
    length = len(settings.token or "")
    if length >= RECOMMENDED_TOKEN_LENGTH:
        return

    weakness = " and too short to resist guessing" if length < MIN_TOKEN_LENGTH else ""
    logger.warning(
        "Application %s has a token of %d characters, fewer than the %d that lime-scim token "
        "generates%s. Generate one with lime-scim token, set it as %s.secrets.scim.token, and "
        "enter the same token as Secret Token in Entra.",
        settings.application, length, RECOMMENDED_TOKEN_LENGTH, weakness, settings.application,
    )


def _warn_legacy_resource_ids(settings: ScimSettings) -> None:
    if not settings.use_legacy_resource_ids:
        return

    logger.warning(
        "Application %s has use_legacy_resource_ids true, so its SCIM ids are record ids. A user "
        "and a group can get the same record id, and Entra then fails with "
        "DuplicateTargetEntries. Set %s.config.scim.use_legacy_resource_ids to false, as every "
        "new setup should. Record ids that Entra already knows keep working.",
        settings.application, settings.application,
    )


def _log_applications(config_file: ConfigFile) -> None:
    logger.info("Loaded %s", config_file.path)
    for settings in config_file.applications.values():
        if not settings.enabled:
            logger.info(
                "Application %s is not served because its scim.enabled is false",
                settings.application,
            )
            continue
        _warn_short_token(settings)
        _warn_legacy_resource_ids(settings)


def _load(args: argparse.Namespace, options: ServerOptions) -> ConfigFile:
    """Load the config, after the first-run setup when --config is not given.

    Raises ConfigError for an invalid config or one without an enabled application, and
    OSError when the demo config or its database file cannot be written.
    """
    config_path: Path | None = args.config
    first_run = False
    if config_path is None:
        config_path = DEFAULT_CONFIG
        first_run = _first_run(options)

    config_file = load_config(config_path, application=args.application)
    if first_run:
        create_demo_database(config_file)
    if not config_file.enabled_applications():
        message = (
            f"{config_path}: no application is enabled. Set <application>.config.scim.enabled "
            "to true and <application>.secrets.scim.token to a token from lime-scim token."
        )
        raise ConfigError(message, source=str(config_path))
    return config_file


def _write_stdout(write: Callable[[TextIO], None]) -> int:
    """Call ``write`` with stdout and flush it.

    Returns EXIT_OK, or EXIT_BROKEN_PIPE without a traceback when the reader has closed the
    pipe.
    """
    try:
        write(sys.stdout)
        # Flushed here so that a closed pipe fails inside this try.
        sys.stdout.flush()
    except BrokenPipeError:
        # The recipe of Python's signal module documentation ("Note on SIGPIPE"): Python
        # flushes stdout again at exit, so point it at devnull to avoid a second error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return EXIT_OK


def _write_json(document: object, stream: TextIO) -> None:
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _export(args: argparse.Namespace) -> int:
    from .export import StoreIncomplete, export_application

    try:
        config_file = load_config(args.config)
    except ConfigError as error:
        _print_error(str(error))
        return EXIT_CONFIG_ERROR
    if args.application not in config_file.applications:
        _print_error(f"{args.config}: no application named {args.application!r}. "
                     "Pass one of the application names in that file.")
        return EXIT_CONFIG_ERROR

    prefix = f"{args.config}: application {args.application}"
    database_url = config_file.database_url_for(args.application)
    invalid_url = _invalid_database_url(database_url)
    if invalid_url is not None:
        _print_error(f"{prefix}: {invalid_url}")
        return EXIT_CONFIG_ERROR
    try:
        export = export_application(config_file, args.application)
    except (DatamodelError, MappingError, SchemaMismatch, StoreIncomplete) as error:
        _print_error(f"{prefix}: {error}")
        return EXIT_CONFIG_ERROR
    except SQLAlchemyError as error:
        _print_error(f"{prefix}: {_database_error(database_url, error)}")
        return EXIT_CONFIG_ERROR
    if export.absent is not None:
        print(f"{PROG}: {args.config}: application {args.application} has no store yet, because "
              f"{export.absent}, so nothing has been provisioned to it. The export is empty.",
              file=sys.stderr)
    return _write_stdout(lambda stream: _write_json(export.document, stream))


def _check(args: argparse.Namespace) -> int:
    from .check import render_report, run_check

    report = run_check(args.config, application=args.application, tenant_url=args.url)
    lines = render_report(report)
    written = _write_stdout(lambda stream: stream.writelines(line + "\n" for line in lines))
    if written != EXIT_OK:
        return written
    return EXIT_FAILURE if report.failed else EXIT_OK


def _invalid_database_url(database_url: str) -> str | None:
    """Return why ``database_url`` cannot name a store, or None when it can.

    The message never contains the URL, which may contain a password.
    """
    try:
        make_url(database_url)
    except (ArgumentError, ValueError):
        # SQLAlchemy raises ValueError for a port that is not a number, and its message
        # quotes part of the URL.
        return ("database_url cannot be parsed as a URL. Write it as sqlite:///PATH or "
                "postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with special characters in the "
                "password percent-encoded.")
    try:
        normalize_url(database_url)
    except ValueError as error:
        # These messages name the scheme or the folder, never the password, and end with the fix.
        return f"database_url is invalid: {error}."
    return None


def _database_error(database_url: str, error: SQLAlchemyError) -> str:
    """Return why the store at ``database_url`` did not open and the fix, without its password."""
    url = normalize_url(database_url)
    cause = error.orig if isinstance(error, DBAPIError) else error
    lines = str(cause).splitlines()
    reason = lines[0] if lines else type(cause).__name__
    if url.password:
        reason = reason.replace(url.password, "***")

    if url.get_backend_name() == "sqlite":
        fix = "Check that database_url names an SQLite database file that this user can read and write."
    else:
        fix = "Check database_url, and that the database server is running and accepts the user."
    shown_url = make_url(database_url).render_as_string(hide_password=True)
    return f"cannot open the database {shown_url}: {reason}. {fix}"


def _application_problem(config_file: ConfigFile, settings: ScimSettings) -> str | None:
    """Open the application once and close it. Return why it cannot be served, or None."""
    from .applications import open_application

    database_url = config_file.database_url_for(settings.application)
    invalid_url = _invalid_database_url(database_url)
    if invalid_url is not None:
        return invalid_url
    try:
        application = open_application(config_file, settings)
    except (DatamodelError, MappingError, SchemaMismatch) as error:
        # Their messages end with the fix.
        return str(error)
    except SQLAlchemyError as error:
        return _database_error(database_url, error)
    application.close()
    return None


def _check_applications(config_file: ConfigFile, config_path: Path) -> str | None:
    """Open every enabled application once, so a broken one stops serve with one line.

    Returns the error line of the first application that cannot be served, naming the config
    file and the application, or None. Workers open the applications again after gunicorn
    forks them; connections must not be shared across a fork, so the ones opened here are
    closed.
    """
    for settings in config_file.enabled_applications():
        problem = _application_problem(config_file, settings)
        if problem is not None:
            return f"{config_path}: application {settings.application}: {problem}"
    return None


def _serve(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    configure_logging(args.log_level)
    options = ServerOptions(args.host, args.port, args.workers, args.threads, args.log_level)
    try:
        config_file = _load(args, options)
    except ConfigError as error:
        _print_error(str(error))
        return EXIT_CONFIG_ERROR
    except OSError as error:
        _print_error(
            f"cannot create {error.filename or DEFAULT_CONFIG.absolute()}: {error.strerror}. "
            "Run lime-scim serve in a writable folder, or pass --config."
        )
        return EXIT_FAILURE
    _log_applications(config_file)
    problem = _check_applications(config_file, args.config or DEFAULT_CONFIG)
    if problem is None:
        problem = listen_problem(options)
    if problem is not None:
        _print_error(problem)
        return EXIT_CONFIG_ERROR

    # Imported only here, so that the token command and config errors need no Flask.
    from .app import create_app

    server = ScimServer(config_file, options, app_factory=create_app)
    try:
        server.run()
    except SystemExit as stop:
        # Gunicorn ends the master and each worker with sys.exit, 0 after SIGTERM or SIGINT.
        return _exit_status(stop.code)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lime-scim`` command line and return the exit status.

    ``token`` prints a new token. ``serve`` returns 0 when gunicorn stops after SIGTERM or
    SIGINT, and 1 when the first-run config cannot be written. It returns 2 for an invalid
    config, no enabled application, an application whose store or datamodel does not open,
    or an address it cannot listen on. ``check`` returns 1 when it finds an error, else 0.
    ``export`` and ``check`` return 141 when the reader of stdout has exited.
    """
    args = build_parser().parse_args(argv)
    if args.command == "token":
        print(generate_token())
        return EXIT_OK
    if args.command == "export":
        return _export(args)
    if args.command == "check":
        return _check(args)

    try:
        return _serve(args)
    except KeyboardInterrupt:
        # Ctrl+C before gunicorn has installed its own SIGINT handler.
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
