"""Invoke functions' HTTP routes: authenticate, parse into the input model, render or problem+json."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from bindings import auth, rate_limit
from bindings.envelopes import EnvelopeError, load_json, route_input
from bindings.instrument import measured
from bindings.outcomes import problem, problem_for, unexpected
from bindings.triggers import Function, Route, resolve
from functions.context import Context
from functions.deps import Deps
from functions.errors import FunctionError

if TYPE_CHECKING:
    from functions.domain.users import User

log = logging.getLogger("bindings.http")

_JSON_TYPES = ("application/json", "application/merge-patch+json")


def install_invoke(app: Flask, fn: Function, deps: Deps) -> None:
    """An invoke function: its declared routes, and an empty /dapr/subscribe (it takes no topic)."""
    install(app, fn, deps, fn.trigger.routes)

    @app.get("/dapr/subscribe")
    def no_subscriptions() -> Response:
        return jsonify([])


def install(app: Flask, fn: Function, deps: Deps, routes: tuple[Route, ...]) -> None:
    verified = auth.VerifiedTokens()  # one per app: its routes share the tokens they have seen
    hints = rate_limit.SlotHints()  # and the rate limit's next slot per user
    for route in routes:
        _add(app, fn, deps, route, verified, hints)


def _add(
    app: Flask, fn: Function, deps: Deps, route: Route, verified: auth.VerifiedTokens, hints: rate_limit.SlotHints
) -> None:
    handler = resolve(route.handler)
    model: type[BaseModel] = resolve(route.input)
    if route.auth == "user":
        auth.load_verifier()  # while the app is built, not on its first request

    def view(**path: Any) -> Response:
        with measured(fn.name, "invoke") as run:
            response = _serve(fn, deps, route, handler, model, path, verified, hints)
            run.outcome = "success" if response.status_code < 400 else str(response.status_code)
        return response

    view.__name__ = f"{route.method.lower()}_{route.handler.rpartition(':')[2]}"
    app.add_url_rule(route.path, endpoint=view.__name__, view_func=view, methods=[route.method])


def _serve(
    fn: Function,
    deps: Deps,
    route: Route,
    handler: Any,
    model: type[BaseModel],
    path: dict[str, Any],
    verified: auth.VerifiedTokens,
    hints: rate_limit.SlotHints,
) -> Response:
    decision: rate_limit.Decision | None = None
    try:
        user = _authenticate(deps, verified) if route.auth == "user" else None
        if user is not None:
            decision = rate_limit.check(deps, user.id, hints)
            if not decision.allowed:
                return rate_limit.annotate(decision, rate_limit.refusal(decision))
        body = _body() if route.source == "body" else None
        cmd = route_input(model, path, request.args.to_dict(flat=False), body, route.source)
        result = handler(cmd, deps, Context(function=fn.name, user=user))
    except auth.Unauthorized as exc:
        resp = problem(401, "Unauthorized", str(exc))
        resp.headers["WWW-Authenticate"] = 'Bearer realm="todo-api"'
        return resp
    except RequestEntityTooLarge:
        resp = problem(413, "Payload too large", f"the body exceeds {deps.settings.max_body_bytes} bytes")
    except (EnvelopeError, ValidationError, FunctionError) as exc:
        resp = problem_for(exc, log, function=fn.name, route=route.path)
    except Exception as exc:  # a bug, or input nothing checked: a 500 that is logged, never a silent one
        resp = unexpected(exc, log, function=fn.name, route=route.path)
    else:
        if result is None:
            resp = Response(status=204 if route.status in (200, 204) else route.status)
        else:
            resp = Response(result.model_dump_json(), route.status, mimetype="application/json")
    return rate_limit.annotate(decision, resp)


def _authenticate(deps: Deps, verified: auth.VerifiedTokens) -> User:
    key = auth.signing_key(deps.secrets)
    return auth.verify(request.headers.get("Authorization"), key, deps.settings, verified)


class UnsupportedMediaType(FunctionError):
    status = 415
    title = "Unsupported media type"


def _body() -> Any:
    if request.mimetype not in _JSON_TYPES:
        raise UnsupportedMediaType(f"send the body as application/json, not {request.mimetype or 'nothing'!r}")
    return load_json(request.get_data(cache=False))  # MAX_CONTENT_LENGTH has already refused an oversize body
