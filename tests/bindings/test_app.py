"""What every function serves: the app token check, /healthz, /metrics and JSON logs with the trace id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bindings.app import create_app
from bindings.observability import JsonLines


@pytest.mark.parametrize("function", ["todo-api", "audit-writer", "outbox-relay"])
def test_app_token_is_required_when_configured(runtime, function):
    client = create_app(function, runtime.deps[function], app_token="s3cret-app-token").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"dapr-api-token": "wrong"}).status_code == 401
    assert client.get("/metrics", headers={"dapr-api-token": "s3cret-app-token"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # the health probe carries no token


def test_healthz_reports_the_database(runtime):
    client = runtime.apps["todo-api"].test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    runtime.db.close()
    assert client.get("/healthz").status_code == 503


def test_metrics_count_calls_by_function_trigger_and_outcome(runtime, api, token):
    api.post("/api/tasks", json={"title": "x"}, headers={"Authorization": token()})
    api.post("/api/tasks", json={"title": ""}, headers={"Authorization": token()})
    text = runtime.apps["audit-writer"].test_client().get("/metrics").get_data(as_text=True)
    assert 'todo_function_calls_total{function="todo-api",outcome="success",trigger="invoke"}' in text
    assert 'todo_function_calls_total{function="todo-api",outcome="422",trigger="invoke"}' in text
    assert 'todo_function_duration_seconds_bucket{function="todo-api"' in text


def test_logs_are_json_lines_with_the_trace_id(api, token, runtime):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger("bindings.http")
    logger.addHandler(handler)
    with runtime.db.transaction() as tx:  # a real fault: the table is gone
        tx.execute("ALTER TABLE tasks RENAME TO tasks_gone")
    try:
        resp = api.get(
            "/api/tasks",
            headers={
                "Authorization": token(),
                "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            },
        )
    finally:
        logger.removeHandler(handler)
    assert resp.status_code == 500 and "tasks" not in resp.get_json()["detail"]
    assert resp.get_json()["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"  # the caller can quote it
    entry = json.loads(stream.getvalue().splitlines()[0])
    assert entry["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert entry["level"] == "error" and entry["function"] == "todo-api" and "UndefinedTable" in entry["exception"]
