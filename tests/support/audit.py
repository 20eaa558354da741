"""Audit records as audit-writer receives them, and the trail GET /api/audit answers."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.audit_writer import write_audit
from functions.context import Context
from functions.domain.events import AUDIT_LOGS, AUDIT_TYPE, AuditRecordData
from functions.todo_api.audit import AuditQuery, list_audit
from tests.support.handlers import api, ctx, outbox_rows


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
