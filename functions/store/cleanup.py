"""Bounded purges by age: each statement deletes at most `limit` rows, oldest first, skipping locked ones."""

from __future__ import annotations

from datetime import datetime

from functions.store.db import Tx


def _oldest(table: str, where: str, order: str) -> str:
    return (
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {where}"
        f" ORDER BY {order} LIMIT %(limit)s FOR UPDATE SKIP LOCKED))"
    )


# Each kind: the statement and the retention (Settings.retention field) that sets its cutoff.
PURGES: dict[str, tuple[str, str | None]] = {
    "deleted_tasks": (_oldest("tasks", "deleted_at < %(cutoff)s", "deleted_at"), "deleted_tasks"),
    # A series whose every task has been purged (the cutoff keeps one just ended by a PATCH or delete).
    "empty_series": (
        _oldest(
            "series",
            "ended_at < %(cutoff)s AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.series_id = series.id)",
            "ended_at",
        ),
        "deleted_tasks",
    ),
    "published_outbox": (_oldest("outbox", "published_at < %(cutoff)s", "published_at"), "published_outbox"),
    "inbox": (_oldest("inbox", "received_at < %(cutoff)s", "received_at"), "inbox"),
    "cron_ticks": (_oldest("cron_ticks", "claimed_at < %(cutoff)s", "claimed_at"), "cron_ticks"),
    "sent_reminders": (
        _oldest("reminders", "state = 'sent' AND sent_at < %(cutoff)s", "sent_at"),
        "sent_reminders",
    ),
    "cancelled_reminders": (
        _oldest("reminders", "state = 'cancelled' AND updated_at < %(cutoff)s", "updated_at"),
        "cancelled_reminders",
    ),
    "audit": (_oldest("audit_log", "at < %(cutoff)s", "at"), "audit"),
    # Dapr's state.postgresql deletes these itself (cleanupInterval); the embedded store relies on us.
    "expired_state": (_oldest("state", "expiredate < %(now)s", "expiredate"), None),
    "pubsub_messages": (
        _oldest(
            "pubsub_messages",
            "published_at < %(cutoff)s AND NOT EXISTS"
            " (SELECT 1 FROM pubsub_deliveries d WHERE d.message_id = pubsub_messages.id)",
            "published_at",
        ),
        "pubsub_messages",
    ),
}


def purge(tx: Tx, kind: str, cutoff: datetime, now: datetime, limit: int) -> int:
    """Delete one batch of `kind` older than the cutoff; return how many rows went."""
    sql, _ = PURGES[kind]
    return tx.execute(sql, {"cutoff": cutoff, "now": now, "limit": limit}).rowcount
