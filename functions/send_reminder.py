"""`send-reminder` (topic `reminders`): mail a due reminder exactly once; also `POST /api/notify` ad hoc.

The reminder row is locked while the mail is sent and marked in the same transaction, so a redelivered event
or a racing ad hoc call finds it sent and does nothing. A mail the provider refuses for the moment is not
retried through Kafka (that would hold the partition and end in the dead-letter topic after the inbound
retries): the reminder is deferred, still claimed, and reminder-check claims it again after a back-off.

The window for a duplicate is a crash of this process between the provider's 202 and the commit. When it is
the database that goes away there (a restart, a failover), the send is recorded again in a new transaction,
retried for a few seconds while the database comes back (docs/reminders.md, "Exactly once"; docs/reliability.md).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from functions import mailer, task_cache
from functions.changes import record_reminder
from functions.context import Context
from functions.deps import Deps
from functions.domain.events import ReminderDueData
from functions.domain.reminder_mail import ReminderMail, render
from functions.errors import NotFound, Rejected, Transient
from functions.store import reminders
from functions.store.db import Row, Tx

# Recording a send whose transaction was lost must end before daprd's pubsubCall timeout (10 s) would deliver
# the event again, with the reminder still unrecorded: a second mail.
RECORD_AGAIN_S = 6.0


class Notify(BaseModel):
    """Body of `POST /api/notify`: send this reminder now, whether or not it is due yet."""

    model_config = ConfigDict(extra="forbid")
    reminder_id: UUID


class Notified(BaseModel):
    reminder_id: UUID
    outcome: Literal["sent", "skipped", "failed", "deferred"]
    reason: str | None = None
    message_id: str | None = None


def send_reminder(due: ReminderDueData, deps: Deps, ctx: Context) -> Notified:
    return _deliver(due.reminder_id, due.remind_at, deps)


def notify(cmd: Notify, deps: Deps, ctx: Context) -> Notified:
    return _deliver(cmd.reminder_id, None, deps)


def _deliver(reminder_id: UUID, planned: datetime | None, deps: Deps) -> Notified:
    accepted: list[str] = []  # the provider's message id, once it has accepted the mail
    started = time.monotonic()
    try:
        return _attempt(reminder_id, planned, deps, accepted)
    except Transient:
        if not accepted:
            raise
        return _record_again(reminder_id, accepted[0], deps, started)


def _attempt(reminder_id: UUID, planned: datetime | None, deps: Deps, accepted: list[str]) -> Notified:
    failed: Notified | None = None
    # A transaction of its own (not the inbox's): its commit is seen here, so a send it fails to record can be
    # recorded again (_record_again).
    with deps.db.transaction(join=False) as tx:
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
            failed = _fail(tx, deps, row, str(exc))
        except Transient as exc:
            if planned is None:
                raise  # ad hoc: the caller is answered 503 and decides
            if row["attempts"] >= deps.settings.reminder_max_attempts:
                failed = _fail(tx, deps, row, f"gave up after {row['attempts']} attempts: {exc}")
            else:
                return _defer(tx, deps, row, str(exc))
        else:
            accepted.append(message_id)
            reminders.mark_sent(tx, reminder_id, deps.clock(), message_id)
            _audit(tx, deps, row, "reminder.sent", {"message_id": message_id})
            return Notified(reminder_id=reminder_id, outcome="sent", message_id=message_id)
    # Outside the `with`: the failure is recorded; the caller still learns that this can never succeed.
    assert failed is not None
    raise Rejected(failed.reason or "rejected", field="reminder_id", result=failed)


def _fail(tx: Tx, deps: Deps, row: Row, reason: str) -> Notified:
    reminders.mark_failed(tx, row["id"], deps.clock(), reason)
    _audit(tx, deps, row, "reminder.failed", {"reason": reason})
    return Notified(reminder_id=row["id"], outcome="failed", reason=reason)


def _defer(tx: Tx, deps: Deps, row: Row, reason: str) -> Notified:
    """Still claimed, claimed again at `retry_at`: the back-off doubles with each attempt, up to its bound."""
    settings = deps.settings
    wait = min(settings.reminder_retry_seconds * 2 ** max(row["attempts"] - 1, 0), settings.reminder_retry_max_seconds)
    retry_at = deps.clock() + timedelta(seconds=wait)
    reminders.defer(tx, row["id"], deps.clock(), retry_at, reason)
    extra = {"reminder_id": str(row["id"]), "attempts": row["attempts"], "retry_at": retry_at.isoformat()}
    deps.log.warning("reminder mail deferred", extra={**extra, "reason": reason})
    return Notified(reminder_id=row["id"], outcome="deferred", reason=reason)


def _record_again(reminder_id: UUID, message_id: str, deps: Deps, started: float) -> Notified:
    """The provider has the mail, but the database lost the transaction recording it. Record it in a new one,
    retried while the database comes back, so that a redelivery finds the reminder sent."""
    extra = {"reminder_id": str(reminder_id), "message_id": message_id}
    while True:
        left = RECORD_AGAIN_S - (time.monotonic() - started)
        try:
            with deps.db.transaction(join=False, timeout=max(left, 0.1)) as tx:
                row = reminders.lock_for_send(tx, reminder_id)
                if row is not None and row["state"] != "sent":
                    reminders.mark_sent(tx, reminder_id, deps.clock(), message_id)
                    _audit(tx, deps, row, "reminder.sent", {"message_id": message_id})
            deps.log.warning("reminder send recorded again after its transaction was lost", extra=extra)
            return Notified(reminder_id=reminder_id, outcome="sent", message_id=message_id)
        except Transient:
            if left <= 1.0:
                deps.log.error("reminder mailed but not recorded: a redelivery may mail it again", extra=extra)
                raise
            time.sleep(0.5)


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
