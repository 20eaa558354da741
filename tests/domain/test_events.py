"""functions.domain.events: the CloudEvents 1.0 envelope and the catalogue of event types."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

from pydantic import BaseModel

from functions.domain.events import (
    AUDIT_LOGS,
    AUDIT_TYPE,
    EVENT_CATALOGUE,
    REMINDER_DUE_TYPE,
    REMINDERS,
    TASK_EVENTS,
    AuditRecordData,
    Event,
    ReminderDueData,
    TaskEventData,
    cloudevent,
    task_type,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ACTIONS = ("created", "updated", "completed", "reopened", "deleted")


def task_event(subject=None):
    task_id = uuid4()
    data = TaskEventData(task_id=task_id, user_id="alice", actor="alice", action="created", task={"title": "x"})
    return Event(topic=TASK_EVENTS, type=task_type("created"), key=str(task_id), subject=subject, data=data)


def test_cloudevent_shape():
    event = task_event(subject="s-1")
    event_id = uuid4()
    envelope = cloudevent(event, event_id=event_id, source="todo-api", time=NOW)
    assert envelope["specversion"] == "1.0"
    assert envelope["id"] == str(event_id)
    assert envelope["type"] == "com.todo.task.created.v1"
    assert envelope["source"] == "todo-api"
    assert envelope["time"] == NOW.isoformat()
    assert envelope["datacontenttype"] == "application/json"
    assert envelope["partitionkey"] == event.key
    assert envelope["subject"] == "s-1"
    assert envelope["data"]["task_id"] == event.key
    assert json.loads(json.dumps(envelope)) == envelope


def test_cloudevent_without_subject_has_no_subject_attribute():
    envelope = cloudevent(task_event(), event_id=uuid4(), source="todo-api", time=NOW)
    assert "subject" not in envelope


def test_audit_payload_is_json_ready():
    record = AuditRecordData(user_id="alice", actor="alice", actor_type="user", action="task.created", at=NOW)
    event = Event(topic=AUDIT_LOGS, type=AUDIT_TYPE, key="k", data=record)
    data = cloudevent(event, event_id=uuid4(), source="todo-api", time=NOW)["data"]
    assert data["at"] == "2026-03-01T09:00:00Z"
    assert AuditRecordData.model_validate(data) == record


def test_types_are_versioned():
    assert task_type("completed") == "com.todo.task.completed.v1"
    assert AUDIT_TYPE == "com.todo.audit.recorded.v1"


def test_catalogue_covers_the_five_task_types_audit_and_reminders():
    expected = {task_type(a): (TASK_EVENTS, TaskEventData) for a in ACTIONS}
    expected[AUDIT_TYPE] = (AUDIT_LOGS, AuditRecordData)
    expected[REMINDER_DUE_TYPE] = (REMINDERS, ReminderDueData)
    assert expected == EVENT_CATALOGUE
    for _topic, model in EVENT_CATALOGUE.values():
        assert issubclass(model, BaseModel)
        assert model.model_json_schema()["type"] == "object"
