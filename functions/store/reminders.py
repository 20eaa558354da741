"""Queries of reminders: plan, re-plan when due_at moves, cancel."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from functions.domain.reminders import ReminderSpec, remind_at
from functions.store.db import Tx


def plan(tx: Tx, task_id: UUID, user_id: str, specs: list[ReminderSpec], due_at: datetime | None) -> None:
    """Insert pending reminders. One already past fires at the next check rather than never."""
    rows = [
        (uuid4(), task_id, user_id, spec.before, spec.at, when)
        for spec in specs
        if (when := remind_at(spec, due_at)) is not None
    ]
    if rows:
        with tx.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO reminders (id, task_id, user_id, before, at, remind_at) VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )


def replan(tx: Tx, task_id: UUID, due_at: datetime | None, now: datetime) -> None:
    """Move pending relative reminders with the new due time; cancel them when it is cleared."""
    if due_at is None:
        tx.execute(
            "UPDATE reminders SET state = 'cancelled', updated_at = %s"
            " WHERE task_id = %s AND state = 'pending' AND before IS NOT NULL",
            (now, task_id),
        )
        return
    tx.execute(
        "UPDATE reminders SET remind_at = %s - before, updated_at = %s"
        " WHERE task_id = %s AND state = 'pending' AND before IS NOT NULL",
        (due_at, now, task_id),
    )


def cancel_pending(tx: Tx, task_id: UUID, now: datetime) -> int:
    cur = tx.execute(
        "UPDATE reminders SET state = 'cancelled', updated_at = %s WHERE task_id = %s AND state = 'pending'",
        (now, task_id),
    )
    return cur.rowcount
