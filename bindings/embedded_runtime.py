"""The embedded runtime, `python -m bindings run`: every function in one process, on 127.0.0.1.

Each function's Deps come from bindings/wiring.py (embedded_deps) over the adapters of
bindings/embedded/; this module serves their apps and runs delivery, cron and state collection.
todo-api is served at the root; every function is also reachable the way daprd exposes it,
`/v1.0/invoke/<app-id>/method/<path>`, so the same curl commands work with and without Dapr.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response

from bindings.app import create_app
from bindings.embedded.broker import Broker, Deliverer
from bindings.embedded.cron import Scheduler
from bindings.embedded.resiliency import inbound_retry, seconds
from bindings.embedded.state import TableState, component_metadata
from bindings.outcomes import problem
from bindings.schedules import cron_components
from bindings.table import FUNCTIONS, get, path_prefixes
from bindings.triggers import Function
from bindings.wiring import embedded_deps
from functions.deps import Deps
from functions.errors import Transient
from functions.settings import Settings
from functions.store.db import Database

log = logging.getLogger("bindings.embedded")


@dataclass
class Runtime:
    """The functions of one data dir, wired to embedded PostgreSQL, pub/sub, cron, secrets and state."""

    settings: Settings
    db: Database
    broker: Broker
    apps: dict[str, Flask] = field(default_factory=dict)
    deps: dict[str, Deps] = field(default_factory=dict)
    stop_event: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def build(cls, data_dir: Path, functions: list[str] | None = None, pool_size: int = 10) -> Runtime:
        apps: dict[str, Flask] = {}
        wired = embedded_deps(data_dir, functions or list(FUNCTIONS), pool_size, apps)
        for name, deps in wired.deps.items():
            apps[name] = create_app(name, deps, app_token="")
        return cls(wired.settings, wired.db, wired.broker, apps, wired.deps)

    def start_background(self) -> None:
        """Start delivery and cron threads."""
        retry = inbound_retry(self.settings.pubsub_name)
        deliverer = Deliverer(self.broker, self.apps, retry)
        crons = [(c, self.apps[scope]) for c in cron_components().values() for scope in c.scopes if scope in self.apps]
        scheduler = Scheduler(crons)
        targets = (("pubsub", deliverer.run), ("cron", scheduler.run), ("state-gc", self._collect_state))
        for name, target in targets:
            thread = threading.Thread(target=target, args=(self.stop_event,), name=f"embedded-{name}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _collect_state(self, stop: threading.Event) -> None:
        """Dapr's state garbage collector: expired rows go every `cleanupInterval` (default 1h)."""
        raw = component_metadata(self.settings.state_store).get("cleanupinterval", "1h")
        interval = float(raw) if raw.lstrip("-").isdigit() else seconds(raw)  # Dapr takes both; <= 0 is off
        if interval <= 0:
            return
        state = TableState(self.db, "")
        while not stop.wait(interval):
            try:
                state.cleanup_expired()
            except Transient as exc:
                log.warning("state cleanup failed; next interval retries", extra={"error": str(exc)})

    def wsgi(self) -> Any:
        """One WSGI app: /v1.0/invoke/<app-id>/method/<path> to that function; a path under another
        invoke function's routes (e.g. /api/conversations) to it, as an ingress would; the rest to todo-api."""
        apps = self.apps

        def dispatch(environ: dict[str, Any], start_response: Any) -> Any:
            path: str = environ.get("PATH_INFO", "")
            if path == "/openapi.json":
                return whole_document(environ, start_response)
            if path.startswith("/v1.0/invoke/"):
                app_id, _, rest = path[len("/v1.0/invoke/") :].partition("/")
                method_prefix = "method/"
                if app_id in apps and rest.startswith(method_prefix):
                    environ = {**environ, "PATH_INFO": "/" + rest[len(method_prefix) :]}
                    return apps[app_id].wsgi_app(environ, start_response)
                if app_id in apps:
                    detail = f"expected /v1.0/invoke/{app_id}/method/<path>, not {path}"
                else:
                    detail = f"no function {app_id!r} in this runtime; known: {', '.join(sorted(apps))}"
                return problem(404, "Not found", detail)(environ, start_response)
            owner = _owner_of(path, prefixes)
            return apps[owner].wsgi_app(environ, start_response)

        prefixes = route_prefixes([name for name in apps if name != "todo-api"])
        whole_document = openapi_whole([get(name) for name in apps])
        return dispatch

    def close(self) -> None:
        self.stop_event.set()
        self.broker.wake.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.db.close()


def openapi_whole(functions: list[Function]) -> Any:
    """GET /openapi.json: every function's routes at the paths this runtime answers them on (built when first
    asked). The runtime sets no app token; each function's own document is at its /v1.0/invoke/... path."""
    built: list[bytes] = []

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            refused = problem(405, "Method not allowed", "GET /openapi.json only")
            refused.headers["Allow"] = "GET, HEAD"
            return refused(environ, start_response)
        if not built:
            from bindings.openapi.document import whole

            built.append(json.dumps(whole(functions, app_token=False)).encode())
        return Response(built[0], 200, mimetype="application/json")(environ, start_response)

    return serve


def route_prefixes(functions: list[str]) -> dict[str, str]:
    """Each path prefix users reach these functions under -> the function."""
    return {prefix: name for name in functions for prefix in path_prefixes(get(name))}


def _owner_of(path: str, prefixes: dict[str, str]) -> str:
    for prefix in sorted(prefixes, key=len, reverse=True):
        if path == prefix or path.startswith(prefix + "/"):
            return prefixes[prefix]
    return "todo-api"


class PortInUse(OSError):
    """The address to serve on is taken; nothing was started."""


class _Later:
    """A WSGI app to be named once the runtime is built: the socket is bound before anything starts."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def serve(data_dir: Path, host: str, port: int, threads: int = 8) -> None:
    from waitress import create_server

    later = _Later()
    try:
        server = create_server(later, host=host, port=port, threads=threads, ident="todo-embedded")
    except OSError as exc:  # before PostgreSQL, migrations or threads: a taken port touches nothing
        raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    try:
        runtime = Runtime.build(data_dir)
    except BaseException:
        server.close()
        raise
    later.app = runtime.wsgi()
    runtime.start_background()
    log.info(
        "embedded runtime serving",
        extra={"url": f"http://{host}:{port}", "data_dir": str(data_dir), "functions": list(runtime.apps)},
    )
    print(f"todo functions serving on http://{host}:{port}  (data dir {data_dir}; Ctrl-C stops)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        runtime.close()
