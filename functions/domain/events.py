"""Event payloads (the public contract of the topics) and their CloudEvents 1.0 form."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

TASK_EVENTS = "task-events"
REMINDERS = "reminders"
AUDIT_LOGS = "audit-logs"
TOPICS = (TASK_EVENTS, REMINDERS, AUDIT_LOGS)
TYPE_PREFIX = "com.todo."

TaskAction = Literal["created", "updated", "completed", "reopened", "deleted"]
TASK_ACTIONS: tuple[TaskAction, ...] = get_args(TaskAction)


def task_type(action: TaskAction) -> str:
    return f"{TYPE_PREFIX}task.{action}.v1"


TASK_TYPES = tuple(task_type(a) for a in TASK_ACTIONS)
AUDIT_TYPE = f"{TYPE_PREFIX}audit.recorded.v1"
REMINDER_DUE_TYPE = f"{TYPE_PREFIX}reminder.due.v1"

# For readers of the event catalogue (docs/asyncapi.json, docs/events.md).
TOPIC_SUMMARIES = {
    TASK_EVENTS: "one event per change of a task",
    REMINDERS: "one event per claimed reminder that is due",
    AUDIT_LOGS: "one audit record per change of a task, per reminder's fate and per run of a maintenance function",
}
EVENT_SUMMARIES = {
    **{task_type(a): f"a task was {a}; `data.task` is the task after the change" for a in TASK_ACTIONS},
    AUDIT_TYPE: "an audit record: who did what to which task (or which run did what)",
    REMINDER_DUE_TYPE: "a reminder is due: send it unless it was re-planned, its task done or deleted",
}
# The Kafka message key (the `partitionkey` attribute; Dapr's metadata.partitionKey) that producers give an Event,
# so that one task's events keep their order. tests/contracts/test_producers.py checks every producer against it.
PARTITION_KEY = (
    "the task's id (`data.task_id`); for an audit record of a run that concerns no task, the function's name"
)


class TaskEventData(BaseModel):
    """`data` of every `task-events` message (com.todo.task.<action>.v1)."""

    model_config = ConfigDict(extra="ignore")

    task_id: UUID
    user_id: str
    actor: str
    action: TaskAction
    task: dict[str, Any] = Field(description="the task as the API renders it, after the change")
    changed: list[str] = Field(default_factory=list, description="fields that changed (updated only)")


class AuditRecordData(BaseModel):
    """`data` of every `audit-logs` message (com.todo.audit.recorded.v1): one per change."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=200, description="the owner of the record")
    actor: str = Field(min_length=1, max_length=200, description="a user id, or the function's name")
    actor_type: Literal["user", "function"]
    action: str = Field(min_length=1, max_length=100)
    task_id: UUID | None = None
    at: datetime
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)


class ReminderDueData(BaseModel):
    """`data` of every `reminders` message (com.todo.reminder.due.v1): one claimed reminder is due."""

    model_config = ConfigDict(extra="ignore")

    reminder_id: UUID
    task_id: UUID
    user_id: str = Field(min_length=1, max_length=200)
    remind_at: datetime = Field(description="the planned time; a re-planned reminder no longer matches it")


class Event(BaseModel):
    """An event a change causes, before it is given an id and written to the outbox."""

    model_config = ConfigDict(frozen=True)

    topic: str
    type: str
    key: str = Field(description="Kafka key: keeps one task's events in order")
    subject: str | None = None
    data: BaseModel


def cloudevent(event: Event, *, event_id: UUID, source: str, time: datetime) -> dict[str, Any]:
    """The CloudEvents 1.0 structured form; its id is the outbox row id, stable across re-publication."""
    envelope: dict[str, Any] = {
        "specversion": "1.0",
        "id": str(event_id),
        "source": source,
        "type": event.type,
        "time": time.isoformat(),
        "datacontenttype": "application/json",
        "partitionkey": event.key,
        "data": event.data.model_dump(mode="json"),
    }
    if event.subject:
        envelope["subject"] = event.subject
    return envelope


EVENT_CATALOGUE: dict[str, tuple[str, type[BaseModel]]] = {
    **{task_type(a): (TASK_EVENTS, TaskEventData) for a in TASK_ACTIONS},
    AUDIT_TYPE: (AUDIT_LOGS, AuditRecordData),
    REMINDER_DUE_TYPE: (REMINDERS, ReminderDueData),
}
