"""`reminder-check` (cron every minute): claim due reminders and emit one `reminders` event each.

Claim and event are written in ONE transaction (the outbox), and published in bulk after commit.
So a crash after the claim loses nothing (outbox-relay publishes the event), and a crash before it
leaves the reminders pending for the next run. Replicas take disjoint batches (SKIP LOCKED).
Claimed reminders whose `retry_at` has passed are claimed again, with a new event: those send-reminder
deferred after a transient mail failure, and those whose event was lost (a claim is a lease).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from functions import task_cache
from functions.context import Context
from functions.deps import Deps
from functions.domain.events import REMINDER_DUE_TYPE, REMINDERS, Event, ReminderDueData
from functions.store import reminders


class CheckRun(BaseModel):
    # Strict: JSON `true` or "5" is no number of batches (pydantic's lax mode would take them as 1 and 5).
    model_config = ConfigDict(extra="forbid", strict=True)
    max_batches: int | None = Field(None, ge=1, le=1000, description="default: settings.reminder_max_batches")


class Checked(BaseModel):
    claimed: int
    batches: int


def check_reminders(cmd: CheckRun, deps: Deps, ctx: Context) -> Checked:
    settings = deps.settings
    claimed = batches = 0
    for _ in range(cmd.max_batches or settings.reminder_max_batches):
        with deps.db.transaction() as tx:
            now, lease = deps.clock(), timedelta(seconds=settings.reminder_claim_lease_seconds)
            rows = reminders.claim_due(tx, now, settings.reminder_batch, lease)
            if len(rows) < settings.reminder_batch:
                rows += reminders.reclaim(tx, now, settings.reminder_batch - len(rows), lease)
            if rows:
                deps.outbox.emit(tx, [_due_event(row) for row in rows])
                # A cached task shows its reminders' states; "claimed" must not hide behind "pending".
                task_cache.invalidate_many_after_commit(tx, deps, {(r["user_id"], r["task_id"]) for r in rows})
        if not rows:
            break
        batches += 1
        claimed += len(rows)
        if len(rows) < settings.reminder_batch:
            break
    if claimed:
        deps.log.info("reminders claimed", extra={"claimed": claimed, "batches": batches})
    return Checked(claimed=claimed, batches=batches)


def _due_event(row: dict) -> Event:
    task = str(row["task_id"])
    data = ReminderDueData(
        reminder_id=row["id"], task_id=row["task_id"], user_id=row["user_id"], remind_at=row["remind_at"]
    )
    return Event(topic=REMINDERS, type=REMINDER_DUE_TYPE, key=task, subject=str(row["id"]), data=data)
