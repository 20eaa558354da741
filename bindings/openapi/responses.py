"""The error answers of a route and their headers: what the adapter answers by itself, per route, and why.

The statuses follow bindings/http_routes.py (authentication, the rate limit, parsing path, query and body
into the input model, problem+json) and bindings/cron_route.py; a handler's own come from the route's
`errors` in bindings/table.py. schemathesis's status_code_conformance holds the running runtime to them.
"""

from __future__ import annotations

from typing import Any

from bindings.triggers import Route
from functions.settings import Settings

PROBLEM = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_defaults = Settings()
USER_BODY_LIMIT = _defaults.max_body_bytes
DELIVERY_BODY_LIMIT = _defaults.max_delivery_bytes

# bindings/rate_limit.py (Decision.headers) sends these; tests/contracts/test_openapi.py holds the two together.
RATE_LIMIT_HEADERS: dict[str, dict[str, Any]] = {
    "RateLimit-Limit": {"description": "requests allowed per window, per user", "schema": {"type": "integer"}},
    "RateLimit-Remaining": {"description": "requests left in this window", "schema": {"type": "integer"}},
    "RateLimit-Reset": {"description": "seconds until the window ends", "schema": {"type": "integer"}},
    "RateLimit-Policy": {"description": "`<limit>;w=<window seconds>`", "schema": {"type": "string"}},
}
RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
WWW_AUTHENTICATE = {"description": '`Bearer realm="todo-api"`', "schema": {"type": "string"}}


def header_refs(names: list[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def headers() -> dict[str, Any]:
    """components/headers."""
    return {**RATE_LIMIT_HEADERS, "Retry-After": RETRY_AFTER, "WWW-Authenticate": WWW_AUTHENTICATE}


def problem(description: str, header_names: list[str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {PROBLEM: {"schema": PROBLEM_REF}}}
    if header_names:
        response["headers"] = header_refs(header_names)
    return response


def unauthorized(*, user: bool, app_token: bool) -> dict[str, Any] | None:
    """401: a bearer token that does not verify (user routes), or no right `dapr-api-token` (where one is set)."""
    reasons = []
    if user:
        reasons.append("a missing, malformed, forged or expired bearer token, or a claim that cannot be stored")
    if app_token:
        reasons.append("a missing or wrong `dapr-api-token` (the app token)")
    if not reasons:
        return None
    return problem("; or ".join(reasons).capitalize(), ["WWW-Authenticate"] if user else None)


def body_errors(limit: int, *, checks_media_type: bool = True) -> dict[str, dict[str, Any]]:
    """What reading a JSON body can answer."""
    out = {
        "400": problem(
            "Malformed JSON, not a JSON object, nested deeper than 64 levels, an integer of more than 20 digits,"
            " a number out of range, NaN or Infinity, or a field both in the URL and in the body"
        ),
        "413": problem(f"The body exceeds {limit} bytes"),
    }
    if checks_media_type:
        out["415"] = problem("The body is not `application/json`")
    return out


def route_errors(route: Route, *, user_facing: bool, has_fields: bool, app_token: bool) -> dict[str, dict[str, Any]]:
    """Every error status a declared route answers, keyed by status."""
    user = route.auth == "user"
    out: dict[str, dict[str, Any]] = {}
    if route.source == "body":
        out.update(body_errors(USER_BODY_LIMIT if user_facing else DELIVERY_BODY_LIMIT))
    elif route.source == "query":
        out["400"] = problem("A parameter that takes one value is given more than once")
    if (reply := unauthorized(user=user, app_token=app_token)) is not None:
        out["401"] = reply
    if "<" in route.path or 404 in route.errors:
        out["404"] = problem("Not found: no such resource, or not the caller's (never 403: ids do not leak)")
    if 409 in route.errors:
        out["409"] = problem("A conflict with the stored state; `detail` says how to resolve it")
    if has_fields or 422 in route.errors:
        out["422"] = problem("Invalid input: `errors` names each field at fault and why")
    if user:
        out["429"] = problem("Over the per-user rate limit: retry after `Retry-After` seconds", ["Retry-After"])
    out["503"] = problem(
        "A dependency (the database, the state store) is unavailable: retry later", ["Retry-After"] if user else None
    )
    unknown = set(route.errors) - {404, 409, 422}
    if unknown:
        raise ValueError(f"{route.method} {route.path}: no description for error statuses {sorted(unknown)}")
    if user:
        # Counted against the rate limit: every answer after authentication says where the caller stands.
        for status, reply in out.items():
            if status != "401":
                reply.setdefault("headers", {}).update(header_refs(list(RATE_LIMIT_HEADERS)))
    return out
