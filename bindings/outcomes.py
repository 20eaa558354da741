"""A handler's result or exception -> the Dapr reply or the HTTP problem (RFC 9457)."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from typing import Any

from flask import Response
from pydantic import ValidationError

from bindings.envelopes import EnvelopeError, describe, field_name
from bindings.observability import trace_id
from functions.errors import FunctionError, Invalid, NotFound, Rejected, Transient

_log = logging.getLogger("bindings.outcomes")


class Outcome(StrEnum):
    SUCCESS = "SUCCESS"
    RETRY = "RETRY"
    DROP = "DROP"


def classify(exc: BaseException) -> tuple[Outcome, str]:
    """DROP what can never succeed; RETRY everything else, bounded by the resiliency policy."""
    if isinstance(exc, ValidationError):
        return Outcome.DROP, f"invalid payload: {describe(exc)}"
    if isinstance(exc, EnvelopeError | Invalid | NotFound | Rejected):
        return Outcome.DROP, str(exc)
    if isinstance(exc, Transient):
        return Outcome.RETRY, str(exc)
    return Outcome.RETRY, f"{type(exc).__name__}: {exc}"


def topic_reply(outcome: Outcome, reason: str | None = None) -> Response:
    # Exactly these upper-case strings: daprd treats "success" as a retry. daprd reads only `status`;
    # the reason of a DROP or RETRY is for whoever records the dead letter (the embedded broker).
    body: dict[str, str] = {"status": outcome.value}
    if reason and outcome is not Outcome.SUCCESS:
        body["reason"] = reason
    return Response(json.dumps(body), 200, mimetype="application/json")


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body, default=str), status, mimetype="application/problem+json")


def problem_for(exc: BaseException, log: logging.Logger = _log, **context: Any) -> Response:
    """The problem+json for what a handler or the adapter raised; anything unexpected goes to `unexpected`."""
    if isinstance(exc, ValidationError):
        errors = [{"field": field_name(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return problem(422, "Invalid input", describe(exc), errors=errors)
    if isinstance(exc, EnvelopeError):
        return problem(400, "Bad request", str(exc))
    if isinstance(exc, Transient):
        log.warning("temporarily unavailable", extra={**context, "reason": exc.detail})
    elif isinstance(exc, FunctionError) and exc.status >= 500:
        return unexpected(exc, log, **context)
    if isinstance(exc, FunctionError):
        extra = {"errors": [{"field": exc.field, "message": exc.detail}]} if exc.field else {}
        return problem(exc.status, exc.title, exc.detail, **exc.extra, **extra)
    return unexpected(exc, log, **context)


def unexpected(exc: BaseException, log: logging.Logger = _log, **context: Any) -> Response:
    """A 500 for an error nothing meant to raise: logged with its traceback and the request's trace id,
    which the answer carries so that whoever got it can find the log line."""
    tid = trace_id.get()
    log.error("unexpected error", exc_info=exc, extra={**context, "error": type(exc).__name__})
    return problem(
        500, "Internal error", f"an unexpected error occurred; it is logged under trace id {tid}", trace_id=tid
    )
