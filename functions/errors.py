"""Errors a handler raises; the adapter maps each to an HTTP status or a Dapr outcome."""

from __future__ import annotations


class FunctionError(Exception):
    """Base of every error a handler raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, *, field: str | None = None, extra: dict[str, object] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}  # members added to the problem+json, e.g. the id the client should use


class Invalid(FunctionError):
    """Input that can never succeed: API 422, event DROP."""

    status = 422
    title = "Invalid input"


class NotFound(FunctionError):
    """Missing or not the caller's: API 404 (never 403, so ids do not leak), event DROP."""

    status = 404
    title = "Not found"


class Conflict(FunctionError):
    status = 409
    title = "Conflict"


class Transient(FunctionError):
    """Might succeed later (database down, upstream 5xx or 429): API 503, event RETRY."""

    status = 503
    title = "Temporarily unavailable"


class Rejected(FunctionError):
    """Can never succeed, but the handler's record of that must be kept: API 422, event DROP after commit."""

    status = 422
    title = "Rejected"

    def __init__(self, detail: str, *, field: str | None = None, result: object = None) -> None:
        super().__init__(detail, field=field)
        self.result = result
