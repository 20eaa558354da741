"""The embedded pub/sub reads replies as daprd does, retries within the policy, and dead-letters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bindings.embedded.broker import Deliverer, read_reply
from bindings.embedded.resiliency import RetryPolicy

EVENT = json.loads((Path(__file__).resolve().parents[1] / "events" / "audit-recorded.json").read_text())


def _rows(runtime, sql: str) -> list[dict]:
    with runtime.db.transaction() as tx:
        return tx.all(sql)


def _drain(deliverer: Deliverer, rounds: int = 10) -> None:
    for _ in range(rounds):
        deliverer.deliver_due()


@pytest.fixture
def deliverer(runtime):
    return Deliverer(runtime.broker, runtime.apps, RetryPolicy(max_retries=2, delay=0))


@pytest.mark.parametrize(
    ("status", "body", "verdict"),
    [
        (200, b"", "SUCCESS"),
        (200, b'{"status":"SUCCESS"}', "SUCCESS"),
        (204, b"", "SUCCESS"),
        (200, b"{}", "SUCCESS"),
        (200, b'{"status":"success"}', "RETRY"),  # case-sensitive, as in daprd
        (200, b'{"status":"RETRY"}', "RETRY"),
        (200, b'{"status":"DROP"}', "DROP"),
        (404, b"", "DROP"),
        (500, b"", "RETRY"),
        (429, b"", "RETRY"),
    ],
)
def test_replies_are_read_like_daprd(status, body, verdict):
    assert read_reply(status, body)[0] == verdict


def test_published_event_reaches_its_subscriber(runtime, deliverer):
    runtime.broker.publish("audit-logs", [EVENT])
    _drain(deliverer)
    assert [r["id"] for r in _rows(runtime, "SELECT id::text FROM audit_log")] == [EVENT["id"]]
    assert _rows(runtime, "SELECT * FROM pubsub_deliveries") == []


def test_poison_message_is_dead_lettered_and_later_messages_flow(runtime, deliverer):
    poison = {**EVENT, "id": "poison-1", "data": {"actor_type": "robot"}}
    runtime.broker.publish("audit-logs", [poison, EVENT])
    _drain(deliverer)
    dlq = _rows(runtime, "SELECT event->>'id' AS id FROM pubsub_messages WHERE topic = 'audit-logs-dlq'")
    assert dlq == [{"id": "poison-1"}]
    assert len(_rows(runtime, "SELECT id FROM audit_log")) == 1


def test_transient_failures_are_retried_then_succeed(runtime, deliverer):
    with runtime.db.transaction() as tx:
        tx.execute("ALTER TABLE audit_log RENAME TO audit_log_away")
    runtime.broker.publish("audit-logs", [EVENT])
    deliverer.deliver_due()
    [pending] = _rows(runtime, "SELECT attempts, last_error FROM pubsub_deliveries")
    assert pending["attempts"] == 1 and "RETRY" in pending["last_error"]
    with runtime.db.transaction() as tx:
        tx.execute("ALTER TABLE audit_log_away RENAME TO audit_log")
    _drain(deliverer)
    assert len(_rows(runtime, "SELECT id FROM audit_log")) == 1
    assert _rows(runtime, "SELECT topic FROM pubsub_messages WHERE topic LIKE '%-dlq'") == []


def test_retries_are_bounded_then_dead_lettered(runtime, deliverer):
    with runtime.db.transaction() as tx:
        tx.execute("ALTER TABLE audit_log RENAME TO audit_log_away")
    runtime.broker.publish("audit-logs", [EVENT])
    _drain(deliverer)
    assert _rows(runtime, "SELECT * FROM pubsub_deliveries") == []
    dlq = _rows(runtime, "SELECT event->>'id' AS id FROM pubsub_messages WHERE topic = 'audit-logs-dlq'")
    assert dlq == [{"id": EVENT["id"]}]


def test_api_change_travels_to_the_audit_trail(runtime, deliverer, api, token):
    task = api.post("/api/tasks", json={"title": "Buy milk"}, headers={"Authorization": token()}).get_json()
    api.patch(f"/api/tasks/{task['id']}", json={"title": "Buy oat milk"}, headers={"Authorization": token()})
    _drain(deliverer)
    trail = api.get(f"/api/audit?task_id={task['id']}", headers={"Authorization": token()}).get_json()["items"]
    assert [e["action"] for e in trail] == ["task.updated", "task.created"]
    assert trail[0]["before"] == {"title": "Buy milk"} and trail[0]["after"] == {"title": "Buy oat milk"}
    assert api.get("/api/audit", headers={"Authorization": token("bob")}).get_json()["items"] == []
