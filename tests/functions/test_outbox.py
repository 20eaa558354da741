"""The transactional outbox: one event and one audit record per change, and the fast path after commit.

outbox-relay, which publishes what the fast path did not: tests/functions/test_outbox_relay.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.domain.events import AUDIT_LOGS, AUDIT_TYPE, TASK_EVENTS, AuditRecordData, Event, task_type
from functions.errors import Invalid
from tests.support.handlers import (
    DUE,
    api,
    complete,
    count,
    create,
    delete,
    outbox_rows,
    query,
    reopen,
    topic_counts,
    update,
)
from tests.support.outbox import BrokerDown, failing_api

CHANGES = [
    ("created", None),
    ("updated", lambda rt, task_id: update(rt, task_id, title="Buy oat milk")),
    ("completed", complete),
    ("reopened", reopen),
    ("deleted", delete),
]


def test_every_change_writes_one_task_event_and_one_audit_record(runtime):
    task = create(runtime, due_at=DUE)
    seen = 0
    for action, change in CHANGES:
        if change is not None:
            change(runtime, task.id)
        rows = outbox_rows(runtime)[seen:]
        seen += len(rows)
        assert sorted((r["topic"], r["event"]["type"]) for r in rows) == [
            (AUDIT_LOGS, AUDIT_TYPE),
            (TASK_EVENTS, task_type(action)),
        ], action
        for row in rows:
            assert row["key"] == str(task.id)
            assert row["event"]["id"] == str(row["id"])
            assert row["event"]["partitionkey"] == str(task.id)
            assert row["event"]["source"] == "todo-api"
        data = {r["topic"]: r["event"]["data"] for r in rows}
        assert data[TASK_EVENTS]["action"] == action
        assert data[AUDIT_LOGS]["action"] == f"task.{action}"
    assert topic_counts(runtime) == {TASK_EVENTS: 5, AUDIT_LOGS: 5}


def test_update_event_names_the_changed_fields_and_audit_holds_the_diff(runtime):
    task = create(runtime, due_at=DUE, priority="low")
    update(runtime, task.id, title="Buy oat milk", priority="high")
    data = {r["topic"]: r["event"]["data"] for r in outbox_rows(runtime)[2:]}
    event, audit = data[TASK_EVENTS], data[AUDIT_LOGS]
    assert event["changed"] == ["priority", "title"]
    assert event["task"]["title"] == "Buy oat milk"
    assert audit["before"] == {"title": "Buy milk", "priority": "low"}
    assert audit["after"] == {"title": "Buy oat milk", "priority": "high"}


def test_a_failing_change_writes_no_outbox_row(runtime):
    task = create(runtime, due_at=DUE)
    with pytest.raises(Invalid):
        update(runtime, task.id, title="changed", recurrence="FREQ=MINUTELY")
    assert topic_counts(runtime) == {TASK_EVENTS: 1, AUDIT_LOGS: 1}


def test_events_of_a_rolled_back_inner_transaction_are_not_published(runtime):
    data = AuditRecordData(user_id="alice", actor="alice", actor_type="user", action="x", at=datetime.now(UTC))
    event = Event(topic=AUDIT_LOGS, type=AUDIT_TYPE, key="k", data=data)
    with runtime.db.transaction(), pytest.raises(RuntimeError), runtime.db.transaction() as inner:
        api(runtime).outbox.emit(inner, [event])
        raise RuntimeError("the inner change fails; the caller carries on")
    assert count(runtime, "outbox") == 0
    assert count(runtime, "pubsub_messages") == 0


def test_fast_path_publishes_after_commit(runtime):
    task = create(runtime)
    assert api(runtime).outbox.flush()  # marks are batched off the request path (functions/outbox_marks.py)
    rows = outbox_rows(runtime)
    assert len(rows) == 2
    assert all(r["published_at"] is not None for r in rows)
    messages = query(runtime, "select topic, key, event from pubsub_messages order by id")
    assert sorted((m["topic"], m["key"], m["event"]["id"]) for m in messages) == sorted(
        (r["topic"], str(task.id), str(r["id"])) for r in rows
    )
    assert {m["event"]["id"]: m["event"] for m in messages} == {str(r["id"]): r["event"] for r in rows}


def test_when_the_broker_is_down_the_change_commits_and_rows_wait(runtime):
    broker = BrokerDown()
    task = create(runtime, deps=failing_api(runtime, broker))
    assert broker.calls == 1  # the first topic's publish fails: the second would wait for the same broker
    assert [r["published_at"] for r in outbox_rows(runtime)] == [None, None]
    assert count(runtime, "tasks", "id = %s", (task.id,)) == 1
    assert count(runtime, "pubsub_messages") == 0
