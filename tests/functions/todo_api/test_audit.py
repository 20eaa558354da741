"""todo-api GET /api/audit: the caller's own trail of real changes, newest first, by task, limited."""

from __future__ import annotations

from uuid import uuid4

from functions.domain.events import AUDIT_LOGS
from tests.support.audit import deliver_audit_events, record, trail, write
from tests.support.handlers import complete, create, outbox_rows, update


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
