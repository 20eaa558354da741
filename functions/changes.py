"""Every task change emits one `task-events` event and one `audit-logs` record, in the change's transaction."""

from __future__ import annotations

from typing import Any, Literal

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


def record(
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
    audit = AuditRecordData(
        user_id=user_id,
        actor=actor,
        actor_type=actor_type,
        action=f"task.{action}",
        task_id=after.id,
        at=deps.clock(),
        before=changed_before,
        after=changed_after,
        details=details or {},
    )
    deps.outbox.emit(
        tx,
        [
            Event(topic=TASK_EVENTS, type=task_type(action), key=key, subject=key, data=task_event),
            Event(topic=AUDIT_LOGS, type=AUDIT_TYPE, key=key, subject=key, data=audit),
        ],
    )


def record_run(tx: Tx, deps: Deps, action: str, details: dict[str, Any]) -> None:
    """Audit one run of a function (its counts in `details`), owned by no user."""
    audit = AuditRecordData(
        user_id=SYSTEM_OWNER,
        actor=deps.function,
        actor_type="function",
        action=action,
        at=deps.clock(),
        details=details,
    )
    deps.outbox.emit(tx, [Event(topic=AUDIT_LOGS, type=AUDIT_TYPE, key=deps.function, data=audit)])
