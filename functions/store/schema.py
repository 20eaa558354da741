"""Schema migrations: ordered SQL files, applied once, serialised by an advisory lock."""

from __future__ import annotations

from importlib import resources

from functions.store.db import Database

# Any constant works; it only has to be the same in every process that migrates this database.
_LOCK_KEY = 0x70D0_5C4E


def migrations() -> list[tuple[str, str]]:
    folder = resources.files("functions.store") / "migrations"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


def migrate(db: Database) -> list[str]:
    """Apply what is missing; return the versions applied. Safe when several processes start at once."""
    applied: list[str] = []
    with db.transaction() as tx:
        # Transaction-scoped: released at commit, or at rollback if a migration fails.
        tx.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in tx.all("SELECT version FROM schema_migrations")}
        for version, sql in migrations():
            if version in done:
                continue
            tx.execute(sql)
            tx.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied
