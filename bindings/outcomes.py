"""A handler's result or exception -> the Dapr reply or the HTTP problem (RFC 9457)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from flask import Response
from pydantic import ValidationError

from bindings.envelopes import EnvelopeError, describe, field_name
from functions.errors import FunctionError, Invalid, NotFound, Rejected, Transient


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


def problem_for(exc: BaseException) -> Response:
    if isinstance(exc, ValidationError):
        errors = [{"field": field_name(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return problem(422, "Invalid input", describe(exc), errors=errors)
    if isinstance(exc, EnvelopeError):
        return problem(400, "Bad request", str(exc))
    if isinstance(exc, FunctionError):
        extra = {"errors": [{"field": exc.field, "message": exc.detail}]} if exc.field else {}
        return problem(exc.status, exc.title, exc.detail, **extra)
    return problem(500, "Internal error", "an unexpected error occurred; it has been logged")
