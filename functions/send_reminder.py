"""`send-reminder` (topic `reminders`): mail a due reminder exactly once; also `POST /api/notify` ad hoc.

The reminder row is locked while the mail is sent and marked in the same transaction as the inbox
entry, so a redelivered event or a racing ad hoc call finds it sent and does nothing. The one window
for a duplicate is a crash between the provider's 202 and our commit (docs/reminders.md, "Exactly once").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from functions import mailer, task_cache
from functions.changes import record_reminder
from functions.context import Context
from functions.deps import Deps
from functions.domain.events import ReminderDueData
from functions.domain.reminder_mail import ReminderMail, render
from functions.errors import NotFound, Rejected
from functions.store import reminders
from functions.store.db import Row, Tx


class Notify(BaseModel):
    """Body of `POST /api/notify`: send this reminder now, whether or not it is due yet."""

    model_config = ConfigDict(extra="forbid")
    reminder_id: UUID


class Notified(BaseModel):
    reminder_id: UUID
    outcome: Literal["sent", "skipped", "failed"]
    reason: str | None = None
    message_id: str | None = None


def send_reminder(due: ReminderDueData, deps: Deps, ctx: Context) -> Notified:
    return _deliver(due.reminder_id, due.remind_at, deps)


def notify(cmd: Notify, deps: Deps, ctx: Context) -> Notified:
    return _deliver(cmd.reminder_id, None, deps)


def _deliver(reminder_id: UUID, planned: datetime | None, deps: Deps) -> Notified:
    failed: Notified | None = None
    with deps.db.transaction() as tx:
        row = reminders.lock_for_send(tx, reminder_id)
        if row is None:
            raise NotFound(f"reminder {reminder_id} does not exist", field="reminder_id")
        reason = _skip_reason(row, planned)
        if reason:
            deps.log.info("reminder skipped", extra={"reminder_id": str(reminder_id), "reason": reason})
            return Notified(reminder_id=reminder_id, outcome="skipped", reason=reason)
        try:
            if not row["email"]:
                raise mailer.MailRejected("the user has no e-mail address on record")
            message_id = mailer.send(_mail(row), deps)
        except mailer.MailRejected as exc:
            reminders.mark_failed(tx, reminder_id, deps.clock(), str(exc))
            _audit(tx, deps, row, "reminder.failed", {"reason": str(exc)})
            failed = Notified(reminder_id=reminder_id, outcome="failed", reason=str(exc))
        else:
            reminders.mark_sent(tx, reminder_id, deps.clock(), message_id)
            _audit(tx, deps, row, "reminder.sent", {"message_id": message_id})
            return Notified(reminder_id=reminder_id, outcome="sent", message_id=message_id)
    # Outside the `with`: the failure is recorded; the caller still learns that this can never succeed.
    raise Rejected(failed.reason or "rejected", field="reminder_id", result=failed)


def _skip_reason(row: Row, planned: datetime | None) -> str | None:
    """Why this reminder must not be mailed now, or None. `planned` is None for an ad hoc send."""
    if row["deleted_at"] is not None:
        return "the task was deleted"
    if row["task_status"] != "open":
        return "the task is done"
    state = row["state"]
    if state in ("sent", "failed", "cancelled"):
        return f"the reminder is already {state}"
    if planned is None:
        return None
    if state != "claimed" or row["remind_at"] != planned:
        return f"the reminder was re-planned to {row['remind_at'].isoformat()}"
    return None


def _mail(row: Row) -> ReminderMail:
    zone = row["user_timezone"] or row["task_timezone"] or "UTC"
    return render(
        to=row["email"],
        reminder_id=str(row["id"]),
        title=row["title"],
        description=row["description"],
        due_at=row["due_at"],
        remind_at=row["remind_at"],
        zone=zone,
    )


def _audit(tx: Tx, deps: Deps, row: Row, action: str, details: dict[str, Any]) -> None:
    """Audit the reminder's new state; the cached task showing the old one is invalidated after commit."""
    task_cache.invalidate_after_commit(tx, deps, row["user_id"], row["task_id"])
    record_reminder(
        tx,
        deps,
        action,
        owner=row["user_id"],
        task_id=row["task_id"],
        reminder_id=row["id"],
        remind_at=row["remind_at"],
        details=details,
    )
