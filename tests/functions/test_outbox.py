"""The transactional outbox: one event and one audit record per change, the fast path, and outbox-relay."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from bindings.wiring import make_deps
from functions.context import Context
from functions.domain.events import AUDIT_LOGS, AUDIT_TYPE, TASK_EVENTS, AuditRecordData, Event, task_type
from functions.errors import Invalid
from functions.outbox_relay import RelayRun, relay_outbox
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
    with_settings,
)


class BrokerDown:
    """A fake external broker that refuses every publish."""

    def __init__(self):
        self.calls = 0

    def publish(self, topic, events):
        self.calls += 1
        raise ConnectionError("broker unreachable")


def failing_api(runtime, publisher):
    deps = api(runtime)
    return make_deps("todo-api", deps.db, publisher, deps.state, deps.secrets, deps.invoker, deps.settings)


def relay(runtime, **settings):
    deps = with_settings(runtime.deps["outbox-relay"], outbox_grace_seconds=0, **settings)
    return relay_outbox(RelayRun(), deps, Context(function="outbox-relay"))


def published_ids(runtime):
    return [r["event"]["id"] for r in query(runtime, "select event from pubsub_messages order by id")]


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
    assert broker.calls == 2  # one bulk publish per topic
    assert [r["published_at"] for r in outbox_rows(runtime)] == [None, None]
    assert count(runtime, "tasks", "id = %s", (task.id,)) == 1
    assert count(runtime, "pubsub_messages") == 0


def test_relay_publishes_the_leftovers_once(runtime):
    deps = failing_api(runtime, BrokerDown())
    create(runtime, deps=deps)
    create(runtime, deps=deps, title="second")
    first = relay(runtime)
    assert (first.published, first.failed, first.batches) == (4, 0, 1)
    assert all(r["published_at"] is not None for r in outbox_rows(runtime))
    assert sorted(published_ids(runtime)) == sorted(str(r["id"]) for r in outbox_rows(runtime))
    second = relay(runtime)
    assert (second.published, second.failed, second.batches) == (0, 0, 0)
    assert count(runtime, "pubsub_messages") == 4


def test_relay_leaves_young_rows_to_the_fast_path(runtime):
    create(runtime, deps=failing_api(runtime, BrokerDown()))
    deps = with_settings(runtime.deps["outbox-relay"], outbox_grace_seconds=3600)
    assert relay_outbox(RelayRun(), deps, Context(function="outbox-relay")).published == 0
    assert count(runtime, "outbox", "published_at is null") == 2


def test_relay_with_the_broker_down_counts_an_attempt_and_stops(runtime):
    broker = BrokerDown()
    create(runtime, deps=failing_api(runtime, broker))
    deps = with_settings(failing_api(runtime, broker), outbox_grace_seconds=0)
    result = relay_outbox(RelayRun(), deps, Context(function="outbox-relay"))
    assert (result.published, result.failed, result.batches) == (0, 2, 1)
    assert [r["attempts"] for r in query(runtime, "select attempts from outbox")] == [1, 1]
    assert relay(runtime).published == 2


def test_relay_works_in_batches(runtime):
    deps = failing_api(runtime, BrokerDown())
    for i in range(3):
        create(runtime, deps=deps, title=f"task {i}")
    result = relay(runtime, outbox_relay_batch=4)
    assert (result.published, result.batches) == (6, 2)


def test_concurrent_relays_publish_each_row_once(runtime):
    deps = failing_api(runtime, BrokerDown())
    for i in range(10):
        create(runtime, deps=deps, title=f"task {i}")
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            start.wait()
            results.append(relay(runtime, outbox_relay_batch=3))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.published for r in results) == 20
    ids = published_ids(runtime)
    assert len(ids) == len(set(ids)) == 20
    assert count(runtime, "outbox", "published_at is null") == 0
