"""Storage guarantees: migrations applied once under concurrency, and a cron tick claimed once."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from functions.store import ticks
from functions.store.db import Database
from functions.store.schema import migrate, migrations

TICK = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def empty_database_url(pg_admin_url):
    name = f"empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield make_conninfo(pg_admin_url, dbname=name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrate_from_threads(url, n):
    """Run migrate from n threads at once, each with a pool of its own like separate processes."""
    start = threading.Barrier(n)
    applied, errors = [], []

    def run():
        database = Database(url, max_size=1).open()
        try:
            start.wait()
            applied.append(migrate(database))
        except Exception as exc:
            errors.append(exc)
        finally:
            database.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return applied, errors


def test_concurrent_migrations_apply_each_version_once(empty_database_url):
    versions = [version for version, _ in migrations()]
    applied, errors = migrate_from_threads(empty_database_url, 4)
    assert errors == []
    assert sorted(applied) == [[]] * 3 + [versions]
    with psycopg.connect(empty_database_url) as conn:
        stored = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert stored == versions
    assert {"tasks", "reminders", "outbox", "inbox", "cron_ticks", "audit_log"} <= tables


def test_migrating_again_applies_nothing(empty_database_url):
    database = Database(empty_database_url, max_size=1).open()
    try:
        assert migrate(database) == [version for version, _ in migrations()]
        assert migrate(database) == []
    finally:
        database.close()


def claim(db, function="reminder-check", tick=TICK, claimant="replica-1"):
    with db.transaction() as tx:
        return ticks.claim(tx, function, tick, claimant)


def test_a_tick_is_claimed_once(db):
    assert claim(db) is True
    assert claim(db, claimant="replica-2") is False


def test_each_tick_and_each_function_is_claimed_separately(db):
    assert claim(db) is True
    assert claim(db, tick=TICK.replace(minute=1)) is True
    assert claim(db, function="daily-cleanup") is True
    assert claim(db, tick=TICK.replace(minute=1)) is False


def test_the_same_instant_in_another_offset_is_the_same_tick(db):
    assert claim(db) is True
    assert claim(db, tick=TICK.astimezone(timezone(timedelta(hours=2)))) is False
