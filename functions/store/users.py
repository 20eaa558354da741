"""The stored user profile: created on a user's first write, changed by PUT /api/me."""

from __future__ import annotations

from functions.store.db import Row, Tx


def ensure(tx: Tx, user_id: str, email: str | None, timezone: str | None) -> None:
    """Create the owner row on first write; a profile set with PUT /api/me is never overwritten. Deferred:
    nothing is read from it, so it travels with the next statement."""
    tx.defer(
        "INSERT INTO users (id, email, timezone) VALUES (%s, %s, %s) ON CONFLICT (id) DO UPDATE"
        " SET email = coalesce(users.email, excluded.email), timezone = coalesce(users.timezone, excluded.timezone)"
        " WHERE users.email IS NULL AND excluded.email IS NOT NULL"
        " OR users.timezone IS NULL AND excluded.timezone IS NOT NULL",
        (user_id, email, timezone),
    )


def ensure_zone(tx: Tx, user_id: str, email: str | None, timezone: str | None) -> str | None:
    """`ensure`, and the profile's time zone after it, in one statement (one round trip, not two)."""
    row = tx.one(
        "WITH up AS (INSERT INTO users (id, email, timezone) VALUES (%(id)s, %(email)s, %(tz)s) ON CONFLICT (id)"
        " DO UPDATE SET email = coalesce(users.email, excluded.email),"
        " timezone = coalesce(users.timezone, excluded.timezone)"
        " WHERE users.email IS NULL AND excluded.email IS NOT NULL"
        " OR users.timezone IS NULL AND excluded.timezone IS NOT NULL RETURNING timezone)"
        " SELECT timezone FROM up UNION ALL"
        " SELECT timezone FROM users WHERE id = %(id)s AND NOT EXISTS (SELECT 1 FROM up)",
        {"id": user_id, "email": email, "tz": timezone},
    )
    return None if row is None else row["timezone"]


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
