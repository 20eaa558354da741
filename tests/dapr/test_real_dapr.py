"""Real daprd + Kafka + PostgreSQL: the functions under gunicorn, each beside its own daprd (tests/dapr/harness.py)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import jwt
import pytest

from bindings.sidecar import Sidecar, SidecarPublisher, SidecarSecrets, SidecarState
from bindings.table import FUNCTIONS
from bindings.triggers import Cron
from functions.errors import Conflict
from tests.dapr.harness import RealDapr, eventually

pytestmark = pytest.mark.dapr
EVENTS = Path(__file__).resolve().parents[1] / "events"


def _create_task(real_dapr: RealDapr, title: str, user: str = "alice") -> dict:
    resp = real_dapr.api("POST", "api/tasks", {"title": title}, user=user)
    assert resp.status == 201, resp.data
    return json.loads(resp.data)


def _outbox_id(real_dapr: RealDapr, topic: str, task_id: str) -> str:
    rows = real_dapr.rows("SELECT id::text FROM outbox WHERE topic = %s AND key = %s", (topic, task_id))
    assert len(rows) == 1, rows
    return rows[0][0]


def test_created_task_travels_kafka_to_audit_writer_under_our_event_id(real_dapr: RealDapr):
    real_dapr.pairs("audit-writer")
    task = _create_task(real_dapr, "Through real Dapr")

    audit_id = _outbox_id(real_dapr, "audit-logs", task["id"])
    stored = real_dapr.rows_eventually(
        "SELECT id::text, action, task_id::text FROM audit_log WHERE id = %s", (audit_id,)
    )
    assert stored == [(audit_id, "task.created", task["id"])]

    created_id = _outbox_id(real_dapr, "task-events", task["id"])
    on_kafka = eventually(
        lambda: [m for m in real_dapr.kafka_messages("task-events", 50, timeout_s=10) if m.get("id") == created_id],
        what="task.created on the task-events topic",
    )
    event = on_kafka[0]
    # Published as application/cloudevents+json: Dapr kept our envelope, no second envelope around it.
    assert event["type"] == "com.todo.task.created.v1"
    assert event["source"] == "todo-api"
    assert "specversion" not in event["data"]
    assert event["data"]["task_id"] == task["id"] and event["data"]["action"] == "created"


def test_jwt_key_comes_from_the_local_file_secret_store(real_dapr: RealDapr):
    sidecar = real_dapr.sidecar("todo-api")
    served = SidecarSecrets(sidecar, "local-secret-store").get("jwt-secret")
    on_disk = json.loads((real_dapr.stack.data_dir / "secrets.json").read_text())["jwt-secret"]
    assert served == on_disk
    # Least privilege through the real sidecar: todo-api's Configuration scopes the store to its declared
    # secrets, so daprd refuses another function's secret and an unknown name alike (403).
    for name in ("sendgrid-secret", "database-secret-of-someone-else", "no-such-secret"):
        assert sidecar.call("GET", f"/v1.0/secrets/local-secret-store/{name}").status == 403, name
    assert "jwt-secret" in FUNCTIONS["todo-api"].secrets and "sendgrid-secret" not in FUNCTIONS["todo-api"].secrets

    forged = "Bearer " + jwt.encode({"sub": "mallory"}, "not-the-key-" * 4, algorithm="HS256")
    resp = sidecar.call("GET", "/v1.0/invoke/todo-api/method/api/tasks", headers={"Authorization": forged})
    assert resp.status == 401
    # daprd does not retry a refusal: todo-api has no retry policy, and elsewhere appRetry's `matching` spares it.
    log = real_dapr.stack.daprd_log(real_dapr.pairs("todo-api")[0]).read_text()
    assert "todo-api:api/tasks]. Retrying" not in log
    assert _create_task(real_dapr, "signed with the served key")["title"] == "signed with the served key"


def test_state_store_through_postgresql_etags_first_write_and_ttl(real_dapr: RealDapr):
    state = SidecarState(real_dapr.sidecar("todo-api"), "postgres-statestore")
    key = f"probe-{uuid.uuid4().hex[:8]}"
    assert state.get(key) is None

    state.save(key, {"n": 1}, first_write=True)
    first = state.get(key)
    assert first is not None and first.value == {"n": 1} and first.etag
    with pytest.raises(Conflict):
        state.save(key, {"n": 99}, first_write=True)  # the key exists: first-write refuses
    state.save(key, {"n": 2}, etag=first.etag)
    with pytest.raises(Conflict):
        state.save(key, {"n": 3}, etag=first.etag)  # stale etag
    second = state.get(key)
    assert second is not None and second.value == {"n": 2} and second.etag != first.etag
    with pytest.raises(Conflict):
        state.delete(key, etag=first.etag)
    state.delete(key, etag=second.etag)
    assert state.get(key) is None

    # keyPrefix "name": keys are <store name>||<key>, one key space for every function scoped to the
    # store, in the same `state` table the embedded runtime uses (migration 0004).
    state.save(key, "short-lived", ttl=1)
    stored = real_dapr.rows("SELECT count(*) FROM state WHERE key = %s", (f"postgres-statestore||{key}",))
    assert stored == [(1,)]
    eventually(lambda: state.get(key) is None, timeout_s=15, what="a 1 s TTL expiring")


def test_calls_without_the_tokens_are_refused(real_dapr: RealDapr):
    pair = real_dapr.pairs("todo-api")[0]
    app_token = real_dapr.tokens["APP_API_TOKEN"]
    assert real_dapr.app_call("todo-api", "GET", "/api/tasks").status == 401
    assert real_dapr.app_call("todo-api", "GET", "/api/tasks", {"dapr-api-token": "wrong"}).status == 401
    with_token = real_dapr.app_call(
        "todo-api", "GET", "/api/tasks", {"dapr-api-token": app_token, "Authorization": real_dapr.bearer()}
    )
    assert with_token.status == 200
    # And daprd's own API wants DAPR_API_TOKEN.
    anonymous = Sidecar(pair.http_url, None)
    assert anonymous.call("GET", "/v1.0/state/postgres-statestore/anything").status == 401


def test_poison_message_ends_in_the_dead_letter_topic_and_later_messages_flow(real_dapr: RealDapr):
    real_dapr.pairs("audit-writer")
    poison = json.loads((EVENTS / "audit-bad-payload.json").read_text())
    poison["id"] = str(uuid.uuid4())
    assert real_dapr.publish("todo-api", "audit-logs", poison) == 204

    good = json.loads((EVENTS / "audit-recorded.json").read_text())
    good["id"] = str(uuid.uuid4())
    assert real_dapr.publish("todo-api", "audit-logs", good) == 204

    real_dapr.rows_eventually("SELECT 1 FROM audit_log WHERE id = %s", (good["id"],))  # published after the poison
    dead = eventually(
        lambda: [
            m for m in real_dapr.kafka_messages("audit-logs-dlq", 20, timeout_s=10) if m.get("id") == poison["id"]
        ],
        what="the poison message on audit-logs-dlq",
    )
    assert dead[0]["data"] == poison["data"]
    assert real_dapr.rows("SELECT count(*) FROM audit_log WHERE id = %s", (poison["id"],)) == [(0,)]


def test_outbox_relay_cron_binding_fires(real_dapr: RealDapr):
    real_dapr.pairs("outbox-relay")
    # Two ticks of outbox-relay-cron (@every 5s), each claimed once by the app.
    ticks = real_dapr.rows_eventually("SELECT tick FROM cron_ticks WHERE function = 'outbox-relay'", count=2)
    assert len({t for (t,) in ticks}) == len(ticks)


def test_every_function_is_accepted_by_its_daprd(real_dapr: RealDapr):
    """Subscriptions and bindings registered, and no error or 'not subscribed' line in any daprd log."""
    for name in FUNCTIONS:
        # No SendGrid here: send-reminder writes files by explicit choice (without it, it would not be ready).
        real_dapr.pairs(name, env={"MAIL_SINK": "files"} if name == "send-reminder" else None)
    for name, fn in FUNCTIONS.items():
        meta = json.loads(real_dapr.sidecar(name).call("GET", "/v1.0/metadata").data)
        assert meta["id"] == name
        subs = {(s["pubsubname"], s["topic"]): s for s in meta.get("subscriptions", [])}
        declared = {(s["pubsubname"], s["topic"]): s for s in fn.trigger.subscriptions()}
        assert set(subs) == set(declared), name
        for key, sub in subs.items():
            assert sub.get("deadLetterTopic", "") == declared[key].get("deadLetterTopic", ""), (name, key)
        if isinstance(fn.trigger, Cron):
            assert fn.trigger.binding in {c["name"] for c in meta["components"]}
    time.sleep(6)  # past one cron tick and a health probe round
    assert real_dapr.log_problems() == {}
    for name in FUNCTIONS:
        log = real_dapr.stack.daprd_log(real_dapr.pairs(name)[0]).read_text()
        assert "Loading Resiliency configuration: todo-resiliency" in log
    # Tracing (samplingRate 1) reached the Zipkin endpoint of dapr/config.yaml.
    spans = [json.loads(line) for line in real_dapr.stack.spans_file().read_text().splitlines()]
    assert {s["localEndpoint"]["serviceName"] for s in spans} >= {"todo-api", "outbox-relay"}


def test_bulk_publish_keeps_every_event_id(real_dapr: RealDapr):
    """The outbox's batch path: /v1.0-alpha1/publish/bulk with application/cloudevents+json entries."""
    real_dapr.pairs("audit-writer")
    template = json.loads((EVENTS / "audit-recorded.json").read_text())
    events = [{**template, "id": str(uuid.uuid4())} for _ in range(3)]
    assert SidecarPublisher(real_dapr.sidecar("todo-api"), "kafka-pubsub").publish("audit-logs", events) == []
    ids = [e["id"] for e in events]
    stored = real_dapr.rows_eventually("SELECT id::text FROM audit_log WHERE id::text = ANY(%s)", (ids,), count=3)
    assert sorted(r[0] for r in stored) == sorted(ids)


def test_users_refused_many_times_in_a_row_do_not_break_the_route_for_others(real_dapr: RealDapr):
    """daprd's circuit breakers count 4xx answers as failures: todo-api and conversations have none, so a run of
    404s and 401s (a scanner, a buggy client) cannot make daprd refuse everyone's calls to that route."""
    user = f"scanner-{uuid.uuid4().hex[:8]}"
    task = _create_task(real_dapr, "still reachable", user=user)
    for _ in range(10):
        assert real_dapr.api("GET", f"api/tasks/{uuid.uuid4()}", user=user).status == 404
        assert real_dapr.api("GET", f"api/tasks/{task['id']}", user=None).status == 401
    assert real_dapr.api("GET", f"api/tasks/{task['id']}", user=user).status == 200
