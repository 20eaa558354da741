"""`GET /openapi.json` of one function: its own routes, built on the first request (not at cold start)."""

from __future__ import annotations

import json

from flask import Flask, Response

from bindings.triggers import Function


def install(app: Flask, fn: Function, *, app_token: bool) -> None:
    built: list[bytes] = []  # two first requests at once both build it: the same bytes, so no lock

    @app.get("/openapi.json", endpoint="openapi")
    def openapi() -> Response:
        if not built:
            from bindings.openapi.document import for_function

            built.append(json.dumps(for_function(fn, app_token=app_token)).encode())
        return Response(built[0], 200, mimetype="application/json")
