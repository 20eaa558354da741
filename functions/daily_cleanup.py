"""`daily-cleanup` (cron daily-cleanup-cron, 02:00 UTC): purge expired rows per the retention table.

Every batch is a transaction of its own, so locks stay short and a failure keeps what was done.
The counts are returned, logged and audited.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from functions.changes import record_run
from functions.context import Context
from functions.deps import Deps
from functions.store import cleanup


class CleanupRun(BaseModel):
    # Strict: JSON `true` or "5" is no number of batches (pydantic's lax mode would take them as 1 and 5).
    model_config = ConfigDict(extra="forbid", strict=True)
    max_batches: int | None = Field(None, ge=1, le=100_000, description="per kind; default from settings")


class Cleaned(BaseModel):
    deleted: dict[str, int]
    complete: bool = Field(description="false when a kind hit max_batches; the next run goes on")


def clean_up(cmd: CleanupRun, deps: Deps, ctx: Context) -> Cleaned:
    now = deps.clock()
    settings = deps.settings
    retention = settings.retention.model_dump()
    max_batches = cmd.max_batches or settings.cleanup_max_batches
    deleted: dict[str, int] = {}
    complete = True
    for kind, (_, days_field) in cleanup.PURGES.items():
        cutoff = now - timedelta(days=retention[days_field]) if days_field else now
        total = 0
        for _ in range(max_batches):
            with deps.db.transaction() as tx:
                n = cleanup.purge(tx, kind, cutoff, now, settings.cleanup_batch)
            total += n
            if n < settings.cleanup_batch:
                break
        else:
            complete = False
        deleted[kind] = total
    result = Cleaned(deleted=deleted, complete=complete)
    with deps.db.transaction() as tx:
        record_run(tx, deps, "cleanup.ran", {**result.model_dump(), "retention_days": retention})
    deps.log.info("daily cleanup", extra=result.model_dump())
    return result
