"""Queries of reminders: plan, re-plan when due_at moves, cancel, claim when due, record the send."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from functions.domain.reminders import ReminderSpec, remind_at
from functions.store.db import Row, Tx, rows_sql

# A claimed reminder is in flight (its event is in the outbox or on Kafka) but not yet mailed, so
# cancelling and re-planning must reach it too; the sender re-checks the row and skips a stale event.
LIVE_STATES = ("pending", "claimed")
_LIVE = "state IN ('pending', 'claimed')"


def plan(
    tx: Tx, task_id: UUID, user_id: str, specs: list[ReminderSpec], due_at: datetime | None
) -> list[tuple[UUID, datetime, timedelta | None, datetime | None]]:
    """Insert pending reminders (deferred: one statement that goes with the next one or the COMMIT).

    One already past fires at the next check rather than never. Returns what was written, (id,
    remind_at, before, at), so that a reply can be built without reading it back.
    """
    rows = [
        (uuid4(), task_id, user_id, spec.before, spec.at, when)
        for spec in specs
        if (when := remind_at(spec, due_at)) is not None
    ]
    if rows:
        tx.defer(*rows_sql("INSERT INTO reminders (id, task_id, user_id, before, at, remind_at) VALUES", rows))
    return [(rid, when, before, at) for rid, _, _, before, at, when in rows]


def replan(tx: Tx, task_id: UUID, due_at: datetime | None, now: datetime) -> None:
    """Move live relative reminders with the new due time; cancel them when it is cleared.

    A claimed one goes back to pending at its new time; the event already sent for the old time no
    longer matches the row's `remind_at`, so the sender skips it.
    """
    if due_at is None:
        tx.execute(
            f"UPDATE reminders SET state = 'cancelled', updated_at = %s"
            f" WHERE task_id = %s AND {_LIVE} AND before IS NOT NULL",
            (now, task_id),
        )
        return
    tx.execute(
        f"UPDATE reminders SET remind_at = %s - before, state = 'pending', claimed_at = NULL, retry_at = NULL,"
        f" updated_at = %s"
        f" WHERE task_id = %s AND {_LIVE} AND before IS NOT NULL",
        (due_at, now, task_id),
    )


def longest_live_before(tx: Tx, task_id: UUID) -> timedelta | None:
    """The largest `before` among the task's live relative reminders: the one a new due time moves furthest back."""
    row = tx.one(f"SELECT max(before) AS before FROM reminders WHERE task_id = %s AND {_LIVE}", (task_id,))
    return row["before"] if row else None


def cancel_pending(tx: Tx, task_id: UUID, now: datetime) -> int:
    """Cancel every reminder not yet mailed, including one whose event is in flight."""
    cur = tx.execute(
        f"UPDATE reminders SET state = 'cancelled', updated_at = %s WHERE task_id = %s AND {_LIVE}",
        (now, task_id),
    )
    return cur.rowcount


def cancel_pending_later(tx: Tx, task_id: UUID, now: datetime) -> None:
    """`cancel_pending` when the count is not needed: deferred, it travels with the next statement or COMMIT."""
    tx.defer(
        f"UPDATE reminders SET state = 'cancelled', updated_at = %s WHERE task_id = %s AND {_LIVE}",
        (now, task_id),
    )


def claim_due(tx: Tx, now: datetime, limit: int, lease: timedelta) -> list[Row]:
    """Claim up to `limit` due reminders that no other claimant holds; each may be claimed again after `lease`.

    The inner SELECT walks the partial index of pending `remind_at` and stops after `limit` rows, so the
    cost follows the number due. SKIP LOCKED lets concurrent claimants take disjoint batches; the outer
    `state = 'pending'` re-check makes the UPDATE conditional even if a row changed after it was read.
    """
    return tx.all(
        "UPDATE reminders r SET state = 'claimed', claimed_at = %(now)s, retry_at = %(retry)s,"
        " attempts = r.attempts + 1, updated_at = %(now)s"
        " FROM (SELECT id FROM reminders WHERE state = 'pending' AND remind_at <= %(now)s"
        "       ORDER BY remind_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED) due"
        " WHERE r.id = due.id AND r.state = 'pending'"
        " RETURNING r.id, r.task_id, r.user_id, r.remind_at",
        {"now": now, "limit": limit, "retry": now + lease},
    )


def reclaim(tx: Tx, now: datetime, limit: int, lease: timedelta) -> list[Row]:
    """Claim again up to `limit` claimed reminders whose `retry_at` has passed: deferred after a transient mail
    failure, or claimed a lease ago with nothing since (the event was lost). The same partial-index walk and
    SKIP LOCKED as `claim_due`; a reminder send-reminder holds locked is skipped, and one it has sent meanwhile
    no longer matches. A second event for one reminder is harmless: the sender locks the row and sends once."""
    return tx.all(
        "UPDATE reminders r SET claimed_at = %(now)s, retry_at = %(retry)s, attempts = r.attempts + 1,"
        " updated_at = %(now)s"
        " FROM (SELECT id FROM reminders WHERE state = 'claimed' AND retry_at <= %(now)s"
        "       ORDER BY retry_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED) due"
        " WHERE r.id = due.id AND r.state = 'claimed'"
        " RETURNING r.id, r.task_id, r.user_id, r.remind_at",
        {"now": now, "limit": limit, "retry": now + lease},
    )


def defer(tx: Tx, reminder_id: UUID, now: datetime, retry_at: datetime, reason: str) -> None:
    """The provider refused for the moment: still claimed, to be claimed again at `retry_at`."""
    tx.execute(
        "UPDATE reminders SET retry_at = %s, last_error = %s, updated_at = %s WHERE id = %s",
        (retry_at, reason[:1000], now, reminder_id),
    )


def lock_for_send(tx: Tx, reminder_id: UUID) -> Row | None:
    """The reminder with its task and owner, locked so that one sender at a time decides about it."""
    return tx.one(
        "SELECT r.id, r.task_id, r.user_id, r.remind_at, r.state, r.before, r.attempts,"
        " t.title, t.description, t.due_at, t.timezone AS task_timezone, t.status AS task_status,"
        " t.deleted_at, u.email, u.timezone AS user_timezone"
        " FROM reminders r JOIN tasks t ON t.id = r.task_id LEFT JOIN users u ON u.id = r.user_id"
        " WHERE r.id = %s FOR UPDATE OF r",
        (reminder_id,),
    )


def mark_sent(tx: Tx, reminder_id: UUID, now: datetime, message_id: str | None) -> None:
    tx.execute(
        "UPDATE reminders SET state = 'sent', sent_at = %s, message_id = %s, last_error = NULL, updated_at = %s"
        " WHERE id = %s",
        (now, message_id, now, reminder_id),
    )


def mark_failed(tx: Tx, reminder_id: UUID, now: datetime, reason: str) -> None:
    tx.execute(
        "UPDATE reminders SET state = 'failed', last_error = %s, updated_at = %s WHERE id = %s",
        (reason[:1000], now, reminder_id),
    )
