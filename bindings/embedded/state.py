"""The state store as a PostgreSQL table, with Dapr state.postgresql v1's layout and semantics.

Checked against components-contrib v1.18 (`state/postgresql/v1`, `common/component/postgresql/v1`):
the etag is the row's xmin (a uint32; anything else is refused as invalid), an etag write updates
only a live row with that xmin, a first-write without etag inserts or revives an expired row and
fails on a live one, `ttlInSeconds` of -1 or 0 means no expiry, and a read ignores expired rows.
Keys are prefixed as daprd prefixes them (`keyPrefix` metadata), so data carries over both ways.
"""

from __future__ import annotations

import json
import os
from typing import Any

from functions.errors import Conflict, Invalid
from functions.protocols import StateItem
from functions.store.db import Database, Tx

SEPARATOR = "||"
_LIVE = "(expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)"
_MAX_TTL = 2**31 - 1


def key_prefix(strategy: str | None, app_id: str, store: str) -> str:
    """daprd's GetModifiedStateKey: keyPrefix appid (default) | name | namespace | none | a literal."""
    strategy = (strategy or "appid").lower()  # daprd lower-cases the whole value
    if strategy == "none":
        return ""
    if strategy == "name":
        return store + SEPARATOR
    if strategy == "namespace" and os.environ.get("NAMESPACE"):
        return f"{os.environ['NAMESPACE']}.{app_id}{SEPARATOR}"
    if strategy in ("appid", "namespace"):
        return app_id + SEPARATOR
    return strategy + SEPARATOR


def component_metadata(store: str) -> dict[str, str]:
    """The plain-valued metadata of the state store's component in dapr/components, keys lower-cased."""
    from bindings.schedules import load_components

    doc = load_components().get(store) or {}
    items = (doc.get("spec") or {}).get("metadata") or []
    return {m["name"].lower(): str(m["value"]) for m in items if "value" in m}


def _ttl_expression(ttl: int | None) -> str:
    if ttl is None or ttl in (-1, 0):
        return "NULL"
    if not -1 <= ttl <= _MAX_TTL:
        raise Invalid(f"ttlInSeconds must be -1 or greater, got {ttl}", field="ttlInSeconds")
    return "CURRENT_TIMESTAMP + make_interval(secs => %(ttl)s)"


def _etag(etag: str) -> int:
    try:
        value = int(etag)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise Invalid(f"etag {etag!r} is not valid for this store (a uint32)", field="etag")
    return value


class TableState:
    def __init__(self, db: Database, prefix: str) -> None:
        self.db = db
        self.prefix = prefix

    def _key(self, key: str) -> str:
        if not key:
            raise Invalid("a state key must not be empty", field="key")
        if SEPARATOR in key:
            raise Invalid(f"state key {key!r} must not contain {SEPARATOR!r}", field="key")
        return self.prefix + key

    def get(self, key: str) -> StateItem | None:
        # One statement, no BEGIN/COMMIT around it: one round trip, as daprd's own store does.
        row = self.db.one(f"SELECT value, xmin::text AS etag FROM state WHERE key = %s AND {_LIVE}", (self._key(key),))
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
        sql, params, conflict = self._save_statement(key, value, etag, first_write, ttl)
        if self.db.execute(sql, params) != 1:  # one statement, one round trip
            raise Conflict(conflict, field="etag")

    def _save(self, tx: Tx, key: str, value: Any, etag: str | None, first_write: bool, ttl: int | None) -> None:
        sql, params, conflict = self._save_statement(key, value, etag, first_write, ttl)
        if tx.execute(sql, params).rowcount != 1:
            raise Conflict(conflict, field="etag")

    def _save_statement(
        self, key: str, value: Any, etag: str | None, first_write: bool, ttl: int | None
    ) -> tuple[str, dict[str, Any], str]:
        """The one statement of a save, and what a Conflict says when it touches no row."""
        expires = _ttl_expression(ttl)
        params = {"key": self._key(key), "value": json.dumps(value), "ttl": ttl}
        if etag:
            params["etag"] = _etag(etag)
            # Dapr compares the etag whatever the concurrency option says.
            return (
                f"UPDATE state SET value = %(value)s::jsonb, isbinary = false, updatedate = CURRENT_TIMESTAMP,"
                f" expiredate = {expires} WHERE key = %(key)s AND xmin::text::bigint = %(etag)s AND {_LIVE}",
                params,
                f"state key {key!r} changed since it was read (etag mismatch)",
            )
        # One upsert either way, as in Dapr: first-write may only revive an expired, not yet collected row.
        only_expired = " WHERE t.expiredate IS NOT NULL AND t.expiredate < CURRENT_TIMESTAMP" if first_write else ""
        # A first-write on a live key touches no row. Dapr answers it with a plain error (HTTP 500, "no item
        # was updated"); the sidecar adapter turns that back into Conflict, so handlers see the same thing.
        return (
            f"INSERT INTO state AS t (key, value, isbinary, expiredate) VALUES (%(key)s, %(value)s::jsonb, false,"
            f" {expires}) ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary,"
            f" updatedate = CURRENT_TIMESTAMP, expiredate = {expires}{only_expired}",
            params,
            f"state key {key!r} already exists (first-write)",
        )

    def delete(self, key: str, *, etag: str | None = None) -> None:
        with self.db.transaction(join=False) as tx:
            self._delete(tx, key, etag)

    def _delete(self, tx: Tx, key: str, etag: str | None) -> None:
        if not etag:
            tx.execute("DELETE FROM state WHERE key = %s", (self._key(key),))
            return
        cur = tx.execute("DELETE FROM state WHERE key = %s AND xmin::text::bigint = %s", (self._key(key), _etag(etag)))
        if cur.rowcount != 1:
            raise Conflict(f"state key {key!r} changed since it was read (etag mismatch)", field="etag")

    def transact(self, operations: list[dict[str, Any]]) -> None:
        if len(operations) == 1:  # one statement is atomic by itself: no BEGIN/COMMIT, one round trip
            self._apply(None, operations[0])
            return
        with self.db.transaction(join=False) as tx:
            for op in operations:
                self._apply(tx, op)

    def _apply(self, tx: Tx | None, op: dict[str, Any]) -> None:
        req = op.get("request") or {}
        key = req.get("key") or ""
        etag = req.get("etag")
        if op.get("operation") == "upsert":
            options = req.get("options") or {}
            ttl = (req.get("metadata") or {}).get("ttlInSeconds")
            try:
                seconds = int(ttl) if ttl not in (None, "") else None
            except ValueError:
                raise Invalid(f"ttlInSeconds {ttl!r} is not an integer", field="ttlInSeconds") from None
            first = options.get("concurrency") == "first-write"
            if tx is None:
                self.save(key, req.get("value"), etag=etag, first_write=first, ttl=seconds)
            else:
                self._save(tx, key, req.get("value"), etag, first, seconds)
        elif op.get("operation") == "delete":
            if tx is None:
                self.delete(key, etag=etag)
            else:
                self._delete(tx, key, etag)
        else:
            raise Invalid(f"unknown state operation {op.get('operation')!r}", field="operation")

    def cleanup_expired(self) -> int:
        """What Dapr's garbage collector runs every `cleanupInterval`; returns the rows removed."""
        with self.db.transaction(join=False) as tx:
            cur = tx.execute("DELETE FROM state WHERE expiredate IS NOT NULL AND expiredate < CURRENT_TIMESTAMP")
        return cur.rowcount
