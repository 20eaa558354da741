"""Cron functions: the OPTIONS probe, once-per-tick claim, and an ad hoc POST /run."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from flask import Flask, Response, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from bindings.envelopes import EnvelopeError, load_json, parse_read_time
from bindings.instrument import measured
from bindings.observability import trace_id
from bindings.outcomes import classify, problem, problem_for, unexpected
from bindings.triggers import RUN_ROUTE, Cron, Function, resolve
from functions.clock import utc_now
from functions.context import Context
from functions.deps import Deps
from functions.errors import FunctionError
from functions.store import ticks

log = logging.getLogger("bindings.cron")


def claimant() -> str:
    """Which replica won a tick, for operators: the pod name in a cluster; on one host the pid tells replicas apart."""
    return f"{socket.gethostname()}:{os.getpid()}"


def install(app: Flask, fn: Function, deps: Deps) -> None:
    trigger = fn.trigger
    assert isinstance(trigger, Cron) and fn.handler and fn.input  # bindings.app.INSTALLERS
    handler = resolve(fn.handler)
    model = resolve(fn.input)
    from bindings.schedules import cron_components  # PyYAML: only cron functions read dapr/components

    component = cron_components().get(trigger.binding)
    if component is None:
        raise RuntimeError(f"{fn.name}: no bindings.cron component named {trigger.binding!r} in dapr/components")
    schedule = component.schedule

    @app.route(trigger.route, methods=["OPTIONS"], endpoint="probe")
    def probe() -> Response:
        # daprd's start-up probe: a 2xx means "this app listens for the binding".
        return Response(status=200, headers={"Allow": "OPTIONS, POST"})

    @app.post(trigger.route, endpoint="tick")
    def tick() -> Response:
        fired = parse_read_time(request.headers.get("readTimeUTC")) or utc_now()
        instant = schedule.tick_of(fired)
        with measured(fn.name, "cron") as run:
            try:
                with deps.db.transaction() as tx:
                    won = ticks.claim(tx, fn.name, instant, claimant())
                if not won:
                    run.outcome = "skipped"
                    log.info("tick already claimed", extra={"function": fn.name, "tick": instant.isoformat()})
                    return Response(status=200)
                result = handler(model(), deps, Context(function=fn.name, tick=instant))
                run.outcome = "success"
                log.info(
                    "tick done",
                    extra={"function": fn.name, "tick": instant.isoformat(), "result": _dump(result)},
                )
                # An empty 200: a JSON body with `to`/`data` would trigger Dapr's output forwarding.
                return Response(status=200)
            except Exception as exc:
                outcome, reason = classify(exc)
                run.outcome = outcome.value.lower()
                log.error("tick failed", exc_info=True, extra={"function": fn.name, "reason": reason})
                return problem(500, "Cron run failed", reason, trace_id=trace_id.get())

    @app.post(RUN_ROUTE, endpoint="run")
    def run_now() -> Response:
        """Ad hoc (Dapr invoke or the CLI): no tick claim, the handler's own locking applies."""
        with measured(fn.name, "invoke") as run:
            try:
                cmd = _options(model, request.get_data())
                result = handler(cmd, deps, Context(function=fn.name))
            except (EnvelopeError, ValidationError, FunctionError) as exc:
                run.outcome = "invalid" if not isinstance(exc, FunctionError) or exc.status < 500 else "error"
                return problem_for(exc, log, function=fn.name, route=RUN_ROUTE)
            except HTTPException:
                run.outcome = "invalid"
                raise  # a body over MAX_CONTENT_LENGTH: the app's error handler answers 413, not a 500
            except Exception as exc:
                return unexpected(exc, log, function=fn.name, route=RUN_ROUTE)
            run.outcome = "success"
        return jsonify(_dump(result))


def _options(model: type[BaseModel], body: bytes) -> BaseModel:
    """An empty body runs with the defaults; anything else must be a JSON object of the run's options."""
    options = load_json(body, what="the run's options") if body.strip() else {}
    if not isinstance(options, dict):
        raise EnvelopeError(f"the run's options must be a JSON object such as {{}}, not {type(options).__name__}")
    return model.model_validate(options)


def _dump(result: Any) -> Any:
    return result.model_dump(mode="json") if hasattr(result, "model_dump") else result
