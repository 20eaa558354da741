"""Recording a change: its events, staged in the outbox in the change's own transaction.

The one place that builds audit records. A task's change emits one `task-events` event and one
`audit-logs` record (todo-api, spawn-recurrence, recurrence-sweep); a run of a function that concerns
no one user (daily-cleanup, recurrence-sweep) and a reminder's fate (send-reminder) emit an audit record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from functions.deps import Deps
from functions.domain.events import (
    AUDIT_LOGS,
    AUDIT_TYPE,
    TASK_EVENTS,
    AuditRecordData,
    Event,
    TaskAction,
    TaskEventData,
    task_type,
)
from functions.domain.tasks import Task, diff, snapshot
from functions.store.db import Tx

ActorType = Literal["user", "function"]
# Runs of a function that concern no one user (cleanup, a sweep) are audited under this owner.
SYSTEM_OWNER = "@system"  # "@" starts no user id: bindings/auth.py refuses such token subjects


def record_task_change(
    tx: Tx,
    deps: Deps,
    actor: str,
    action: TaskAction,
    before: Task | None,
    after: Task,
    *,
    owner: str | None = None,
    actor_type: ActorType = "user",
    details: dict[str, Any] | None = None,
) -> None:
    """`actor` made the change; `owner` (default: the actor) owns the task, e.g. when a function acts."""
    user_id = owner or actor
    old = snapshot(before) if before else {}
    changed_before, changed_after = diff(old, snapshot(after))
    key = str(after.id)
    task_event = TaskEventData(
        task_id=after.id,
        user_id=user_id,
        actor=actor,
        action=action,
        task=after.model_dump(mode="json"),
        changed=sorted(changed_after) if action == "updated" else [],
    )
    audit = _audit(
        deps,
        f"task.{action}",
        owner=user_id,
        key=key,
        subject=key,
        actor=actor,
        actor_type=actor_type,
        task_id=after.id,
        before=changed_before,
        after=changed_after,
        details=details or {},
    )
    deps.outbox.emit(
        tx, [Event(topic=TASK_EVENTS, type=task_type(action), key=key, subject=key, data=task_event), audit]
    )


def record_run(tx: Tx, deps: Deps, action: str, details: dict[str, Any]) -> None:
    """Audit one run of a function (its counts in `details`), owned by no user."""
    deps.outbox.emit(tx, [_audit(deps, action, owner=SYSTEM_OWNER, key=deps.function, details=details)])


def record_reminder(
    tx: Tx,
    deps: Deps,
    action: str,
    *,
    owner: str,
    task_id: UUID,
    reminder_id: UUID,
    remind_at: datetime,
    details: dict[str, Any],
) -> None:
    """Audit what became of one reminder (`reminder.sent`, `reminder.failed`), on its task's trail."""
    key = str(task_id)
    details = {"reminder_id": str(reminder_id), "remind_at": remind_at.isoformat(), **details}
    event = _audit(deps, action, owner=owner, key=key, subject=key, task_id=task_id, details=details)
    deps.outbox.emit(tx, [event])


def _audit(
    deps: Deps,
    action: str,
    *,
    owner: str,
    key: str,
    subject: str | None = None,
    actor: str | None = None,
    actor_type: ActorType = "function",
    task_id: UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any],
) -> Event:
    """The `audit-logs` event of one record; `actor` defaults to the function that records it."""
    record = AuditRecordData(
        user_id=owner,
        actor=actor or deps.function,
        actor_type=actor_type,
        action=action,
        task_id=task_id,
        at=deps.clock(),
        before=before or {},
        after=after or {},
        details=details,
    )
    return Event(topic=AUDIT_LOGS, type=AUDIT_TYPE, key=key, subject=subject, data=record)
