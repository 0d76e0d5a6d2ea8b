"""The throughput ceiling: a bare Flask handler on the gunicorn settings of ``lime-scim serve``.

It parses no body, touches no store and returns a small fixed JSON document for every path
(201 with a new id for POST, 204 for PATCH and DELETE). Its requests per second therefore bound
what any Flask application on this gunicorn set-up can reach on the same machine.

Run: ``python -m benchmarks.ceiling --port 8099 --workers 1 --threads 4``.
"""

from __future__ import annotations

import argparse
import itertools
import json
from typing import Any

from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication

_LIST_BODY = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                         "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []})
_CONTENT_TYPE = "application/scim+json"


def create_app() -> Flask:
    """Return the Flask app with one catch-all route."""
    app = Flask("benchmarks.ceiling")
    ids = itertools.count(1)

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    @app.route("/<path:path>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
    def handle(path: str) -> Response:
        if request.method == "POST":
            body = json.dumps({"id": f"ceiling-{next(ids)}"})
            return Response(body, 201, content_type=_CONTENT_TYPE)
        if request.method in ("PATCH", "DELETE"):
            return Response(status=204)
        return Response(_LIST_BODY, 200, content_type=_CONTENT_TYPE)

    return app


# gunicorn ships no type hints.
class CeilingServer(BaseApplication):  # type: ignore[misc]
    """Gunicorn with the settings that lime_scim.host.server.ScimServer sets."""

    def __init__(self, bind: str, workers: int, threads: int) -> None:
        self._settings: dict[str, Any] = {
            "bind": [bind],
            "workers": workers,
            "threads": threads,
            "loglevel": "info",
            "accesslog": None,
            "preload_app": False,
            "control_socket_disable": True,
            "proc_name": "lime-scim-ceiling",
        }
        super().__init__(prog="benchmarks.ceiling")

    def load_config(self) -> None:
        for name, value in self._settings.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return create_app()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ceiling", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes (default: 1)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default: 4)")
    args = parser.parse_args()
    CeilingServer(f"{args.host}:{args.port}", args.workers, args.threads).run()


if __name__ == "__main__":
    main()
