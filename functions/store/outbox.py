"""The transactional outbox: events written with the change, published after commit or by the relay."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from functions.store.db import Database, Tx, rows_sql


def add(tx: Tx, rows: list[tuple[UUID, str, str, dict[str, Any]]]) -> None:
    """Insert (id, topic, key, event) rows in one statement, deferred: it travels with the COMMIT."""
    if rows:
        tx.defer(
            *rows_sql(
                "INSERT INTO outbox (id, topic, key, event) VALUES",
                [(event_id, topic, key, Jsonb(event)) for event_id, topic, key, event in rows],
            )
        )


def mark_published(tx: Tx, ids: list[UUID], now: datetime) -> None:
    if ids:
        tx.execute(
            "UPDATE outbox SET published_at = %s WHERE id = ANY(%s) AND published_at IS NULL",
            (now, ids),
        )


def mark_published_now(db: Database, ids: list[UUID], now: datetime) -> int:
    """Mark rows published in a statement of its own (one round trip): the fast path's batched bookkeeping."""
    if not ids:
        return 0
    return db.execute("UPDATE outbox SET published_at = %s WHERE id = ANY(%s) AND published_at IS NULL", (now, ids))


def claim_unpublished(tx: Tx, older_than: datetime, limit: int) -> list[dict[str, Any]]:
    """Leftovers of the fast path, oldest first; SKIP LOCKED lets relay replicas share the work."""
    return tx.all(
        "SELECT id, topic, key, event FROM outbox WHERE published_at IS NULL AND created_at < %s"
        " ORDER BY created_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (older_than, limit),
    )


def count_attempt(tx: Tx, ids: list[UUID]) -> None:
    if ids:
        tx.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY(%s)", (ids,))


def backlog(tx: Tx) -> tuple[int, timedelta | None]:
    row = tx.one("SELECT count(*) AS n, now() - min(created_at) AS age FROM outbox WHERE published_at IS NULL")
    assert row is not None
    return row["n"], row["age"]
