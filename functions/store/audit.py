"""The append-only audit trail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from functions.domain.events import AuditRecordData
from functions.store.db import Tx


def append(tx: Tx, record_id: UUID, record: AuditRecordData) -> bool:
    """Insert once; False when this event id is already recorded."""
    row = tx.one(
        "INSERT INTO audit_log (id, user_id, actor, actor_type, action, task_id, at, before, after, details)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING RETURNING 1 AS new",
        (
            record_id,
            record.user_id,
            record.actor,
            record.actor_type,
            record.action,
            record.task_id,
            record.at,
            Jsonb(record.before),
            Jsonb(record.after),
            Jsonb(record.details),
        ),
    )
    return row is not None


def newest(tx: Tx, user_id: str, task_id: UUID | None, limit: int) -> list[dict[str, Any]]:
    task_filter = " AND task_id = %(task)s" if task_id else ""
    return tx.all(
        "SELECT id, actor, actor_type, action, task_id, at, before, after, details FROM audit_log"
        f" WHERE user_id = %(user)s{task_filter} ORDER BY at DESC, id DESC LIMIT %(limit)s",
        {"user": user_id, "task": task_id, "limit": limit},
    )
