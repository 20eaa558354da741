"""HTTP edges as a server should have them: Allow on 405 and OPTIONS, problem+json for odd paths, logged 500s."""

from __future__ import annotations

import io
import json
import logging

import pytest
from werkzeug.test import Client

from bindings.observability import JsonLines

PROBLEM = "application/problem+json"


def _allow(resp) -> set[str]:
    return {m.strip() for m in resp.headers.get("Allow", "").split(",") if m.strip()}


def test_a_405_names_the_methods_that_are_allowed(api, token):
    resp = api.put("/api/tasks", json={}, headers={"Authorization": token()})
    assert resp.status_code == 405 and resp.mimetype == PROBLEM
    assert {"GET", "POST"} <= _allow(resp) and "PUT" not in _allow(resp)


def test_options_answers_with_allow(api, runtime):
    assert {"GET", "POST"} <= _allow(api.options("/api/tasks"))
    assert {"GET", "PATCH", "DELETE"} <= _allow(api.options("/api/tasks/6f1c1c5e-0000-4000-8000-000000000000"))
    probe = runtime.apps["recurrence-sweep"].test_client().options("/recurring-task-cron")
    assert probe.status_code == 200 and {"OPTIONS", "POST"} <= _allow(probe)  # still daprd's 2xx probe


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("//api/tasks", "empty path segment"),
        ("/api//tasks", "empty path segment"),
        ("/api/tasks/", "no trailing slash"),
        ("/api/me/", "no trailing slash"),
        ("/api/nothing", "no route for GET /api/nothing"),
    ],
)
def test_malformed_and_unknown_paths_are_404_problems_not_html_or_redirects(runtime, token, path, hint):
    client = Client(runtime.wsgi())  # as `python -m bindings run` serves them
    # The environ as waitress makes it: the path as sent in REQUEST_URI, PATH_INFO with "//..." collapsed.
    environ = {"REQUEST_URI": path, "PATH_INFO": "/" + path.lstrip("/")}
    resp = client.get("/", environ_overrides=environ, headers={"Authorization": token()})
    assert resp.status_code == 404 and resp.mimetype == PROBLEM
    body = resp.get_json()
    assert body["type"] == "about:blank" and hint in body["detail"]


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/v1.0/invoke/nobody/method/run", "no function 'nobody' in this runtime"),
        ("/v1.0/invoke/todo-api/api/tasks", "expected /v1.0/invoke/todo-api/method/<path>"),
        ("/v1.0/invoke//method/run", "no function '' in this runtime"),
    ],
)
def test_the_embedded_routers_404s_are_problems_with_a_type(runtime, path, words):
    resp = Client(runtime.wsgi()).post(path)
    assert resp.status_code == 404 and resp.mimetype == PROBLEM
    body = resp.get_json()
    assert (body["type"], body["status"]) == ("about:blank", 404) and words in body["detail"]


@pytest.mark.parametrize("field", ["title", "priority", "tags", "timezone", "reminders"])
def test_patch_with_null_for_a_required_field_names_that_field(api, token, field):
    task = api.post("/api/tasks", json={"title": "x"}, headers={"Authorization": token()}).get_json()
    resp = api.patch(f"/api/tasks/{task['id']}", json={field: None}, headers={"Authorization": token()})
    assert resp.status_code == 422 and [e["field"] for e in resp.get_json()["errors"]] == [field]


def _capture(name):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    return stream, lambda: logger.removeHandler(handler)


def test_a_500_without_a_traceparent_gets_a_trace_id_that_its_log_line_carries(api, token, runtime):
    stream, done = _capture("bindings.http")
    with runtime.db.transaction() as tx:  # a real fault
        tx.execute("ALTER TABLE tasks RENAME TO tasks_gone")
    try:
        resp = api.get("/api/tasks", headers={"Authorization": token()})
    finally:
        done()
    tid = resp.get_json()["trace_id"]
    assert resp.status_code == 500 and len(tid) == 32 and tid in resp.get_json()["detail"]
    [entry] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert (entry["trace_id"], entry["level"]) == (tid, "error") and "UndefinedTable" in entry["exception"]


def test_a_500_in_an_ad_hoc_cron_run_is_logged_with_its_trace_id(runtime):
    stream, done = _capture("bindings.cron")
    with runtime.db.transaction() as tx:
        tx.execute("ALTER TABLE series RENAME TO series_gone")
    try:
        resp = runtime.apps["recurrence-sweep"].test_client().post("/run", json={})
    finally:
        done()
    assert resp.status_code == 500 and resp.mimetype == PROBLEM
    tid = resp.get_json()["trace_id"]
    assert any(json.loads(line).get("trace_id") == tid for line in stream.getvalue().splitlines())
