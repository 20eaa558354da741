"""Scenarios on real daprd + Kafka + PostgreSQL: reminders, recurrence, cache and rate limit, dead letters."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.dapr.harness import RealDapr, eventually
from tests.support import sendgrid_sink
from tests.support.processes import processes

pytestmark = pytest.mark.dapr
EVENTS = Path(__file__).resolve().parents[1] / "events"
SENDGRID = {"api-key": "SG.test-key", "from-email": "todo@example.com"}  # the sink wants a Bearer key
CRON_WAIT_S = 150.0  # reminder-checker-cron fires every minute: the next tick plus start-up and delivery


def _user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _json(resp) -> dict:
    return json.loads(resp.data)


def _handled(real_dapr: RealDapr, consumer: str, event_id: str) -> None:
    """Wait until `consumer` has processed the event (its inbox row commits with the handler's effects)."""
    real_dapr.rows_eventually(
        "SELECT 1 FROM inbox WHERE consumer = %s AND event_id = %s", (consumer, event_id), timeout_s=60
    )


def test_due_reminder_mailed_once_by_two_reminder_check_replicas(real_dapr: RealDapr):
    user = _user("rem")
    with (
        sendgrid_sink.running() as sink,
        real_dapr.configured("send-reminder", env={"SENDGRID_HOST": sink.url}, secrets={"sendgrid-secret": SENDGRID}),
        real_dapr.configured("reminder-check", replicas=2) as checkers,
    ):
        due = datetime.now(UTC) + timedelta(hours=1)
        body = {"title": "Call the dentist", "due_at": due.isoformat(), "reminders": [{"at": "2020-01-01T00:00:00Z"}]}
        resp = real_dapr.api("POST", "api/tasks", body, user=user, email=f"{user}@example.com")
        assert resp.status == 201, resp.data
        task = _json(resp)
        [(reminder_id,)] = real_dapr.rows("SELECT id::text FROM reminders WHERE task_id = %s", (task["id"],))

        sent = real_dapr.rows_eventually(
            "SELECT claimed_at, message_id FROM reminders WHERE id = %s AND state = 'sent'",
            (reminder_id,),
            timeout_s=CRON_WAIT_S,
        )
        assert sink.accepted()[reminder_id] == 1
        assert sent[0][1].startswith("sink-")  # the provider's message id, from the official client's answer
        [mail] = [b for b in sink.accepted_bodies() if b["headers"]["X-Todo-Reminder"] == reminder_id]
        assert mail["personalizations"][0]["to"][0]["email"] == f"{user}@example.com"
        assert mail["from"]["email"] == "todo@example.com"
        # Through Kafka: the reminders event was consumed by send-reminder under the outbox row's id.
        reminder_events = "SELECT id::text FROM outbox WHERE topic = 'reminders' AND key = %s"
        [(event_id,)] = real_dapr.rows(reminder_events, (task["id"],))
        _handled(real_dapr, "send-reminder", event_id)

        # The tick that claimed it: one cron_ticks row, claimed by one replica; both replicas fired it.
        claimed_at = sent[0][0]
        [(tick, claimed_by)] = real_dapr.rows(
            "SELECT tick, claimed_by FROM cron_ticks WHERE function = 'reminder-check' AND tick <= %s"
            " ORDER BY tick DESC LIMIT 1",
            (claimed_at,),
        )
        assert claimed_at - tick < timedelta(seconds=60)
        seen = eventually(lambda: _tick_outcomes(real_dapr, checkers, tick), timeout_s=15, what="both replicas' logs")
        assert sorted(seen) == ["tick already claimed", "tick done"], seen
        assert claimed_by.rsplit(":", 1)[1] in {str(pid) for pid in _app_pids(real_dapr, checkers)}

        time.sleep(2)  # a duplicate send would come from a second delivery right after the first
        assert sink.accepted()[reminder_id] == 1
    assert real_dapr.log_problems(checkers) == {}


def _tick_outcomes(real_dapr: RealDapr, pairs, tick: datetime) -> list[str] | None:
    """What each replica logged for `tick`, once each has logged something."""
    outcomes = []
    for p in pairs:
        lines = [e["message"] for e in real_dapr.app_log(p) if e.get("tick") == tick.isoformat()]
        if not lines:
            return None
        outcomes += lines
    return outcomes


def _app_pids(real_dapr: RealDapr, pairs) -> list[int]:
    """The gunicorn worker pids of `pairs` (the master's children)."""
    pids = []
    for p in pairs:
        master = int((real_dapr.stack.pid_dir / f"{p.name}.app.pid").read_text().split()[0])
        pids += [proc.pid for proc in processes() if proc.ppid == master]
    return pids


def test_completing_a_recurring_task_spawns_exactly_one_successor(real_dapr: RealDapr):
    real_dapr.pairs("spawn-recurrence")
    user = _user("rec")
    due = (datetime.now(UTC) + timedelta(minutes=30)).replace(microsecond=0)
    body = {"title": "Water plants", "due_at": due.isoformat(), "recurrence": "daily"}
    resp = real_dapr.api("POST", "api/tasks", body, user=user)
    assert resp.status == 201, resp.data
    task = _json(resp)
    successors = (
        "SELECT id::text, due_at FROM tasks WHERE series_id = (SELECT series_id FROM tasks WHERE id = %s) AND id <> %s"
    )

    assert real_dapr.api("POST", f"api/tasks/{task['id']}/complete", user=user).status == 200
    [(next_id, next_due)] = real_dapr.rows_eventually(successors, (task["id"], task["id"]))
    assert next_due == due + timedelta(days=1)
    _handled(real_dapr, "spawn-recurrence", _completed_events(real_dapr, task["id"])[0])

    assert real_dapr.api("POST", f"api/tasks/{task['id']}/reopen", user=user).status == 200
    assert real_dapr.api("POST", f"api/tasks/{task['id']}/complete", user=user).status == 200
    first, second = _completed_events(real_dapr, task["id"])
    _handled(real_dapr, "spawn-recurrence", second)
    assert first != second
    deadline = time.monotonic() + 3  # and nothing else arrives a moment later (a redelivery, the sweep)
    while time.monotonic() < deadline:
        assert real_dapr.rows(successors, (task["id"], task["id"])) == [(next_id, next_due)]
        time.sleep(0.5)


def _completed_events(real_dapr: RealDapr, task_id: str) -> list[str]:
    rows = real_dapr.rows(
        "SELECT id::text FROM outbox WHERE topic = 'task-events' AND key = %s"
        " AND event->>'type' = 'com.todo.task.completed.v1' ORDER BY created_at",
        (task_id,),
    )
    return [r[0] for r in rows]


def _cache_hits(real_dapr: RealDapr) -> float:
    resp = real_dapr.invoke("todo-api", "todo-api", "GET", "metrics", user=None)
    assert resp.status == 200
    lines = [ln for ln in resp.data.decode().splitlines() if ln.startswith("todo_task_cache_total{")]
    return sum(float(ln.rsplit(" ", 1)[1]) for ln in lines if 'result="hit"' in ln)


def test_task_cache_lives_in_the_postgresql_state_store(real_dapr: RealDapr):
    user = _user("cache")
    resp = real_dapr.api("POST", "api/tasks", {"title": "Cached"}, user=user)
    assert resp.status == 201, resp.data
    task = _json(resp)
    key = f"postgres-statestore||task:{user}:{task['id']}"

    hits = _cache_hits(real_dapr)
    for _ in range(2):
        resp = real_dapr.api("GET", f"api/tasks/{task['id']}", user=user)
        assert resp.status == 200 and _json(resp)["title"] == "Cached"
    assert _cache_hits(real_dapr) == hits + 1  # the first GET filled, the second was served from the store
    [(entry,)] = real_dapr.rows("SELECT value FROM state WHERE key = %s", (key,))
    assert entry["user_id"] == user and entry["task"]["title"] == "Cached"

    assert real_dapr.api("PATCH", f"api/tasks/{task['id']}", {"title": "Renamed"}, user=user).status == 200
    assert real_dapr.rows("SELECT value FROM state WHERE key = %s", (key,)) == [({"tombstone": True},)]
    resp = real_dapr.api("GET", f"api/tasks/{task['id']}", user=user)
    assert resp.status == 200 and _json(resp)["title"] == "Renamed"


def test_rate_limit_counts_in_the_postgresql_state_store(real_dapr: RealDapr):
    user = _user("rl")
    # An hour's window, aligned to the epoch: the six requests fall in one window unless it is about to end.
    env = {"RATE_LIMIT_REQUESTS": "5", "RATE_LIMIT_WINDOW_SECONDS": "3600"}
    with real_dapr.configured("todo-api", env=env):
        first = real_dapr.api("GET", "api/tasks", user=user)
        if int(first.headers["RateLimit-Reset"]) < 30:
            time.sleep(int(first.headers["RateLimit-Reset"]) + 1)
            first = real_dapr.api("GET", "api/tasks", user=user)
        assert first.status == 200 and first.headers["RateLimit-Remaining"] == "4"
        statuses = [real_dapr.api("GET", "api/tasks", user=user).status for _ in range(4)]
        assert statuses == [200] * 4
        refused = real_dapr.api("GET", "api/tasks", user=user)
        assert refused.status == 429, refused.data
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.headers["RateLimit-Limit"] == "5" and refused.headers["RateLimit-Remaining"] == "0"
        assert refused.headers["RateLimit-Policy"] == "5;w=3600"
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        keys = f"postgres-statestore||ratelimit:{user}:%"
        slots = real_dapr.rows("SELECT key FROM state WHERE key LIKE %s", (keys,))
        assert sorted(key.rsplit(":", 1)[1] for (key,) in slots) == ["0", "1", "2", "3", "4"]  # one per admitted
        assert real_dapr.api("GET", "api/tasks", user=_user("other")).status == 200  # per user


def test_poison_message_is_recorded_by_dead_letters_and_replayed(real_dapr: RealDapr):
    real_dapr.pairs("audit-writer")
    real_dapr.pairs("dead-letters")
    poison = json.loads((EVENTS / "audit-bad-payload.json").read_text())
    poison["id"] = str(uuid.uuid4())
    good = json.loads((EVENTS / "audit-recorded.json").read_text())
    good["id"] = str(uuid.uuid4())
    assert real_dapr.publish("todo-api", "audit-logs", poison) == 204
    assert real_dapr.publish("todo-api", "audit-logs", good) == 204

    real_dapr.rows_eventually("SELECT 1 FROM audit_log WHERE id = %s", (good["id"],))
    [(letter_id, original, event)] = real_dapr.rows_eventually(
        "SELECT id::text, original_topic, event FROM dead_letters WHERE topic = 'audit-logs-dlq' AND event_id = %s",
        (poison["id"],),
        timeout_s=60,
    )
    assert original == "audit-logs" and event["data"] == poison["data"] and event["type"] == poison["type"]
    assert real_dapr.rows("SELECT count(*) FROM audit_log WHERE id = %s", (poison["id"],)) == [(0,)]

    # Replay through daprd (the dead-letters app's own sidecar: access control lets only todo-operator in).
    resp = real_dapr.invoke("dead-letters", "dead-letters", "POST", f"dead-letters/{letter_id}/replay", user=None)
    assert resp.status == 200, resp.data
    replayed = _json(resp)
    assert replayed["replays"] == 1 and replayed["replayed_at"]
    # Still poison: it fails again, is dead-lettered again, and the record is reopened with times = 2.
    again = real_dapr.rows_eventually(
        "SELECT replays FROM dead_letters WHERE id = %s AND times = 2 AND replayed_at IS NULL",
        (letter_id,),
        timeout_s=60,
    )
    assert again == [(1,)]
    listing = real_dapr.invoke("dead-letters", "dead-letters", "GET", "dead-letters?topic=audit-logs-dlq", user=None)
    listed = _json(listing)
    assert letter_id in {item["id"] for item in listed["items"]}
