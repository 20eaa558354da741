"""Read-through cache of one user's task in the state store, invalidated after every change commits.

No interleaving of a read and a write leaves a stale entry:
- a reader notes the key's state (absent, or a tombstone with etag E) BEFORE it reads PostgreSQL,
  and fills only if the key is still exactly that: first-write when it was absent, etag E otherwise;
- a writer, after its change commits, WRITES a tombstone. That changes the key under every reader
  that read the old row, so their fills fail (they still answer with what they read, which was
  current when they read it). A delete would not do: a reader that saw "absent" before the delete
  could first-write the old row after it.
- a tombstone lives as long as an entry would, far longer than a reader may take (FILL_WINDOW),
  so it cannot expire under a reader that started before it.
Keys carry the user and entries are checked against the caller, so no user sees another's task.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote
from uuid import UUID

from pydantic import ValidationError

from functions.deps import Deps
from functions.domain.tasks import Task
from functions.errors import Conflict
from functions.store.db import Tx

FILL_WINDOW = 10.0  # seconds; a reader slower than this does not fill (its snapshot may be old)
_TOMBSTONE = {"tombstone": True}


def key(user_id: str, task_id: UUID) -> str:
    # Quoted: a user id may contain ':' or '|', and daprd refuses keys containing '||'.
    return f"task:{quote(user_id, safe='')}:{task_id}"


def read_through(deps: Deps, user_id: str, task_id: UUID, load: Callable[[], Task | None]) -> Task | None:
    """The cached task if this user's entry is there, else `load()` (PostgreSQL), filling the cache."""
    started = time.monotonic()
    k = key(user_id, task_id)
    try:
        item = deps.state.get(k)
    except Exception as exc:  # whatever the store's failure, the database still answers
        deps.meter.count("task_cache", result="fallback")
        deps.log.warning("task cache unavailable; reading PostgreSQL", extra={"error": f"{type(exc).__name__}"})
        return load()
    value = item.value if item and isinstance(item.value, dict) else {}
    if "task" in value:
        if value.get("user_id") != user_id:
            deps.meter.count("task_cache", result="foreign")
            return load()  # never served, never overwritten: the key is this user's only by its name
        try:
            task = Task.model_validate(value["task"])
        except ValidationError:
            task = None  # written by an older model; refilled below over its etag
        if task is not None:
            deps.meter.count("task_cache", result="hit")
            deps.log.debug("task cache hit", extra={"key": k})
            return task
    deps.meter.count("task_cache", result="miss")
    deps.log.debug("task cache miss", extra={"key": k, "tombstone": bool(value.get("tombstone"))})
    task = load()
    if task is not None and time.monotonic() - started < FILL_WINDOW:
        _fill(deps, k, user_id, task, None if item is None else item.etag)
    return task


def _fill(deps: Deps, k: str, user_id: str, task: Task, etag: str | None) -> None:
    entry = {"user_id": user_id, "task": task.model_dump(mode="json")}
    ttl = deps.settings.task_cache_ttl_seconds
    try:
        if etag is None:
            deps.state.save(k, entry, first_write=True, ttl=ttl)
        else:
            deps.state.save(k, entry, etag=etag, ttl=ttl)
    except Conflict:
        pass  # a writer invalidated (or a reader filled) since we looked: leave theirs
    except Exception as exc:
        deps.log.warning("task cache fill failed", extra={"error": type(exc).__name__})


def invalidate(deps: Deps, user_id: str, task_id: UUID, attempts: int = 3) -> bool:
    """Write the tombstone; call only after the change has committed. Never raises."""
    k = key(user_id, task_id)
    error = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(0.05 * attempt)
        try:
            deps.state.save(k, _TOMBSTONE, ttl=deps.settings.task_cache_ttl_seconds)
            deps.meter.count("task_cache", result="invalidated")
            return True
        except Exception as exc:
            error = type(exc).__name__
    # The entry, if any, now lives until its TTL: counted and logged so that it is seen.
    deps.meter.count("task_cache", result="invalidate_failed")
    deps.log.error("task cache invalidation failed", extra={"key": k, "error": error})
    return False


def invalidate_after_commit(tx: Tx, deps: Deps, user_id: str, task_id: UUID) -> None:
    """Queue the invalidation on the change's transaction: it runs once the change is durable."""
    tx.after_commit.append(lambda: invalidate(deps, user_id, task_id))


def invalidate_many(deps: Deps, pairs: set[tuple[str, UUID]]) -> None:
    """Tombstone many (user, task) keys in ONE state transaction (reminder-check claims hundreds at once).

    Falls back to one write per key if the transaction fails, so one bad key cannot keep the rest stale.
    """
    if not pairs:
        return
    ttl = str(deps.settings.task_cache_ttl_seconds)
    operations = [
        {"operation": "upsert", "request": {"key": key(u, t), "value": _TOMBSTONE, "metadata": {"ttlInSeconds": ttl}}}
        for u, t in sorted(pairs)
    ]
    try:
        deps.state.transact(operations)
        deps.meter.count("task_cache", len(pairs), result="invalidated")
    except Exception as exc:
        deps.log.warning("batched cache invalidation failed; one by one", extra={"error": type(exc).__name__})
        for user_id, task_id in pairs:
            invalidate(deps, user_id, task_id)


def invalidate_many_after_commit(tx: Tx, deps: Deps, pairs: set[tuple[str, UUID]]) -> None:
    tx.after_commit.append(lambda: invalidate_many(deps, set(pairs)))
