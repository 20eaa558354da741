"""The topic side of the Dapr app protocol: /dapr/subscribe, CloudEvent parsing, inbox dedupe, outcomes."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

EVENTS = Path(__file__).resolve().parents[1] / "events"
CE = "application/cloudevents+json"


def fixture(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def writer(runtime):
    return runtime.apps["audit-writer"].test_client()


def _deliver(client, body, content_type=CE):
    data = body if isinstance(body, bytes) else json.dumps(body)
    resp = client.post("/events/audit-logs", data=data, content_type=content_type)
    assert resp.status_code == 200  # the verdict is in the body; a non-2xx would mean RETRY to daprd
    return resp.get_json()["status"]


def _audit_rows(runtime) -> int:
    with runtime.db.transaction() as tx:
        return tx.one("SELECT count(*) AS n FROM audit_log")["n"]


def test_subscribe_declares_route_and_dead_letter_topic(writer):
    subs = writer.get("/dapr/subscribe").get_json()
    assert subs == [
        {
            "pubsubname": "kafka-pubsub",
            "topic": "audit-logs",
            "routes": {"default": "/events/audit-logs"},
            "deadLetterTopic": "audit-logs-dlq",
            "metadata": {},
            "bulkSubscribe": {"enabled": True, "maxMessagesCount": 100, "maxAwaitDurationMs": 40},
        }
    ]


def test_event_is_recorded_once_even_when_redelivered(writer, runtime):
    event = fixture("audit-recorded.json")
    assert _deliver(writer, event) == "SUCCESS"
    assert _deliver(writer, event) == "SUCCESS"
    assert _audit_rows(runtime) == 1
    with runtime.db.transaction() as tx:
        row = tx.one("SELECT id::text AS id, after FROM audit_log")
    assert row == {"id": event["id"], "after": {"title": "Buy oat milk"}}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "malformed JSON"),
        (b"[" * 5000 + b"]" * 5000, "nests deeper than 64 levels"),
        (b'{"specversion": "1.0", "id": ' + b"9" * 5000 + b"}", "5000 digits"),
        (b"[1, 2]", "JSON object"),
        (json.dumps(fixture("not-a-cloudevent.json")).encode(), "not a CloudEvent"),
        (json.dumps(fixture("audit-bad-payload.json")).encode(), "actor_type"),
    ],
)
def test_malformed_events_are_dropped_with_their_reason(writer, runtime, caplog, body, reason):
    with caplog.at_level(logging.WARNING, logger="bindings.topic"):
        assert _deliver(writer, body) == "DROP"
    assert any(reason in getattr(r, "reason", "") for r in caplog.records), [r.__dict__ for r in caplog.records]
    assert _audit_rows(runtime) == 0


def test_a_dropped_event_is_not_marked_processed(writer, runtime):
    bad = fixture("audit-bad-payload.json")
    assert _deliver(writer, bad) == "DROP"
    with runtime.db.transaction() as tx:
        assert tx.one("SELECT count(*) AS n FROM inbox")["n"] == 0


def test_database_down_means_retry(writer, runtime):
    runtime.db.close()  # the pool refuses connections from now on: a transient failure
    assert _deliver(writer, fixture("audit-recorded.json")) == "RETRY"


def test_data_sent_as_a_json_string_is_accepted(writer, runtime):
    event = fixture("audit-recorded.json")
    event["data"] = json.dumps(event["data"])
    assert _deliver(writer, event) == "SUCCESS"
    assert _audit_rows(runtime) == 1


def _bulk(client, entries):
    resp = client.post("/events/audit-logs", json={"entries": entries, "topic": "audit-logs", "type": "bulk"})
    assert resp.status_code == 200
    return resp.get_json()["statuses"]


def _entry(entry_id, event):
    return {"entryId": entry_id, "event": event, "contentType": CE, "metadata": {}}


def test_a_bulk_delivery_answers_one_status_per_entry_and_commits_once(writer, runtime):
    good = fixture("audit-recorded.json")
    other = {**good, "id": "7b0f7b4e-8a3d-4a51-9a40-3c1a4c5e9d21"}
    bad = fixture("audit-bad-payload.json")
    entries = [_entry("a", good), _entry("b", good), _entry("c", bad), _entry("d", other), _entry("e", "junk")]
    assert _bulk(writer, entries) == [
        {"entryId": "a", "status": "SUCCESS"},
        {"entryId": "b", "status": "SUCCESS"},  # the same event twice in one batch: recorded once
        {"entryId": "c", "status": "DROP"},
        {"entryId": "d", "status": "SUCCESS"},
        {"entryId": "e", "status": "DROP"},
    ]
    assert _audit_rows(runtime) == 2
    assert _bulk(writer, [_entry("again", good)]) == [{"entryId": "again", "status": "SUCCESS"}]
    assert _audit_rows(runtime) == 2


def test_a_bulk_delivery_with_the_database_down_retries_every_entry(writer, runtime):
    runtime.db.close()
    good = fixture("audit-recorded.json")
    statuses = _bulk(writer, [_entry("a", good), _entry("b", {**good, "id": "other"})])
    assert statuses == [{"entryId": "a", "status": "RETRY"}, {"entryId": "b", "status": "RETRY"}]


def test_a_bulk_subscriber_still_takes_single_events(writer, runtime):
    assert _deliver(writer, fixture("audit-recorded.json")) == "SUCCESS"
    assert _audit_rows(runtime) == 1


def test_a_full_bulk_delivery_is_not_refused_for_its_size(writer, runtime):
    """100 events of ~1 KiB: far over a user body's 64 KiB, as daprd's bulk deliveries are."""
    good = fixture("audit-recorded.json")
    entries = []
    for i in range(100):
        event = json.loads(json.dumps(good))
        event["id"] = f"00000000-0000-4000-8000-{i:012d}"
        event["data"]["details"] = {"note": "x" * 1000}
        entries.append(_entry(str(i), event))
    assert len(json.dumps({"entries": entries})) > 64 * 1024
    statuses = _bulk(writer, entries)
    assert {s["status"] for s in statuses} == {"SUCCESS"} and len(statuses) == 100
    assert _audit_rows(runtime) == 100
