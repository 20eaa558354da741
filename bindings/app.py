"""`create_app(function)`: the Flask app of ONE function, speaking Dapr's HTTP app protocol.

Under gunicorn: `gunicorn 'bindings.app:create_app("todo-api")'`. The embedded runtime calls it
with the dependencies it built, so the same adapter serves both ways of running.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from collections.abc import Callable

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from bindings import cron_route, http_routes, topic_route
from bindings.observability import configure_logging, metrics, new_trace_id, trace_id, trace_of
from bindings.openapi import route as openapi_route
from bindings.outcomes import problem, unexpected
from bindings.table import get
from bindings.triggers import Cron, DeadLetterTopics, Function, Invoke, Topic, Trigger, resolve
from functions.deps import Deps

_OPEN_PATHS = {"/healthz"}
log = logging.getLogger("bindings.app")

# How each kind of trigger is served: the one place that tells the kinds apart.
INSTALLERS: dict[type[Trigger], Callable[[Flask, Function, Deps], None]] = {
    Cron: cron_route.install,
    Topic: topic_route.install,
    DeadLetterTopics: topic_route.install,
    Invoke: http_routes.install_invoke,
}


def create_app(function: str, deps: Deps | None = None, *, app_token: str | None = None) -> Flask:
    fn = get(function)
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    if deps is None:
        from bindings.wiring import sidecar_deps

        deps = sidecar_deps(fn.name)
    token = app_token if app_token is not None else os.environ.get("APP_API_TOKEN") or None

    app = Flask(f"todo.{fn.name}")
    # Users' bodies are small; what daprd delivers to a topic function (bulk: 100 events) is not.
    settings = deps.settings
    app.config["MAX_CONTENT_LENGTH"] = (
        settings.max_body_bytes if fn.trigger.user_facing else settings.max_delivery_bytes
    )
    app.extensions["todo.deps"] = deps
    app.extensions["todo.function"] = fn

    @app.before_request
    def _before() -> Response | None:
        g.trace_token = trace_id.set(trace_of(request.headers.get("traceparent")) or new_trace_id())
        g.started = time.perf_counter()
        if token and request.path not in _OPEN_PATHS:
            sent = request.headers.get("dapr-api-token", "")
            if not hmac.compare_digest(sent.encode(), token.encode()):
                return problem(401, "Unauthorized", "missing or wrong dapr-api-token")
        sent_path = _sent_path(request.environ)
        if "//" in sent_path:  # servers and werkzeug turn a leading "//" into "/", but no other: refuse alike
            return problem(404, "Not found", _no_route(request.method, sent_path))
        return None

    @app.teardown_request
    def _after(_: BaseException | None) -> None:
        if "trace_token" in g:
            trace_id.reset(g.trace_token)

    not_ready = resolve(fn.readiness) if fn.readiness else None
    if fn.gauges:
        read = resolve(fn.gauges)
        metrics().scraped.read_with(fn.name, lambda: read(deps))

    @app.get("/healthz")
    def healthz() -> Response:
        """Readiness, for Kubernetes and daprd's app health check: 503 with the reason holds traffic back."""
        reason = None if deps.db.ping() else "database unavailable"
        if reason is None and not_ready is not None:
            reason = not_ready(deps)
        body = {"status": "ok"} if reason is None else {"status": "not ready", "reason": reason}
        return Response(json.dumps(body), 200 if reason is None else 503, mimetype="application/json")

    @app.get("/metrics")
    def prometheus() -> Response:
        body, content_type = metrics().render()
        return Response(body, 200, content_type=content_type)

    INSTALLERS[type(fn.trigger)](app, fn, deps)
    if fn.adhoc:
        http_routes.install(app, fn, deps, fn.adhoc)
    openapi_route.install(app, fn, app_token=bool(token))

    # "/api//tasks" must not become a redirect to "/api/tasks" (an HTML page): it is a 404 problem.
    app.url_map.merge_slashes = False

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if exc.code == 404:
            resp = problem(404, "Not found", _no_route(request.method, request.path))
        else:
            resp = problem(exc.code or 500, exc.name, exc.description or exc.name)
        # MethodNotAllowed's Allow header (RFC 9110 15.5.6) and any other the exception carries.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        return unexpected(exc, log, function=fn.name, path=request.path)

    return app


def _sent_path(environ: dict[str, object]) -> str:
    """The path as the client sent it: waitress (REQUEST_URI) and gunicorn (RAW_URI) keep it, PATH_INFO
    may have lost a leading "//". An absolute-form target (http://host/path) is reduced to its path."""
    uri = str(environ.get("REQUEST_URI") or environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
    if uri.startswith(("http://", "https://")):
        uri = "/" + uri.split("/", 3)[3] if uri.count("/") >= 3 else "/"
    return uri.split("?", 1)[0]


def _no_route(method: str, path: str) -> str:
    hint = ""
    if "//" in path:
        hint = " (an empty path segment: '//')"
    elif len(path) > 1 and path.endswith("/"):
        hint = " (routes have no trailing slash)"
    return f"no route for {method} {path}{hint}"
