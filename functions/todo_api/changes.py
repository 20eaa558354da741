"""Every task change emits one `task-events` event and one `audit-logs` record, in the change's transaction."""

from __future__ import annotations

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


def record(tx: Tx, deps: Deps, actor: str, action: TaskAction, before: Task | None, after: Task) -> None:
    old = snapshot(before) if before else {}
    changed_before, changed_after = diff(old, snapshot(after))
    key = str(after.id)
    task_event = TaskEventData(
        task_id=after.id,
        user_id=actor,
        actor=actor,
        action=action,
        task=after.model_dump(mode="json"),
        changed=sorted(changed_after) if action == "updated" else [],
    )
    audit = AuditRecordData(
        user_id=actor,
        actor=actor,
        actor_type="user",
        action=f"task.{action}",
        task_id=after.id,
        at=deps.clock(),
        before=changed_before,
        after=changed_after,
    )
    deps.outbox.emit(
        tx,
        [
            Event(topic=TASK_EVENTS, type=task_type(action), key=key, subject=key, data=task_event),
            Event(topic=AUDIT_LOGS, type=AUDIT_TYPE, key=key, subject=key, data=audit),
        ],
    )
