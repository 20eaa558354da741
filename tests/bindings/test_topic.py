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
        (b"{not json", "not JSON"),
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
