"""Queries of series: create one, lock it with a task of it, find its latest instance, insert the next, end it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from functions.domain.reminders import ReminderSpec
from functions.store import tasks
from functions.store.db import Row, Tx


def insert(tx: Tx, series_id: UUID, user_id: str, rrule: str, anchor: datetime, timezone: str) -> None:
    """Deferred: it travels with the next statement (the task that references it)."""
    tx.defer(
        "INSERT INTO series (id, user_id, rrule, anchor, timezone) VALUES (%s, %s, %s, %s, %s)",
        (series_id, user_id, rrule, anchor, timezone),
    )


def lock_with_task(tx: Tx, task_id: UUID) -> Row | None:
    """The task (any status, deleted too) with its series' rule, anchor, zone and end, the series locked.

    The row lock serialises everything that may spawn in one series: the event, a redelivery on
    another replica, and the sweep.
    """
    return tx.one(
        "SELECT t.id, t.user_id, t.title, t.description, t.priority, t.tags, t.status, t.due_at, t.timezone,"
        " t.recurrence, t.series_id, t.completed_at, t.deleted_at,"
        " s.rrule, s.anchor, s.timezone AS series_timezone, s.ended_at"
        " FROM tasks t JOIN series s ON s.id = t.series_id WHERE t.id = %s FOR UPDATE OF s",
        (task_id,),
    )


def of_task(tx: Tx, task_id: UUID) -> UUID | None:
    """The task's series as committed now (a statement of its own sees what committed meanwhile)."""
    row = tx.one("SELECT series_id FROM tasks WHERE id = %s", (task_id,))
    return row["series_id"] if row else None


def lock(tx: Tx, series_id: UUID) -> Row | None:
    """The series row, locked as spawn-recurrence and the sweep lock it (see lock_with_task)."""
    return tx.one("SELECT id, ended_at FROM series WHERE id = %s FOR UPDATE", (series_id,))


def latest_live(tx: Tx, series_id: UUID) -> Row | None:
    """The series' instance with the latest due time among those not deleted."""
    return tx.one(
        "SELECT id, status, due_at FROM tasks WHERE series_id = %s AND deleted_at IS NULL ORDER BY due_at DESC LIMIT 1",
        (series_id,),
    )


def has_later(tx: Tx, series_id: UUID, due_at: datetime) -> bool:
    """Whether the series already has an instance after this one (open, done or deleted)."""
    row = tx.one(
        "SELECT 1 AS x FROM tasks WHERE series_id = %s AND due_at > %s LIMIT 1",
        (series_id, due_at),
    )
    return row is not None


def before_specs(tx: Tx, task: Row) -> list[ReminderSpec]:
    """The task's relative reminders that were live when it was completed.

    Completing cancels the pending ones at `completed_at`; those cancelled earlier had been
    replaced by a PATCH and are not part of the task any more.
    """
    rows = tx.all(
        "SELECT DISTINCT before FROM reminders WHERE task_id = %s AND before IS NOT NULL"
        " AND (state <> 'cancelled' OR updated_at >= %s) ORDER BY before",
        (task["id"], task["completed_at"]),
    )
    return [ReminderSpec(before=r["before"]) for r in rows]


def insert_instance(tx: Tx, task_id: UUID, user_id: str, fields: dict[str, Any], now: datetime) -> bool:
    """Insert the task of one instance; False when (series_id, due_at) exists already."""
    try:
        with tx.conn.transaction():  # a savepoint: the conflict must not abort the caller's transaction
            tasks.insert(tx, task_id, user_id, fields, now)
    except psycopg.errors.UniqueViolation:
        return False
    return True


def end(tx: Tx, series_id: UUID, now: datetime) -> None:
    tx.execute("UPDATE series SET ended_at = %s WHERE id = %s AND ended_at IS NULL", (now, series_id))


def end_if_latest(tx: Tx, series_id: UUID, due_at: datetime | None, now: datetime) -> None:
    """A task leaving its series, or deleted, ends the series when no later instance carries it on."""
    if due_at is None or not has_later(tx, series_id, due_at):
        end(tx, series_id, now)


def needing_successor(
    tx: Tx, after: UUID | None, limit: int, completed_before: datetime
) -> tuple[list[UUID], UUID | None]:
    """One keyset batch of open-ended series: the ids of latest tasks that are done and have no successor.

    Returns those task ids and the last series id scanned (None when the scan is complete).
    """
    rows = tx.all(
        "SELECT s.id AS series_id, last.id AS task_id, last.status, last.deleted_at, last.completed_at"
        " FROM series s CROSS JOIN LATERAL ("
        "   SELECT id, status, deleted_at, completed_at FROM tasks"
        "   WHERE series_id = s.id ORDER BY due_at DESC LIMIT 1) last"
        " WHERE s.ended_at IS NULL AND s.id > %s ORDER BY s.id LIMIT %s",
        (after or UUID(int=0), limit),
    )
    due = [
        r["task_id"]
        for r in rows
        if r["status"] == "done" and r["deleted_at"] is None and r["completed_at"] < completed_before
    ]
    return due, (rows[-1]["series_id"] if len(rows) == limit else None)


def get(tx: Tx, series_id: UUID) -> Row | None:
    return tx.one("SELECT id, rrule, anchor, timezone, ended_at FROM series WHERE id = %s", (series_id,))
