"""Bench databases and data: fresh databases on the bench's PostgreSQL, users, tasks, bearer tokens."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

LIST_TASKS = """
INSERT INTO users (id, email, timezone) VALUES (%(user)s, %(user)s || '@example.org', 'UTC') ON CONFLICT DO NOTHING;
INSERT INTO tasks (id, user_id, title, description, priority, tags, status, due_at, timezone, created_at, updated_at,
                   completed_at)
  SELECT gen_random_uuid(), %(user)s, 'task ' || g, CASE WHEN g %% 3 = 0 THEN 'notes on task ' || g END, g %% 4,
         CASE g %% 3 WHEN 0 THEN ARRAY['work'] WHEN 1 THEN ARRAY['home', 'errand'] ELSE '{}'::text[] END,
         CASE WHEN g %% 5 = 0 THEN 'done' ELSE 'open' END,
         CASE WHEN g %% 10 <> 0 THEN now() + g * interval '37 seconds' END, 'UTC',
         now() - g * interval '1 second', now() - g * interval '1 second',
         CASE WHEN g %% 5 = 0 THEN now() END
  FROM generate_series(1, %(n)s) g;
INSERT INTO reminders (id, task_id, user_id, before, remind_at)
  SELECT gen_random_uuid(), id, user_id, interval '15 minutes', due_at - interval '15 minutes'
  FROM tasks WHERE user_id = %(user)s AND due_at IS NOT NULL AND hashtext(id::text) %% 10 = 0;
"""


def with_db(admin_url: str, name: str) -> str:
    head, _, query = admin_url.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create `name` on the admin URL's server; return its URL."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return with_db(admin_url, name)


def migrated_database(admin_url: str, name: str) -> str:
    from functions.store.db import Database
    from functions.store.schema import migrate

    url = fresh_database(admin_url, name)
    db = Database(url, max_size=2).open()
    try:
        migrate(db)
    finally:
        db.close()
    return url


def sql(url: str, statement: str, params: dict[str, object] | None = None) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(statement, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def list_user(url: str, user: str, n: int) -> None:
    """`n` tasks of one user: a quarter per priority, a fifth done, a tenth undated, a tenth with a reminder."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            for statement in filter(str.strip, LIST_TASKS.split(";")):
                conn.execute(statement, {"user": user, "n": n})
        conn.execute("ANALYZE tasks")
        conn.execute("ANALYZE reminders")


def tasks_of(url: str, user: str, n: int) -> list[UUID]:
    """`n` plain tasks for `user` (created in SQL, so the API's cache has never seen them)."""
    sql(url, "INSERT INTO users (id) VALUES (%(user)s) ON CONFLICT DO NOTHING", {"user": user})
    rows = sql(
        url,
        "INSERT INTO tasks (id, user_id, title, priority, tags, due_at)"
        " SELECT gen_random_uuid(), %(user)s, 'task ' || g, g %% 4, ARRAY['bench'], now() + g * interval '1 hour'"
        " FROM generate_series(1, %(n)s) g RETURNING id",
        {"user": user, "n": n},
    )
    return [r[0] for r in rows]  # type: ignore[misc]


def recurring_tasks_of(url: str, user: str, n: int) -> list[UUID]:
    """`n` open weekly tasks for `user`, each the latest of its own series, as the API would have stored them."""
    from datetime import UTC, datetime

    from functions.domain.recurrence import normalize

    anchor = datetime(2031, 1, 6, 9, tzinfo=UTC)
    rule = normalize("weekly", anchor)
    sql(url, "INSERT INTO users (id) VALUES (%(user)s) ON CONFLICT DO NOTHING", {"user": user})
    rows = sql(
        url,
        "WITH s AS (INSERT INTO series (id, user_id, rrule, anchor, timezone)"
        " SELECT gen_random_uuid(), %(user)s, %(rule)s, %(anchor)s, 'UTC' FROM generate_series(1, %(n)s) RETURNING id)"
        " INSERT INTO tasks (id, user_id, title, priority, tags, due_at, timezone, recurrence, series_id)"
        " SELECT gen_random_uuid(), %(user)s, 'weekly', 2, ARRAY['bench'], %(anchor)s, 'UTC', %(rule)s, s.id FROM s"
        " RETURNING id",
        {"user": user, "n": n, "rule": rule, "anchor": anchor},
    )
    return [r[0] for r in rows]  # type: ignore[misc]


def signing_key(data_dir: Path) -> str:
    """The JWT key of the bench data dir's secrets file, which the function app reads too."""
    from bindings import auth
    from bindings.embedded.secrets import FileSecrets, ensure_file

    return auth.signing_key(FileSecrets(ensure_file(data_dir)))


def bearer(key: str, user: str) -> dict[str, str]:
    from bindings import auth
    from functions.settings import Settings

    return {"Authorization": "Bearer " + auth.issue(key, Settings(), user), "Content-Type": "application/json"}
