"""Consumer-side dedupe: one row per (consumer, event id), written with the consumer's own effects."""

from __future__ import annotations

from functions.store.db import Tx


def first_delivery(tx: Tx, consumer: str, event_id: str) -> bool:
    """Record the event; False when this consumer has already processed it."""
    row = tx.one(
        "INSERT INTO inbox (consumer, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING RETURNING 1 AS new",
        (consumer, event_id),
    )
    return row is not None
