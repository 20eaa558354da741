"""Dead-lettered messages: recorded once per (dead-letter topic, event id), listed, marked replayed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from psycopg.types.json import Jsonb

from functions.store.db import Row, Tx

_COLUMNS = "id, topic, original_topic, event_id, event_type, reason, event, times, received_at, replayed_at, replays"


def record(tx: Tx, topic: str, original_topic: str, event: dict[str, Any], reason: str | None) -> tuple[UUID, bool]:
    """Insert, or reopen a replayed row that failed again; (id, False) for a plain redelivery."""
    row = tx.one(
        "INSERT INTO dead_letters (id, topic, original_topic, event_id, event_type, reason, event)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (topic, event_id) DO UPDATE SET times = dead_letters.times + 1, replayed_at = NULL,"
        " reason = coalesce(excluded.reason, dead_letters.reason), event = excluded.event, received_at = now()"
        " WHERE dead_letters.replayed_at IS NOT NULL"
        " RETURNING id",
        (uuid4(), topic, original_topic, str(event["id"]), event.get("type"), reason, Jsonb(event)),
    )
    if row is not None:
        return row["id"], True
    existing = tx.one("SELECT id FROM dead_letters WHERE topic = %s AND event_id = %s", (topic, str(event["id"])))
    assert existing is not None
    return existing["id"], False


def newest(tx: Tx, limit: int, include_replayed: bool, topic: str | None) -> list[Row]:
    where = ["true"]
    if not include_replayed:
        where.append("replayed_at IS NULL")
    if topic:
        where.append("topic = %(topic)s")
    return tx.all(
        f"SELECT {_COLUMNS} FROM dead_letters WHERE {' AND '.join(where)}"
        " ORDER BY received_at DESC, id LIMIT %(limit)s",
        {"topic": topic, "limit": limit},
    )


def get(tx: Tx, dead_letter_id: UUID, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(f"SELECT {_COLUMNS} FROM dead_letters WHERE id = %s{lock}", (dead_letter_id,))


def mark_replayed(tx: Tx, dead_letter_id: UUID, now: datetime) -> None:
    tx.execute(
        "UPDATE dead_letters SET replayed_at = %s, replays = replays + 1 WHERE id = %s",
        (now, dead_letter_id),
    )


def open_count(tx: Tx) -> int:
    """Dead letters not replayed: what an operator still has to look at."""
    row = tx.one("SELECT count(*) AS n FROM dead_letters WHERE replayed_at IS NULL")
    assert row is not None
    return row["n"]
