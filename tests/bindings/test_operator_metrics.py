"""What the operators' metrics count: each bulk entry by the status daprd acts on, a dead letter once per
record, a cron function's last success only when a tick ran. Read from /metrics, before and after."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

EVENTS = Path(__file__).resolve().parents[1] / "events"
CE = "application/cloudevents+json"


def _value(runtime, name: str, **labels: str) -> float:
    """The sample `name` with these labels on the process's /metrics (0 when absent)."""
    text = runtime.apps["todo-api"].test_client().get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and labels.items() <= s.labels.items():
                return s.value
    return 0.0


def _event(name: str) -> dict:
    return {**json.loads((EVENTS / name).read_text()), "id": str(uuid.uuid4())}


def _bulk(runtime, *events) -> list[str]:
    entries = [{"entryId": str(i), "event": e, "contentType": CE, "metadata": {}} for i, e in enumerate(events)]
    resp = runtime.apps["audit-writer"].test_client().post("/events/audit-logs", json={"entries": entries})
    return [s["status"] for s in resp.get_json()["statuses"]]


def _events(runtime, outcome: str) -> float:
    return _value(runtime, "todo_topic_events_total", function="audit-writer", topic="audit-logs", outcome=outcome)


def test_each_bulk_entry_is_counted_by_its_own_status(runtime):
    before = {o: _events(runtime, o) for o in ("SUCCESS", "DROP", "RETRY")}
    statuses = _bulk(
        runtime, _event("audit-recorded.json"), _event("audit-bad-payload.json"), _event("audit-recorded.json")
    )
    assert statuses == ["SUCCESS", "DROP", "SUCCESS"]
    after = {o: _events(runtime, o) for o in before}
    assert {o: after[o] - before[o] for o in before} == {"SUCCESS": 2, "DROP": 1, "RETRY": 0}


def test_a_batch_that_cannot_reach_the_database_counts_every_entry_as_retry(runtime):
    before = _events(runtime, "RETRY"), _events(runtime, "SUCCESS")
    runtime.db.close()
    assert _bulk(runtime, _event("audit-recorded.json"), _event("audit-recorded.json")) == ["RETRY", "RETRY"]
    assert (_events(runtime, "RETRY"), _events(runtime, "SUCCESS")) == (before[0] + 2, before[1])


def test_a_dead_letter_is_counted_once_however_often_it_is_delivered(runtime):
    letter = _event("audit-recorded.json")
    dead = runtime.apps["dead-letters"].test_client()
    before = _value(runtime, "todo_dead_letters_total", topic="task-events-dlq")
    for _ in range(3):  # daprd redelivers: one record, one count
        assert dead.post("/events/task-events-dlq", data=json.dumps(letter), content_type=CE).status_code == 200
    assert _value(runtime, "todo_dead_letters_total", topic="task-events-dlq") == before + 1


def test_the_last_success_moves_on_a_run_tick_and_not_on_a_tick_another_replica_claimed(runtime):
    relay = runtime.apps["outbox-relay"].test_client()
    tick = {"readTimeUTC": "2026-11-27 11:00:00.004 +0000 UTC"}
    started = time.time()
    assert relay.post("/outbox-relay-cron", data=b"", headers=tick).status_code == 200
    ran = _value(runtime, "todo_cron_last_success_timestamp_seconds", function="outbox-relay")
    assert started <= ran <= time.time()
    time.sleep(0.01)
    assert relay.post("/outbox-relay-cron", data=b"", headers=tick).status_code == 200  # already claimed: skipped
    assert _value(runtime, "todo_cron_last_success_timestamp_seconds", function="outbox-relay") == ran
