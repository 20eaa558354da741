"""Every route of every function in the table refuses a call without the right dapr-api-token."""

from __future__ import annotations

import uuid

import pytest

from bindings.app import create_app
from bindings.table import FUNCTIONS

TOKEN = "app-token-" + uuid.uuid4().hex


def _routes(app):
    """(method, concrete path) for every rule the function serves, path parameters filled in."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", str(uuid.uuid4()))
        explicit = sorted(rule.methods - {"HEAD", "OPTIONS"}) or ["OPTIONS"]
        for method in explicit:
            yield method, path


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_route_but_healthz_needs_the_app_token(runtime, function):
    client = create_app(function, runtime.deps[function], app_token=TOKEN).test_client()
    checked = 0
    for method, path in _routes(client.application):
        if path == "/healthz":
            continue
        for headers in ({}, {"dapr-api-token": "wrong"}, {"dapr-api-token": TOKEN[:-1]}):
            resp = client.open(path, method=method, headers=headers, json={})
            assert resp.status_code == 401, (method, path, headers)
            assert resp.mimetype == "application/problem+json"
        checked += 1
    assert checked >= 2  # at least /metrics and the trigger's own route
    assert client.get("/healthz").status_code == 200  # the sidecar's health probe carries no token
    assert client.get("/metrics", headers={"dapr-api-token": TOKEN}).status_code == 200


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_no_token_configured_means_no_check(runtime, function):
    client = create_app(function, runtime.deps[function], app_token="").test_client()
    assert client.get("/metrics").status_code == 200
