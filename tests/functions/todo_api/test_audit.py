"""audit-writer (once per event id) and GET /api/audit (the caller's own trail, newest first)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from functions.audit_writer import write_audit
from functions.context import Context
from functions.domain.events import AUDIT_LOGS, AUDIT_TYPE, AuditRecordData
from functions.todo_api.audit import AuditQuery, list_audit
from tests.support.handlers import api, complete, count, create, ctx, outbox_rows, update


def record(user="alice", action="task.created", minute=0, task_id=None):
    return AuditRecordData(
        user_id=user,
        actor=user,
        actor_type="user",
        action=action,
        task_id=task_id,
        at=datetime(2026, 3, 1, 9, minute, tzinfo=UTC),
        after={"title": "Buy milk"},
    )


def write(runtime, data, event_id):
    context = Context(function="audit-writer", event_id=event_id, event_type=AUDIT_TYPE)
    return write_audit(data, runtime.deps["audit-writer"], context)


def deliver_audit_events(runtime):
    """What the broker would deliver to audit-writer: every audit-logs row of the outbox."""
    for row in outbox_rows(runtime):
        if row["topic"] == AUDIT_LOGS:
            write(runtime, AuditRecordData.model_validate(row["event"]["data"]), row["event"]["id"])


def trail(runtime, user="alice", **query):
    return list_audit(AuditQuery(**query), api(runtime), ctx(user)).items


def test_same_event_id_is_recorded_once(runtime):
    event_id = str(uuid4())
    first = write(runtime, record(), event_id)
    second = write(runtime, record(), event_id)
    assert (first.id, first.new) == (UUID(event_id), True)
    assert (second.id, second.new) == (UUID(event_id), False)
    assert count(runtime, "audit_log") == 1


def test_a_foreign_event_id_maps_to_a_stable_uuid(runtime):
    first = write(runtime, record(), "kafka-offset-42")
    again = write(runtime, record(), "kafka-offset-42")
    other = write(runtime, record(), "kafka-offset-43")
    assert first.id == again.id != other.id
    assert (first.new, again.new, other.new) == (True, False, True)


def test_the_stored_record_is_what_was_sent(runtime):
    task_id = uuid4()
    write(runtime, record(task_id=task_id, action="task.updated"), str(uuid4()))
    [entry] = trail(runtime)
    assert (entry.actor, entry.actor_type, entry.action, entry.task_id) == ("alice", "user", "task.updated", task_id)
    assert entry.at == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert (entry.before, entry.after, entry.details) == ({}, {"title": "Buy milk"}, {})


def test_trail_of_real_changes_is_newest_first(runtime):
    task = create(runtime)
    update(runtime, task.id, title="Buy oat milk")
    complete(runtime, task.id)
    deliver_audit_events(runtime)
    deliver_audit_events(runtime)  # a redelivery adds nothing
    entries = trail(runtime)
    assert [e.action for e in entries] == ["task.completed", "task.updated", "task.created"]
    assert entries[1].before == {"title": "Buy milk"} and entries[1].after == {"title": "Buy oat milk"}
    assert {str(e.id) for e in entries} == {str(r["id"]) for r in outbox_rows(runtime) if r["topic"] == AUDIT_LOGS}


def test_trail_filtered_by_task(runtime):
    milk = create(runtime)
    taxes = create(runtime, title="File taxes")
    complete(runtime, taxes.id)
    deliver_audit_events(runtime)
    assert [e.action for e in trail(runtime, task_id=taxes.id)] == ["task.completed", "task.created"]
    assert [e.task_id for e in trail(runtime, task_id=milk.id)] == [milk.id]


def test_trail_is_the_callers_own(runtime):
    create(runtime)
    bobs = create(runtime, user="bob", title="Bob's")
    deliver_audit_events(runtime)
    assert [e.task_id for e in trail(runtime, user="bob")] == [bobs.id]
    assert trail(runtime, user="bob", task_id=trail(runtime)[0].task_id) == []
    assert trail(runtime, user="carol") == []


def test_trail_limit_and_order_by_time(runtime):
    for minute in (5, 1, 9, 3):
        write(runtime, record(minute=minute, action=f"at.{minute}"), str(uuid4()))
    assert [e.action for e in trail(runtime)] == ["at.9", "at.5", "at.3", "at.1"]
    assert [e.action for e in trail(runtime, limit=2)] == ["at.9", "at.5"]
