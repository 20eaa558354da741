"""The stored user profile."""

from __future__ import annotations

from functions.store.db import Row, Tx


def get(tx: Tx, user_id: str) -> Row | None:
    return tx.one("SELECT id, email, timezone FROM users WHERE id = %s", (user_id,))


def put(tx: Tx, user_id: str, email: str | None, timezone: str | None, fields: set[str]) -> Row:
    """Upsert; only the fields given change."""
    row = tx.one(
        "INSERT INTO users (id, email, timezone) VALUES (%(id)s, %(email)s, %(tz)s) ON CONFLICT (id) DO UPDATE SET"
        " email = CASE WHEN %(set_email)s THEN excluded.email ELSE users.email END,"
        " timezone = CASE WHEN %(set_tz)s THEN excluded.timezone ELSE users.timezone END,"
        " updated_at = now() RETURNING id, email, timezone",
        {
            "id": user_id,
            "email": email,
            "tz": timezone,
            "set_email": "email" in fields,
            "set_tz": "timezone" in fields,
        },
    )
    assert row is not None
    return row
