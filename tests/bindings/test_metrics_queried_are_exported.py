"""Every metric that k8s/observability's rules and dashboard query is one a function exports (todo_*), or
daprd does (dapr_*, checked against a real daprd in tests/dapr/test_daprd_metrics.py).

The functions run on the embedded runtime and are exercised the way their triggers would (a user's
requests, a cron tick, topic deliveries, a dead letter, a reminder mail); then each function's /metrics is
read as Prometheus would scrape it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from bindings.table import FUNCTIONS
from tests.support.promql_names import PROMETHEUS_ACCEPT, exposed_names, used_metric_names

EVENTS = Path(__file__).resolve().parents[1] / "events"
CE = "application/cloudevents+json"


def _exercise(runtime, token) -> None:
    api = runtime.apps["todo-api"].test_client()
    bearer = {"Authorization": token("alice", email="alice@example.com")}
    task = api.post(
        "/api/tasks",
        json={"title": "Water plants", "due_at": "2026-12-01T09:00:00+00:00", "reminders": [{"before": "PT15M"}]},
        headers=bearer,
    ).get_json()
    for _ in range(2):  # a cache miss, then a hit
        assert api.get(f"/api/tasks/{task['id']}", headers=bearer).status_code == 200
    assert api.get("/api/tasks", headers={"Authorization": "Bearer forged"}).status_code == 401

    tick = {"readTimeUTC": "2026-11-27 10:05:00.004 +0000 UTC"}
    relay = runtime.apps["outbox-relay"].test_client()
    assert relay.post("/outbox-relay-cron", data=b"", content_type="application/json", headers=tick).status_code == 200

    audit = json.loads((EVENTS / "audit-recorded.json").read_text())
    writer = runtime.apps["audit-writer"].test_client()
    assert writer.post("/events/audit-logs", data=json.dumps({**audit, "id": str(uuid.uuid4())}), content_type=CE)
    dead = runtime.apps["dead-letters"].test_client()
    letter = {**audit, "id": str(uuid.uuid4()), "topic": "audit-logs-dlq"}
    assert dead.post("/events/audit-logs-dlq", data=json.dumps(letter), content_type=CE).status_code == 200

    mailer = runtime.apps["send-reminder"].test_client()
    sent = mailer.post("/api/notify", json={"reminder_id": task["reminders"][0]["id"]})
    assert sent.status_code == 200 and sent.get_json()["outcome"] == "sent", sent.get_json()


def _scraped(runtime) -> set[str]:
    """The union of what each function's /metrics serves, as Prometheus scrapes every pod."""
    names: set[str] = set()
    for name in FUNCTIONS:
        resp = runtime.apps[name].test_client().get("/metrics", headers={"Accept": PROMETHEUS_ACCEPT})
        assert resp.status_code == 200 and resp.content_type.startswith("text/plain"), resp.content_type
        names |= exposed_names(resp.get_data(as_text=True))
    return names


def test_every_metric_the_rules_and_dashboard_query_is_exported(runtime, token):
    _exercise(runtime, token)
    exposed = _scraped(runtime)
    used = used_metric_names()
    # Two exporters only: our registry names its metrics todo_*, daprd dapr_*.
    assert all(n.startswith(("todo_", "dapr_")) for n in used), sorted(used)
    assert all(n.startswith("todo_") for n in exposed), sorted(n for n in exposed if not n.startswith("todo_"))
    missing = sorted(n for n in used if n.startswith("todo_") and n not in exposed)
    assert not missing, f"queried by k8s/observability but exported by no function: {missing}"


def test_scrape_time_gauges_read_the_store(runtime, token):
    """The outbox backlog and the open dead letters are read from PostgreSQL by every replica's scrape."""
    api = runtime.apps["todo-api"].test_client()
    with runtime.db.transaction() as tx:
        tx.execute("UPDATE outbox SET published_at = now()")
    bearer = {"Authorization": token("bob")}
    assert api.post("/api/tasks", json={"title": "left unpublished"}, headers=bearer).status_code == 201
    with runtime.db.transaction() as tx:
        # As if the fast path had failed a minute ago: the rows wait for the relay.
        tx.execute(
            "UPDATE outbox SET published_at = NULL, created_at = now() - interval '60 seconds'"
            " WHERE published_at IS NULL OR created_at > now() - interval '5 seconds'"
        )
        waiting = tx.one("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")["n"]
    samples = _samples(runtime, "outbox-relay")
    assert samples["todo_outbox_backlog_events"] == waiting > 0
    assert 60 <= samples["todo_outbox_backlog_age_seconds"] < 120

    dead = runtime.apps["dead-letters"].test_client()
    before = _samples(runtime, "dead-letters").get("todo_dead_letters_open", 0)
    audit = json.loads((EVENTS / "audit-recorded.json").read_text())
    assert dead.post("/events/reminders-dlq", data=json.dumps({**audit, "id": str(uuid.uuid4())}), content_type=CE)
    assert _samples(runtime, "dead-letters")["todo_dead_letters_open"] == before + 1


def _samples(runtime, function: str) -> dict[str, float]:
    """This function's own samples (function label) on its /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    text = runtime.apps[function].test_client().get("/metrics").get_data(as_text=True)
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.labels.get("function") == function
    }
