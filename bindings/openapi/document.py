"""The OpenAPI 3.1 documents: one function's own routes, or every function as the embedded runtime serves them.

`app_token`: whether the routes ask for the Dapr app token (`dapr-api-token`). A function knows whether it
was given one (APP_API_TOKEN; every pod is); the embedded runtime sets none; docs/openapi.json describes
the pods.
"""

from __future__ import annotations

from typing import Any

from bindings.openapi import responses
from bindings.openapi.operations import Described, links, route_models, route_operation
from bindings.openapi.protocol import protocol_models, protocol_operations
from bindings.openapi.schemas import Key, Schemas, used_only
from bindings.triggers import Function

VERSION = "1.0.0"  # of the contract: raise the major version with a change that breaks a client
INVOKE_PREFIX = "/v1.0/invoke/{app_id}/method"  # daprd's service invocation, and the embedded runtime's

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "HS256, `aud=todo-api`, `iss=todo-functions`, signed with `signing-key` of the `jwt-secret`"
        " secret; the user is `sub`. Locally: `python -m bindings token USER`.",
    },
    "appToken": {
        "type": "apiKey",
        "in": "header",
        "name": "dapr-api-token",
        "description": "The Dapr app token (APP_API_TOKEN): daprd sends it on every call to the app; a function"
        " given one refuses every route but /healthz without it. The embedded runtime sets none.",
    },
}

DESCRIPTION = """\
The HTTP routes of the Todo functions, generated from the declaration table (`bindings/table.py`) and the
pydantic models. Errors are `application/problem+json` (RFC 9457) with `detail` and, where fields are at
fault, `errors: [{"field", "message"}]`. Beyond what each operation lists: an unknown path (also `//` and a
trailing slash) answers 404, a known path with another method 405 with `Allow`. Times are RFC 3339 with an
offset; replies render them in UTC. Events: docs/asyncapi.json. Prose: docs/api.md."""

WHOLE = """

Users' routes (todo-api, conversations) are at the root, as an ingress serves them; every other route is
reached as daprd's service invocation exposes it, `/v1.0/invoke/<function>/method/<path>`."""


def for_function(fn: Function, *, app_token: bool) -> dict[str, Any]:
    """One function's own routes, at the paths its app serves them."""
    schemas = Schemas(_models([fn]))
    servers = [
        {"url": INVOKE_PREFIX.format(app_id=fn.name), "description": "through daprd, or the embedded runtime"},
        {"url": "/", "description": "the function's own app port"},
    ]
    paths = _paths([(op.path, op) for op in _operations(fn, schemas, app_token)])
    return _document(f"{fn.name}: {fn.summary}" if fn.summary else fn.name, DESCRIPTION, servers, paths, schemas, [fn])


def whole(functions: list[Function], *, app_token: bool) -> dict[str, Any]:
    """Every function's routes in one document, each at the path the embedded runtime answers it on."""
    schemas = Schemas(_models(functions))
    placed: list[tuple[str, Described]] = []
    for fn in functions:
        for op in _operations(fn, schemas, app_token):
            placed.append((op.path if op.user else INVOKE_PREFIX.format(app_id=fn.name) + op.path, op))
    servers = [{"url": "/", "description": "the embedded runtime (`python -m bindings run`: http://127.0.0.1:8000)"}]
    return _document("Todo functions", DESCRIPTION + WHOLE, servers, _paths(placed), schemas, functions)


def _models(functions: list[Function]) -> list[Key]:
    wanted: list[Key] = []
    for fn in functions:
        for route in (*fn.trigger.routes, *fn.adhoc):
            wanted += route_models(route)
        wanted += protocol_models(fn)
    return wanted


def _operations(fn: Function, schemas: Schemas, app_token: bool) -> list[Described]:
    declared = [(route, route_operation(fn, route, schemas, app_token=app_token)) for route in fn.trigger.routes]
    declared += [(route, route_operation(fn, route, schemas, app_token=app_token)) for route in fn.adhoc]
    for route, op in declared:
        if found := links(fn, route, declared):
            op.operation["responses"][str(route.status)]["links"] = found
    return [op for _, op in declared] + protocol_operations(fn, schemas, app_token=app_token)


def _paths(placed: list[tuple[str, Described]]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for path, op in placed:
        item = paths.setdefault(path, {})
        if op.method in item:
            raise ValueError(f"{op.method.upper()} {path} is described twice")
        item[op.method] = op.operation
    return paths


def _document(
    title: str, description: str, servers: list[dict], paths: dict, schemas: Schemas, functions: list[Function]
) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": VERSION, "description": description},
        "servers": servers,
        "tags": [{"name": fn.name, "description": fn.summary} for fn in functions],
        "paths": paths,
        "components": {
            "schemas": used_only(schemas.components, paths),
            "headers": responses.headers(),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
