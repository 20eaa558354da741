"""daily-cleanup: each retention boundary (one second inside is kept, one second outside is purged), batches, audit."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bindings.wiring import settings_from_env
from functions.context import Context
from functions.daily_cleanup import CleanupRun, clean_up
from tests.support.handlers import create, query

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _deps(runtime, **settings):
    deps = runtime.deps["daily-cleanup"]
    return dataclasses.replace(deps, clock=lambda: NOW, settings=deps.settings.model_copy(update=settings))


def _run(runtime, **settings):
    return clean_up(CleanupRun(), _deps(runtime, **settings), Context(function="daily-cleanup")).deleted


def _exec(runtime, sql, params=()):
    with runtime.db.transaction() as tx:
        tx.execute(sql, params)


def _task(runtime, **columns) -> uuid.UUID:
    task = create(runtime)
    if columns:
        sets = ", ".join(f"{k} = %s" for k in columns)
        _exec(runtime, f"update tasks set {sets} where id = %s", (*columns.values(), task.id))
    return task.id


def _reminder(runtime, state, **columns):
    task_id = _task(runtime)
    rid = uuid.uuid4()
    _exec(
        runtime,
        "insert into reminders (id, task_id, user_id, at, remind_at, state, sent_at, updated_at)"
        " values (%s, %s, 'alice', %s, %s, %s, %s, %s)",
        (rid, task_id, NOW, NOW, state, columns.get("sent_at"), columns.get("updated_at", NOW)),
    )
    return rid


# kind -> (retention days, make a row aged `when`, the table and id column to look for it)
def _outbox(runtime, when):
    rid = uuid.uuid4()
    _exec(
        runtime,
        "insert into outbox (id, topic, key, event, created_at, published_at) values (%s, 't', 'k', '{}', %s, %s)",
        (rid, when, when),
    )
    return rid


def _inbox(runtime, when):
    eid = str(uuid.uuid4())
    _exec(runtime, "insert into inbox (consumer, event_id, received_at) values ('c', %s, %s)", (eid, when))
    return eid


def _tick(runtime, when):
    _exec(
        runtime,
        "insert into cron_ticks (function, tick, claimed_at, claimed_by) values ('f', %s, %s, 'h')",
        (when, when),
    )
    return when


def _audit(runtime, when):
    rid = uuid.uuid4()
    _exec(
        runtime,
        "insert into audit_log (id, user_id, actor, actor_type, action, at)"
        " values (%s, 'alice', 'alice', 'user', 'x', %s)",
        (rid, when),
    )
    return rid


def _state(runtime, when):
    key = f"k-{uuid.uuid4()}"
    _exec(runtime, "insert into state (key, value, isbinary, expiredate) values (%s, '1', false, %s)", (key, when))
    return key


def _message(runtime, when):
    row = query(
        runtime,
        "insert into pubsub_messages (topic, event, published_at) values ('t', %s, %s) returning id",
        (json.dumps({"id": "x"}), when),
    )
    return row[0]["id"]


CASES = {
    "deleted_tasks": (30, lambda rt, when: _task(rt, deleted_at=when), "tasks", "id"),
    "published_outbox": (7, _outbox, "outbox", "id"),
    "inbox": (14, _inbox, "inbox", "event_id"),
    "cron_ticks": (14, _tick, "cron_ticks", "tick"),
    "sent_reminders": (90, lambda rt, when: _reminder(rt, "sent", sent_at=when), "reminders", "id"),
    "cancelled_reminders": (90, lambda rt, when: _reminder(rt, "cancelled", updated_at=when), "reminders", "id"),
    "audit": (365, _audit, "audit_log", "id"),
    "pubsub_messages": (7, _message, "pubsub_messages", "id"),
}


def _exists(runtime, table, column, value) -> bool:
    return bool(query(runtime, f"select 1 from {table} where {column} = %s", (value,)))


@pytest.mark.parametrize("kind", sorted(CASES))
def test_retention_boundary(runtime, kind):
    days, make, table, column = CASES[kind]
    cutoff = NOW - timedelta(days=days)
    inside = make(runtime, cutoff + SECOND)
    outside = make(runtime, cutoff - SECOND)
    deleted = _run(runtime)
    assert deleted[kind] == 1
    assert _exists(runtime, table, column, inside)
    assert not _exists(runtime, table, column, outside)


def test_expired_state_rows_go_and_live_ones_stay(runtime):
    expired, live, forever = _state(runtime, NOW - SECOND), _state(runtime, NOW + SECOND), _state(runtime, None)
    assert _run(runtime)["expired_state"] == 1
    assert [_exists(runtime, "state", "key", k) for k in (expired, live, forever)] == [False, True, True]


def test_a_message_still_being_delivered_is_kept_however_old(runtime):
    old = NOW - timedelta(days=30)
    message = _message(runtime, old)
    _exec(runtime, "insert into pubsub_deliveries (message_id, app_id, route) values (%s, 'a', '/r')", (message,))
    assert _run(runtime)["pubsub_messages"] == 0


def test_a_purged_task_takes_its_reminders_and_its_ended_series(runtime):
    task = create(runtime, due_at=NOW, recurrence="daily", reminders=[{"before": "PT5M"}])
    old = NOW - timedelta(days=31)
    _exec(runtime, "update tasks set deleted_at = %s where id = %s", (old, task.id))
    _exec(runtime, "update series set ended_at = %s where id = %s", (old, task.series_id))
    deleted = _run(runtime)
    assert (deleted["deleted_tasks"], deleted["empty_series"]) == (1, 1)
    assert query(runtime, "select count(*) as n from reminders")[0]["n"] == 0


def test_retention_is_overridable_from_the_environment(monkeypatch, runtime):
    monkeypatch.setenv("RETENTION_INBOX_DAYS", "3")
    monkeypatch.setenv("RETENTION_AUDIT_DAYS", "30")
    retention = settings_from_env().retention
    assert (retention.inbox, retention.audit, retention.deleted_tasks) == (3, 30, 30)
    kept, purged = _inbox(runtime, NOW - timedelta(days=3) + SECOND), _inbox(runtime, NOW - timedelta(days=3) - SECOND)
    assert _run(runtime, retention=retention)["inbox"] == 1
    assert _exists(runtime, "inbox", "event_id", kept) and not _exists(runtime, "inbox", "event_id", purged)


def test_a_bad_override_names_the_setting(monkeypatch):
    monkeypatch.setenv("RETENTION_AUDIT_DAYS", "0")
    with pytest.raises(ValueError, match="audit"):
        settings_from_env()


def test_batches_are_bounded_and_the_next_run_goes_on(runtime):
    old = NOW - timedelta(days=20)
    for _ in range(5):
        _inbox(runtime, old)
    deps = _deps(runtime, cleanup_batch=2)
    first = clean_up(CleanupRun(max_batches=2), deps, Context(function="daily-cleanup"))
    assert (first.deleted["inbox"], first.complete) == (4, False)
    second = clean_up(CleanupRun(max_batches=2), deps, Context(function="daily-cleanup"))
    assert (second.deleted["inbox"], second.complete) == (1, True)


def test_a_run_returns_every_count_and_is_audited(runtime):
    _audit(runtime, NOW - timedelta(days=400))
    resp = runtime.apps["daily-cleanup"].test_client().post("/run", json={})
    assert resp.status_code == 200
    counts = resp.get_json()["deleted"]
    assert set(counts) == {*CASES, "expired_state", "empty_series"}
    [event] = query(runtime, "select event from outbox where event->'data'->>'action' = 'cleanup.ran'")
    data = event["event"]["data"]
    assert (data["actor"], data["actor_type"], data["user_id"]) == ("daily-cleanup", "function", "@system")
    assert data["details"]["deleted"] == counts and data["details"]["retention_days"]["audit"] == 365
