"""The state store as a PostgreSQL table, with Dapr state.postgresql v1's layout and semantics.

Keys are `<app-id>||<key>` and the etag is the row's xmin, as in Dapr, so data carries over.
"""

from __future__ import annotations

import json
from typing import Any

from functions.errors import Conflict, Invalid
from functions.ports import StateItem
from functions.store.db import Database, Tx

_LIVE = "(expiredate IS NULL OR expiredate > now())"


class TableState:
    def __init__(self, db: Database, app_id: str) -> None:
        self.db = db
        self.prefix = f"{app_id}||"

    def get(self, key: str) -> StateItem | None:
        with self.db.transaction() as tx:
            row = tx.one(
                f"SELECT value, xmin::text AS etag FROM state WHERE key = %s AND {_LIVE}",
                (self.prefix + key,),
            )
        return None if row is None else StateItem(row["value"], row["etag"])

    def save(
        self,
        key: str,
        value: Any,
        *,
        etag: str | None = None,
        first_write: bool = False,
        ttl: int | None = None,
    ) -> None:
        with self.db.transaction() as tx:
            self._save(tx, key, value, etag, first_write, ttl)

    def _save(self, tx: Tx, key: str, value: Any, etag: str | None, first_write: bool, ttl: int | None) -> None:
        full = self.prefix + key
        expires = "now() + make_interval(secs => %(ttl)s)" if ttl else "NULL"
        params = {"key": full, "value": json.dumps(value), "ttl": ttl, "etag": etag}
        if etag:
            cur = tx.execute(
                f"UPDATE state SET value = %(value)s::jsonb, updatedate = now(), expiredate = {expires}"
                f" WHERE key = %(key)s AND xmin::text = %(etag)s AND {_LIVE}",
                params,
            )
            if cur.rowcount == 0:
                raise Conflict(f"state key {key!r} changed since it was read (etag mismatch)", field="etag")
            return
        if first_write:
            # An expired row does not count as existing.
            tx.execute(f"DELETE FROM state WHERE key = %(key)s AND NOT {_LIVE}", params)
            row = tx.one(
                f"INSERT INTO state (key, value, isbinary, expiredate)"
                f" VALUES (%(key)s, %(value)s::jsonb, false, {expires}) ON CONFLICT (key) DO NOTHING RETURNING 1",
                params,
            )
            if row is None:
                raise Conflict(f"state key {key!r} already exists (first-write)", field="etag")
            return
        tx.execute(
            f"INSERT INTO state (key, value, isbinary, expiredate) VALUES (%(key)s, %(value)s::jsonb, false, {expires})"
            f" ON CONFLICT (key) DO UPDATE SET value = excluded.value, updatedate = now(),"
            f" expiredate = excluded.expiredate",
            params,
        )

    def delete(self, key: str, *, etag: str | None = None) -> None:
        with self.db.transaction() as tx:
            self._delete(tx, key, etag)

    def _delete(self, tx: Tx, key: str, etag: str | None) -> None:
        if etag:
            cur = tx.execute("DELETE FROM state WHERE key = %s AND xmin::text = %s", (self.prefix + key, etag))
            if cur.rowcount == 0:
                raise Conflict(f"state key {key!r} changed since it was read (etag mismatch)", field="etag")
        else:
            tx.execute("DELETE FROM state WHERE key = %s", (self.prefix + key,))

    def transact(self, operations: list[dict[str, Any]]) -> None:
        with self.db.transaction() as tx:
            for op in operations:
                req = op.get("request") or {}
                key = req.get("key")
                if not key:
                    raise Invalid("every state operation needs request.key", field="key")
                etag = req.get("etag")
                if op.get("operation") == "upsert":
                    options = req.get("options") or {}
                    ttl = (req.get("metadata") or {}).get("ttlInSeconds")
                    self._save(
                        tx,
                        key,
                        req.get("value"),
                        etag,
                        options.get("concurrency") == "first-write",
                        int(ttl) if ttl else None,
                    )
                elif op.get("operation") == "delete":
                    self._delete(tx, key, etag)
                else:
                    raise Invalid(f"unknown state operation {op.get('operation')!r}", field="operation")
