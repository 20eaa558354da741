"""audit-writer (topic audit-logs): one append-only record per event id, stored as it was sent."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from tests.support.audit import record, trail, write
from tests.support.handlers import count


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
