"""What one request of each hot route costs in round trips, as libpq traces them (functions/store/wire_trace.py).

Counts are deterministic, unlike timings: these are the budgets of issue 13, written here as numbers.
The app is wired as `python -m bindings run` wires it (state store and broker log are tables of the same
PostgreSQL), so the trace tells the database proper, state calls and publishes apart by the tables they name.
The outbox marks of a request are batched across requests (functions/outbox_marks.py); a request that runs
alone pays one mark round trip, counted here with the database's.
"""

from __future__ import annotations

import pytest

from functions.store.wire_trace import WireTrace

TASK = {"title": "Write the report", "priority": "high", "tags": ["work"], "due_at": "2031-01-06T09:00:00+00:00"}


@pytest.fixture
def traced(runtime, api, token):
    """traced(method, path, body) -> (status, round trips by kind, calls by kind) of that one request."""
    headers = {"Authorization": token("counted")}
    outbox = runtime.deps["todo-api"].outbox

    def run(method, path, body=None):
        with WireTrace(runtime.db) as trace:
            resp = api.open(path, method=method, json=body, headers=headers)
            assert outbox.flush()  # the batched marks of this request, inside the trace
        return resp, trace.round_trips(), trace.calls()

    def created(**extra):
        resp = api.post("/api/tasks", json={**TASK, **extra}, headers=headers)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["id"]

    run.created = created
    return run


def test_a_create_is_one_transaction_of_at_most_4_round_trips_and_one_publish_per_topic(traced):
    traced.created()  # the user exists, as for every request but a user's first
    resp, trips, calls = traced("POST", "/api/tasks", {**TASK, "reminders": [{"before": "PT15M"}]})
    assert resp.status_code == 201
    assert trips["db"] <= 4  # the change (user, task, reminders, outbox rows, COMMIT) and the batched mark
    assert calls["publish"] == 2  # one bulk publish per topic: task-events and audit-logs
    assert calls["state"] == 1  # the rate limit's slot claim


def test_a_create_replies_with_what_it_wrote_as_a_read_would(traced, api, token):
    created = traced("POST", "/api/tasks", {**TASK, "reminders": [{"at": "2031-01-06T10:00:00+02:00"}]})[0]
    assert created.status_code == 201
    read = api.get(f"/api/tasks/{created.get_json()['id']}", headers={"Authorization": token("counted")})
    assert read.get_json() == created.get_json()
    assert created.get_json()["reminders"][0]["at"] == "2031-01-06T08:00:00Z"


def test_a_cache_hit_costs_two_state_calls_and_no_database_round_trip(traced):
    task = traced.created()
    assert traced("GET", f"/api/tasks/{task}")[0].status_code == 200  # fills the cache
    resp, trips, calls = traced("GET", f"/api/tasks/{task}")
    assert resp.status_code == 200
    assert trips["db"] == 0
    assert calls["state"] == 2  # the rate limit's claim and the cache read


def test_a_rate_limit_decision_is_one_state_call(traced):
    resp, trips, calls = traced("GET", "/api/tasks?limit=1")
    assert resp.status_code == 200 and resp.headers["RateLimit-Remaining"]
    assert calls["state"] == 1
    assert trips["state"] == 1


@pytest.mark.parametrize(
    ("method", "suffix", "body", "extra"),
    [
        ("PATCH", "", {"title": "Renamed"}, {}),
        ("POST", "/complete", None, {"recurrence": "weekly"}),
    ],
)
def test_a_change_of_a_task_is_at_most_4_round_trips(traced, method, suffix, body, extra):
    task = traced.created(**extra)
    resp, trips, calls = traced(method, f"/api/tasks/{task}{suffix}", body)
    assert resp.status_code == 200, resp.get_json()
    assert trips["db"] <= 4  # read with its lock, write RETURNING, outbox rows with the COMMIT; the mark
    assert calls["publish"] == 2
    assert calls["state"] == 2  # the rate limit's claim and the cache's tombstone
